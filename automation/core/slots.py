"""The slot engine: which interview slots can be offered, given availability and busy time.

Pure: no I/O and no clock reads (``now`` is an argument). Internally every instant is an integer
count of microseconds since the epoch, because Python compares and subtracts two datetimes that
share a tzinfo by wall-clock time, ignoring ``fold`` -- wrong by an hour across a DST change.

Terms used in the docstrings below:

- *window*: one ``(start, end)`` pair of ``Availability.hours`` on a local date whose weekday is in
  ``Availability.days``. A window boundary is the first instant the local clock shows that time:
  the earlier reading of a repeated time (fall back), the moment of the jump for a skipped time
  (spring forward). Windows with ``end <= start`` are empty.
- *candidate*: a start at local wall time ``window start + k * slot_minutes`` that exists on the
  clock (skipped times are dropped, repeated times take ``fold=0``), whose ``slot_minutes`` of
  real time end no later than the window end, with ``now + min_notice_hours <= start <
  now + horizon_days`` (both measured in real time, not wall-clock time).
- *blocking*: every busy interval, every booked interval, and every held interval whose holder is
  not ``exclude_holder``. A candidate is *free* when ``[start - buffer, end + buffer)`` overlaps
  none of them.
- *contact fit*: with ``contact`` (a ``ContactHours``), a candidate must also lie inside one of
  the contact's windows on one of their business days, in their zone (``ContactHours.fits``).
  Candidates that do not fit are not candidates at all.
- *load* of a local date: booked intervals starting that date plus the number of distinct
  non-excluded holders with a hold starting that date. A date is *eligible* while
  ``load < max_per_day``, because an offer adds one holder to every date it uses.
"""

from __future__ import annotations

import hashlib
import heapq
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from automation.core.models import Availability, Interval, Slot, require_aware
from automation.errors import UserError


class ContactHours(Protocol):
    """The contact's side of an offer (``core.contacthours.ContactHours`` implements it)."""

    def fits(self, start: datetime, end: datetime) -> bool:
        """Whether a slot ``[start, end)`` suits the contact."""
        ...


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = _EPOCH.replace(tzinfo=None)
_MICROSECOND = timedelta(microseconds=1)
_MINUTE_US = 60_000_000
_HOUR_US = 60 * _MINUTE_US
_DAY_US = 24 * _HOUR_US

__all__ = ["candidate_starts", "find_slots", "is_free", "local_instant"]


def find_slots(
    avail: Availability,
    now: datetime,
    busy: Sequence[Interval],
    held: Sequence[tuple[int, Interval]] = (),
    booked: Sequence[Interval] = (),
    count: int | None = None,
    exclude_holder: int | None = None,
    contact: ContactHours | None = None,
    seed: str = "",
) -> list[Slot]:
    """Return up to ``count`` (default ``avail.offer_count``) free slots to offer, sorted by start.

    Takes one free candidate of each eligible local date, date by date: the earliest, or with
    ``avail.vary_time_of_day`` the one nearest in local time of day (in ``avail.timezone``) to
    the date's *aim*, the earliest among equals. The aim is a pure function of ``seed`` (the
    contact's email, say) and the date (``_aim``): a position among all the date's candidates
    (as if nothing were busy and ``now`` were long past) that moves by the golden ratio of the
    day each date, so consecutive dates read e.g. 09:40, 15:10, 11:20, not 09:00 three times.
    Nothing else moves it -- not ``now``, not the other dates' picks, not which contacts were
    offered slots before -- so an offer computed again (after a crash, a minute later)
    changes only where the free time itself changed. With
    ``contact``, only candidates that also fit the contact's hours count. Only when fewer
    eligible dates have a free candidate than ``count`` does it add further free candidates from
    the dates already used, earliest first: first those at least ``buffer_minutes`` clear of the
    slots already chosen, then any that merely do not overlap them. Fewer than ``count`` slots
    come back when no more exist. Slots are in ``avail.timezone`` and last exactly
    ``slot_minutes`` of real time. A slot across a fall-back change (01:50 EDT to 01:00 EST)
    ends earlier on the wall clock than it starts, so compare slot times in UTC.

    ``held`` pairs are ``(holder_id, interval)``; the holds of ``exclude_holder`` (the contact
    the offer is for) are ignored entirely. Raises ValueError if ``now`` is naive or ``avail``
    is unusable (slot length not positive, negative buffer).
    """
    frame = _Frame.build(avail, now, contact)
    wanted = avail.offer_count if count is None else count
    if wanted <= 0:
        return []
    others = _other_holds(held, exclude_holder)
    blocks = _Blocks(_spans([*busy, *booked, *(interval for _, interval in others)]))
    loads = _day_loads(avail, booked, others)

    chosen: list[tuple[int, datetime]] = []
    used_days: list[date] = []
    for day in frame.days():
        if loads[day] >= avail.max_per_day:
            continue
        aim = _aim(frame, day, seed) if avail.vary_time_of_day else None
        pick = _nearest(frame, day, blocks, aim)
        if pick is not None:
            chosen.append(pick)
            used_days.append(day)
            if len(chosen) == wanted:
                break
    if len(chosen) < wanted:
        _fill(frame, blocks, used_days, chosen, wanted)
    chosen.sort()
    return [Slot(start, frame.local(start_us + frame.length_us)) for start_us, start in chosen]


