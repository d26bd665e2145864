"""The slot engine: examples, then one Hypothesis property per rule.

The properties check each rule from first principles on UTC instants, never by same-zone
datetime arithmetic (which ignores ``fold``). Completeness -- no offerable slot is missed -- is
checked against a brute-force oracle that walks every window of every day without shortcuts.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.core.models import Availability, Interval, Slot
from automation.core.slots import candidate_starts, find_slots, is_free, local_instant
from tests.support.windowref import reference_cutoff, reference_horizon_end

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC",
        "America/New_York",
        "Europe/Berlin",
        "Australia/Lord_Howe",  # 30-minute DST shift
        "America/Santiago",  # DST changes at midnight
        "Asia/Kolkata",  # +05:30, no DST
    )
]
# Local dates with a DST change (2026) in the zones above, to aim `now` at.
TRANSITION_DAYS = [
    date(2026, 3, 8), date(2026, 11, 1),  # New York
    date(2026, 3, 29), date(2026, 10, 25),  # Berlin
    date(2026, 4, 5), date(2026, 10, 4),  # Lord Howe (30 minutes)
    date(2026, 4, 4), date(2026, 9, 6),  # Santiago (at midnight)
]
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MINUTE = timedelta(minutes=1)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def avail_of(tz: ZoneInfo = BERLIN, **changes: object) -> Availability:
    """The defaults, but earliest-first unless ``vary_time_of_day`` is given: most examples
    below are about which slots are free, and read plainest that way."""
    return replace(Availability(timezone=tz, vary_time_of_day=False), **changes)


def iv(start: datetime, minutes: int) -> Interval:
    """``minutes`` of elapsed time from ``start``. Added in UTC: aware arithmetic in one zone
    is wall-clock and drops ``fold``, so from the second 02:00 of a clocks-back night it
    would end an hour before it starts."""
    end = (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(start.tzinfo)
    return Interval(start, end)


def starts(slots: list[Slot]) -> list[datetime]:
    return [s.start for s in slots]


# --- the oracle: a slow, literal reading of the rules ----------------------------------------


@cache
def first_instant_showing(day: date, wall_time: time, tz: ZoneInfo) -> datetime:
    """The first UTC instant at which the clock in ``tz`` reads ``wall_time`` on ``day`` or later.

    Scans minute by minute where the offset is unsettled, instead of trusting any shortcut.
    """
    wall = datetime.combine(day, wall_time)
    fold0, fold1 = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if fold0.utcoffset() == fold1.utcoffset():
        return utc(fold0)
    instant = utc(fold0) - timedelta(hours=3)
    while instant.astimezone(tz).replace(tzinfo=None) < wall:
        instant += MINUTE
    return instant


def clock_shows(instant: datetime, tz: ZoneInfo) -> bool:
    """Whether the local reading of ``instant`` round-trips (it is a real wall time)."""
    local = instant.astimezone(tz)
    naive = local.replace(tzinfo=None)
    return utc(naive.replace(tzinfo=tz, fold=local.fold)) == utc(instant)


def oracle_candidates(avail: Availability, now: datetime) -> list[datetime]:
    """Every aligned start in every window of every day, filtered by notice and horizon (UTC)."""
    tz = avail.timezone
    earliest = reference_cutoff(now, avail.min_notice_hours, tz)
    latest = reference_horizon_end(now, avail.horizon_days, tz)
    length = timedelta(minutes=avail.slot_minutes)
    found = set()
    day = earliest.astimezone(tz).date() - timedelta(days=1)
    while day <= latest.astimezone(tz).date() + timedelta(days=1):
        if day.weekday() in avail.days:
            for first, last in avail.hours:
                window_start = first_instant_showing(day, first, tz)
                window_end = first_instant_showing(day, last, tz)
                wall = datetime.combine(day, first)
                while wall < datetime.combine(day, last):
                    aware = wall.replace(tzinfo=tz)
                    if utc(aware).astimezone(tz).replace(tzinfo=None) == wall:
                        start = utc(aware)
                        if (window_start <= start and start + length <= window_end
                                and earliest <= start < latest):
                            found.add(start)
                    wall += length
        day += timedelta(days=1)
    return sorted(found)


def blocking(sc: Scenario) -> list[Interval]:
    return [*sc.busy, *sc.booked, *(i for h, i in sc.held if h != sc.exclude)]


def load_of(sc: Scenario, day: date) -> int:
    tz = sc.avail.timezone
    bookings = sum(1 for b in sc.booked if b.start.astimezone(tz).date() == day)
    holders = {h for h, i in sc.held if h != sc.exclude and i.start.astimezone(tz).date() == day}
    return bookings + len(holders)


def clear_of(start: datetime, avail: Availability, intervals: list[Interval]) -> bool:
    buffer = timedelta(minutes=avail.buffer_minutes)
    end = start + timedelta(minutes=avail.slot_minutes)
    padded = Interval(utc(start) - buffer, utc(end) + buffer)
    return not any(padded.overlaps(Interval(utc(b.start), utc(b.end))) for b in intervals)


def oracle_offerable(sc: Scenario) -> list[datetime]:
    """Candidates that are free and on an eligible day, in UTC, sorted."""
    tz = sc.avail.timezone
    blocks = blocking(sc)
    return [
        s for s in oracle_candidates(sc.avail, sc.now)
        if clear_of(s, sc.avail, blocks)
        and load_of(sc, s.astimezone(tz).date()) < sc.avail.max_per_day
    ]


def aim_of(avail: Availability, day: date, seed: str) -> int:
    """The time of day (minutes) ``find_slots`` aims at on ``day``, literally: the k-th start
    of the whole date (no notice period, no horizon, nothing busy), k / n being the fractional
    part of blake2b(seed) / 2**64 + ordinal * (golden ratio - 1)."""
    tz = avail.timezone
    open_day = replace(avail, min_notice_hours=0, horizon_days=3)
    before = datetime.combine(day - timedelta(days=1), time(0), tzinfo=tz)
    whole = [s.astimezone(tz) for s in oracle_candidates(open_day, before)
             if s.astimezone(tz).date() == day]
    phase = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")
    position = (phase + day.toordinal() * 0x9E3779B97F4A7C15) % 2**64
    pick = whole[position * len(whole) >> 64]
    return pick.hour * 60 + pick.minute


def varied_picks(day_starts: list[list[datetime]], avail: Availability,
                 seed: str) -> list[datetime]:
    """The rule for the time of day: on each date the free start nearest in wall-clock minute
    of day to that date's aim (``aim_of``), the earliest among equals."""
    tz = avail.timezone

    def minute(start: datetime) -> int:
        local = start.astimezone(tz)
        return local.hour * 60 + local.minute

    picks = []
    for starts_of_day in day_starts:
        aim = aim_of(avail, starts_of_day[0].astimezone(tz).date(), seed)
        gaps = [abs(minute(c) - aim) for c in starts_of_day]
        picks.append(starts_of_day[gaps.index(min(gaps))])
    return picks


