"""The idle pass skips counting business days for a sent contact when nothing can be due yet
(``timing._may_follow_up``): the shortcut must never hide a follow-up or a ``no_response``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from automation.core import timing
from automation.core.decision import ContactState, PendingDraft
from automation.core.models import Cadence, Status

# Zones with clock changes of an hour, of half an hour (Lord Howe), none, and a holiday-rich
# country; starts around the March and autumn changes.
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC", "Asia/Tokyo"]
BASE = datetime(2026, 3, 5, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), country=st.sampled_from([None, "US", "DE", "AU"]),
       start_minutes=st.integers(0, 60 * 24 * 250), after_minutes=st.integers(0, 60 * 24 * 30),
       business=st.integers(0, 10), calendar=st.integers(0, 12), follow_ups=st.integers(0, 2),
       snooze_minutes=st.none() | st.integers(0, 60 * 24 * 20))
# Sunday 00:30 EST before the spring change: one business day later (Monday 00:30 EDT) is
# only 23 hours later, so "N business days are at least N days" needs its day of margin.
@example(zone="America/New_York", country=None, start_minutes=(3 * 24 + 5) * 60 + 30,
         after_minutes=23 * 60 + 30, business=1, calendar=12, follow_ups=0, snooze_minutes=None)
def test_the_shortcut_never_hides_what_is_due(zone: str, country: str | None,
                                             start_minutes: int, after_minutes: int,
                                             business: int, calendar: int, follow_ups: int,
                                             snooze_minutes: int | None) -> None:
    start = BASE + timedelta(minutes=start_minutes)
    now = start + timedelta(minutes=after_minutes)
    policy = Cadence(follow_up_after_business_days=business, no_response_after_days=calendar,
                     max_follow_ups=1)
    state = ContactState(email="a@example.com", status=Status.SENT, zone=ZoneInfo(zone),
                         last_outbound_at=start, follow_ups=follow_ups, country=country,
                         snoozed_until=None if snooze_minutes is None
                         else start + timedelta(minutes=snooze_minutes))
    follow_up = timing.follow_up_due(state, policy)
    gone = timing.no_response_due(state, policy)
    if follow_up is not None and now >= follow_up or gone is not None and now >= gone:
        assert timing._may_follow_up(state, now, policy)


def _at(minutes: int | None) -> datetime | None:
    return None if minutes is None else BASE + timedelta(minutes=minutes)


MINUTES = st.none() | st.integers(0, 60 * 24 * 200)


@settings(max_examples=600, deadline=None)
@given(status=st.sampled_from(list(Status)), zone=st.sampled_from(ZONES),
       country=st.sampled_from([None, "US", "DE"]), outbound=MINUTES, exchange=MINUTES,
       ended=MINUTES, snooze=MINUTES, now_minutes=st.integers(0, 60 * 24 * 240),
       flag=st.sampled_from([None, "", "reply needs you"]),
       pending=st.lists(st.sampled_from(["follow_up", "check_in", "thank_you", "outreach"]),
                        max_size=2),
       follow_ups=st.integers(0, 3), thanked=st.booleans(), note=st.booleans(),
       business=st.integers(0, 9), calendar=st.integers(0, 12), every=st.integers(0, 120),
       within=st.integers(0, 72), max_ups=st.integers(0, 2))
@example(status=Status.INTERVIEWED, zone="UTC", country=None, outbound=None, exchange=None,
         ended=0, snooze=None, now_minutes=0, flag=None, pending=[], follow_ups=0,
         thanked=False, note=True, business=7, calendar=7, every=90, within=24, max_ups=1)
# A business day across the spring change is 23 hours (as above).
@example(status=Status.SENT, zone="America/New_York", country=None,
         outbound=(3 * 24 + 5) * 60 + 30, exchange=None, ended=None, snooze=None,
         now_minutes=(3 * 24 + 5) * 60 + 30 + 23 * 60 + 30, flag=None, pending=[],
         follow_ups=0, thanked=False, note=False, business=1, calendar=12, every=90,
         within=24, max_ups=1)
def test_the_due_bounds_never_hide_what_time_brings(
        status: Status, zone: str, country: str | None, outbound: int | None,
        exchange: int | None, ended: int | None, snooze: int | None, now_minutes: int,
        flag: str | None, pending: list[str], follow_ups: int, thanked: bool, note: bool,
        business: int, calendar: int, every: int, within: int, max_ups: int) -> None:
    """Whatever ``due`` would do at ``now`` (a follow-up, ``no_response``, interviewed, a
    thank-you, a check-in), the contact passes ``may_be_due``: the idle pass reads only those."""
    policy = Cadence(follow_up_after_business_days=business, no_response_after_days=calendar,
                     max_follow_ups=max_ups, check_in_every_days=every,
                     thank_you_within_hours=within)
    state = ContactState(
        email="a@example.com", status=status, zone=ZoneInfo(zone), needs_attention=flag,
        snoozed_until=_at(snooze), last_outbound_at=_at(outbound), last_exchange_at=_at(exchange),
        follow_ups=follow_ups, pending=tuple(PendingDraft(k, f"<{k}@x>") for k in pending),
        interview_end=_at(ended), thank_you_drafted=thanked, has_note=note, country=country)
    now = BASE + timedelta(minutes=now_minutes)
    if timing.due(state, now, policy).actions:
        assert timing.may_be_due(state, timing.due_bounds(now, policy))
