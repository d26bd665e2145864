"""What the pipeline's decisions are made of: the contact's state, observations, actions.

``core/timing.py`` (what time alone brings) and ``core/pipeline.py`` (what the mailbox shows)
decide with these; ``apply`` says how each action changes the state, so a ``Decision`` carries
both the actions, in order, and the state they lead to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from automation.core.models import Status
from automation.core.replykinds import Kind

if TYPE_CHECKING:  # the reply reader is imported by what reads replies, not by every pass
    from automation.core.picks import Pick

#: The happy path, one step at a time.
FORWARD: dict[Status, Status] = {
    Status.NEW: Status.DRAFTED, Status.DRAFTED: Status.SENT, Status.SENT: Status.REPLIED,
    Status.REPLIED: Status.SCHEDULED, Status.SCHEDULED: Status.INTERVIEWED,
    Status.INTERVIEWED: Status.THANKED, Status.THANKED: Status.NURTURING,
}
#: Drafts the service withdraws when the person answers: they only make sense unanswered.
UNANSWERED_KINDS = frozenset({"follow_up", "check_in"})
#: Drafts whose loss the user must hear about; the others are counted as skipped.
MUST_SEND_KINDS = frozenset({"outreach", "confirmation", "cancellation", "thank_you"})
EARLY = frozenset({Status.DRAFTED, Status.SENT, Status.REPLIED})


def allowed(old: Status, new: Status) -> bool:
    """Whether the pipeline may move ``old`` → ``new`` on its own (manual marks may do more)."""
    if FORWARD.get(old) == new:
        return True
    if new in (Status.BOUNCED, Status.OPTED_OUT):
        return old not in (Status.BOUNCED, Status.OPTED_OUT, Status.NEW)
    if new == Status.DECLINED:
        return old in EARLY
    if new == Status.NO_RESPONSE:
        return old == Status.SENT
    return False


@dataclass(frozen=True)
class PendingDraft:
    """A draft of ours still sitting in Drafts."""

    kind: str
    message_id: str


@dataclass(frozen=True)
class ContactState:
    """What the decisions need to know about one contact.

    ``last_outbound_at``: when the outreach or the latest follow-up went out (or a follow-up
    draft was deleted, which counts as skipped); the follow-up clock starts there.
    ``last_exchange_at``: the latest real exchange either way (or skipped check-in); the
    check-in clock starts there. ``follow_ups``: follow-ups drafted so far.
    """

    email: str
    status: Status
    zone: ZoneInfo
    needs_attention: str | None = None
    snoozed_until: datetime | None = None
    last_outbound_at: datetime | None = None
    last_exchange_at: datetime | None = None
    follow_ups: int = 0
    pending: tuple[PendingDraft, ...] = ()
    interview_end: datetime | None = None
    thank_you_drafted: bool = False
    has_note: bool = False
    country: str | None = None  # whose public holidays business days skip (ISO code)

    def pending_of(self, kinds: Iterable[str]) -> tuple[PendingDraft, ...]:
        wanted = frozenset(kinds)
        return tuple(p for p in self.pending if p.kind in wanted)


# -- observations: what the mailbox shows ---------------------------------------------------


@dataclass(frozen=True)
class DraftSent:
    """The user sent our draft ``message_id`` (of ``kind``) at ``at``."""

    kind: str
    message_id: str
    at: datetime


@dataclass(frozen=True)
class DraftGone:
    """Our draft ``message_id`` left Drafts with no Sent copy: the user deleted it."""

    kind: str
    message_id: str
    at: datetime


@dataclass(frozen=True)
class Reply:
    """An inbound message matched to the contact, already classified.

    ``pick`` is set for a human reply; ``failed_address`` for a bounce (the contact's address
    that failed, or "" when the bounce does not say); ``summary`` is its first lines.
    """

    kind: Kind
    at: datetime
    summary: str = ""
    reason: str = ""
    pick: Pick | None = None
    snooze_until: datetime | None = None
    redirect_to: tuple[str, str] | None = None
    failed_address: str | None = None


# -- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetStatus:
    status: Status
    cause: str
    at: datetime | None = None  # when it happened, if not now (e.g. the time a draft was sent)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Flag:
    """Set ``needs_attention`` (or clear it with None)."""

    reason: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Snooze:
    until: datetime | None


@dataclass(frozen=True)
class Withdraw:
    """Remove our unsent draft from Drafts."""

    message_id: str
    kind: str
    cause: str


@dataclass(frozen=True)
class Book:
    """Book the interview: ``option`` is 1-based into the offered slots, or ``at`` a start.

    ``offer``, when given, is the offer ``option`` counts in: the slots of the message the
    reply answers (else the contact's latest offer).
    """

    cause: str
    option: int | None = None
    at: datetime | None = None
    offer: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class Draft:
    kind: str  # follow_up | thank_you | check_in
    cause: str
    number: int = 1


@dataclass(frozen=True)
class Record:
    """A timeline entry that changes no status."""

    event: str
    cause: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReleaseHolds:
    """Give the contact's offered slots back: they will not be booked."""


Action = SetStatus | Flag | Snooze | Withdraw | Book | Draft | Record | ReleaseHolds


@dataclass(frozen=True)
class Decision:
    state: ContactState
    actions: tuple[Action, ...] = ()


def apply(state: ContactState, action: Action, now: datetime) -> ContactState:
    """The state after ``action`` (a Book changes nothing until the booking is made)."""
    if isinstance(action, SetStatus):
        return replace(state, status=action.status)
    if isinstance(action, Flag):
        return replace(state, needs_attention=action.reason)
    if isinstance(action, Snooze):
        return replace(state, snoozed_until=action.until)
    if isinstance(action, Withdraw):
        return replace(state, pending=tuple(p for p in state.pending
                                            if p.message_id != action.message_id))
    if isinstance(action, Draft):
        state = replace(state, pending=(*state.pending, PendingDraft(action.kind, "")))
        if action.kind == "follow_up":
            state = replace(state, follow_ups=state.follow_ups + 1)
        if action.kind == "thank_you":
            state = replace(state, thank_you_drafted=True)
    return state


def decide(state: ContactState, actions: list[Action], now: datetime) -> Decision:
    for action in actions:
        state = apply(state, action, now)
    return Decision(state, tuple(actions))