# --- strategies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    avail: Availability
    now: datetime
    busy: list[Interval]
    held: list[tuple[int, Interval]]
    booked: list[Interval]
    count: int | None
    exclude: int | None
    seed: str = ""

    def run(self) -> list[Slot]:
        return find_slots(self.avail, self.now, self.busy, held=self.held, booked=self.booked,
                          count=self.count, exclude_holder=self.exclude, seed=self.seed)

    @property
    def wanted(self) -> int:
        return self.avail.offer_count if self.count is None else self.count


@st.composite
def windows(draw: st.DrawFn) -> tuple[time, time]:
    start = draw(st.integers(0, 23 * 12 - 1)) * 5
    end = min(start + draw(st.integers(1, 60)) * 5, 23 * 60 + 55)
    return time(start // 60, start % 60), time(end // 60, end % 60)


@st.composite
def nows(draw: st.DrawFn) -> datetime:
    if draw(st.booleans()):
        base = datetime.combine(draw(st.sampled_from(TRANSITION_DAYS)), time(), tzinfo=UTC)
        instant = base + timedelta(minutes=draw(st.integers(-4 * 1440, 1440)))
    else:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        instant = start + timedelta(seconds=draw(st.integers(0, 2 * 365 * 86400)))
    return instant.astimezone(draw(st.sampled_from(ZONES)))


@st.composite
def edge_nows(draw: st.DrawFn, avail: Availability) -> datetime:
    """A `now` that puts the notice or the horizon edge within an hour of a window."""
    day = draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)))
    while day.weekday() not in avail.days:
        day += timedelta(days=1)
    first, last = draw(st.sampled_from(avail.hours))
    edge = datetime.combine(day, first, tzinfo=avail.timezone) + timedelta(
        minutes=draw(st.integers(-60, 60 + (last.hour - first.hour) * 60)))
    if draw(st.booleans()):
        now = utc(edge) - timedelta(hours=avail.min_notice_hours)
    else:
        now = utc(edge) - timedelta(days=avail.horizon_days)
    return now.astimezone(draw(st.sampled_from(ZONES)))


