"""The incremental slot search offers exactly what the straightforward search offers.

``SlotSearch`` indexes busy and booked time once and takes holds as they are made, so a pass
that drafts a thousand outreach emails does not rebuild everything a thousand times. Each
property runs a random pass -- offers to several contacts, each held as it is made, some
released again as a refresh does -- and compares every offer with ``reference_find_slots``
(tests/support/slotref.py), which recomputes everything from the lists each time. Random
availability, contact hours and zones (with holidays), busy time, holds (also some made
outside the search) and bookings, seeds (each date's aimed time of day), and ``now`` near
DST changes in both people's zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.core.contacthours import ContactHours
from automation.core.models import Availability, Interval
from automation.core.slots import candidate_starts, find_slots
from automation.core.slotsearch import SlotSearch
from tests.support.slotref import offer_key, reference_find_slots

NY = ZoneInfo("America/New_York")
USER_ZONES = [ZoneInfo(name) for name in (
    "America/New_York", "Europe/Berlin", "UTC", "Australia/Lord_Howe", "America/Santiago")]
CONTACT_ZONES = [None, *(ZoneInfo(name) for name in (
    "America/Los_Angeles", "America/Chicago", "Europe/London", "Europe/Madrid",
    "Australia/Sydney", "Asia/Kolkata"))]
# DST changes in 2026 (US, EU, Australia, Lord Howe, Santiago) and dates near holidays
# (Christmas, New Year, Thanksgiving, Good Friday, Whit Monday).
AIMED_DAYS = [date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 29), date(2026, 10, 25),
              date(2026, 4, 5), date(2026, 10, 4), date(2026, 9, 6), date(2026, 12, 23),
              date(2026, 12, 30), date(2026, 11, 25), date(2026, 4, 2), date(2026, 5, 24)]
PROPERTY = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass(frozen=True)
class Step:
    """One contact's turn in a pass: an offer (held or not), or a release of its holds."""

    holder: int | None
    contact: int | None  # index into CONTACT_ZONES, or None: no contact hours (booking)
    count: int | None
    action: str  # "hold" (offer and hold it) | "look" | "release" | "block" (hold `extra`)
    extra: Interval | None = None
    seed: str = ""  # whose offer it is (the contact's email): it moves each date's aim


@dataclass(frozen=True)
class Pass:
    avail: Availability
    now: datetime
    busy: list[Interval]
    held: list[tuple[int, Interval]]
    booked: list[Interval]
    steps: list[Step]

    def contact(self, step: Step) -> ContactHours | None:
        if step.contact is None:
            return None
        return ContactHours.for_contact(self.avail, CONTACT_ZONES[step.contact])


@st.composite
def windows(draw: st.DrawFn, earliest: int = 0) -> tuple[time, time]:
    start = draw(st.integers(earliest, 23 * 12 - 1)) * 5
    end = min(start + draw(st.integers(1, 72)) * 5, 23 * 60 + 55)
    return time(start // 60, start % 60), time(end // 60, end % 60)


@st.composite
def nows(draw: st.DrawFn) -> datetime:
    base = datetime.combine(draw(st.sampled_from(AIMED_DAYS)), time(), tzinfo=UTC)
    instant = base + timedelta(minutes=draw(st.integers(-5 * 1440, 1440)))
    return instant.astimezone(draw(st.sampled_from(USER_ZONES)))


@st.composite
def passes(draw: st.DrawFn) -> Pass:
    avail = Availability(
        timezone=draw(st.sampled_from(USER_ZONES)),
        days=tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))),
        hours=tuple(draw(st.lists(windows(), min_size=1, max_size=3))),
        slot_minutes=draw(st.sampled_from([5, 10, 15, 30, 45])),
        buffer_minutes=draw(st.sampled_from([0, 5, 10, 30])),
        min_notice_hours=draw(st.integers(0, 48)),
        horizon_days=draw(st.integers(1, 10)),
        offer_count=draw(st.integers(1, 4)),
        max_per_day=draw(st.integers(1, 4)),
        contact_days=tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))),
        contact_hours=tuple(draw(st.lists(windows(), min_size=1, max_size=2))),
        vary_time_of_day=draw(st.booleans()),
    )
    now = draw(nows())
    grid = list(candidate_starts(avail, now))[:300]
    base = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    near = st.builds(  # a 5-minute grid: intervals touch slot edges and buffers exactly
        lambda offset, minutes, tz: _iv((base + timedelta(minutes=5 * offset)).astimezone(tz),
                                        5 * minutes),
        st.integers(-24, avail.horizon_days * 288), st.integers(0, 36) | st.integers(36, 144),
        st.sampled_from([UTC, NY, avail.timezone]))
    if grid:  # real holds and bookings sit on the slot grid
        near = near | st.builds(lambda s, m: _iv(s, m), st.sampled_from(grid),
                                st.sampled_from([0, avail.slot_minutes]))
    step = st.builds(Step, st.none() | st.integers(1, 8),
                     st.none() | st.integers(0, len(CONTACT_ZONES) - 1),
                     st.none() | st.integers(0, 6),
                     st.sampled_from(["hold", "hold", "hold", "look", "release", "block"]),
                     near, st.sampled_from(["", "ada@example.com", "grace@example.org"])
                     | st.text(max_size=8))
    return Pass(avail=avail, now=now, busy=draw(st.lists(near, max_size=12)),
                held=draw(st.lists(st.tuples(st.integers(1, 6), near), max_size=10)),
                booked=draw(st.lists(near, max_size=4)),
                steps=draw(st.lists(step, min_size=1, max_size=12)))


