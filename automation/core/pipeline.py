"""The pipeline's decisions: pure functions of (contact state, observation, now, cadence).

No I/O and no clock: ``observe.py`` and ``followups.py`` read the state from the store and what
happened from the mailbox, call these functions, and carry out the actions they return. Each
function returns a ``Decision``: the actions, in order, and the state they lead to.

The status graph (a command-line contract, see DESIGN.md)::

    new → drafted → sent → replied → scheduled → interviewed → thanked → nurturing
    side exits: declined · no_response · bounced · opted_out

Every ``SetStatus`` this module emits follows one edge of that graph (``allowed``) and carries
a cause, so the timeline can tell the whole story; a manual ``mark`` is the only way around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from automation.core.businessdays import BusinessCalendar
from automation.core.models import TERMINAL, Cadence, Status
from automation.core.picks import Pick
from automation.core.replies import Kind

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
#: Inbound kinds that are a person answering (auto-replies and bounces are machines).
ANSWER_KINDS = frozenset({Kind.HUMAN, Kind.DECLINE, Kind.REDIRECT, Kind.OPT_OUT})
_EARLY = frozenset({Status.DRAFTED, Status.SENT, Status.REPLIED})


def allowed(old: Status, new: Status) -> bool:
    """Whether the pipeline may move ``old`` → ``new`` on its own (manual marks may do more)."""
    if FORWARD.get(old) == new:
        return True
    if new in (Status.BOUNCED, Status.OPTED_OUT):
        return old not in (Status.BOUNCED, Status.OPTED_OUT, Status.NEW)
    if new == Status.DECLINED:
        return old in _EARLY
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


# -- observations ---------------------------------------------------------------------------


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


def _decide(state: ContactState, actions: list[Action], now: datetime) -> Decision:
    for action in actions:
        state = apply(state, action, now)
    return Decision(state, tuple(actions))


# -- time -----------------------------------------------------------------------------------


def add_business_days(start: datetime, days: int, zone: ZoneInfo,
                      country: str | None = None) -> datetime:
    """``start`` plus ``days`` business days counted in ``zone``: weekends skipped, and the
    public holidays of ``country`` (ISO code) when given -- the contact's, so "4 business
    days" are four of *their* working days.

    The local time of day is kept: Friday 09:00 + 4 business days is Thursday 09:00.
    """
    return BusinessCalendar(zone=zone, country=country).add_business_days(start, days)


def _later(moment: datetime, snoozed_until: datetime | None) -> datetime:
    return max(moment, snoozed_until) if snoozed_until else moment


def follow_up_due(state: ContactState, policy: Cadence) -> datetime | None:
    """When the next follow-up is due, or None (none left, or no outbound mail yet)."""
    if state.follow_ups >= policy.max_follow_ups or state.last_outbound_at is None:
        return None
    due = add_business_days(state.last_outbound_at, policy.follow_up_after_business_days,
                            state.zone, state.country)
    return _later(due, state.snoozed_until)


def no_response_due(state: ContactState, policy: Cadence) -> datetime | None:
    """When an unanswered contact becomes ``no_response`` (after the last follow-up)."""
    if state.follow_ups < policy.max_follow_ups or state.last_outbound_at is None:
        return None
    due = state.last_outbound_at + timedelta(days=policy.no_response_after_days)
    return _later(due, state.snoozed_until)


def thank_you_due(state: ContactState, policy: Cadence) -> datetime | None:
    """When to draft the thank-you: at once if the user left a note, else halfway through the
    ``thank_you_within_hours`` window (time for them to add one with ``automation note``)."""
    if state.interview_end is None:
        return None
    if state.has_note:
        return state.interview_end
    return state.interview_end + timedelta(hours=policy.thank_you_within_hours / 2)


def check_in_due(state: ContactState, policy: Cadence) -> datetime | None:
    if state.last_exchange_at is None:
        return None
    due = state.last_exchange_at + timedelta(days=policy.check_in_every_days)
    return _later(due, state.snoozed_until)


def due(state: ContactState, now: datetime, policy: Cadence) -> Decision:
    """What time alone brings: interviewed, follow-ups, no_response, thank-you, check-ins.

    A contact flagged ``needs_attention`` gets no follow-up and no ``no_response`` until the
    user clears the flag: the machine waits for the person. Thank-yous and check-ins still
    come (as drafts the user reviews): a flag left over from booking must not cost them.
    """
    actions: list[Action] = []
    status = state.status
    if status == Status.SCHEDULED and state.interview_end and now >= state.interview_end:
        actions.append(SetStatus(Status.INTERVIEWED, f"interview ended at "
                                 f"{state.interview_end.astimezone(state.zone):%Y-%m-%d %H:%M %Z}",
                                 at=state.interview_end))
        status = Status.INTERVIEWED
    if status in TERMINAL:
        return _decide(state, actions, now)
    waiting = state.needs_attention or state.pending_of({"follow_up"})
    if status == Status.SENT and not waiting:
        at = follow_up_due(state, policy)
        if at is not None and now >= at:
            number = state.follow_ups + 1
            actions.append(Draft("follow_up", f"no reply after "
                                 f"{policy.follow_up_after_business_days} business days: "
                                 f"follow-up {number} of {policy.max_follow_ups}", number))
        at = no_response_due(state, policy)
        if at is not None and now >= at:
            actions += [SetStatus(Status.NO_RESPONSE, f"no reply {policy.no_response_after_days} "
                                  f"days after the last of {policy.max_follow_ups} follow-ups"),
                        ReleaseHolds()]
    if status == Status.INTERVIEWED and not state.thank_you_drafted:
        at = thank_you_due(state, policy)
        if at is not None and now >= at:
            actions.append(Draft("thank_you", "interview done: thank-you drafted"))
    if status == Status.NURTURING and not state.pending_of({"check_in"}):
        at = check_in_due(state, policy)
        if at is not None and now >= at:
            actions.append(Draft("check_in", f"{policy.check_in_every_days} days since the "
                                 "last exchange: check-in drafted"))
    return _decide(state, actions, now)


# -- what the mailbox shows -----------------------------------------------------------------


def on_sent(state: ContactState, sent: DraftSent, now: datetime) -> Decision:
    """The user sent one of our drafts (or, with kind "manual", wrote to the contact)."""
    actions: list[Action] = []
    state = replace(state, pending=tuple(p for p in state.pending
                                         if p.message_id != sent.message_id),
                    last_exchange_at=max(filter(None, (state.last_exchange_at, sent.at))))
    if sent.kind in ("outreach", "follow_up"):
        state = replace(state, last_outbound_at=max(filter(None, (state.last_outbound_at,
                                                                  sent.at))))
    detail = {"message_id": sent.message_id, "kind": sent.kind}
    if state.needs_attention == f"{sent.kind} draft discarded":
        actions.append(Flag(None))  # the Sent copy showed up after all
    if sent.kind == "outreach" and state.status == Status.DRAFTED:
        actions.append(SetStatus(Status.SENT, "outreach sent", at=sent.at, detail=detail))
    elif sent.kind == "thank_you" and state.status == Status.INTERVIEWED:
        actions += [SetStatus(Status.THANKED, "thank-you sent", at=sent.at, detail=detail),
                    SetStatus(Status.NURTURING, "thanked: keeping in touch", at=sent.at)]
    else:
        label = "mail you wrote" if sent.kind == "manual" else sent.kind.replace("_", "-")
        actions.append(Record("sent", f"{label} sent", detail))
    return _decide(state, actions, now)


def on_draft_gone(state: ContactState, gone: DraftGone, now: datetime) -> Decision:
    """Our draft vanished unsent. Never re-drafted silently: the user either hears about it
    (outreach, confirmation, thank-you) or it counts as a skipped follow-up/check-in."""
    state = replace(state, pending=tuple(p for p in state.pending
                                         if p.message_id != gone.message_id))
    detail = {"message_id": gone.message_id, "kind": gone.kind}
    if gone.kind in MUST_SEND_KINDS:
        return _decide(state, [Flag(f"{gone.kind} draft discarded", detail)], now)
    if gone.kind == "follow_up":
        state = replace(state, last_outbound_at=gone.at)
    elif gone.kind == "check_in":
        state = replace(state, last_exchange_at=gone.at)
    label = gone.kind.replace("_", "-")
    return _decide(state, [Record("skipped", f"you deleted the {label} draft: skipped",
                                  detail)], now)


def summary(text: str, limit: int = 140) -> str:
    """The first lines of a reply's new text, greeting dropped, for a one-line reason."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and re.match(r"(?i)(hi|hello|hey|dear|hallo|guten tag|bonjour|hola|buenos)\b",
                                   lines[0]) and len(lines[0]) < 40:
        lines = lines[1:]  # a reply that is only a greeting shows that greeting
    joined = " / ".join(lines[:2])
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"


