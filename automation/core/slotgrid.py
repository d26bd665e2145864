"""The slot grid: the candidate starts of each local date, with instants as integers.

Pure. Every instant here is an integer count of microseconds since the epoch
(``core.instants``), because Python compares and subtracts two datetimes that share a tzinfo
by wall-clock time, ignoring ``fold`` -- wrong by an hour across a DST change. The terms
(*window*, *candidate*) are those of ``core.slots``; the window's edges are those of
``core.offerwindow`` (on clock boundaries, so passes minutes apart see the same candidates).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol

from automation.core.instants import exists, from_us, local_instant, to_us
from automation.core.models import Availability, require_aware
from automation.core.offerwindow import horizon_end, notice_cutoff

_NAIVE_EPOCH = datetime(1970, 1, 1, tzinfo=UTC).replace(tzinfo=None)
_MICROSECOND = timedelta(microseconds=1)
MINUTE_US = 60_000_000

#: One candidate: its start in microseconds and as an aware datetime in the user's zone.
Candidate = tuple[int, datetime]

__all__ = ["Candidate", "ContactHours", "SlotGrid", "from_us", "local_instant", "to_us"]


class ContactHours(Protocol):
    """The contact's side of an offer (``core.contacthours.ContactHours`` implements it)."""

    def fits(self, start: datetime, end: datetime) -> bool:
        """Whether a slot ``[start, end)`` suits the contact."""
        ...


@dataclass(frozen=True)
class SlotGrid:
    """One search's fixed parameters, in microseconds, and the candidate generator."""

    avail: Availability
    earliest_us: int
    horizon_us: int
    length_us: int
    buffer_us: int

    @classmethod
    def build(cls, avail: Availability, now: datetime) -> SlotGrid:
        """Raises ValueError if ``now`` is naive or ``avail`` unusable (slot length not
        positive, negative buffer)."""
        require_aware(now, "now")
        if avail.slot_minutes <= 0:
            raise ValueError(f"slot_minutes must be positive, got {avail.slot_minutes}")
        if avail.buffer_minutes < 0:
            raise ValueError(f"buffer_minutes must not be negative, got {avail.buffer_minutes}")
        return cls(
            avail=avail,
            earliest_us=to_us(notice_cutoff(now, avail.min_notice_hours, avail.timezone)),
            horizon_us=to_us(horizon_end(now, avail.horizon_days, avail.timezone)),
            length_us=avail.slot_minutes * MINUTE_US,
            buffer_us=avail.buffer_minutes * MINUTE_US,
        )

    def local(self, us: int) -> datetime:
        return from_us(us, self.avail.timezone)

    def days(self) -> Iterator[date]:
        """Local dates that may hold candidates, in order."""
        if self.earliest_us >= self.horizon_us:
            return
        day = self.local(self.earliest_us).date()
        last = self.local(self.horizon_us - 1).date()
        while day <= last:
            if day.weekday() in self.avail.days:
                yield day
            day += timedelta(days=1)

    def fits(self, contact: ContactHours | None, candidate: Candidate) -> bool:
        """Whether the slot starting at ``candidate`` suits ``contact`` (always, for None)."""
        return contact is None or contact.fits(candidate[1],
                                               self.local(candidate[0] + self.length_us))

    def day_candidates(self, day: date) -> Iterator[Candidate]:
        """Yield the candidates on local date ``day``, in order (the contact not considered).

        Lazy, so a caller builds only the candidates it looks at; overlapping windows are
        merged and a start shared by two windows comes once.
        """
        windows = sorted(w for w in self.avail.hours if w[0] < w[1])
        previous = None
        for item in heapq.merge(*(self._window_candidates(day, w) for w in windows)):
            if item[0] != previous:
                previous = item[0]
                yield item

    def _window_candidates(self, day: date, window: tuple[time, time]) -> Iterator[Candidate]:
        tz = self.avail.timezone
        window_end_us = to_us(local_instant(day, window[1], tz))
        wall = datetime.combine(day, window[0].replace(tzinfo=None))
        end_wall = datetime.combine(day, window[1].replace(tzinfo=None))
        step = timedelta(minutes=self.avail.slot_minutes)
        offset_us = _steady_offset_us(wall, end_wall, tz)
        # Existing fold=0 readings grow with wall time, so starts (and ends) only grow: the
        # first slot to overrun the window or the horizon ends the walk.
        while wall < end_wall:
            if offset_us is not None or exists(wall, tz):
                start = wall.replace(tzinfo=tz)
                start_us = to_us(start) if offset_us is None else _naive_us(wall) - offset_us
                if start_us + self.length_us > window_end_us or start_us >= self.horizon_us:
                    return
                if start_us >= self.earliest_us:
                    yield start_us, start
            wall += step

    def padded(self, start_us: int) -> tuple[int, int]:
        """The time a slot starting at ``start_us`` needs clear: itself plus the buffers."""
        return start_us - self.buffer_us, start_us + self.length_us + self.buffer_us


def _naive_us(wall: datetime) -> int:
    return (wall - _NAIVE_EPOCH) // _MICROSECOND


def _steady_offset_us(first: datetime, last: datetime, tz: tzinfo) -> int | None:
    """The UTC offset of ``tz`` over naive ``[first, last]``, or None if it may change there.

    Both readings of both ends agreeing means no transition at either end; two transitions
    inside one window of a day do not happen, so every wall time between maps by this offset.
    This fast path skips two zone conversions per candidate on all but a few days a year.
    """
    offsets = {
        wall.replace(tzinfo=tz, fold=fold).utcoffset() for wall in (first, last) for fold in (0, 1)
    }
    if len(offsets) != 1:
        return None
    offset = offsets.pop()
    return None if offset is None else offset // _MICROSECOND