def is_free(
    avail: Availability,
    now: datetime,
    start: datetime,
    busy: Sequence[Interval],
    held: Sequence[tuple[int, Interval]] = (),
    booked: Sequence[Interval] = (),
    exclude_holder: int | None = None,
    contact: ContactHours | None = None,
) -> bool:
    """Return whether a slot starting at ``start`` could be offered or booked right now.

    True exactly when ``start`` (any zone) is a candidate, it is free, and its local date is
    eligible -- the same test ``find_slots`` applies, so every slot it returns passes. A start
    off the slot grid (e.g. 14:05 with 10-minute slots from 14:00) is not free. ``contact``
    as in ``find_slots`` (booking a time the contact proposed passes None). Raises
    ValueError if ``now`` or ``start`` is naive.
    """
    frame = _Frame.build(avail, now, contact)
    start_us = _to_us(require_aware(start, "start"))
    day = frame.local(start_us).date()
    if day.weekday() not in avail.days:
        return False
    if all(us != start_us for us, _ in frame.day_candidates(day)):
        return False
    others = _other_holds(held, exclude_holder)
    if _day_loads(avail, booked, others)[day] >= avail.max_per_day:
        return False
    return frame.free(start_us, _Blocks(_spans([*busy, *booked, *(i for _, i in others)])))


def candidate_starts(avail: Availability, now: datetime,
                     contact: ContactHours | None = None) -> Iterator[datetime]:
    """Yield every candidate start in the horizon, in chronological order, in ``avail.timezone``.

    Busy time, holds and ``max_per_day`` are not considered; ``contact`` is (see
    ``find_slots``). Raises ValueError if ``now`` is naive.
    """
    frame = _Frame.build(avail, now, contact)
    for day in frame.days():
        for _, start in frame.day_candidates(day):
            yield start