def intervals_near(now: datetime, horizon_days: int) -> st.SearchStrategy[Interval]:
    # A 5-minute grid from the hour makes intervals touch slot edges and buffers exactly.
    base = utc(now).replace(minute=0, second=0, microsecond=0)
    return st.builds(
        lambda offset, minutes, tz: iv((base + timedelta(minutes=5 * offset)).astimezone(tz),
                                       5 * minutes),
        st.integers(-24, horizon_days * 288),
        st.integers(0, 36) | st.integers(36, 144),  # up to 3 hours, or a long block to 12 hours
        st.sampled_from([UTC, NY, TOKYO, BERLIN]),
    )


@st.composite
def scenarios(draw: st.DrawFn, max_horizon: int = 14) -> Scenario:
    avail = Availability(
        timezone=draw(st.sampled_from(ZONES)),
        days=tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))),
        hours=tuple(draw(st.lists(windows(), min_size=1, max_size=3))),
        slot_minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60])),
        buffer_minutes=draw(st.sampled_from([0, 5, 10, 15, 30])),
        min_notice_hours=draw(st.integers(0, 72)),
        horizon_days=draw(st.integers(1, max_horizon)),
        offer_count=draw(st.integers(1, 5)),
        max_per_day=draw(st.integers(1, 3)),
        vary_time_of_day=draw(st.booleans()),
    )
    now = draw(st.one_of(nows(), edge_nows(avail), edge_nows(avail)))
    near = intervals_near(now, avail.horizon_days)
    aimed = oracle_candidates(avail, now)[:200]
    if aimed:  # real holds and bookings sit on the slot grid, where they collide most
        near = near | st.builds(lambda start, minutes: iv(start.astimezone(avail.timezone), minutes),
                                st.sampled_from(aimed), st.sampled_from([0, avail.slot_minutes]))
    return Scenario(
        avail=avail,
        now=now,
        busy=draw(st.lists(near, max_size=12)),
        held=draw(st.lists(st.tuples(st.integers(1, 4), near), max_size=8)),
        booked=draw(st.lists(near, max_size=4)),
        count=draw(st.none() | st.integers(0, 8)),
        exclude=draw(st.none() | st.integers(1, 4)),
        seed=draw(st.sampled_from(["", "ada@example.com", "wei.zhang@example.edu"])
                  | st.text(max_size=12)),
    )


# --- examples --------------------------------------------------------------------------------


