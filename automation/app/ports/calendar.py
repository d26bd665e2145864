"""The Calendar port: busy time, and interview events with invitations.

Adapters: ``adapters/memory.py``, ``adapters/local/vdir.py``, ``adapters/google/gcal.py``;
``tests/contract/test_calendar_contract.py`` runs against each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from automation.core.models import Interval

if TYPE_CHECKING:
    from automation.core.records import EventSpec


class Calendar(Protocol):
    """The user's calendar: busy time, and interview events with invitations."""

    #: True when the backend delivers invitations itself (Google with sendUpdates=all);
    #: False when the invite must travel inside the confirmation draft (local backend).
    sends_invites: bool

    def busy(self, window: Interval) -> tuple[list[Interval], list[str]]:
        """Busy intervals overlapping ``window``, and problems with sources that were skipped."""
        ...

    def put_event(self, event: EventSpec) -> str:
        """Create or update the event ``event.uid``; idempotent. Returns the backend's ref."""
        ...

    def get_event(self, uid: str) -> EventSpec | None:
        """The stored event, or None."""
        ...

    def attendee_status(self, uid: str) -> str | None:
        """The attendee's answer: "accepted", "declined", "tentative", "needsAction" or None."""
        ...
