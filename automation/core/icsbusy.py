"""Busy time from iCalendar data: the user's exported or synced calendars (``busy_ics`` files).

``busy_from_ics`` is pure (bytes in, intervals out); ``busy_from_files`` is the only I/O here and
reports a bad file as a problem instead of failing, so one broken export never hides the busy
time in the others.

``file_busy`` is what a cache keeps of one file (``adapters/local/filecache.py``): a file with
no repeating event is read whole, so its intervals hold for any window; a repeating one is
expanded ``EXPAND_AHEAD`` past the window, so it is parsed again about once a week while the
window slides, not on every pass. ``busy_from_files`` goes through the same function, so a
cached pass and an uncached one find the same intervals and the same problems.

What blocks: every expanded occurrence (RRULE, RDATE, EXDATE and RECURRENCE-ID overrides, via
``recurring_ical_events``, which also honours Google's ``X-WR-TIMEZONE``) of a VEVENT that is
neither ``TRANSP:TRANSPARENT`` nor ``STATUS:CANCELLED``. Timed events span ``[DTSTART, DTEND)``
(or DTSTART + DURATION; a lone DATE-TIME DTSTART is an instant, per RFC 5545). All-day events
block whole local days in ``default_tz``, DTEND exclusive (none: one day). Floating times, and
TZIDs that are neither IANA names nor defined by a VTIMEZONE, are read in ``default_tz``.

Local times follow RFC 5545 section 3.3.5, which is Python's ``fold=0``: a repeated time is its
first occurrence, a skipped time takes the UTC offset from before the gap. An occurrence's
length is the library's: wall-clock time, so a daily 01:00-03:00 lasts three real hours on a
fall-back night.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from automation.core.models import Interval
from automation.errors import UserError

# icalendar and recurring_ical_events are imported when a file is parsed: a pass whose files
# are unchanged reads them from the cache (adapters/local/filecache.py) and never needs them.
if TYPE_CHECKING:
    import icalendar

__all__ = ["FileBusy", "busy_from_files", "busy_from_ics", "file_busy"]

# What icalendar and recurring_ical_events raise on bad input (their own errors subclass
# ValueError). Caught only around parsing and expansion, never around our own code.
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)
#: A calendar export of a few years is a few MB; beyond this the file is refused with the fix.
MAX_ICS_BYTES = 20 * 1024 * 1024
#: How far past the window a file with repeating events is expanded (see the module docstring).
EXPAND_AHEAD = timedelta(days=7)
#: Wider than any real calendar: a file with no repeating event is read over all of it.
_ALL_TIME = Interval(datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


def busy_from_ics(
    data: bytes, window: Interval, default_tz: tzinfo, source: str = "",
    notes: list[str] | None = None,
) -> list[Interval]:
    """Return the busy intervals in ``data`` that overlap ``window``, in UTC, sorted.

    Intervals are not clipped to the window: each is the occurrence's real extent. A
    zero-length one (an instantaneous event) is returned when it lies in ``[start, end)`` of the
    window. Raises UserError naming ``source`` when ``data`` is not a readable iCalendar file.
    A recurring event that would expand to more than ``MAX_OCCURRENCES`` before the window
    ends (``FREQ=SECONDLY`` with no end) is left out, with a line in ``notes`` saying so.
    """
    notes = notes if notes is not None else []
    where = f"busy_ics file {source}" if source else "busy_ics data"
    return _expand(_calendars(data, where), window, default_tz, where, notes)


def _expand(calendars: list[icalendar.Calendar], window: Interval, default_tz: tzinfo,
            where: str, notes: list[str]) -> list[Interval]:
    busy: set[Interval] = set()
    # Ask the library for a day more on each side: it cannot know that floating and all-day
    # times belong to default_tz; the exact overlap test is ours, below.
    span_start = window.start.astimezone(default_tz) - timedelta(days=1)
    span_end = window.end.astimezone(default_tz) + timedelta(days=1)
    import recurring_ical_events

    for calendar in calendars:
        _drop_runaway_rules(calendar, span_end, where, notes)
        try:
            events = recurring_ical_events.of(calendar).between(span_start, span_end)
        except _PARSE_ERRORS as error:
            raise UserError(f"{where}: cannot expand its events ({_describe(error)})") from error
        for event in events:
            if _blocks(event):
                interval = _extent(event, default_tz, where)
                if _touches(interval, window):
                    busy.add(interval)
    return sorted(busy)


class FileBusy(NamedTuple):
    """What one calendar file says of busy time, as a cache keeps it.

    ``intervals`` are every blocking occurrence over ``span`` (sorted, UTC); ``span`` is None
    when nothing in the file repeats, and then they are all of the file's. ``problems`` are
    the lines a pass reports for the file (it is broken, or an event of it was left out).
    (A tuple, not a dataclass: its class costs no generated code on every run.)
    """

    intervals: tuple[Interval, ...]
    span: Interval | None
    problems: tuple[str, ...] = ()

    def covers(self, window: Interval) -> bool:
        """Whether ``within(window)`` is complete."""
        span = self.span
        return span is None or span.start <= window.start and window.end <= span.end

    def within(self, window: Interval) -> list[Interval]:
        """The intervals that overlap ``window`` (as ``busy_from_ics`` counts overlap)."""
        return [i for i in self.intervals if _touches(i, window)]

    def settled(self, window: Interval) -> bool:
        """True when nothing in the file can touch ``window`` or any window after it: no
        repeating event, and every event ended before the window starts (a past interview)."""
        return self.span is None and all(i.end < window.start for i in self.intervals)


def file_busy(data: bytes, window: Interval, default_tz: tzinfo, source: str) -> FileBusy:
    """Parse one file's ``data`` into what a cache keeps for a pass over ``window``: never
    raises; a broken file is a FileBusy with no intervals and its problem."""
    where = f"busy_ics file {source}"
    notes: list[str] = []
    try:
        calendars = _calendars(data, where)
        repeats = any(_repeats(e) for c in calendars for e in c.walk("VEVENT"))
        span = Interval(window.start, window.end + EXPAND_AHEAD) if repeats else None
        intervals = _expand(calendars, span or _ALL_TIME, default_tz, where, notes)
    except UserError as error:
        return FileBusy((), None, (f"{error}; its events are ignored until it is fixed",))
    return FileBusy(tuple(intervals), span, tuple(notes))


def _repeats(event: icalendar.cal.Component) -> bool:
    return any(name in event for name in ("RRULE", "RDATE", "EXRULE", "RECURRENCE-ID"))


def busy_from_files(
    paths: Iterable[Path], window: Interval, default_tz: tzinfo
) -> tuple[list[Interval], list[str]]:
    """Read each ``.ics`` file; return all busy intervals (sorted) and one message per bad file.

    Never raises for a single file: an unreadable or malformed file becomes a message such as
    ``"busy_ics file work.ics: not an iCalendar file (...)"`` and the others still count.
    """
    busy: list[Interval] = []
    problems: list[str] = []
    for path in paths:
        try:
            data = read_calendar_file(Path(path))
        except OSError as error:
            problems.append(unreadable(path, error))
            continue
        except UserError as error:
            problems.append(f"{error}; its events are ignored until it is fixed")
            continue
        found = file_busy(data, window, default_tz, str(path))
        busy.extend(found.within(window))
        problems.extend(found.problems)
    return sorted(set(busy)), problems


def unreadable(path: Path | str, error: OSError) -> str:
    """The problem line of a calendar file that cannot be read."""
    return (f"busy_ics file {path}: cannot read it ({error.strerror or error}); its events "
            "are ignored until it is readable")


def read_calendar_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path``, refusing what is not a regular file or is over ``limit``.

    A FIFO would block the pass and ``/dev/zero`` never ends, so the file is opened without
    blocking and checked with ``fstat`` before anything is read; at most ``limit`` + 1 bytes
    are ever read (a file may grow meanwhile).
    """
    return read_calendar_stat(path, limit)[0]


