"""The offer window's edges and a hold's expiry sit on clock boundaries (core/offerwindow.py).

A pass killed at 08:30 and run again at 08:35 must offer what one pass at 08:35 would, and hold
it until the same moment: had the edges been ``now + min_notice_hours``, ``now +
horizon_days`` and ``now + hold_days``, the five minutes would gain or lose a slot at either end
and move a hold's lapse across the next pass. Each edge is checked against a minute-by-minute
reading of the user's clock (``tests/support/windowref.py``), and the promise each rounding
keeps is a property of its own: never an offer inside the notice period, never a hold shorter
than promised.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.core.models import Availability, Interval
from automation.core.offerwindow import (
    hold_expiry,
    horizon_end,
    notice_cutoff,
    notice_lapses_at,
)
from automation.core.slots import candidate_starts, find_slots
from tests.support.slotref import offer_key
from tests.support.windowref import (
    reference_cutoff,
    reference_hold_expiry,
    reference_horizon_end,
)

NY = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # its clock moves by 30 minutes
#: Zones whose offsets change by whole hours (or never): there, two instants inside one hour
#: of the clock stay inside one hour of it shifted by any whole number of hours.
WHOLE_HOUR_ZONES = [ZoneInfo(n) for n in ("UTC", "America/New_York", "Europe/Berlin",
                                          "America/Santiago", "Asia/Kolkata")]
ALL_ZONES = [*WHOLE_HOUR_ZONES, LORD_HOWE]
TRANSITION_DAYS = [date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 29), date(2026, 10, 25),
                   date(2026, 4, 5), date(2026, 10, 4), date(2026, 4, 4), date(2026, 9, 6)]
PROPERTY = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
#: 08:30 on a Monday, the moment a killed pass began; its restart came at 08:35.
KILLED = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
RESTARTED = KILLED + timedelta(minutes=5)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


@st.composite
def instants(draw: st.DrawFn, zones: list[ZoneInfo] = ALL_ZONES) -> datetime:
    """Any instant of 2026-27, or one within days of a clock change, in one of ``zones``."""
    if draw(st.booleans()):
        base = datetime.combine(draw(st.sampled_from(TRANSITION_DAYS)), time(), tzinfo=UTC)
        instant = base + timedelta(seconds=draw(st.integers(-40 * 86400, 2 * 86400)))
    else:
        instant = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
            seconds=draw(st.integers(0, 2 * 365 * 86400)))
    instant += timedelta(microseconds=draw(st.integers(0, 999_999)))
    return instant.astimezone(draw(st.sampled_from(zones)))


@st.composite
def one_hour_apart(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """Two instants strictly inside one hour of the local clock (HH:00 < both < HH+1:00),
    in a zone whose clock changes by whole hours."""
    tz = draw(st.sampled_from(WHOLE_HOUR_ZONES))
    some = draw(instants(WHOLE_HOUR_ZONES)).astimezone(tz)
    hour = some.replace(minute=0, second=0, microsecond=0)
    first, second = (utc(hour) + timedelta(microseconds=draw(st.integers(1, 3_600_000_000 - 1)))
                     for _ in range(2))
    return first.astimezone(tz), second.astimezone(tz)


# --- the edges, literally --------------------------------------------------------------------


@PROPERTY
@given(instants(), st.integers(0, 400))
def test_the_notice_cutoff_is_the_next_whole_hour_and_never_inside_the_notice(
        now: datetime, hours: int) -> None:
    tz = now.tzinfo
    cutoff = notice_cutoff(now, hours, tz)  # type: ignore[arg-type]
    # Compared in UTC: == across zones is False for a repeated (fall-back) time.
    assert utc(cutoff) == utc(reference_cutoff(now, hours, tz))  # type: ignore[arg-type]
    assert utc(cutoff) >= utc(now) + timedelta(hours=hours)
    assert utc(cutoff) - utc(now) < timedelta(hours=hours + 1)  # rounded by less than an hour


@PROPERTY
@given(instants(), st.integers(1, 366))
def test_the_horizon_ends_at_the_start_of_a_local_date(now: datetime, days: int) -> None:
    tz = now.tzinfo
    end = horizon_end(now, days, tz)  # type: ignore[arg-type]
    assert utc(end) == utc(reference_horizon_end(now, days, tz))  # type: ignore[arg-type]
    assert end.astimezone(tz).date() == now.astimezone(tz).date() + timedelta(days=days)


@PROPERTY
@given(instants(), st.integers(0, 60))
def test_a_hold_lasts_at_least_hold_days_and_ends_at_a_local_midnight(
        now: datetime, days: int) -> None:
    tz = now.tzinfo
    expires = hold_expiry(now, days, tz)  # type: ignore[arg-type]
    assert utc(expires) == utc(reference_hold_expiry(now, days, tz))  # type: ignore[arg-type]
    assert utc(expires) >= utc(now) + timedelta(days=days)
    assert utc(expires) - utc(now) <= timedelta(days=days + 1, hours=1)


@PROPERTY
@given(instants(), st.integers(1, 200))
def test_a_slot_lapses_exactly_when_the_cutoff_passes_it(start: datetime, hours: int) -> None:
    """``notice_lapses_at`` is the last moment the cutoff is still at or before the slot."""
    tz = start.tzinfo
    last = notice_lapses_at(start, hours, tz)  # type: ignore[arg-type]
    assert utc(notice_cutoff(last, hours, tz)) <= utc(start)  # type: ignore[arg-type]
    later = last + timedelta(microseconds=1)
    assert utc(notice_cutoff(later, hours, tz)) > utc(start)  # type: ignore[arg-type]


def test_the_edges_of_a_killed_pass_and_its_restart_are_the_same() -> None:
    """The crash suite's pass: 08:30, restarted 08:35, 200 hours' notice, a 30-day horizon
    and holds of 30 days."""
    for now in (KILLED, RESTARTED):
        assert notice_cutoff(now, 200, NY) == datetime(2026, 12, 15, 17, 0, tzinfo=NY)
        assert horizon_end(now, 30, NY) == datetime(2027, 1, 6, 0, 0, tzinfo=NY)
        assert hold_expiry(now, 30, NY) == datetime(2027, 1, 7, 0, 0, tzinfo=NY)


def test_a_clock_change_inside_the_notice_and_the_hold() -> None:
    """Saturday 31 October 22:10 EDT with 24 hours' notice: the clocks fall back that night, so
    24 hours later it is Sunday 21:10 EST, rounded to 22:00 EST. A 1-day hold from then lasts to
    the end of Sunday; no notice, no rounding."""
    now = datetime(2026, 10, 31, 22, 10, tzinfo=NY)
    assert notice_cutoff(now, 24, NY) == datetime(2026, 11, 1, 22, 0, tzinfo=NY)
    assert hold_expiry(now, 1, NY) == datetime(2026, 11, 2, 0, 0, tzinfo=NY)
    assert notice_cutoff(now, 0, NY) == now and hold_expiry(now, 0, NY) == now
    assert horizon_end(now, 1, NY) == datetime(2026, 11, 1, 0, 0, tzinfo=NY)


def test_a_thirty_minute_clock_change_still_rounds_to_a_whole_hour() -> None:
    """Lord Howe's clock jumps from 02:00 to 02:30 on 4 October 2026. 24 hours after 01:50 on
    the 3rd it is 01:50 on the 4th; ten minutes later the clock shows 02:30, so the next whole
    hour it shows is 03:00."""
    now = datetime(2026, 10, 3, 1, 50, tzinfo=LORD_HOWE)
    cutoff = notice_cutoff(now, 24, LORD_HOWE)
    assert (cutoff.hour, cutoff.minute) == (3, 0) and cutoff.date() == date(2026, 10, 4)


# --- what a pass offers ----------------------------------------------------------------------


def early_bird(**changes: object) -> Availability:
    """One ten-minute slot a day at 08:30, every day: a pass at 08:30 may offer tomorrow's
    with 24 hours' notice, one at 08:35 may not -- unless the cutoff is rounded."""
    base = dict(timezone=NY, days=tuple(range(7)), hours=((time(8, 30), time(8, 40)),),
                min_notice_hours=24, horizon_days=14, max_per_day=3)
    base.update(changes)
    return Availability(**base)  # type: ignore[arg-type]