def test_default_offer_is_three_slots_on_three_days_at_varied_times() -> None:
    """Not 9:00, 9:00, 9:00: each date aims at its own time of day, which the contact (the
    seed) shifts; with ``vary_time_of_day = false``, the earliest of each day."""
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)  # a Monday
    assert starts(find_slots(avail_of(vary_time_of_day=False), now, [])) == [
        datetime(2026, 3, d, 9, 0, tzinfo=BERLIN) for d in (3, 4, 5)]
    slots = find_slots(avail_of(vary_time_of_day=True), now, [], seed="dana.lee@example.net")
    assert starts(slots) == [datetime(2026, 3, 3, 14, 10, tzinfo=BERLIN),
                             datetime(2026, 3, 4, 10, 0, tzinfo=BERLIN),
                             datetime(2026, 3, 5, 15, 40, tzinfo=BERLIN)]
    assert all(s.end - s.start == timedelta(minutes=10) for s in slots)


def test_a_dates_varied_pick_depends_on_that_date_and_the_contact_alone() -> None:
    """The offer computed again -- after a crash, a few minutes later, or once another
    contact's hold took a date -- moves only where the free time moved: a date's pick does
    not follow the other dates' picks (those once aimed away from the first, earliest one)."""
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    avail = avail_of(vary_time_of_day=True)
    seed = "wei.zhang@example.edu"
    first = find_slots(avail, now, [], seed=seed)
    tuesday = Interval(datetime(2026, 3, 3, 0, 0, tzinfo=BERLIN),
                       datetime(2026, 3, 4, 0, 0, tzinfo=BERLIN))
    again = find_slots(avail, now, [tuesday], seed=seed)
    assert [s.start.date() for s in again] == [date(2026, 3, d) for d in (4, 5, 6)]
    assert again[:2] == first[1:]  # Wednesday and Thursday as before
    assert find_slots(avail, now + timedelta(minutes=7), [], seed=seed) == first
    assert find_slots(avail, now, [], seed="dana.lee@example.net") != first  # per contact


def test_busy_time_in_another_zone_pushes_the_slot_past_it_plus_buffer() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    # Busy 09:00-10:05 Berlin, written in Tokyo time. With the 10-minute buffer a start must
    # be >= 10:15, and the next start on the 10-minute grid is 10:20.
    busy = [Interval(datetime(2026, 3, 3, 17, 0, tzinfo=TOKYO),
                     datetime(2026, 3, 3, 18, 5, tzinfo=TOKYO))]
    slots = find_slots(avail_of(), now, busy, count=1)
    assert starts(slots) == [datetime(2026, 3, 3, 10, 20, tzinfo=BERLIN)]


def test_buffer_boundary_is_exclusive() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    busy = [iv(datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN), 50)]  # ends 08:50, buffer 10 -> 09:00
    assert starts(find_slots(avail_of(), now, busy, count=1)) == [
        datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN)]


def test_busy_time_right_after_the_buffer_does_not_block() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    busy = [iv(datetime(2026, 3, 3, 9, 20, tzinfo=BERLIN), 60)]  # 09:00 slot + 10 min buffer
    assert starts(find_slots(avail_of(), now, busy, count=1)) == [
        datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN)]


def test_a_short_busy_interval_inside_a_long_one_does_not_shorten_it() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    morning = datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN)
    busy = [iv(morning, 4 * 60), iv(morning + timedelta(hours=1), 30)]  # 08:00-12:00, 09:00-09:30
    assert starts(find_slots(avail_of(), now, busy, count=1)) == [
        datetime(2026, 3, 3, 14, 0, tzinfo=BERLIN)]


def test_another_holders_hold_blocks_but_own_hold_does_not() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    hold = iv(datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN), 10)
    avail = avail_of(max_per_day=5)
    others = find_slots(avail, now, [], held=[(7, hold)], count=1)
    assert starts(others) == [datetime(2026, 3, 3, 9, 20, tzinfo=BERLIN)]
    own = find_slots(avail, now, [], held=[(7, hold)], count=1, exclude_holder=7)
    assert starts(own) == [datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN)]


