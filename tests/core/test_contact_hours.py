"""Offers that suit both people: the user's availability AND the contact's working day.

Each property restates a rule from first principles on UTC instants: the contact's window
boundaries are found by scanning their clock minute by minute (``first_instant_showing``), and
their holidays are read straight from the ``holidays`` package, not through the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.core.businessdays import BusinessCalendar, country_for_zone
from automation.core.contacthours import ContactHours
from automation.core.models import Availability, Interval
from automation.core.slots import find_slots, is_free
from tests.support.windowref import reference_cutoff, reference_horizon_end

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
MADRID = ZoneInfo("Europe/Madrid")
BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
CONTACT_ZONES = [NY, LA, MADRID, BERLIN, LONDON, SYDNEY, ZoneInfo("Asia/Kolkata")]
# US and EU clocks change on different weekends, so around these dates one person's offset
# moves while the other's does not (2026: US Mar 8 / Nov 1, EU Mar 29 / Oct 25, AU Apr 5 / Oct 4).
DST_DAYS = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1),
            date(2026, 4, 5), date(2026, 10, 4)]
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def user(**changes: object) -> Availability:
    base = dict(timezone=NY, days=(0, 1, 2, 3, 4), vary_time_of_day=True,
                hours=((time(9), time(12)), (time(14), time(17))), horizon_days=14)
    base.update(changes)
    return Availability(**base)  # type: ignore[arg-type]


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def first_instant_showing(day: date, wall_time: time, tz: ZoneInfo) -> datetime:
    """The first UTC instant at which the clock in ``tz`` reads ``wall_time`` on ``day`` or
    later, scanning minute by minute where the offset is unsettled."""
    wall = datetime.combine(day, wall_time)
    fold0, fold1 = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if fold0.utcoffset() == fold1.utcoffset():
        return utc(fold0)
    instant = utc(fold0) - timedelta(hours=3)
    while instant.astimezone(tz).replace(tzinfo=None) < wall:
        instant += timedelta(minutes=1)
    return instant


def oracle_candidates(avail: Availability, now: datetime) -> list[datetime]:
    """The user's aligned starts in every window of every allowed day, notice and horizon
    applied, in UTC (no contact, no busy time)."""
    tz, length = avail.timezone, timedelta(minutes=avail.slot_minutes)
    earliest = reference_cutoff(now, avail.min_notice_hours, tz)
    latest = reference_horizon_end(now, avail.horizon_days, tz)
    found = set()
    day = earliest.astimezone(tz).date() - timedelta(days=1)
    while day <= latest.astimezone(tz).date() + timedelta(days=1):
        for first, last in avail.hours if day.weekday() in avail.days else ():
            wall = datetime.combine(day, first)
            while wall < datetime.combine(day, last):
                start = utc(wall.replace(tzinfo=tz))
                if (start.astimezone(tz).replace(tzinfo=None) == wall
                        and first_instant_showing(day, first, tz) <= start
                        and start + length <= first_instant_showing(day, last, tz)
                        and earliest <= start < latest):
                    found.add(start)
                wall += length
        day += timedelta(days=1)
    return sorted(found)


def fits_contact(start: datetime, end: datetime, zone: ZoneInfo,
                 hours: tuple[tuple[time, time], ...], country: str | None) -> bool:
    """The contact rule, literally: one window on a weekday that is not a public holiday."""
    day = start.astimezone(zone).date()
    if day.weekday() >= 5:
        return False
    if country and day in holidays.country_holidays(country, years=day.year):
        return False
    return any(first_instant_showing(day, a, zone) <= utc(start)
               and utc(end) <= first_instant_showing(day, b, zone) for a, b in hours)


@st.composite
def contact_hours(draw: st.DrawFn) -> tuple[tuple[time, time], ...]:
    start = draw(st.integers(0, 20 * 4)) * 15  # a quarter-hour grid from midnight
    length = draw(st.integers(2, 16)) * 30
    end = min(start + length, 23 * 60 + 45)
    return ((time(start // 60, start % 60), time(end // 60, end % 60)),)


@st.composite
def dst_nows(draw: st.DrawFn) -> datetime:
    day = draw(st.sampled_from(DST_DAYS))
    return datetime.combine(day, time(), tzinfo=UTC) - timedelta(
        minutes=draw(st.integers(0, 10 * 1440)))


@PROPERTY
@given(zone=st.sampled_from(CONTACT_ZONES), hours=contact_hours(), now=dst_nows(),
       user_zone=st.sampled_from([NY, BERLIN, LA]), count=st.integers(1, 6))
def test_every_offer_is_inside_both_peoples_hours_across_dst(
        zone: ZoneInfo, hours: tuple[tuple[time, time], ...], now: datetime,
        user_zone: ZoneInfo, count: int) -> None:
    """Each slot is one of the user's candidates and fits the contact's window in their zone,
    on both sides of either person's clock change; and none is missed when one exists."""
    avail = user(timezone=user_zone, contact_hours=hours, min_notice_hours=0, max_per_day=9)
    contact = ContactHours.for_contact(avail, zone)
    country = country_for_zone(zone.key)
    slots = find_slots(avail, now, [], count=count, contact=contact)
    mine = oracle_candidates(avail, now)
    length = timedelta(minutes=avail.slot_minutes)
    both = [s for s in mine if fits_contact(s, s + length, zone, hours, country)]
    assert {utc(s.start) for s in slots} <= set(both)
    assert bool(slots) == bool(both)
    for start in mine:
        assert is_free(avail, now, start, [], contact=contact) == (start in both)