def read_calendar_stat(path: Path, limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """``read_calendar_file``, with the file's ``fstat`` taken before it was read (a cache
    keys on it: a write during the read changes the file's ctime, so it is looked at again)."""
    limit = MAX_ICS_BYTES if limit is None else limit
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"busy_ics file {path}: not a regular file; point busy_ics at an "
                            "exported .ics file")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UserError(f"busy_ics file {path}: larger than {limit // (1024 * 1024)} MB; "
                        "export a shorter range of your calendar (a few months)")
    return data, info


#: Above this, a recurring event is left out: no real calendar repeats that often.
MAX_OCCURRENCES = 20_000
_PERIOD = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 604800,
           "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400}


def _drop_runaway_rules(calendar: icalendar.Calendar, until: datetime, where: str,
                        notes: list[str]) -> None:
    """Remove the VEVENTs whose RRULE would expand to more than ``MAX_OCCURRENCES`` from
    DTSTART to ``until``: the expansion library walks every occurrence from DTSTART, so a
    208-byte ``FREQ=SECONDLY`` rule would otherwise cost minutes and gigabytes a pass."""
    for event in list(calendar.walk("VEVENT")):
        estimate = _occurrences(event, until)
        if estimate > MAX_OCCURRENCES:
            for parent in calendar.walk():
                if event in parent.subcomponents:
                    parent.subcomponents.remove(event)
            notes.append(f"{where}: event {event.get('UID', '?')} repeats too often (about "
                         f"{estimate:,} times before {until:%Y-%m-%d}); it is ignored: give "
                         "its RRULE an UNTIL or COUNT, or a coarser FREQ")


