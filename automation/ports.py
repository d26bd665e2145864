"""The two ports the core talks through: a Mailbox and a Calendar.

Backends (``backends/memory.py``, ``backends/local.py``, ``backends/google.py``) implement them;
one contract test suite runs against each. Every method documents what it promises and what it
raises: a failing backend raises ``BackendError`` (``retryable`` says whether a later tick may
succeed) or ``AuthError``; nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from automation.models import Interval


@dataclass(frozen=True)
class DraftRef:
    """Where a draft lives. ``message_id`` is our Message-ID header (with angle brackets)."""

    draft_id: str
    message_id: str
    thread_id: str | None = None


@dataclass(frozen=True)
class MailItem:
    """One message observed in the user's Sent or Inbox folder.

    ``key`` is unique and stable for this observation (the tick records it as processed).
    ``message`` always has the headers; ``has_body`` says whether the body was fetched too.
    """

    key: str
    folder: str  # "sent" | "inbox"
    message: EmailMessage
    thread_id: str | None = None
    has_body: bool = True
    received_at: datetime | None = None


@dataclass(frozen=True)
class Watch:
    """What the service tracks, so a backend can decide which bodies are worth fetching."""

    thread_ids: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    message_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SyncResult:
    items: list[MailItem]
    cursor: str | None = None
    problems: list[str] = field(default_factory=list)


class Mailbox(Protocol):
    """The user's mail: drafts we create, and what shows up in Sent and Inbox.

    The service never sends: no Mailbox method can send a message.
    """

    def create_draft(self, message: EmailMessage, *, thread_id: str | None = None) -> DraftRef:
        """Store ``message`` (which carries its own Message-ID) as a draft.

        With ``thread_id`` the draft joins that thread (Gmail needs the id; a Maildir threads by
        In-Reply-To/References alone). Not idempotent on its own: callers journal an intent
        first and use ``find_draft`` after a failure.
        """
        ...

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft whose Message-ID header is ``message_id``, or None."""
        ...

    def draft_message_ids(self) -> set[str]:
        """Message-IDs of every draft now in the Drafts folder."""
        ...

    def delete_draft(self, ref: DraftRef) -> None:
        """Remove the draft (withdraw it). A draft already gone is not an error."""
        ...

    def sync(self, cursor: str | None, watch: Watch,
             known: Callable[[str], bool] = lambda key: False) -> SyncResult:
        """Messages that appeared in Sent or Inbox since ``cursor`` (None: a first, bounded sync).

        ``known(key)`` lets a backend skip items already processed without fetching them.
        Items may repeat across calls (the caller deduplicates by ``key``); none is lost.
        """
        ...


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