def _refer_hint(state: ContactState, name: str, email: str) -> str:
    who = f"{name} <{email}>" if name else email
    name_opt = f" --name {name!r}" if name else f" --name {email.split('@')[0]!r}"
    return (f"suggests {who}; add them with `automation refer {state.email}{name_opt} "
            f"--email {email}`")


#: The longest an out-of-office reply snoozes a contact; the user is told when it is capped.
MAX_SNOOZE = timedelta(days=60)


def on_reply(state: ContactState, reply: Reply, now: datetime) -> Decision:
    """An inbound message from (or about) the contact.

    Auto-replies never count as a reply (they may snooze); bounces and opt-outs end the
    pipeline; any answer from the person stops follow-ups and withdraws unsent ones.
    """
    status = state.status
    detail: dict[str, Any] = {"kind": str(reply.kind), "reason": reply.reason}
    actions: list[Action] = []
    if reply.kind == Kind.AUTO_REPLY:
        return _on_auto_reply(state, reply, now, detail)
    if reply.kind == Kind.BOUNCE:
        return _on_bounce(state, reply, now, detail)
    # From here on the person answered: no follow-up or check-in waits any longer.
    state = replace(state, last_exchange_at=max(filter(None, (state.last_exchange_at,
                                                              reply.at))))
    actions += _withdraw(state, UNANSWERED_KINDS, "a reply arrived")
    if state.snoozed_until:
        actions.append(Snooze(None))
    if reply.kind == Kind.OPT_OUT:
        if not allowed(status, Status.OPTED_OUT):
            return _decide(state, [*actions, Record("reply", "opt-out repeated", detail)], now)
        rest = [k for k in {p.kind for p in state.pending} if k not in UNANSWERED_KINDS]
        return _decide(state, [*actions, *_withdraw(state, rest, "asked not to be contacted"),
                               SetStatus(Status.OPTED_OUT, f"asked not to be contacted: "
                                         f"{summary(reply.summary) or reply.reason}", detail=detail),
                               ReleaseHolds()], now)
    line = summary(reply.summary) or "(no text)"
    if status in (Status.DECLINED, Status.BOUNCED, Status.OPTED_OUT):
        return _decide(state, [*actions, Record("reply", f"reply after {status}: {line}",
                                                 detail)], now)
    if status == Status.NO_RESPONSE:
        return _decide(state, [*actions, Flag(f"reply after no_response needs you: {line}")],
                       now)
    if status == Status.DRAFTED:
        actions.append(SetStatus(Status.SENT, "a reply arrived, so the outreach was sent",
                                 at=reply.at))
        status = Status.SENT
    if reply.kind == Kind.DECLINE:
        return _on_decline(state, status, reply, line, detail, actions, now)
    if status == Status.SENT:
        cause = "replied: " + line if reply.kind == Kind.HUMAN else f"redirected: {line}"
        actions.append(SetStatus(Status.REPLIED, cause, at=reply.at, detail=detail))
        status = Status.REPLIED
    if reply.kind == Kind.REDIRECT and reply.redirect_to:
        name, email = reply.redirect_to
        actions.append(Flag(f"redirect: {_refer_hint(state, name, email)}",
                            {"referral": {"name": name, "email": email}}))
    elif status == Status.REPLIED:
        actions.append(_booking(reply, line))
    elif status == Status.SCHEDULED and reply.pick and reply.pick.kind != "none":
        actions.append(Flag(f"reply needs you (may reschedule): {line}"))
    else:
        actions.append(Record("reply", f"reply: {line}", detail))
    return _decide(state, actions, now)