def test_full_day_is_skipped_for_max_per_day() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    tuesday = datetime(2026, 3, 3, 15, 0, tzinfo=BERLIN)
    booked = [iv(tuesday, 10)]
    held = [(1, iv(tuesday + timedelta(hours=1), 10)), (1, iv(tuesday + timedelta(hours=1.5), 10))]
    # Tuesday: one booking + one distinct holder = 2 = max_per_day, so Wednesday comes first.
    slots = find_slots(avail_of(), now, [], held=held, booked=booked)
    assert [s.start.date() for s in slots] == [date(2026, 3, d) for d in (4, 5, 6)]
    # Holder 1 asking again: its own holds no longer count, so Tuesday is open to it.
    mine = find_slots(avail_of(), now, [], held=held, booked=booked, exclude_holder=1)
    assert mine[0].start == datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN)


def test_fill_from_the_only_day_prefers_buffered_slots() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    avail = avail_of(horizon_days=2)  # only Tuesday fits notice + horizon
    slots = find_slots(avail, now, [])
    assert [s.start.time() for s in slots] == [time(9, 0), time(9, 20), time(9, 40)]


def test_fill_settles_for_adjacent_slots_when_no_buffered_ones_remain() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    avail = avail_of(horizon_days=2, hours=((time(9), time(9, 30)),))
    slots = find_slots(avail, now, [])
    assert [s.start.time() for s in slots] == [time(9, 0), time(9, 10), time(9, 20)]


def test_no_slots_when_count_is_zero_or_nothing_fits() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    assert find_slots(avail_of(), now, [], count=0) == []
    assert find_slots(avail_of(max_per_day=0), now, []) == []
    everything = [Interval(now, now + timedelta(days=30))]
    assert find_slots(avail_of(), now, everything) == []


def test_naive_now_and_bad_availability_raise() -> None:
    with pytest.raises(ValueError, match="now"):
        find_slots(avail_of(), datetime(2026, 3, 2, 8, 0), [])  # noqa: DTZ001
    with pytest.raises(ValueError, match="start"):
        is_free(avail_of(), datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, 9), [])  # noqa: DTZ001
    with pytest.raises(ValueError, match="slot_minutes"):
        find_slots(avail_of(slot_minutes=0), datetime(2026, 3, 2, tzinfo=UTC), [])


def test_is_free_examples() -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    avail = avail_of()
    nine = datetime(2026, 3, 3, 9, 0, tzinfo=BERLIN)
    assert is_free(avail, now, nine, [])
    assert is_free(avail, now, utc(nine), [])  # any zone
    assert not is_free(avail, now, nine + timedelta(minutes=5), [])  # off the grid
    assert not is_free(avail, now, nine - timedelta(hours=1), [])  # outside the window
    assert not is_free(avail, now, nine - timedelta(days=1), [])  # inside the notice
    assert not is_free(avail, now, nine, [iv(nine + timedelta(minutes=15), 10)])  # in the buffer
    assert not is_free(avail, now, nine, [], held=[(3, iv(nine, 10))])
    assert is_free(avail, now, nine, [], held=[(3, iv(nine, 10))], exclude_holder=3)


def test_new_york_spring_forward_skips_the_missing_hour() -> None:
    avail = avail_of(NY, days=(6,), hours=((time(1), time(3)),), min_notice_hours=0,
                     horizon_days=1, buffer_minutes=0)
    now = datetime(2026, 3, 8, 0, 0, tzinfo=NY)
    got = list(candidate_starts(avail, now))
    assert got == [datetime(2026, 3, 8, 1, m, tzinfo=NY) for m in range(0, 60, 10)]
    straddle = replace(avail, hours=((time(2), time(4)),))
    assert list(candidate_starts(straddle, now)) == [
        datetime(2026, 3, 8, 3, m, tzinfo=NY) for m in range(0, 60, 10)]
    last = find_slots(avail, now, [], count=6)[-1]
    assert utc(last.end) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT, 10 real minutes
    assert last.end.utcoffset() == timedelta(hours=-4)