def _iv(start: datetime, minutes: int) -> Interval:
    # Elapsed minutes, counted in UTC: ``start + timedelta`` is wall-clock arithmetic that
    # resets ``fold``, so 01:00 EST on the night the clocks go back, plus nothing, would end
    # at 01:00 EDT, an hour before it starts.
    end = (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(start.tzinfo)
    return Interval(start, end)


@PROPERTY
@given(passes())
def test_find_slots_offers_what_the_straightforward_search_offers(run: Pass) -> None:
    """One call, no pass: ``find_slots`` (built on the incremental search) and the
    reference agree for every contact and holder."""
    for step in run.steps:
        contact = run.contact(step)
        got = find_slots(run.avail, run.now, run.busy, run.held, run.booked, step.count,
                         step.holder, contact, seed=step.seed)
        want = reference_find_slots(run.avail, run.now, run.busy, run.held, run.booked,
                                    step.count, step.holder, contact, seed=step.seed)
        assert offer_key(got) == offer_key(want)


@PROPERTY
@given(passes())
def test_a_pass_of_offers_with_holds_matches_the_straightforward_search(run: Pass) -> None:
    """Busy time indexed once, holds inserted (and released) as they are made: every offer of
    the pass is exactly the one the reference computes from all the lists at that moment."""
    search = SlotSearch(run.avail, run.now, run.busy, run.held, run.booked)
    held = list(run.held)
    for step in run.steps:
        holder = step.holder if step.holder is not None else 0
        if step.action == "release":
            mine = [i for h, i in held if h == holder]
            search.release(holder, mine[: len(mine) // 2 + 1])
            for interval in mine[: len(mine) // 2 + 1]:
                held.remove((holder, interval))
            continue
        if step.action == "block" and step.extra is not None:  # a hold made another way
            search.hold(holder, [step.extra])
            held.append((holder, step.extra))
            continue
        contact = run.contact(step)
        got = search.find(count=step.count, exclude_holder=step.holder, contact=contact,
                          seed=step.seed)
        want = reference_find_slots(run.avail, run.now, run.busy, held, run.booked,
                                    step.count, step.holder, contact, seed=step.seed)
        assert offer_key(got) == offer_key(want)
        if step.action == "hold":
            search.hold(holder, [s.interval for s in got])
            held += [(holder, s.interval) for s in got]


def test_a_hold_made_in_the_pass_blocks_the_next_contact_and_counts_for_max_per_day() -> None:
    """The example behind the properties: two contacts in one pass never share a slot, and
    a day full of holders is skipped."""
    avail = Availability(timezone=NY, hours=((time(9), time(10)),), max_per_day=1,
                         buffer_minutes=0, vary_time_of_day=False)
    now = datetime(2026, 12, 7, 8, 0, tzinfo=NY)  # Monday
    search = SlotSearch(avail, now, [])
    first = search.find(exclude_holder=1)
    search.hold(1, [s.interval for s in first])
    second = search.find(exclude_holder=2)
    assert [s.start.day for s in first] == [8, 9, 10]
    assert [s.start.day for s in second] == [11, 14, 15]  # Tue-Thu are full (max_per_day 1)
    assert search.find(exclude_holder=1) == first  # its own holds never block it
    search.release(1, [s.interval for s in first])
    assert search.find(exclude_holder=2) == first


def test_a_search_refuses_what_find_slots_refuses() -> None:
    with pytest.raises(ValueError, match="now"):
        SlotSearch(Availability(timezone=NY), datetime(2026, 12, 7, 8, 0), [])  # noqa: DTZ001
    with pytest.raises(ValueError, match="slot_minutes"):
        SlotSearch(Availability(timezone=NY, slot_minutes=0), datetime(2026, 12, 7, tzinfo=NY))


def test_a_hold_made_in_the_pass_frees_what_touches_it_and_takes_what_it_overlaps() -> None:
    """At the edges: with no buffer, the slots just before and just after a new hold stay
    free; with a buffer, those within it are taken. Both as the reference says."""
    for buffer, expected in ((0, [(9, 0), (9, 20), (9, 30)]), (10, [(9, 30), (9, 40), (9, 50)])):
        avail = Availability(timezone=NY, hours=((time(9), time(10)),), buffer_minutes=buffer,
                             min_notice_hours=0, horizon_days=1, max_per_day=5,
                             vary_time_of_day=False)
        now = datetime(2026, 12, 8, 8, 0, tzinfo=NY)
        search = SlotSearch(avail, now, [])
        search.find(exclude_holder=1)  # the day's free slots are listed and kept
        hold = _iv(datetime(2026, 12, 8, 9, 10, tzinfo=NY), 10)
        search.hold(9, [hold])
        got = search.find(exclude_holder=2)
        assert [(s.start.hour, s.start.minute) for s in got] == expected
        assert offer_key(got) == offer_key(
            reference_find_slots(avail, now, [], [(9, hold)], exclude_holder=2))