def _on_auto_reply(state: ContactState, reply: Reply, now: datetime,
                   detail: dict[str, Any]) -> Decision:
    """An automatic reply: never an answer; an out-of-office with a return date snoozes."""
    if reply.snooze_until and state.status not in TERMINAL and reply.snooze_until > now:
        # "Back on 1 January 2100" must not freeze a contact for ever: a snooze is capped.
        until = min(reply.snooze_until, now + MAX_SNOOZE)
        capped = " (capped at 60 days)" if until < reply.snooze_until else ""
        return _decide(state, [Snooze(until),
                               Record("auto_reply", f"out of office until "
                                      f"{until.astimezone(state.zone):%Y-%m-%d}{capped}: "
                                      "follow-ups wait", detail)], now)
    return _decide(state, [Record("auto_reply", f"automatic reply ({reply.reason})", detail)],
                   now)


def _on_bounce(state: ContactState, reply: Reply, now: datetime,
               detail: dict[str, Any]) -> Decision:
    """A bounce of the contact's address ends the pipeline; any other is only recorded."""
    if reply.failed_address is None or not allowed(state.status, Status.BOUNCED):
        return _decide(state, [Record("bounce", f"bounce not about this contact's "
                                      f"address ({reply.reason})", detail)], now)
    failed = reply.failed_address or state.email
    return _decide(state, [*_withdraw(state, None, "the address bounced"),
                           SetStatus(Status.BOUNCED, f"bounced: {failed}",
                                     detail={**detail, "failed_address": failed}),
                           ReleaseHolds()], now)


