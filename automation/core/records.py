"""Value types only some steps build: an import's rows, a calendar event to write, the
timeline, the journal's intents and the user's updates.

They are kept out of ``core.models`` because an idle pass uses none of them, and a dataclass
costs at import: Python compiles its generated methods (``__init__``, ``__eq__``, ...) from
source when the class statement runs, about a millisecond a class. The modules that build or
read these import this one; the rest name them for type checking only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)  # slots: an import builds 100,000 of them
class ContactRecord:
    """One contact read from an import file (not yet stored).

    ``email`` is already normalised; ``line`` is the 1-based physical line in the source file
    (or the card's ordinal for vCard) so messages can point at it.
    """

    email: str
    line: int
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    role: str = ""
    timezone: str | None = None
    notes: str = ""
    phone: str = ""
    location: str = ""
    connection: str = ""
    extra_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserUpdate:
    """Something the user has been doing ("finished the data course"), for check-ins."""

    id: int
    at: datetime
    text: str


@dataclass(frozen=True)
class SkippedRow:
    """An input row that could not be imported, with a reason a user can act on."""

    line: int
    reason: str


@dataclass(frozen=True)
class EventSpec:
    """A ten-minute interview as a calendar event (the same UID across updates)."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str
    sequence: int = 0
    status: str = "CONFIRMED"  # or "CANCELLED"
    reminder_minutes: int = 15
    meet: bool = False
    timezone: str = "UTC"  # the organizer's IANA zone, for DTSTART/DTEND and VTIMEZONE


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    event: str
    old_status: str | None
    new_status: str | None
    cause: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Intent:
    id: int
    key: str
    kind: str
    contact_id: int | None
    payload: dict[str, Any]
    state: str