def test_a_pass_and_its_restart_minutes_later_offer_the_same_slots() -> None:
    """Tomorrow 08:30 lies 24 h after the killed pass and 23 h 55 m after its restart; both
    offers start on Wednesday (the next whole hour after the notice is 09:00 tomorrow)."""
    for vary in (False, True):
        avail = early_bird(vary_time_of_day=vary)
        killed = find_slots(avail, KILLED, [], seed="c010@example.com")
        restarted = find_slots(avail, RESTARTED, [], seed="c010@example.com")
        assert offer_key(killed) == offer_key(restarted)
        assert [s.start.date() for s in killed] == [date(2026, 12, d) for d in (9, 10, 11)]


def test_a_pass_and_its_restart_see_the_same_last_day() -> None:
    """14 days from Monday 7 December are the 7th to the 20th, for both: the 08:30 slot of
    the 21st is out for both (had the horizon ended at now + 14 days, it would be out at
    08:30 and in at 08:35)."""
    avail = early_bird(min_notice_hours=0, horizon_days=14)
    for now in (KILLED, RESTARTED):
        starts = list(candidate_starts(avail, now))
        assert starts[-1] == datetime(2026, 12, 20, 8, 30, tzinfo=NY)


@st.composite
def busy_times(draw: st.DrawFn, around: datetime, days: int) -> list[Interval]:
    base = utc(around).replace(minute=0, second=0, microsecond=0)
    return draw(st.lists(st.builds(
        lambda at, minutes: Interval(base + timedelta(minutes=5 * at),
                                     base + timedelta(minutes=5 * (at + minutes))),
        st.integers(0, days * 288), st.integers(1, 72)), max_size=10))