def _occurrences(event: icalendar.cal.Component, until: datetime) -> int:
    """An upper estimate of the occurrences of ``event``'s RRULEs up to ``until``."""
    rules = event.get("RRULE")
    if rules is None:
        return 1
    total = 0
    for rule in rules if isinstance(rules, list) else [rules]:
        try:
            freq = str((rule.get("FREQ") or ["DAILY"])[0]).upper()
            interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
            start = _instant(_when(event, "DTSTART"), UTC)
            end = min([until, *(_instant(u, UTC) for u in rule.get("UNTIL") or [])])
        except _PARSE_ERRORS:
            continue  # the library reports a broken rule itself
        count = max(0.0, (end - start).total_seconds()) / _PERIOD.get(freq, 86400) / interval
        for key in ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY"):
            count *= max(1, len(rule.get(key) or []))
        if rule.get("COUNT"):
            count = min(count, float(str(rule["COUNT"][0])) if str(rule["COUNT"][0]).isdigit()
                        else count)
        total += int(min(count, 10**12)) + 1
    return total


def _calendars(data: bytes, where: str) -> list[icalendar.Calendar]:
    """Parse ``data`` into its VCALENDARs (a file may hold several), or raise UserError."""
    import icalendar

    try:
        components = icalendar.Calendar.from_ical(data, multiple=True)
    except _PARSE_ERRORS as error:
        raise UserError(f"{where}: not an iCalendar file ({_describe(error)})") from error
    calendars = [c for c in components if c.name == "VCALENDAR"]
    if not calendars:
        found = ", ".join(sorted({c.name for c in components})) or "nothing"
        raise UserError(f"{where}: not an iCalendar file (found {found}, expected VCALENDAR)")
    return calendars


def _blocks(event: icalendar.cal.Component) -> bool:
    transparent = str(event.get("TRANSP", "")).strip().upper() == "TRANSPARENT"
    cancelled = str(event.get("STATUS", "")).strip().upper() == "CANCELLED"
    return not (transparent or cancelled)


def _when(event: icalendar.cal.Component, name: str) -> date | datetime:
    """The date or time of property ``name``: KeyError when absent, ValueError when it holds
    neither (a PERIOD or a DURATION where a DATE-TIME belongs)."""
    value = getattr(event[name], "dt", None)
    if not isinstance(value, date):  # a datetime is a date too
        raise ValueError(f"{name} is not a date or a date-time")
    return value


def _extent(event: icalendar.cal.Component, default_tz: tzinfo, where: str) -> Interval:
    """The occurrence's span in UTC (the library always fills in DTEND).

    The endpoints are put in order: the library itself swaps a DTEND before DTSTART, and wall
    arithmetic can invert an event set inside a spring-forward gap (02:30-03:00 reads as 03:30
    EDT to 03:00 EDT); blocking the time between the two is the useful reading of both.
    """
    try:
        start = _when(event, "DTSTART")
        end = _when(event, "DTEND") if "DTEND" in event else start
    except _PARSE_ERRORS as error:
        uid = event.get("UID", "?")
        raise UserError(f"{where}: event {uid} has a bad DTSTART or DTEND ({error})") from error
    first, last = sorted((_instant(start, default_tz), _instant(end, default_tz)))
    return Interval(first, last)


def _instant(value: date | datetime, default_tz: tzinfo) -> datetime:
    """A DATE is local midnight in ``default_tz``; a floating DATE-TIME is read there too."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=default_tz)  # fold=0: RFC 5545's reading, see above
    return value.astimezone(UTC)


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):  # the libraries raise a bare KeyError for a missing property
        return f"missing {error.args[0] if error.args else 'property'}"
    return str(error) or type(error).__name__


def _touches(interval: Interval, window: Interval) -> bool:
    if interval.start == interval.end:
        return window.start <= interval.start < window.end
    return interval.overlaps(window)
