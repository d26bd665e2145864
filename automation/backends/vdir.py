"""The local Calendar: a folder of ``.ics`` files, one event each (a *vdir*).

khal and vdirsyncer read this layout, so a user who syncs the folder with their provider sees
the interviews in their calendar. Busy time is read from this folder and from every
``[availability] busy_ics`` file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.icsbusy import busy_from_files
from automation.models import Interval

log = logging.getLogger(__name__)


class VdirCalendar:
    """Calendar port over a vdir folder (see module docstring)."""

    sends_invites = False  # the invite travels inside the confirmation draft

    def __init__(self, folder: Path, busy_ics: tuple[Path, ...], default_tz: ZoneInfo) -> None:
        self.folder = folder
        self.busy_ics = busy_ics
        self.default_tz = default_tz
        folder.mkdir(parents=True, exist_ok=True)

    def busy(self, window: Interval) -> tuple[list[Interval], list[str]]:
        paths = sorted(self.folder.glob("*.ics")) + list(self.busy_ics)
        return busy_from_files(paths, window, self.default_tz)
