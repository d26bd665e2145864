"""Busy time from iCalendar data: the calendar folder and every ``busy_ics`` file.

Recurring events are expanded with ``recurring_ical_events`` (RRULE, RDATE, EXDATE and moved
instances). All-day events block their whole local day(s); transparent ("free") and cancelled
events block nothing; floating times are read in the user's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from automation.errors import UserError
from automation.models import Interval


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(0), tzinfo=zone)


def _span(event: icalendar.Event, zone: ZoneInfo) -> Interval | None:
    start_prop = event.get("DTSTART")
    if start_prop is None:
        return None
    start = start_prop.dt
    end_prop = event.get("DTEND")
    if end_prop is not None:
        end = end_prop.dt
    elif event.get("DURATION") is not None:
        end = start + event["DURATION"].dt
    elif isinstance(start, datetime):
        end = start  # RFC 5545: a DATE-TIME with no end is instantaneous
    else:
        end = start + timedelta(days=1)  # an all-day event with no end lasts one day
    begin, finish = _aware(start, zone), _aware(end, zone)
    return Interval(begin, max(begin, finish))


def _blocks(event: icalendar.Event) -> bool:
    transp = str(event.get("TRANSP", "OPAQUE")).upper()
    status = str(event.get("STATUS", "CONFIRMED")).upper()
    return transp != "TRANSPARENT" and status != "CANCELLED"


def busy_from_ics(data: bytes, window: Interval, default_tz: ZoneInfo,
                  source: str = "") -> list[Interval]:
    """Busy intervals of ``data`` that overlap ``window`` (real extents, not clipped).

    Raises UserError naming ``source`` if the data is not a readable calendar.
    """
    name = source or "calendar data"
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise UserError(f"{name}: not an iCalendar file ({exc})") from exc
    if calendar.name != "VCALENDAR":
        raise UserError(f"{name}: not an iCalendar file (starts with {calendar.name})")
    try:
        # Widen by a day: all-day events are local days, the window is absolute time.
        occurrences = recurring_ical_events.of(calendar).between(
            window.start - timedelta(days=1), window.end + timedelta(days=1))
    except Exception as exc:  # the library raises many types on malformed rules
        raise UserError(f"{name}: cannot expand its events ({type(exc).__name__}: {exc})") \
            from exc
    result = []
    for event in occurrences:
        if event.name != "VEVENT" or not _blocks(event):
            continue
        span = _span(event, default_tz)
        if span is not None and (span.overlaps(window) or
                                 (span.start == span.end and window.start <= span.start
                                  < window.end)):
            result.append(span)
    return sorted(result)


def busy_from_files(paths: Iterable[Path], window: Interval,
                    default_tz: ZoneInfo) -> tuple[list[Interval], list[str]]:
    """Busy intervals from every file; a bad file is reported and skipped, never raised."""
    intervals: list[Interval] = []
    problems: list[str] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(f"busy calendar {path}: cannot read it ({exc.strerror or exc}); "
                            "fix the path in [availability] busy_ics")
            continue
        try:
            intervals.extend(busy_from_ics(data, window, default_tz, source=str(path)))
        except UserError as exc:
            problems.append(f"busy calendar {exc}; its events are ignored until it is fixed")
    return sorted(intervals), problems