def test_new_york_fall_back_uses_the_first_reading_of_repeated_times() -> None:
    avail = avail_of(NY, days=(6,), hours=((time(1), time(3)),), min_notice_hours=0,
                     horizon_days=1, buffer_minutes=0)
    now = datetime(2026, 11, 1, 0, 0, tzinfo=NY)
    got = [utc(s) for s in candidate_starts(avail, now)]
    first_hour = [datetime(2026, 11, 1, 5, m, tzinfo=UTC) for m in range(0, 60, 10)]  # 01:xx EDT
    second_hour = [datetime(2026, 11, 1, 7, m, tzinfo=UTC) for m in range(0, 60, 10)]  # 02:xx EST
    assert got == first_hour + second_hour
    slots = find_slots(avail, now, [], count=12)
    straddling = slots[5]  # 01:50 EDT -> 01:00 EST: earlier on the wall clock, 10 real minutes on
    assert (straddling.start.fold, straddling.end.fold) == (0, 1)
    assert utc(straddling.end) - utc(straddling.start) == timedelta(minutes=10)


def test_berlin_transitions_with_a_night_window() -> None:
    avail = avail_of(BERLIN, days=(6,), hours=((time(1), time(3)),), min_notice_hours=0,
                     horizon_days=1, buffer_minutes=0, slot_minutes=30)
    spring = [s.strftime("%H:%M%z") for s in
              candidate_starts(avail, datetime(2026, 3, 29, tzinfo=BERLIN))]
    assert spring == ["01:00+0100", "01:30+0100"]
    autumn = [s.strftime("%H:%M%z") for s in
              candidate_starts(avail, datetime(2026, 10, 25, tzinfo=BERLIN))]
    assert autumn == ["01:00+0200", "01:30+0200", "02:00+0200", "02:30+0200"]


def test_a_slot_may_not_overrun_a_window_that_ends_in_the_gap() -> None:
    # Window 01:00-02:30 on spring-forward night really ends at 03:00 EDT (the jump).
    avail = avail_of(NY, days=(6,), hours=((time(1), time(2, 30)),), min_notice_hours=0,
                     horizon_days=1, slot_minutes=45)
    got = list(candidate_starts(avail, datetime(2026, 3, 8, tzinfo=NY)))
    assert got == [datetime(2026, 3, 8, 1, 0, tzinfo=NY)]  # 01:45 would end at 03:30 EDT


def test_local_instant_resolves_gaps_and_folds() -> None:
    assert local_instant(date(2026, 3, 8), time(2, 30), NY) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert utc(local_instant(date(2026, 11, 1), time(1, 30), NY)) == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC)
    santiago = ZoneInfo("America/Santiago")  # midnight does not exist on 2026-09-06
    assert utc(local_instant(date(2026, 9, 6), time(0, 0), santiago)) == datetime(
        2026, 9, 6, 4, 0, tzinfo=UTC)


# --- properties, one per rule ----------------------------------------------------------------


def offers(sc: Scenario) -> list[Slot]:
    """The scenario's offer plus one large enough to take every free slot: a rule that holds
    for every slot ``find_slots`` may return must hold for both."""
    return [*sc.run(), *replace(sc, count=1000).run()]


def on_grid_in_a_window(slot: Slot, avail: Availability) -> bool:
    """Whether the slot starts on some window's grid (in wall time) and lies inside that window."""
    tz = avail.timezone
    local = slot.start.astimezone(tz)
    wall, day = local.replace(tzinfo=None), local.date()
    length = timedelta(minutes=avail.slot_minutes)
    for first, last in avail.hours:
        offset = wall - datetime.combine(day, first)
        if (offset >= timedelta(0) and offset % length == timedelta(0)
                and first_instant_showing(day, first, tz) <= utc(slot.start)
                and utc(slot.end) <= first_instant_showing(day, last, tz)):
            return True
    return False


@PROPERTY
@given(scenarios())
def test_slots_are_aligned_and_inside_a_window_on_an_allowed_day(sc: Scenario) -> None:
    for slot in offers(sc):
        assert slot.start.astimezone(sc.avail.timezone).weekday() in sc.avail.days
        assert on_grid_in_a_window(slot, sc.avail), slot


