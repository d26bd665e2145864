"""The slot search of a whole pass: busy time indexed once, holds added as offers are made.

Pure: no I/O and no clock reads. A pass that drafts a thousand outreach emails asks for a
thousand offers against one calendar; rebuilding every busy and held interval for each of them
costs the square of the contacts. ``SlotSearch`` keeps, between calls:

- busy and booked time as disjoint sorted spans (built once; a clearance test is a bisection);
- holds sorted by start, with their holders, so one can be added or released in place and the
  holds of the contact an offer is for can be ignored;
- each local date's load (bookings + distinct holders);
- each date's candidates, those that fit each contact's hours (contacts whose ``ContactHours``
  compare equal share them), and which of those are free. A hold made takes the candidates
  it blocks out of the free lists of the dates it can reach; a hold released makes those
  dates' lists be built again.

``find`` returns exactly what ``core.slots.find_slots`` documents for the same availability,
``now``, busy time, bookings and the holds of that moment (``tests/core/test_slot_search.py``
compares every offer of random passes with a straightforward search).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from automation.core.models import Availability, Interval, Slot
from automation.core.slotgrid import Candidate, ContactHours, SlotGrid, to_us

__all__ = ["Blocks", "SlotSearch"]

_UNSHARED = object()  # the cache key of a contact that cannot be hashed: nothing is kept
#: 2**64 / golden ratio: adding it each date visits the day evenly (Weyl sequence).
_GOLDEN_64 = 0x9E3779B97F4A7C15


class Blocks:
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


class _Holds:
    """Held spans ``(start_us, end_us, holder)`` sorted by start; insert and remove in place."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, int]] = []
        self._starts: list[int] = []
        self._longest = 0
        self.of: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)

    def add(self, start: int, end: int, holder: int) -> None:
        index = bisect_right(self._items, (start, end, holder))
        self._items.insert(index, (start, end, holder))
        self._starts.insert(index, start)
        self._longest = max(self._longest, end - start)
        self.of[holder].append((start, end))

    def remove(self, start: int, end: int, holder: int) -> bool:
        """Remove one such hold; False if there is none."""
        index = bisect_left(self._items, (start, end, holder))
        if index == len(self._items) or self._items[index] != (start, end, holder):
            return False
        del self._items[index], self._starts[index]
        self.of[holder].remove((start, end))
        return True

    def clear(self, start_us: int, end_us: int, exclude: int | None) -> bool:
        """Whether no hold of a holder other than ``exclude`` overlaps ``[start_us, end_us)``."""
        # A hold ends at most `longest` after it starts, so only those starting after
        # start_us - longest and before end_us can overlap.
        low = bisect_right(self._starts, start_us - self._longest)
        for index in range(low, bisect_left(self._starts, end_us)):
            _, end, holder = self._items[index]
            if end > start_us and holder != exclude:
                return False
        return True


