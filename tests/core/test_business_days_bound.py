"""``within_business_days`` answers ``moment <= add_business_days(start, count)`` and skips the
holiday tables when calendar days already decide; the two must never disagree, across zones
with daylight saving, holidays and odd working weeks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from automation.core.businessdays import BusinessCalendar

ZONES = ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC",
         "America/Sao_Paulo", "Pacific/Chatham")
CLOSED = frozenset({date(2026, 3, 9), date(2026, 11, 2), date(2026, 12, 24)})


# Hypothesis takes naive bounds and attaches ``timezones`` to what it draws.
LOW, HIGH = datetime(2025, 1, 1), datetime(2027, 12, 31)  # noqa: DTZ001


@settings(max_examples=400, deadline=None)
@given(zone=st.sampled_from(ZONES), country=st.sampled_from((None, "US", "DE", "AU")),
       days=st.sampled_from(((0, 1, 2, 3, 4), (0, 2, 4), (5, 6), (0, 1, 2, 3, 4, 5, 6), ())),
       start=st.datetimes(min_value=LOW, max_value=HIGH, timezones=st.just(UTC)),
       count=st.integers(-1, 6), later=st.integers(-3 * 3600, 12 * 86400))
def test_the_shortcut_agrees_with_counting(zone: str, country: str | None,
                                           days: tuple[int, ...], start: datetime, count: int,
                                           later: int) -> None:
    calendar = BusinessCalendar(ZoneInfo(zone), country, days, CLOSED)
    moment = start + timedelta(seconds=later)
    assert calendar.within_business_days(start, count, moment) == (
        moment <= calendar.add_business_days(start, count))


@settings(max_examples=400, deadline=None)
@given(zone=st.sampled_from(ZONES),
       days=st.sampled_from(((0, 1, 2, 3, 4), (0, 2, 4), (5, 6), (0, 1, 2, 3, 4, 5, 6), ())),
       start=st.datetimes(min_value=LOW, max_value=HIGH, timezones=st.just(UTC)),
       count=st.integers(-1, 12))
def test_the_earliest_end_is_the_working_week_counted(zone: str, days: tuple[int, ...],
                                                      start: datetime, count: int) -> None:
    """``earliest_end`` steps a day count looked up per weekday; counting the days of the
    working week one by one (no holidays, no closed dates) must land on the same moment."""
    calendar = BusinessCalendar(ZoneInfo(zone), "US", days, CLOSED)
    week = BusinessCalendar(ZoneInfo(zone), None, days)
    assert calendar.earliest_end(start, count) == week.add_business_days(start, count)
    assert calendar.earliest_end(start, count).utcoffset() == \
        week.add_business_days(start, count).utcoffset()
