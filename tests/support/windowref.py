"""The offer window's edges and a hold's expiry as ``core.offerwindow`` states them, done the
slow way: the user's clock read minute by minute, in UTC, with no shortcut.

Shared by the slot properties (their oracles use these edges) and the offer-window tests.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

MINUTE = timedelta(minutes=1)


def _ceil_minute(instant: datetime) -> datetime:
    whole = instant.replace(second=0, microsecond=0)
    return whole if whole == instant else whole + MINUTE


def first_minute_showing(start: datetime, tz: tzinfo, shows) -> datetime:
    """The first whole UTC minute at or after ``start`` whose reading in ``tz`` satisfies
    ``shows`` (every zone's offset is a whole number of minutes)."""
    instant = _ceil_minute(start.astimezone(UTC))
    while not shows(instant.astimezone(tz)):
        instant += MINUTE
    return instant


def date_start(day: date, tz: tzinfo) -> datetime:
    """The first instant the clock in ``tz`` shows ``day`` (a midnight the clock skips makes
    it the jump), scanning from 27 hours before the UTC midnight of that date."""
    begin = datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(hours=27)
    return first_minute_showing(begin, tz, lambda local: local.date() >= day)


def reference_cutoff(now: datetime, min_notice_hours: int, tz: tzinfo) -> datetime:
    """``now`` with no notice; else the first instant at or after ``now + min_notice_hours``
    at which the clock shows HH:00."""
    if min_notice_hours == 0:
        return now.astimezone(UTC)
    raw = now.astimezone(UTC) + timedelta(hours=min_notice_hours)
    return first_minute_showing(raw, tz, lambda local: local.minute == 0)


def reference_horizon_end(now: datetime, horizon_days: int, tz: tzinfo) -> datetime:
    """The start of the local date ``horizon_days`` after today's."""
    return date_start(now.astimezone(tz).date() + timedelta(days=horizon_days), tz)


def reference_hold_expiry(now: datetime, hold_days: int, tz: tzinfo) -> datetime:
    """``now`` with no hold; else the first start of a local date at or after ``now +
    hold_days`` days of real time."""
    if hold_days == 0:
        return now.astimezone(UTC)
    raw = now.astimezone(UTC) + timedelta(days=hold_days)
    day = raw.astimezone(tz).date()
    start = date_start(day, tz)
    return start if start == raw else date_start(day + timedelta(days=1), tz)