@PROPERTY
@given(zone=st.sampled_from(CONTACT_ZONES), now=st.builds(
    lambda minutes: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes),
    st.integers(0, 700 * 1440)))
def test_no_offer_falls_on_the_contacts_public_holiday(zone: ZoneInfo, now: datetime) -> None:
    avail = user(min_notice_hours=0, max_per_day=9, horizon_days=21)
    slots = find_slots(avail, now, [], count=15, contact=ContactHours.for_contact(avail, zone))
    country = country_for_zone(zone.key)
    assert country is not None
    for slot in slots:
        day = slot.start.astimezone(zone).date()
        assert day not in holidays.country_holidays(country, years=day.year)
        assert day.weekday() < 5


def test_a_spanish_holiday_is_skipped_for_a_madrid_contact_only() -> None:
    """8 December (Inmaculada Concepción) is a holiday in Spain, a working day in the US."""
    now = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
    avail = user()
    madrid = find_slots(avail, now, [], contact=ContactHours.for_contact(avail, MADRID))
    chicago = find_slots(avail, now, [],
                         contact=ContactHours.for_contact(avail, ZoneInfo("America/Chicago")))
    assert date(2026, 12, 8) not in {s.start.astimezone(MADRID).date() for s in madrid}
    assert chicago[0].start.date() == date(2026, 12, 8)


def test_a_contact_without_a_zone_uses_the_users_zone_and_holidays() -> None:
    """Thanksgiving (26 Nov 2026) is skipped for a contact of a New York user with no zone."""
    now = datetime(2026, 11, 25, 9, 0, tzinfo=NY)
    avail = user(min_notice_hours=0)
    hours = ContactHours.for_contact(avail, None)
    assert hours.zone == NY and hours.calendar.country == "US"
    slots = find_slots(avail, now, [], contact=hours)
    assert date(2026, 11, 26) not in {s.start.date() for s in slots}
    assert slots[0].start.date() == date(2026, 11, 25)


def test_los_angeles_is_never_offered_the_small_hours() -> None:
    """The issue's case: a New York user, a Los Angeles contact, slots from 08:30 PT on."""
    now = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
    avail = user()
    slots = find_slots(avail, now, [], contact=ContactHours.for_contact(avail, LA))
    assert len(slots) == 3
    for slot in slots:
        local = slot.start.astimezone(LA)
        assert time(8, 30) <= local.time() and slot.end.astimezone(LA).time() <= time(18)
    assert len({s.start.astimezone(NY).time() for s in slots}) == 3  # varied times of day


def test_times_of_day_vary_while_days_stay_spread() -> None:
    now = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
    slots = find_slots(user(), now, [], contact=ContactHours.for_contact(user(), NY))
    assert len({s.start.date() for s in slots}) == 3
    assert len({s.start.time() for s in slots}) == 3


