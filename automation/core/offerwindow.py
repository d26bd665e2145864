"""Where an offer window starts and ends, and when a hold expires: on boundaries, not minutes.

Pure: ``now`` is an argument. A pass is not an instant: it may be killed at 08:30 and run again
at 08:35, or a user may run ``automation run --once`` twice in a minute. Had the window been
``[now + min_notice_hours, now + horizon_days)`` and a hold's expiry ``now + hold_days``, those
minutes would move the edges: a slot gained or lost at either end of a nearly full window, a
hold alive for one pass and lapsed for the next, and with varied times of day a different pick
and every outcome downstream of it. So each edge is rounded to a boundary of the user's local
clock, always in the direction that keeps the promise:

- the notice cutoff *up* to the next whole hour (never an offer inside the notice period);
- the horizon end *down* to the start of a local date: offers lie on ``horizon_days`` calendar
  dates from today on;
- a hold's expiry *up* to the start of the next local date (never held shorter than promised).

Passes between the same two boundaries therefore see the same edges. Instants are integer
microseconds since the epoch here (``core.instants``): same-zone datetime arithmetic ignores
``fold`` and is wrong by an hour across a DST change.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from automation.core.instants import from_us, local_instant, to_us

__all__ = ["hold_expiry", "horizon_end", "notice_cutoff", "notice_lapses_at"]

_MINUTE_US = 60_000_000
_HOUR_US = 60 * _MINUTE_US


def notice_cutoff(now: datetime, min_notice_hours: int, tz: tzinfo) -> datetime:
    """The earliest start an offer made at ``now`` may have, in ``tz``.

    ``now + min_notice_hours`` (real time) rounded up to the first instant at which the clock in
    ``tz`` shows a whole hour (itself if it already does). With no notice (0 hours) it is
    ``now``: any slot not yet begun. Two ``now`` with no whole-hour instant between their
    ``now + min_notice_hours`` give the same cutoff, and the cutoff is never earlier than
    ``now + min_notice_hours``.
    """
    us = to_us(now)
    if min_notice_hours <= 0:
        return from_us(us, tz)
    return from_us(_next_whole_hour(us + min_notice_hours * _HOUR_US, tz), tz)


def horizon_end(now: datetime, horizon_days: int, tz: tzinfo) -> datetime:
    """The instant offers made at ``now`` must start before, in ``tz``: the start of the local
    date ``horizon_days`` after today's (in ``tz``). Offers lie on the ``horizon_days`` local
    dates from today on; the days are calendar days, so a 25-hour day of a clock change counts
    as one, and every pass of one day sees the same end."""
    today = from_us(to_us(now), tz).date()
    return local_instant(today + timedelta(days=horizon_days), time(0), tz)


def hold_expiry(now: datetime, hold_days: int, tz: tzinfo) -> datetime:
    """When holds made at ``now`` for ``hold_days`` lapse, in ``tz``: ``now + hold_days`` (real
    time) rounded up to the start of a local date in ``tz`` (itself if it is one), so a hold is
    never shorter than promised and every pass of one day gives the same expiry. With
    ``hold_days = 0`` nothing is held: the expiry is ``now`` itself."""
    us = to_us(now)
    if hold_days <= 0:
        return from_us(us, tz)
    end = from_us(us + hold_days * 24 * _HOUR_US, tz)
    start = local_instant(end.date(), time(0), tz)
    if to_us(start) == to_us(end):
        return start
    return local_instant(end.date() + timedelta(days=1), time(0), tz)


def notice_lapses_at(start: datetime, min_notice_hours: int, tz: tzinfo) -> datetime:
    """The last ``now`` at which a slot starting at ``start`` can still be offered: after it,
    ``notice_cutoff(now, ...)`` is later than ``start``. It is the latest whole hour (clock
    of ``tz``) at or before ``start``, less ``min_notice_hours``; ``start`` itself with no
    notice."""
    us = to_us(start)
    if min_notice_hours <= 0:
        return from_us(us, tz)
    return from_us(_last_whole_hour(us, tz) - min_notice_hours * _HOUR_US, tz)


def _next_whole_hour(us: int, tz: tzinfo) -> int:
    """The first instant at or after ``us`` at which the clock in ``tz`` shows ``HH:00:00``."""
    while True:
        local = from_us(us, tz)
        past = (local.minute * 60 + local.second) * 1_000_000 + local.microsecond
        if past == 0:
            return us
        # Where the clock would show the next hour if the offset held; a change of offset in
        # between (Lord Howe moves by 30 minutes) lands elsewhere, and the loop goes on.
        us += _HOUR_US - past


def _last_whole_hour(us: int, tz: tzinfo) -> int:
    """The last instant at or before ``us`` at which the clock in ``tz`` shows ``HH:00:00``."""
    while True:
        local = from_us(us, tz)
        past = (local.minute * 60 + local.second) * 1_000_000 + local.microsecond
        if past == 0:
            return us
        # Where the clock showed this hour's start if the offset held; across a change of
        # offset it shows something else, and the loop goes on from there.
        us -= past