@PROPERTY
@given(st.data(), one_hour_apart(), st.integers(1, 72), st.integers(1, 10),
       st.sampled_from([5, 10, 15, 30, 45, 60]), st.booleans(), st.integers(1, 40))
def test_passes_inside_one_hour_offer_alike_and_hold_alike(
        data: st.DataObject, pair: tuple[datetime, datetime], notice: int, horizon: int,
        slot_minutes: int, vary: bool, hold_days: int) -> None:
    """Any two passes strictly inside one hour of the user's clock offer the same slots and
    hold them until the same moment (``hold_days = 0`` holds nothing), whatever is busy,
    across clock changes too."""
    first, second = pair
    tz = first.tzinfo
    avail = Availability(timezone=tz, days=tuple(range(7)),  # type: ignore[arg-type]
                         hours=((time(7), time(12)), (time(13), time(21))),
                         slot_minutes=slot_minutes, min_notice_hours=notice,
                         horizon_days=horizon, max_per_day=2, vary_time_of_day=vary)
    busy = data.draw(busy_times(first, horizon))
    seed = data.draw(st.sampled_from(["c010@example.com", "ada@example.com", ""]))
    offers = [offer_key(find_slots(avail, now, busy, seed=seed)) for now in pair]
    assert offers[0] == offers[1]
    assert utc(hold_expiry(first, hold_days, tz)) == \
        utc(hold_expiry(second, hold_days, tz))  # type: ignore[arg-type]
    for start, _ in offers[0]:
        assert utc(datetime.fromisoformat(start)) >= utc(second) + timedelta(hours=notice)