class SlotSearch:
    """Offers for many contacts against one calendar at one ``now`` (see module docstring).

    Raises ValueError, as ``find_slots`` does, if ``now`` is naive or ``avail`` unusable.
    """

    def __init__(self, avail: Availability, now: datetime, busy: Sequence[Interval] = (),
                 held: Iterable[tuple[int, Interval]] = (),
                 booked: Sequence[Interval] = ()) -> None:
        self._grid = grid = SlotGrid.build(avail, now)
        self._avail = avail
        self._busy = Blocks((to_us(i.start), to_us(i.end)) for i in [*busy, *booked])
        self._holds = _Holds()
        self._booked = Counter(i.start.astimezone(avail.timezone).date() for i in booked)
        self._holders: defaultdict[date, Counter[int]] = defaultdict(Counter)
        self._days = list(grid.days())
        # Aims look at all of a date's candidates: as if the notice and horizon did not apply.
        self._whole_days = replace(grid, earliest_us=-(2**62), horizon_us=2**62)
        self._minutes: dict[object, dict[date, list[int]]] = {}
        self._all: dict[date, list[Candidate]] = {}
        self._fitting: dict[object, dict[date, list[Candidate]]] = {}
        self._free: dict[object, dict[date, list[Candidate]]] = {}
        for holder, interval in held:
            self._add(holder, to_us(interval.start), to_us(interval.end))

    def hold(self, holder: int, intervals: Iterable[Interval]) -> None:
        """Hold ``intervals`` for ``holder``: later offers to others avoid them."""
        for interval in intervals:
            self._add(holder, to_us(interval.start), to_us(interval.end))

    def release(self, holder: int, intervals: Iterable[Interval]) -> None:
        """Release those of ``intervals`` held for ``holder`` (the same instants); others are
        ignored."""
        for interval in intervals:
            start, end = to_us(interval.start), to_us(interval.end)
            if self._holds.remove(start, end, holder):
                day = self._grid.local(start).date()
                self._holders[day][holder] -= 1
                if self._holders[day][holder] <= 0:
                    del self._holders[day][holder]
                self._forget(start, end)

    def find(self, count: int | None = None, exclude_holder: int | None = None,
             contact: ContactHours | None = None, *, seed: str = "") -> list[Slot]:
        """``find_slots(avail, now, busy, held, booked, count, exclude_holder, contact,
        seed)`` with the holds of this moment (see ``core.slots.find_slots`` for the rules)."""
        avail, grid = self._avail, self._grid
        wanted = avail.offer_count if count is None else count
        if wanted <= 0:
            return []
        fitting, free_lists, minutes = self._lists(_key(contact))
        own = self._reach(self._holds.of.get(exclude_holder, ())) if exclude_holder is not None \
            else set()
        phase = _phase(seed) if avail.vary_time_of_day else None

        def free(day: date) -> list[Candidate]:
            if day in own:  # its own holds may block what is free for it: not the shared list
                return [c for c in self._fits(day, contact, fitting)
                        if self._clear(c, exclude_holder)]
            return self._free_of(day, contact, fitting, free_lists)

        chosen: list[Candidate] = []
        used: list[date] = []
        holders_of, booked, cap = self._holders, self._booked, avail.max_per_day
        # A date's load: its bookings and the other contacts holding slots on it (inline: a
        # late offer of a pass walks past many full dates).
        for day in self._days:
            holders = holders_of.get(day)
            load = booked.get(day, 0) + (len(holders) - (exclude_holder in holders)
                                         if holders else 0)
            if load >= cap:
                continue
            candidates = free(day)
            if not candidates:
                continue
            aim = None if phase is None else self._aim(day, contact, minutes, phase)
            chosen.append(_nearest(candidates, aim))
            used.append(day)
            if len(chosen) == wanted:
                break
        if len(chosen) < wanted:
            _fill([c for day in used for c in free(day)], chosen, wanted, grid)
        chosen.sort()
        return [Slot(start, grid.local(start_us + grid.length_us)) for start_us, start in chosen]

    # -- bookkeeping ---------------------------------------------------------------------------

    def _add(self, holder: int, start: int, end: int) -> None:
        self._holds.add(start, end, holder)
        self._holders[self._grid.local(start).date()][holder] += 1
        # A new hold only takes candidates away: those it blocks leave the kept free lists
        # (c is blocked when c - buffer < end and start < c + length + buffer).
        low = start - self._grid.length_us - self._grid.buffer_us
        high = end + self._grid.buffer_us
        for day in self._reach([(start, end)]):
            for lists in self._free.values():
                kept = lists.get(day)
                if kept:  # sorted by start: the blocked ones are one run, found by bisection
                    first = bisect_right(kept, low, key=_start_us)
                    stop = bisect_left(kept, high, key=_start_us)
                    if first < stop:
                        lists[day] = kept[:first] + kept[stop:]

    def _reach(self, spans: Iterable[tuple[int, int]]) -> set[date]:
        """The local dates whose candidates a span can block: a candidate ``c`` is blocked
        when ``c - buffer < end`` and ``start < c + length + buffer``."""
        grid, found = self._grid, set()
        for start, end in spans:
            day = grid.local(start - grid.length_us - grid.buffer_us).date()
            last = grid.local(end + grid.buffer_us).date()
            while day <= last:
                found.add(day)
                day += timedelta(days=1)
        return found

    def _forget(self, start: int, end: int) -> None:
        days = self._reach([(start, end)])
        for lists in self._free.values():
            for day in days:
                lists.pop(day, None)

    def _clear(self, candidate: Candidate, exclude: int | None) -> bool:
        start, end = self._grid.padded(candidate[0])
        return self._busy.clear(start, end) and self._holds.clear(start, end, exclude)

    def _lists(self, key: object) -> tuple[dict[date, list[Candidate]],
                                           dict[date, list[Candidate]], dict[date, list[int]]]:
        """The kept fitting, free and aim lists of the contacts of ``key``, looked up once per
        ``find`` (hashing a ``ContactHours`` is most of a look-up); lists of their own, kept
        for one call, for a contact that cannot be hashed."""
        if key is _UNSHARED:
            return {}, {}, {}
        return (self._fitting.setdefault(key, {}), self._free.setdefault(key, {}),
                self._minutes.setdefault(key, {}))

    def _fits(self, day: date, contact: ContactHours | None,
              lists: dict[date, list[Candidate]]) -> list[Candidate]:
        every = self._all.get(day)
        if every is None:
            every = self._all[day] = list(self._grid.day_candidates(day))
        if contact is None:
            return every
        found = lists.get(day)
        if found is None:
            found = lists[day] = [c for c in every if self._grid.fits(contact, c)]
        return found

    def _aim(self, day: date, contact: ContactHours | None, lists: dict[date, list[int]],
             phase: int) -> int | None:
        """The time of day (minutes since local midnight) the offer aims at on ``day``: the
        ``k``-th of all the date's candidates that fit ``contact``, with ``k / n`` the
        fractional part of ``hash(seed) + day.toordinal() / golden ratio``."""
        minutes = lists.get(day)
        if minutes is None:
            minutes = lists[day] = [_minute_of_day(c[1])
                                    for c in self._whole_days.day_candidates(day)
                                    if self._whole_days.fits(contact, c)]
        if not minutes:
            return None
        position = (phase + day.toordinal() * _GOLDEN_64) % 2**64
        return minutes[position * len(minutes) >> 64]

    def _free_of(self, day: date, contact: ContactHours | None,
                 fitting: dict[date, list[Candidate]],
                 lists: dict[date, list[Candidate]]) -> list[Candidate]:
        found = lists.get(day)
        if found is None:
            found = lists[day] = [c for c in self._fits(day, contact, fitting)
                                  if self._clear(c, None)]
        return found


