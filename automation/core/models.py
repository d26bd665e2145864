"""Value types shared by the core, the store and the backends.

Every datetime here is timezone-aware; constructors assert it so a naive value fails at the edge
where it entered, not deep inside the slot engine.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

#: "Now", as an aware datetime. The core never reads the wall clock; it is handed one.
Clock = Callable[[], datetime]


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return ``value`` unchanged, or raise ValueError if it has no UTC offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value


class Status(enum.StrEnum):
    """Pipeline status names: a command-line contract (users filter on them)."""

    NEW = "new"
    DRAFTED = "drafted"
    SENT = "sent"
    REPLIED = "replied"
    SCHEDULED = "scheduled"
    INTERVIEWED = "interviewed"
    THANKED = "thanked"
    NURTURING = "nurturing"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"
    BOUNCED = "bounced"
    OPTED_OUT = "opted_out"


#: Statuses after which the service never drafts to the contact again.
TERMINAL = frozenset({Status.DECLINED, Status.NO_RESPONSE, Status.BOUNCED, Status.OPTED_OUT})


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open span of time ``[start, end)`` with aware endpoints."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "Interval.start")
        require_aware(self.end, "Interval.end")
        # Compare instants in UTC: Python compares two datetimes sharing a tzinfo by wall
        # clock and ignores ``fold``, which is wrong on the night the clocks go back.
        if self.end.astimezone(UTC) < self.start.astimezone(UTC):
            raise ValueError(f"Interval ends before it starts: {self.start} > {self.end}")

    def overlaps(self, other: Interval) -> bool:
        return (self.start.astimezone(UTC) < other.end.astimezone(UTC)
                and other.start.astimezone(UTC) < self.end.astimezone(UTC))


@dataclass(frozen=True, order=True)
class Slot:
    """An interview slot on offer; ``start``/``end`` are aware (any zone)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "Slot.start")
        require_aware(self.end, "Slot.end")

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


@dataclass(frozen=True)
class Cadence:
    """How often the pipeline writes, from ``[cadence]`` in the config: the daily outreach cap,
    how long offered slots are held, and when follow-ups, no_response, thank-yous and check-ins
    fall due (the pipeline's decisions read the last five)."""

    daily_outreach_cap: int = 10
    hold_days: int = 3
    # The 3B7 routine (The 2-Hour Job Search): the next contact at an employer after 3 business
    # days without a reply, one follow-up at 7. A config that sets a key keeps its value.
    next_contact_after_business_days: int = 3
    follow_up_after_business_days: int = 7
    max_follow_ups: int = 1
    max_awaiting_per_employer: int = 1  # contacts awaiting a first reply at once; 0 = no limit
    no_response_after_days: int = 7
    thank_you_within_hours: int = 24
    check_in_every_days: int = 90


@dataclass(frozen=True)
class Availability:
    """When the user takes interviews. Built from ``[availability]`` in the config.

    ``days`` are weekday numbers (0 = Monday); ``hours`` are local ``(start, end)`` windows in
    ``timezone``. ``contact_days``/``contact_hours`` are the same for the *contact*, read in
    the contact's zone (``core.contacthours``): an outreach offers only slots inside both.
    """

    timezone: ZoneInfo
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    hours: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(14), time(17)))
    slot_minutes: int = 10
    buffer_minutes: int = 10
    min_notice_hours: int = 24
    horizon_days: int = 14
    offer_count: int = 3
    max_per_day: int = 2
    contact_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    contact_hours: tuple[tuple[time, time], ...] = ((time(8, 30), time(18)),)
    #: Vary the time of day across the offer: each date aims at a time of day of its own,
    #: shifted per contact (``find_slots(seed=...)``); False: the earliest free slot each day.
    vary_time_of_day: bool = True


@dataclass
class Contact:
    """A person in the pipeline, as stored. ``email`` is normalised (lower-case, trimmed)."""

    email: str
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    role: str = ""
    timezone: str | None = None
    notes: str = ""
    phone: str = ""
    location: str = ""
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    status: Status = Status.NEW
    needs_attention: str | None = None
    snoozed_until: datetime | None = None
    referred_by: int | None = None
    thread_id: str | None = None
    user_note: str = ""
    #: How the user knows of them ("we met at the PRSA mixer"): the outreach opens with it.
    connection: str = ""
    id: int | None = None
    created_at: datetime | None = None
    status_changed_at: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return display_name(self.name, self.first_name, self.last_name, self.email)

    @property
    def zone(self) -> ZoneInfo | None:
        """The contact's zone, or None when unknown or not a valid IANA name."""
        return zone_named(self.timezone)


def display_name(name: str, first_name: str, last_name: str, email: str) -> str:
    """How a contact is named: its name, else its first and last names, else its address."""
    return name or " ".join(p for p in (first_name, last_name) if p) or email


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name``, or None when it is empty or not a valid IANA name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return None


#: The profile of a contact: what an import file provides (``ContactRecord``) and the store
#: keeps (``Contact``). A re-import updates these, merging two lines for one address fills
#: them, and an import that changes none of them counts as "unchanged". The one list of them.
PROFILE_FIELDS: tuple[str, ...] = (
    "name", "first_name", "last_name", "company", "role", "timezone", "notes", "phone", "location",
    "connection",
)


# Rows the store reads back: plain values, no database handle.
@dataclass(frozen=True)
class MessageRow:
    id: int
    contact_id: int | None
    kind: str
    direction: str
    message_id: str | None
    thread_id: str | None
    draft_id: str | None
    state: str
    subject: str
    in_reply_to: str | None
    created_at: datetime
    sent_at: datetime | None
    classification: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Interview:
    id: int
    contact_id: int
    uid: str
    start: datetime
    end: datetime
    sequence: int
    status: str
    attendee_status: str | None
    event_ref: str | None

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)