def every_start(sc: Scenario) -> list[datetime]:
    """Starts of ``offers`` and every candidate, so a rule broken at any edge shows."""
    return [s.start for s in offers(sc)] + list(candidate_starts(sc.avail, sc.now))


@PROPERTY
@given(scenarios())
def test_slots_respect_minimum_notice(sc: Scenario) -> None:
    """The notice cutoff is rounded up to a whole hour, never down: no offer, and no
    candidate, starts inside the notice period."""
    earliest = utc(sc.now) + timedelta(hours=sc.avail.min_notice_hours)
    assert all(utc(start) >= earliest for start in every_start(sc))


@PROPERTY
@given(scenarios())
def test_slots_start_inside_the_horizon(sc: Scenario) -> None:
    """On the ``horizon_days`` local dates from today (calendar days: a 25-hour day of a
    clock change is one of them)."""
    tz = sc.avail.timezone
    today = sc.now.astimezone(tz).date()
    last = today + timedelta(days=sc.avail.horizon_days - 1)
    assert all(today <= start.astimezone(tz).date() <= last for start in every_start(sc))


@PROPERTY
@given(scenarios())
def test_slots_keep_the_buffer_from_busy_booked_and_others_holds(sc: Scenario) -> None:
    blocks = blocking(sc)
    for slot in offers(sc):
        assert clear_of(slot.start, sc.avail, blocks), slot


@PROPERTY
@given(scenarios(), st.integers(0, 1))
def test_slots_never_overlap_another_holders_hold(sc: Scenario, buffer: int) -> None:
    sc = replace(sc, avail=replace(sc.avail, buffer_minutes=buffer))  # even with no buffer
    others = [i for h, i in sc.held if h != sc.exclude]
    for slot in offers(sc):
        real = Interval(utc(slot.start), utc(slot.end))
        assert not any(real.overlaps(Interval(utc(i.start), utc(i.end))) for i in others)


@PROPERTY
@given(scenarios(), st.integers(1, 4))
def test_exclude_holder_ignores_exactly_that_holders_holds(sc: Scenario, holder: int) -> None:
    sc = replace(sc, exclude=holder)
    without = replace(sc, held=[(h, i) for h, i in sc.held if h != holder])
    assert sc.run() == without.run()
    # ...and a hold of that holder may be offered back to it when otherwise free.
    for h, hold in sc.held:
        if h == holder and hold.end > hold.start and is_free(sc.avail, sc.now, hold.start, sc.busy, sc.held, sc.booked,
                                   exclude_holder=holder):
            assert not is_free(sc.avail, sc.now, hold.start, sc.busy, sc.held, sc.booked)


@PROPERTY
@given(scenarios())
def test_slots_only_use_days_below_max_per_day(sc: Scenario) -> None:
    tz = sc.avail.timezone
    for day in {s.start.astimezone(tz).date() for s in offers(sc)}:
        assert load_of(sc, day) < sc.avail.max_per_day  # +1 for this offer keeps it <= max


@PROPERTY
@given(scenarios())
def test_offer_spreads_over_days_then_fills_earliest(sc: Scenario) -> None:
    """One slot per eligible day (the earliest, or at varied times of day: ``varied_picks``),
    then fills."""
    tz = sc.avail.timezone
    result = [utc(s.start) for s in sc.run()]
    by_day: dict[date, list[datetime]] = defaultdict(list)
    for start in oracle_offerable(sc):
        by_day[start.astimezone(tz).date()].append(start)
    days = sorted(by_day)
    wanted = max(sc.wanted, 0)
    if sc.avail.vary_time_of_day:
        spread = varied_picks([by_day[d] for d in days[:wanted]], sc.avail, sc.seed)
    else:
        spread = [by_day[d][0] for d in days[:wanted]]  # earliest free slot of each day
    assert set(spread) <= set(result)
    result_days = Counter(s.astimezone(tz).date() for s in result)
    assert set(result_days) <= set(days[:wanted])
    if len(days) >= wanted:
        assert sorted(result) == spread
    length = timedelta(minutes=sc.avail.slot_minutes)
    for a in result:  # the offer's own slots never overlap
        assert all(a == b or a + length <= b or b + length <= a for b in result)
    if len(result) < wanted:  # nothing more could have been added
        for extra in (s for d in result_days for s in by_day[d]):
            assert any(extra < b + length and b < extra + length for b in result)


