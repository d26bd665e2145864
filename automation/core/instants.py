"""Instants as integers, and the first instant a local clock shows a time.

Pure. Python compares and subtracts two datetimes that share a tzinfo by wall-clock time,
ignoring ``fold`` -- wrong by an hour across a DST change -- so the slot engine and the offer
window count instants as integer microseconds since the epoch and convert at the edges.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

__all__ = ["exists", "from_us", "local_instant", "to_us"]


def local_instant(day: date, clock: time, tz: tzinfo) -> datetime:
    """Return the first instant at which the clock in ``tz`` shows ``clock`` on ``day``, in ``tz``.

    A repeated time (fall back) gives its earlier reading (``fold=0``); a skipped time (spring
    forward) gives the moment the clock jumps over it, e.g. 02:30 on a night the clock goes from
    02:00 to 03:00 gives 03:00.
    """
    wall = datetime.combine(day, clock.replace(tzinfo=None))
    if exists(wall, tz):
        return wall.replace(tzinfo=tz, fold=0)
    # Inside a gap, fold=1 applies the offset from after the jump and fold=0 the one from
    # before, so the jump lies between the two readings. Bisect for it: the clock shows less
    # than `wall` before the jump and more after it. Gaps are rare, so 32 steps cost nothing.
    low = to_us(wall.replace(tzinfo=tz, fold=1))
    high = to_us(wall.replace(tzinfo=tz, fold=0))
    while low < high:
        middle = (low + high) // 2
        if from_us(middle, tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle + 1
    return from_us(low, tz)


def to_us(value: datetime) -> int:
    """Microseconds since the epoch; exact, and honours ``fold`` (unlike same-zone arithmetic)."""
    return (value - _EPOCH) // _MICROSECOND


def from_us(us: int, tz: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz)


def exists(wall: datetime, tz: tzinfo) -> bool:
    """Whether naive ``wall`` is shown by the clock in ``tz`` (it is not in a spring-forward gap)."""
    shown = wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)
    return shown.replace(tzinfo=None) == wall