def _on_decline(state: ContactState, status: Status, reply: Reply, line: str,
                detail: dict[str, Any], actions: list[Action], now: datetime) -> Decision:
    """They said no: declined before the interview (naming who they suggest instead, if
    anyone); after booking it may be a cancellation, which the user decides."""
    if status not in _EARLY:
        return _decide(state, [*actions, Flag(f"reply needs you (may cancel): {line}")], now)
    left = [p for p in state.pending if p.kind not in UNANSWERED_KINDS]
    actions = [*actions, *(Withdraw(p.message_id, p.kind, "they declined") for p in left),
               SetStatus(Status.DECLINED, f"declined: {line}", detail=detail), ReleaseHolds()]
    if reply.redirect_to:
        name, email = reply.redirect_to
        actions.append(Flag(f"declined, but {_refer_hint(state, name, email)}",
                            {"referral": {"name": name, "email": email}}))
    return _decide(state, actions, now)


def _booking(reply: Reply, line: str) -> Action:
    """Book what the reply picks, or hand it to the user."""
    pick = reply.pick
    if pick is not None and pick.kind == "option" and pick.index is not None:
        return Book(f"reply picked option {pick.index + 1}", option=pick.index + 1)
    if pick is not None and pick.kind == "time" and pick.start is not None:
        return Book(f"reply proposed {pick.start.isoformat()}", at=pick.start)
    why = f" ({pick.detail})" if pick is not None and pick.detail else ""
    return Flag(f"reply needs you{why}: {line}")


def _withdraw(state: ContactState, kinds: Iterable[str] | None, cause: str) -> list[Action]:
    pending = state.pending if kinds is None else state.pending_of(kinds)
    return [Withdraw(p.message_id, p.kind, cause) for p in pending]

