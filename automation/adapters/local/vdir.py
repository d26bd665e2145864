"""The local Calendar: a folder of ``.ics`` files, one event each (a *vdir*).

khal and vdirsyncer read this layout, so a user who syncs the folder with their provider sees
the interviews in their calendar. Busy time is read from this folder and from every
``[availability] busy_ics`` file.

Each interview is one file holding one VCALENDAR with one VEVENT, named after its UID
(``<uid>.ics``; characters outside ``[A-Za-z0-9._-]`` are replaced and a short hash keeps such
names unique). Files are written atomically (temporary file, fsync, ``os.replace``, fsync of the
folder), so khal, vdirsyncer or a crash never see half an event.

What parsing each file found (busy time, the attendee's answer) is kept by ``FileCache``, so an
unchanged folder or ``busy_ics`` export is not parsed again on every pass.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from automation.adapters.clock import Clock, system_clock
from automation.adapters.files import write_private
from automation.adapters.local.filecache import FileCache
from automation.app.ports import FileCacheStore
from automation.core.invites import attendee_partstat, event_ics, parse_event
from automation.core.models import Interval
from automation.errors import BackendError

if TYPE_CHECKING:
    from automation.core.records import EventSpec

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def event_filename(uid: str) -> str:
    """The file name of event ``uid`` in a vdir: ``<uid>.ics``, made safe for any filesystem."""
    safe = _UNSAFE.sub("_", uid).lstrip(".")
    if safe != uid or not safe:
        import hashlib  # here: loading it (OpenSSL's too) is a few ms no idle pass needs

        safe = f"{safe[:80]}-{hashlib.sha256(uid.encode()).hexdigest()[:10]}"
    return f"{safe}.ics"


def _answer_of(data: bytes) -> tuple[str, str | None] | None:
    """(UID, the attendee's PARTSTAT) of an event file, or None if it holds no event."""
    spec = parse_event(data)
    return None if spec is None else (spec.uid, attendee_partstat(data, spec.attendee_email))


def _comparable(spec: EventSpec) -> EventSpec:
    # A cancelled event carries no VALARM, so its reminder is not stored: ignore it.
    return replace(spec, reminder_minutes=0) if spec.status == "CANCELLED" else spec


class VdirCalendar:
    """Calendar port over a vdir folder (see module docstring)."""

    sends_invites = False  # the invite travels inside the confirmation draft

    def __init__(self, folder: Path, busy_ics: tuple[Path, ...], default_tz: ZoneInfo, *,
                 clock: Clock = system_clock, cache: FileCacheStore | None = None) -> None:
        """``cache``: where parsed files are kept between processes (the store); without
        one they are kept for this object's lifetime only."""
        self.folder = folder
        self.busy_ics = busy_ics
        self.default_tz = default_tz
        self.clock = clock  # only for DTSTAMP, the time a file's content was written
        self.cache = FileCache(cache, default_tz)
        # What str(folder / name) starts with: the cache keys files by that text.
        self._prefix = str(folder / "x")[:-1]
        folder.mkdir(parents=True, exist_ok=True)

    def busy(self, window: Interval) -> tuple[list[Interval], list[str]]:
        return self.cache.busy([*self._event_files(), *self.busy_ics], window)

    def _event_files(self) -> list[str]:
        """The folder's ``*.ics`` paths as text, sorted: what ``Path.glob("*.ics")`` lists
        (a missing or unlistable folder has none), without 2,000 Path objects a pass."""
        prefix = self._prefix
        try:
            names = os.listdir(prefix or ".")
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            return []
        return sorted(f"{prefix}{name}" for name in names if name.endswith(".ics"))

    # -- events ---------------------------------------------------------------------------

    def path_for(self, uid: str) -> Path:
        """Where event ``uid`` lives (or would live)."""
        return self.folder / event_filename(uid)

    def _read(self, uid: str) -> tuple[Path, bytes] | None:
        path = self.path_for(uid)
        try:
            return path, path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BackendError(f"cannot read {path}: {exc}") from exc

    def put_event(self, event: EventSpec) -> str:
        """Write event ``event.uid`` to its file; unchanged content is not rewritten.

        Returns the file name (the backend's ref). An update (a new SEQUENCE, new times, or
        STATUS:CANCELLED) replaces the file whole, so the attendee's answer starts over.
        """
        found = self._read(event.uid)
        if found is not None:
            stored = parse_event(found[1])
            if stored is not None and _comparable(stored) == _comparable(event):
                return found[0].name  # idempotent: keeps DTSTAMP and any PARTSTAT a client wrote
        path = self.path_for(event.uid)
        self._write_atomic(path, event_ics(event, self.clock()))
        log.info("wrote calendar event %s (sequence %s, %s)", path.name, event.sequence,
                 event.status)
        return path.name

    def _write_atomic(self, path: Path, data: bytes) -> None:
        try:
            write_private(path, data)
        except OSError as exc:
            raise BackendError(f"cannot write the event file {path}: {exc}; check the [local] "
                               "calendar folder and its permissions") from exc

    def get_event(self, uid: str) -> EventSpec | None:
        found = self._read(uid)
        if found is None:
            return None
        spec = parse_event(found[1])
        if spec is None or spec.uid != uid:
            log.warning("calendar file %s does not hold event %s", found[0], uid)
            return None
        return spec

    def attendee_status(self, uid: str) -> str | None:
        """The attendee's PARTSTAT as the file now says (a synced client may have updated it).

        The file is read only when its ``stat`` changed (see ``filecache``), and parsed only
        when its content changed."""
        found = self.cache.known_answer(f"{self._prefix}{event_filename(uid)}")
        if found is not None:
            return found[1] if found[0] == uid else None
        path = self.path_for(uid)
        try:
            with path.open("rb") as fh:
                info, data = os.fstat(fh.fileno()), fh.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BackendError(f"cannot read {path}: {exc}") from exc
        found = self.cache.answer(path, data, info, _answer_of)
        return found[1] if found is not None and found[0] == uid else None
