"""The slot offer as ``find_slots``'s docstring states it, done the straightforward way.

A reference for the incremental search (``core.slotsearch.SlotSearch``): every candidate of the
horizon comes from the public ``candidate_starts``; every blocking interval is compared with
every candidate one by one, in UTC; loads are counted from the lists each time. Nothing is
indexed, cached or kept between calls, so nothing can go stale -- which is what the
incremental search must match exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from hashlib import blake2b

from automation.core.models import Availability, Interval, Slot
from automation.core.slots import ContactHours, candidate_starts


def reference_find_slots(
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
    """What ``find_slots`` returns for the same arguments (see its docstring for the rules)."""
    tz = avail.timezone
    candidates = list(candidate_starts(avail, now, contact))  # validates avail and now
    wanted = avail.offer_count if count is None else count
    if wanted <= 0:
        return []
    length = timedelta(minutes=avail.slot_minutes)
    buffer = timedelta(minutes=avail.buffer_minutes)
    others = [(h, i) for h, i in held if h != exclude_holder]
    blocking = [(_utc(i.start), _utc(i.end)) for i in [*busy, *booked, *(i for _, i in others)]]

    def free(start: datetime) -> bool:
        first, last = _utc(start) - buffer, _utc(start) + length + buffer
        return not any(b_start < last and first < b_end for b_start, b_end in blocking)

    def load(day: date) -> int:
        bookings = sum(1 for b in booked if b.start.astimezone(tz).date() == day)
        holders = {h for h, i in others if i.start.astimezone(tz).date() == day}
        return bookings + len(holders)

    by_day: dict[date, list[datetime]] = {}
    for start in candidates:
        by_day.setdefault(start.astimezone(tz).date(), []).append(start)
    free_of = {day: [s for s in starts if free(s)] for day, starts in by_day.items()}

    chosen: list[datetime] = []
    used: list[date] = []
    for day in sorted(by_day):
        if load(day) >= avail.max_per_day or not free_of[day]:
            continue
        aim = _aim(avail, day, contact, seed) if avail.vary_time_of_day else None
        chosen.append(free_of[day][0] if aim is None else
                      min(free_of[day], key=lambda s: abs(_minute(s) - aim)))  # first of equals
        used.append(day)
        if len(chosen) == wanted:
            break
    spare = [s for day in used for s in free_of[day]]
    for gap in dict.fromkeys((buffer, timedelta(0))):
        for start in spare:
            if len(chosen) < wanted and all(_apart(start, c, length, gap) for c in chosen):
                chosen.append(start)
    chosen.sort(key=_utc)
    return [Slot(s, (_utc(s) + length).astimezone(tz)) for s in chosen]


def _minute(start: datetime) -> int:
    return start.hour * 60 + start.minute


def _aim(avail: Availability, day: date, contact: ContactHours | None,
         seed: str) -> int | None:
    """The date's aim as ``find_slots`` states it: the ``k``-th of all the date's candidates
    (notice and horizon aside) that fit the contact, ``k / n`` the fractional part of
    ``blake2b(seed) / 2**64 + day.toordinal() / golden ratio``."""
    tz = avail.timezone
    whole = replace(avail, min_notice_hours=0, horizon_days=3)
    midnight = datetime.combine(day, time(0), tzinfo=tz) - timedelta(days=1)
    minutes = [_minute(s) for s in candidate_starts(whole, midnight, contact)
               if s.date() == day]
    if not minutes:
        return None
    phase = Fraction(int.from_bytes(blake2b(seed.encode(), digest_size=8).digest(), "big"),
                     2**64)
    # 2**64 / golden ratio, as an integer: the rule's own constant.
    step = Fraction(0x9E3779B97F4A7C15, 2**64)
    where = (phase + day.toordinal() * step) % 1
    return minutes[int(where * len(minutes))]


def _apart(a: datetime, b: datetime, length: timedelta, gap: timedelta) -> bool:
    """Two distinct slots at least ``gap`` apart (a slot is never apart from itself)."""
    a, b = _utc(a), _utc(b)
    return a + length + gap <= b or b + length + gap <= a


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def offer_key(slots: Sequence[Slot]) -> list[tuple[str, str]]:
    """Slots as ISO strings with their offsets: equal keys are the same instants shown the same
    way (``==`` on datetimes of one zone compares wall times and ignores ``fold``)."""
    return [(s.start.isoformat(), s.end.isoformat()) for s in slots]