def test_too_small_an_overlap_offers_what_exists() -> None:
    """Contact 16:30-17:00 in their zone (= the user's) leaves one 30-minute slot a day; with
    Wednesday's busy, the offer is the one slot that exists, never one outside that half hour."""
    now = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
    avail = user(contact_hours=((time(16, 30), time(17)),), horizon_days=3, slot_minutes=30)
    slots = find_slots(avail, now, [Interval(datetime(2026, 12, 9, 16, tzinfo=NY),
                                             datetime(2026, 12, 9, 17, tzinfo=NY))],
                       contact=ContactHours.for_contact(avail, NY))
    assert [s.start for s in slots] == [datetime(2026, 12, 8, 16, 30, tzinfo=NY)]


def test_business_days_skip_weekends_and_the_countrys_holidays() -> None:
    cal = BusinessCalendar.for_zone(MADRID)
    friday = datetime(2026, 12, 4, 10, 0, tzinfo=MADRID)
    # Mon 7 is a working day, Tue 8 a holiday: three business days are Mon 7, Wed 9, Thu 10.
    assert cal.add_business_days(friday, 3) == datetime(2026, 12, 10, 10, 0, tzinfo=MADRID)
    us = BusinessCalendar.for_zone(NY)
    assert us.add_business_days(datetime(2026, 12, 4, 10, 0, tzinfo=NY), 3) == \
        datetime(2026, 12, 9, 10, 0, tzinfo=NY)
    assert BusinessCalendar.for_zone(ZoneInfo("UTC")).country is None


#: (user's zone, contact's zone) pairs whose default working days overlap by an hour or more.
OVERLAPPING = [(NY, NY), (NY, ZoneInfo("America/Chicago")), (NY, LA), (NY, LONDON), (NY, BERLIN),
               (BERLIN, BERLIN), (BERLIN, LONDON), (BERLIN, MADRID), (BERLIN, NY)]


@PROPERTY
@given(pair=st.sampled_from(OVERLAPPING), day=st.sampled_from(DST_DAYS),
       before=st.integers(0, 4 * 24 * 60),
       seed=st.sampled_from(["ada@example.com", "c010@example.com", "wei.zhang@example.edu"])
       | st.emails())
def test_the_default_offer_varies_the_time_of_day_across_a_clock_change(
        pair: tuple[ZoneInfo, ZoneInfo], day: date, before: int, seed: str) -> None:
    """With the shipped defaults (``vary_time_of_day`` on): three offers on three dates, not
    at one time of day, each inside the user's hours in the user's zone and the contact's
    08:30-18:00 on their business days in theirs -- with either person's clock changing in
    the days offered."""
    user_zone, zone = pair
    avail = Availability(timezone=user_zone)
    now = (datetime.combine(day, time(12), tzinfo=UTC) - timedelta(minutes=before))
    slots = find_slots(avail, now, [], contact=ContactHours.for_contact(avail, zone),
                       seed=seed)
    assert len(slots) == 3
    assert len({s.start.astimezone(user_zone).date() for s in slots}) == 3
    assert len({s.start.astimezone(user_zone).time() for s in slots}) > 1, slots
    country = country_for_zone(zone.key)
    for slot in slots:
        mine = slot.start.astimezone(user_zone)
        assert mine.weekday() in avail.days
        assert any(first_instant_showing(mine.date(), a, user_zone) <= utc(slot.start)
                   and utc(slot.end) <= first_instant_showing(mine.date(), b, user_zone)
                   for a, b in avail.hours), slot
        assert fits_contact(slot.start, slot.end, zone, avail.contact_hours, country), slot


def test_a_london_contact_is_offered_varied_times_across_the_us_clock_change() -> None:
    """Thursday 5 March 2026: New York moves to EDT on the 8th, London stays on GMT until the
    29th, so the gap between the two goes from five hours to four inside the offer. The
    default offer still reads three times on three days, each inside both working days."""
    now = datetime(2026, 3, 5, 8, 30, tzinfo=NY)
    avail = Availability(timezone=NY)
    slots = find_slots(avail, now, [], contact=ContactHours.for_contact(avail, LONDON),
                       seed="ada@example.com")
    assert [s.start for s in slots] == [datetime(2026, 3, 6, 10, 10, tzinfo=NY),
                                        datetime(2026, 3, 9, 9, 40, tzinfo=NY),
                                        datetime(2026, 3, 10, 11, 30, tzinfo=NY)]
    assert [s.start.astimezone(LONDON).strftime("%H:%M %Z") for s in slots] == \
        ["15:10 GMT", "13:40 GMT", "15:30 GMT"]
