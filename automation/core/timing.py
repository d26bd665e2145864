"""What time alone brings a contact: interviewed, follow-ups, no_response, thank-you, check-ins.

Pure: ``now`` and the ``Cadence`` are passed in; business days are counted in the contact's
zone, skipping their country's public holidays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from automation.core.businessdays import BusinessCalendar
from automation.core.models import TERMINAL, Cadence, Status

# The decisions' types (a dozen dataclasses) are imported by ``due`` when a contact is
# decided for: an idle pass asks only ``due_bounds`` and the store finds nobody past them.
if TYPE_CHECKING:
    from automation.core.decision import Action, ContactState, Decision


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


def _may_follow_up(state: ContactState, now: datetime, policy: Cadence) -> bool:
    """False when neither a follow-up nor ``no_response`` can be due yet, known without
    counting business days (which reads the holiday tables): N business days later is at
    least N calendar days later, less a day for a clock change."""
    if state.last_outbound_at is None:
        return False
    days = min(policy.follow_up_after_business_days, policy.no_response_after_days)
    return now >= state.last_outbound_at + timedelta(days=days - 1)


@dataclass(frozen=True)
class DueBounds:
    """How old a contact's last event must be for time alone to act on it at some ``now``
    (``due_bounds``): the idle pass asks the store for the contacts past these
    (``may_be_due``) instead of reading every contact of the running pipeline.

    Each bound is necessary, never sufficient: business days, holidays and snoozes only push
    a due time later, so they are left out, and ``due`` still decides for those let through.
    """

    sent_before: datetime  # sent: the last outreach or follow-up went out by then
    exchanged_before: datetime  # nurturing: the last real exchange was by then
    ended_before: datetime  # scheduled, interviewed: the interview ended by then


def due_bounds(now: datetime, policy: Cadence) -> DueBounds:
    """The bounds at ``now``: N business days are at least N calendar days less one (a clock
    change; ``_may_follow_up``), a check-in comes ``check_in_every_days`` after the last
    exchange, and nothing follows an interview before it ends (nor a thank-you before half
    its window, or at once with a note)."""
    days = min(policy.follow_up_after_business_days, policy.no_response_after_days)
    early = min(timedelta(0), timedelta(hours=policy.thank_you_within_hours / 2))
    return DueBounds(sent_before=now - timedelta(days=days - 1),
                     exchanged_before=now - timedelta(days=policy.check_in_every_days),
                     ended_before=now - early)


def may_be_due(state: ContactState, bounds: DueBounds) -> bool:
    """Whether ``due`` may have something for ``state`` at the ``now`` of ``bounds``: False
    means surely nothing (the rule the store's ``timed_candidates`` applies in SQL)."""
    status = state.status
    if status in (Status.SCHEDULED, Status.INTERVIEWED):
        return state.interview_end is not None and state.interview_end <= bounds.ended_before \
            and not (status == Status.INTERVIEWED and state.thank_you_drafted)
    if status == Status.SENT:
        return not (state.needs_attention or state.pending_of({"follow_up"})) and \
            (state.last_outbound_at is None or state.last_outbound_at <= bounds.sent_before)
    if status == Status.NURTURING:
        return not state.pending_of({"check_in"}) and \
            (state.last_exchange_at is None or state.last_exchange_at <= bounds.exchanged_before)
    return False


def due(state: ContactState, now: datetime, policy: Cadence) -> Decision:
    """What time alone brings: interviewed, follow-ups, no_response, thank-you, check-ins.

    A contact flagged ``needs_attention`` gets no follow-up and no ``no_response`` until the
    user clears the flag: the machine waits for the person. Thank-yous and check-ins still
    come (as drafts the user reviews): a flag left over from booking must not cost them.
    """
    from automation.core.decision import Draft, ReleaseHolds, SetStatus, decide

    actions: list[Action] = []
    status = state.status
    if status == Status.SCHEDULED and state.interview_end and now >= state.interview_end:
        actions.append(SetStatus(Status.INTERVIEWED, f"interview ended at "
                                 f"{state.interview_end.astimezone(state.zone):%Y-%m-%d %H:%M %Z}",
                                 at=state.interview_end))
        status = Status.INTERVIEWED
    if status in TERMINAL:
        return decide(state, actions, now)
    waiting = state.needs_attention or state.pending_of({"follow_up"})
    if status == Status.SENT and not waiting and _may_follow_up(state, now, policy):
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
    return decide(state, actions, now)