@PROPERTY
@given(scenarios())
def test_slots_are_sorted_aware_in_zone_and_at_most_count(sc: Scenario) -> None:
    slots = sc.run()
    assert len(slots) <= max(sc.wanted, 0)
    assert [utc(s.start) for s in slots] == sorted({utc(s.start) for s in slots})
    for slot in slots:
        assert slot.start.tzinfo is sc.avail.timezone and slot.end.tzinfo is sc.avail.timezone
        assert utc(slot.end) - utc(slot.start) == timedelta(minutes=sc.avail.slot_minutes)


@PROPERTY
@given(scenarios(max_horizon=10))
def test_find_slots_and_is_free_agree_with_the_oracle(sc: Scenario) -> None:
    offerable = oracle_offerable(sc)
    assert [utc(s) for s in candidate_starts(sc.avail, sc.now)] == oracle_candidates(sc.avail, sc.now)
    assert {utc(s.start) for s in sc.run()} <= set(offerable)
    if sc.wanted > 0:
        assert bool(sc.run()) == bool(offerable)  # never "no slots" when one exists
    for start in oracle_candidates(sc.avail, sc.now):
        assert is_free(sc.avail, sc.now, start, sc.busy, sc.held, sc.booked,
                       exclude_holder=sc.exclude) == (start in offerable)


LORD_HOWE, SANTIAGO = ZoneInfo("Australia/Lord_Howe"), ZoneInfo("America/Santiago")
DST_CASES = [  # each zone with its own transition days
    (NY, date(2026, 3, 8)), (NY, date(2026, 11, 1)),
    (BERLIN, date(2026, 3, 29)), (BERLIN, date(2026, 10, 25)),
    (LORD_HOWE, date(2026, 4, 5)), (LORD_HOWE, date(2026, 10, 4)),
    (SANTIAGO, date(2026, 4, 4)), (SANTIAGO, date(2026, 9, 6)),
]
NIGHT_WINDOWS = [(time(1), time(3)), (time(0), time(2, 30)), (time(1, 30), time(2, 30)),
                 (time(2), time(4)), (time(22), time(23, 55)), (time(0), time(1)),
                 (time(1), time(2, 40)), (time(23), time(23, 55))]


@PROPERTY
@given(
    case=st.sampled_from(DST_CASES),
    hours=st.lists(st.sampled_from(NIGHT_WINDOWS) | windows(), min_size=1, max_size=3),
    slot_minutes=st.sampled_from([5, 10, 15, 20, 25, 30, 45, 60, 90]),
    lead_minutes=st.integers(0, 3 * 1440),
)
def test_dst_slots_are_real_minutes_at_real_wall_times_in_a_window(
    case: tuple[ZoneInfo, date], hours: list[tuple[time, time]], slot_minutes: int,
    lead_minutes: int,
) -> None:
    tz, day = case
    avail = Availability(timezone=tz, days=tuple(range(7)), hours=tuple(hours),
                         slot_minutes=slot_minutes, buffer_minutes=0, min_notice_hours=0,
                         horizon_days=4, offer_count=3, max_per_day=9)
    now = datetime.combine(day, time(), tzinfo=UTC) - timedelta(minutes=lead_minutes)
    length = timedelta(minutes=slot_minutes)
    slots = find_slots(avail, now, [], count=400)
    assert [utc(s) for s in candidate_starts(avail, now)] == oracle_candidates(avail, now)
    assert {utc(s.start) for s in slots} <= set(oracle_candidates(avail, now))
    for slot in slots:
        assert utc(slot.end) - utc(slot.start) == length
        assert slot.start.astimezone(tz).fold == 0 and clock_shows(slot.start, tz)
        assert on_grid_in_a_window(slot, avail), slot