def _key(contact: ContactHours | None) -> object:
    """Contacts that compare equal fit the same slots (``ContactHours`` is a frozen value)."""
    if contact is None:
        return None
    if not isinstance(contact, Hashable):
        return _UNSHARED
    try:
        hash(contact)
    except TypeError:
        return _UNSHARED
    return contact


def _start_us(candidate: Candidate) -> int:
    return candidate[0]


def _minute_of_day(start: datetime) -> int:
    """Minutes since local midnight on the wall clock of ``start``'s zone."""
    return start.hour * 60 + start.minute


def _phase(seed: str) -> int:
    """A real hash of ``seed`` (not Python's per-process ``hash``): every process and
    machine aims alike."""
    return int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")


def _nearest(candidates: list[Candidate], aim: int | None) -> Candidate:
    """The candidate nearest in time of day to ``aim`` (the earliest among equals; simply the
    earliest when ``aim`` is None)."""
    if aim is None:
        return candidates[0]
    # min keeps the first of equals, and candidates are in time order.
    return min(candidates, key=lambda c: abs(c[1].hour * 60 + c[1].minute - aim))


def _fill(spare: list[Candidate], chosen: list[Candidate], wanted: int, grid: SlotGrid) -> None:
    """Add ``spare`` candidates (free ones of the dates used) to ``chosen`` until ``wanted``.

    Prefers slots a buffer away from those already chosen, so the offer does not read as one
    block of time; only then settles for slots that merely do not overlap.
    """
    for gap in dict.fromkeys((grid.buffer_us, 0)):
        for candidate in spare:
            if len(chosen) >= wanted:
                return
            if all(_apart(candidate[0], us, grid.length_us, gap) for us, _ in chosen):
                chosen.append(candidate)


def _apart(first_us: int, second_us: int, length_us: int, gap_us: int) -> bool:
    """Whether two slots of ``length_us`` are at least ``gap_us`` apart (0: just no overlap);
    a slot is never apart from itself."""
    return first_us + length_us + gap_us <= second_us or second_us + length_us + gap_us <= first_us