def local_instant(day: date, clock: time, tz: tzinfo) -> datetime:
    """Return the first instant at which the clock in ``tz`` shows ``clock`` on ``day``, in ``tz``.

    A repeated time (fall back) gives its earlier reading (``fold=0``); a skipped time (spring
    forward) gives the moment the clock jumps over it, e.g. 02:30 on a night the clock goes from
    02:00 to 03:00 gives 03:00.
    """
    wall = datetime.combine(day, clock.replace(tzinfo=None))
    if _exists(wall, tz):
        return wall.replace(tzinfo=tz, fold=0)
    # Inside a gap, fold=1 applies the offset from after the jump and fold=0 the one from
    # before, so the jump lies between the two readings. Bisect for it: the clock shows less
    # than `wall` before the jump and more after it. Gaps are rare, so 32 steps cost nothing.
    low = _to_us(wall.replace(tzinfo=tz, fold=1))
    high = _to_us(wall.replace(tzinfo=tz, fold=0))
    while low < high:
        middle = (low + high) // 2
        if _from_us(middle, tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle + 1
    return _from_us(low, tz)


@dataclass(frozen=True)
class _Frame:
    """One call's fixed parameters, in microseconds, and the candidate generator."""

    avail: Availability
    earliest_us: int
    horizon_us: int
    length_us: int
    buffer_us: int
    contact: ContactHours | None = None

    @classmethod
    def build(cls, avail: Availability, now: datetime,
              contact: ContactHours | None = None) -> _Frame:
        now_us = _to_us(require_aware(now, "now"))
        if avail.slot_minutes <= 0:
            raise ValueError(f"slot_minutes must be positive, got {avail.slot_minutes}")
        if avail.buffer_minutes < 0:
            raise ValueError(f"buffer_minutes must not be negative, got {avail.buffer_minutes}")
        return cls(
            avail=avail,
            earliest_us=now_us + avail.min_notice_hours * _HOUR_US,
            horizon_us=now_us + avail.horizon_days * _DAY_US,
            length_us=avail.slot_minutes * _MINUTE_US,
            buffer_us=avail.buffer_minutes * _MINUTE_US,
            contact=contact,
        )

    def local(self, us: int) -> datetime:
        return _from_us(us, self.avail.timezone)

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

    def day_candidates(self, day: date) -> Iterator[tuple[int, datetime]]:
        """Yield ``(start_us, start)`` for the candidates on local date ``day``, in order.

        Lazy, so ``find_slots`` builds only the candidates it looks at; overlapping windows
        are merged and a start shared by two windows comes once. Candidates outside the
        contact's hours are left out.
        """
        windows = sorted(w for w in self.avail.hours if w[0] < w[1])
        previous = None
        for item in heapq.merge(*(self._window_candidates(day, w) for w in windows)):
            if item[0] != previous:
                previous = item[0]
                if self.contact is None or self.contact.fits(
                        item[1], self.local(item[0] + self.length_us)):
                    yield item

    def _window_candidates(
        self, day: date, window: tuple[time, time]
    ) -> Iterator[tuple[int, datetime]]:
        tz = self.avail.timezone
        window_end_us = _to_us(local_instant(day, window[1], tz))
        wall = datetime.combine(day, window[0].replace(tzinfo=None))
        end_wall = datetime.combine(day, window[1].replace(tzinfo=None))
        step = timedelta(minutes=self.avail.slot_minutes)
        offset_us = _steady_offset_us(wall, end_wall, tz)
        # Existing fold=0 readings grow with wall time, so starts (and ends) only grow: the
        # first slot to overrun the window or the horizon ends the walk.
        while wall < end_wall:
            if offset_us is not None or _exists(wall, tz):
                start = wall.replace(tzinfo=tz)
                start_us = _to_us(start) if offset_us is None else _naive_us(wall) - offset_us
                if start_us + self.length_us > window_end_us or start_us >= self.horizon_us:
                    return
                if start_us >= self.earliest_us:
                    yield start_us, start
            wall += step

    def free(self, start_us: int, blocks: _Blocks) -> bool:
        return blocks.clear(start_us - self.buffer_us, start_us + self.length_us + self.buffer_us)


class _Blocks:
    """Blocking time as disjoint sorted spans, so a clearance test is one bisection.

    Spans are ``(start_us, end_us)`` half-open; zero-length spans are kept and block a query
    that strictly contains them, as ``Interval.overlaps`` would.
    """

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        starts: list[int] = []
        ends: list[int] = []
        for start, end in sorted(spans):
            # Touching spans merge too; for a query of positive length that changes nothing.
            if ends and start <= ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        self._starts = starts
        self._ends = ends

    def clear(self, start_us: int, end_us: int) -> bool:
        """Return whether ``[start_us, end_us)`` overlaps no span."""
        index = bisect_right(self._ends, start_us)
        return index == len(self._ends) or self._starts[index] >= end_us


def _nearest(
    frame: _Frame, day: date, blocks: _Blocks, aim: int | None
) -> tuple[int, datetime] | None:
    """The free candidate of ``day`` nearest in time of day to ``aim`` (minutes since local
    midnight; the earliest among equals; simply the earliest when ``aim`` is None), or None."""
    best, best_gap = None, None
    for candidate in frame.day_candidates(day):
        if not frame.free(candidate[0], blocks):
            continue
        if aim is None:
            return candidate
        gap = abs(_minute_of_day(candidate[1]) - aim)
        if best_gap is None or gap < best_gap:
            best, best_gap = candidate, gap
    return best


#: 2**64 / golden ratio: adding it each date visits the day evenly (Weyl sequence).
_GOLDEN_64 = 0x9E3779B97F4A7C15


def _aim(frame: _Frame, day: date, seed: str) -> int | None:
    """The time of day (minutes since local midnight) the offer aims at on ``day``.

    The ``k``-th of the date's candidates (all of them: as if nothing were busy or held and
    the notice period and horizon did not apply) with ``k / n`` the fractional part of
    ``hash(seed) + day.toordinal() / golden ratio``. Integer arithmetic, and a real hash
    (not Python's per-process ``hash``), so every process and machine aims alike.
    """
    whole_day = replace(frame, earliest_us=-(2**62), horizon_us=2**62)
    minutes = [_minute_of_day(start) for _, start in whole_day.day_candidates(day)]
    if not minutes:
        return None
    phase = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")
    position = (phase + day.toordinal() * _GOLDEN_64) % 2**64
    return minutes[position * len(minutes) >> 64]


def _minute_of_day(start: datetime) -> int:
    """Minutes since local midnight on the wall clock of ``start``'s zone."""
    return start.hour * 60 + start.minute


def _fill(
    frame: _Frame,
    blocks: _Blocks,
    used_days: list[date],
    chosen: list[tuple[int, datetime]],
    wanted: int,
) -> None:
    """Add free candidates from ``used_days`` to ``chosen`` (in place) until ``wanted``.

    Prefers slots a buffer away from those already chosen, so the offer does not read as one
    block of time; only then settles for slots that merely do not overlap.
    """
    taken = {us for us, _ in chosen}
    spare = [
        candidate
        for day in used_days
        for candidate in frame.day_candidates(day)
        if candidate[0] not in taken and frame.free(candidate[0], blocks)
    ]
    for gap in dict.fromkeys((frame.buffer_us, 0)):
        for candidate in spare:
            if len(chosen) >= wanted:
                return
            if candidate[0] not in taken and all(
                _apart(candidate[0], us, frame.length_us, gap) for us, _ in chosen
            ):
                chosen.append(candidate)
                taken.add(candidate[0])


def _apart(first_us: int, second_us: int, length_us: int, gap_us: int) -> bool:
    """Whether two slots of ``length_us`` are at least ``gap_us`` apart (0: just no overlap)."""
    return first_us + length_us + gap_us <= second_us or second_us + length_us + gap_us <= first_us


def _other_holds(
    held: Iterable[tuple[int, Interval]], exclude_holder: int | None
) -> list[tuple[int, Interval]]:
    return [(holder, interval) for holder, interval in held if holder != exclude_holder]


def _day_loads(
    avail: Availability, booked: Iterable[Interval], others: Iterable[tuple[int, Interval]]
) -> Counter[date]:
    """Load per local date: bookings starting that date + distinct holders holding that date."""
    tz = avail.timezone
    loads: Counter[date] = Counter(interval.start.astimezone(tz).date() for interval in booked)
    holders: defaultdict[date, set[int]] = defaultdict(set)
    for holder, interval in others:
        holders[interval.start.astimezone(tz).date()].add(holder)
    for day, who in holders.items():
        loads[day] += len(who)
    return loads


def _spans(intervals: Iterable[Interval]) -> Iterator[tuple[int, int]]:
    return ((_to_us(i.start), _to_us(i.end)) for i in intervals)


def _to_us(value: datetime) -> int:
    """Microseconds since the epoch; exact, and honours ``fold`` (unlike same-zone arithmetic)."""
    return (value - _EPOCH) // _MICROSECOND


def _from_us(us: int, tz: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz)


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


def _exists(wall: datetime, tz: tzinfo) -> bool:
    """Whether naive ``wall`` is shown by the clock in ``tz`` (it is not in a spring-forward gap)."""
    shown = wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)
    return shown.replace(tzinfo=None) == wall


def parse_at(text: str, zone: ZoneInfo, what: str = "--at") -> datetime:
    """``"YYYY-MM-DD HH:MM"`` as a wall time in ``zone`` (an explicit UTC offset wins).

    A time the clock skips (spring forward) is refused; a repeated time (fall back) means its
    first occurrence.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise UserError(f"{what} {text!r} is not a time like \"2026-12-08 14:30\"") from exc
    if not 1 < parsed.year < 9999:  # beyond the calendar's last day in some zone
        raise UserError(f"{what} {text!r} is too far from today; give a time within your "
                        "[availability] horizon_days")
    if parsed.tzinfo is not None:
        return parsed
    local = parsed.replace(tzinfo=zone, fold=0)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != parsed:
        raise UserError(f"{text} does not exist in {zone.key} (the clocks jump forward then); "
                        "pick another time")
    return local
