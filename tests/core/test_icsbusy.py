"""Busy time from real .ics files (tests/fixtures/ics): exact intervals, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.core.icsbusy import busy_from_files, busy_from_ics
from automation.core.models import Interval
from automation.errors import UserError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ics"
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
YEAR_2026 = Interval(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def z(*args: int) -> datetime:
    """A UTC instant: the expected values are written in UTC so they are unambiguous."""
    return datetime(*args, tzinfo=UTC)


def span(start: datetime, end: datetime) -> Interval:
    return Interval(start, end)


def busy(name: str, window: Interval = YEAR_2026, default_tz: ZoneInfo = NY) -> list[Interval]:
    return busy_from_ics((FIXTURES / name).read_bytes(), window, default_tz, source=name)


def test_weekly_rrule_with_exdate_rdate_moved_and_cancelled_instances() -> None:
    assert busy("weekly_rrule.ics") == [
        span(z(2026, 3, 2, 14, 0), z(2026, 3, 2, 14, 30)),  # 09:00 EST
        span(z(2026, 3, 9, 13, 0), z(2026, 3, 9, 13, 30)),  # 09:00 EDT after 8 March
        # 16 March: EXDATE. 23 March: moved to Tuesday 15:00-16:00 EDT.
        span(z(2026, 3, 24, 19, 0), z(2026, 3, 24, 20, 0)),
        span(z(2026, 3, 26, 20, 0), z(2026, 3, 26, 20, 30)),  # RDATE, the series' length
        # 30 March: the override is CANCELLED.
        span(z(2026, 4, 6, 13, 0), z(2026, 4, 6, 13, 30)),  # COUNT=6 counts the excluded ones
    ]


def test_all_day_events_block_whole_local_days_in_the_default_zone() -> None:
    assert busy("all_day.ics") == [
        span(z(2026, 4, 6, 4), z(2026, 4, 7, 4)),  # no DTEND: one day, New York midnight
        span(z(2026, 4, 8, 4), z(2026, 4, 11, 4)),  # DTEND exclusive: 8, 9, 10 April
        span(z(2026, 11, 1, 4), z(2026, 11, 2, 5)),  # fall-back day: 25 hours
    ]
    in_berlin = busy("all_day.ics", default_tz=BERLIN)
    assert in_berlin[0] == span(z(2026, 4, 5, 22), z(2026, 4, 6, 22))


def test_transparent_and_cancelled_events_do_not_block() -> None:
    assert busy("transparent_cancelled.ics") == [
        span(z(2026, 3, 10, 14, 0), z(2026, 3, 10, 14, 30)),  # opaque, confirmed
        span(z(2026, 3, 12, 9, 0), z(2026, 3, 12, 9, 30)),  # tentative still blocks
    ]


def test_utc_tzid_floating_instant_and_duration_events() -> None:
    assert busy("zones.ics") == [
        span(z(2026, 3, 10, 15, 0), z(2026, 3, 10, 16, 0)),  # ...Z
        span(z(2026, 3, 11, 0, 0), z(2026, 3, 11, 0, 45)),  # TZID=Asia/Tokyo, DURATION:PT45M
        span(z(2026, 3, 12, 14, 0), z(2026, 3, 12, 15, 0)),  # floating 10:00 in New York (EDT)
        span(z(2026, 3, 13, 12, 0), z(2026, 3, 13, 12, 0)),  # DTSTART only: an instant
        span(z(2026, 3, 14, 21, 0), z(2026, 3, 15, 0, 0)),  # Berlin 22:00 + PT3H
    ]


def test_floating_times_follow_the_default_zone() -> None:
    floating = [i for i in busy("zones.ics", default_tz=BERLIN) if i.start.day == 12]
    assert floating == [span(z(2026, 3, 12, 9, 0), z(2026, 3, 12, 10, 0))]


def test_google_calendar_export_with_vtimezone_and_x_wr_timezone() -> None:
    assert busy("google_export.ics") == [
        span(z(2026, 3, 24, 8, 0), z(2026, 3, 24, 8, 30)),  # standup 09:00 CET
        span(z(2026, 3, 25, 9, 0), z(2026, 3, 25, 10, 0)),  # single event written in UTC
        span(z(2026, 3, 26, 17, 0), z(2026, 3, 26, 18, 0)),  # UTC series: 18:00 CET...
        span(z(2026, 3, 27, 4, 0), z(2026, 3, 28, 4, 0)),  # all-day, New York default zone
        span(z(2026, 3, 31, 7, 0), z(2026, 3, 31, 7, 30)),  # standup 09:00 CEST
        span(z(2026, 4, 2, 16, 0), z(2026, 4, 2, 17, 0)),  # ...and 18:00 CEST (X-WR-TIMEZONE)
        span(z(2026, 4, 7, 7, 0), z(2026, 4, 7, 7, 30)),  # the transparent holiday is absent
    ]


def test_outlook_windows_zone_name_defined_by_its_vtimezone() -> None:
    assert busy("outlook_windows_tz.ics") == [span(z(2026, 3, 30, 8, 0), z(2026, 3, 30, 9, 0))]


def test_events_across_dst_changes() -> None:
    assert busy("dst_crossing.ics") == [
        span(z(2026, 3, 8, 6, 30), z(2026, 3, 8, 7, 30)),  # 01:30 EST-03:30 EDT: one hour
        # Floating 02:30 does not exist: RFC 5545 reads it with the offset before the gap.
        span(z(2026, 3, 8, 7, 30), z(2026, 3, 8, 8, 0)),
        span(z(2026, 10, 23, 23, 0), z(2026, 10, 24, 1, 0)),  # daily 01:00-03:00 CEST
        span(z(2026, 10, 24, 23, 0), z(2026, 10, 25, 2, 0)),  # fall-back night: 3 real hours
        span(z(2026, 10, 26, 0, 0), z(2026, 10, 26, 2, 0)),  # 01:00-03:00 CET
        span(z(2026, 11, 1, 4, 30), z(2026, 11, 1, 7, 30)),  # 00:30 EDT-02:30 EST: 3 hours
        span(z(2026, 11, 1, 5, 30), z(2026, 11, 1, 7, 0)),  # floating 01:30: first reading
    ]


def test_only_events_overlapping_the_window_come_back_unclipped() -> None:
    monday = span(z(2026, 3, 9, 13, 0), z(2026, 3, 9, 13, 30))
    inside = span(z(2026, 3, 9, 13, 10), z(2026, 3, 9, 13, 20))
    assert busy("weekly_rrule.ics", window=inside) == [monday]
    touching = span(z(2026, 3, 9, 13, 30), z(2026, 3, 9, 14, 0))  # half-open: ends as we start
    assert busy("weekly_rrule.ics", window=touching) == []
    before = span(z(2026, 3, 9, 12, 0), z(2026, 3, 9, 13, 0))
    assert busy("weekly_rrule.ics", window=before) == []


def test_a_long_event_that_began_before_the_window_still_counts() -> None:
    window = span(z(2026, 4, 10, 12), z(2026, 4, 10, 13))  # last day of the conference
    assert busy("all_day.ics", window=window) == [span(z(2026, 4, 8, 4), z(2026, 4, 11, 4))]


def test_an_instant_counts_at_the_window_start_but_not_at_its_end() -> None:
    instant = span(z(2026, 3, 13, 12, 0), z(2026, 3, 13, 12, 0))
    starts_then = span(z(2026, 3, 13, 12, 0), z(2026, 3, 13, 13, 0))
    ends_then = span(z(2026, 3, 13, 11, 0), z(2026, 3, 13, 12, 0))
    assert instant in busy("zones.ics", window=starts_then)
    assert instant not in busy("zones.ics", window=ends_then)


def test_window_in_any_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    window = Interval(datetime(2026, 3, 11, 9, 0, tzinfo=tokyo),
                      datetime(2026, 3, 11, 9, 30, tzinfo=tokyo))
    assert busy("zones.ics", window=window) == [span(z(2026, 3, 11, 0, 0), z(2026, 3, 11, 0, 45))]


def test_results_are_utc_and_sorted() -> None:
    for name in ("weekly_rrule.ics", "google_export.ics", "dst_crossing.ics", "zones.ics"):
        result = busy(name)
        assert result == sorted(result)
        assert all(i.start.tzinfo is UTC and i.end.tzinfo is UTC for i in result)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("malformed.ics", "cannot expand its events"),
        ("not_a_calendar.ics", "not an iCalendar file"),
        ("vcard.ics", "not an iCalendar file (found VCARD, expected VCALENDAR)"),
    ],
)
def test_malformed_files_raise_a_user_error_naming_the_source(name: str, reason: str) -> None:
    with pytest.raises(UserError) as caught:
        busy(name)
    assert str(caught.value).startswith(f"busy_ics file {name}: {reason}")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not an iCalendar file"),
        (b"BEGIN:VCALENDAR\r\nthis is \x00 not a calendar\r\n", "not an iCalendar file"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260310T150000Z\r\n",
         "not an iCalendar file"),  # truncated
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260310T150000Z\r\n"
         b"RRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "cannot expand its events"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:no start\r\nEND:VEVENT\r\n"
         b"END:VCALENDAR\r\n", "cannot expand its events (missing DTSTART)"),
    ],
)
def test_broken_bytes_raise_a_user_error(data: bytes, reason: str) -> None:
    with pytest.raises(UserError, match=r"^busy_ics file work\.ics: ") as caught:
        busy_from_ics(data, YEAR_2026, NY, source="work.ics")
    assert reason in str(caught.value)


def test_error_without_a_source_still_says_what_it_was() -> None:
    with pytest.raises(UserError, match=r"^busy_ics data: not an iCalendar file"):
        busy_from_ics(b"hello", YEAR_2026, NY)


def test_several_calendars_in_one_file_all_count() -> None:
    one = (FIXTURES / "zones.ics").read_bytes()
    two = (FIXTURES / "transparent_cancelled.ics").read_bytes()
    both = busy_from_ics(one + two, YEAR_2026, NY)
    assert both == sorted(busy("zones.ics") + busy("transparent_cancelled.ics"))


def test_busy_from_files_reports_bad_files_and_keeps_the_rest(tmp_path: Path) -> None:
    missing = tmp_path / "gone.ics"
    paths = [FIXTURES / "weekly_rrule.ics", FIXTURES / "malformed.ics", missing, tmp_path,
             FIXTURES / "transparent_cancelled.ics"]
    intervals, problems = busy_from_files(paths, YEAR_2026, NY)
    assert intervals == sorted(busy("weekly_rrule.ics") + busy("transparent_cancelled.ics"))
    assert len(problems) == 3
    assert problems[0].startswith(f"busy_ics file {FIXTURES / 'malformed.ics'}: cannot expand")
    assert problems[1].startswith(f"busy_ics file {missing}: cannot read it (No such file")
    assert problems[2].startswith(f"busy_ics file {tmp_path}: cannot read it")
    assert all("ignored until" in p for p in problems)


def test_busy_from_files_with_nothing_to_read() -> None:
    assert busy_from_files([], YEAR_2026, NY) == ([], [])


def test_the_widened_query_does_not_leak_events_outside_the_window() -> None:
    # The library is asked for a day more on each side; those extra events must not come back.
    day = span(z(2026, 3, 25, 0), z(2026, 3, 26, 0))
    assert busy("google_export.ics", window=day) == [
        span(z(2026, 3, 25, 9, 0), z(2026, 3, 25, 10, 0))]
