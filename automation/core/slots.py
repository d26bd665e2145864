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
  real time end no later than the window end, with ``cutoff <= start < horizon`` where
  ``cutoff = notice_cutoff(now, min_notice_hours, zone)`` (``now + min_notice_hours`` of real
  time, rounded up to the next whole hour of the user's clock) and ``horizon =
  horizon_end(now, horizon_days, zone)`` (``now + horizon_days`` rounded down to the start of
  a local date): see ``core.offerwindow``. So passes minutes apart offer the same slots.
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

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from automation.core.models import Availability, Interval, Slot, require_aware
from automation.core.slotgrid import ContactHours, SlotGrid, local_instant, to_us
from automation.core.slotsearch import Blocks, SlotSearch
from automation.errors import UserError

__all__ = ["ContactHours", "SlotSearch", "candidate_starts", "find_slots", "is_free",
           "local_instant", "parse_at"]


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
    search = SlotSearch(avail, now, busy, held, booked)
    return search.find(count, exclude_holder, contact, seed=seed)


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
    grid = SlotGrid.build(avail, now)
    start_us = to_us(require_aware(start, "start"))
    day = grid.local(start_us).date()
    if day.weekday() not in avail.days:
        return False
    candidate = next((c for c in grid.day_candidates(day) if c[0] == start_us), None)
    if candidate is None or not grid.fits(contact, candidate):
        return False
    others = [(h, i) for h, i in held if h != exclude_holder]
    tz = avail.timezone
    load = sum(1 for i in booked if i.start.astimezone(tz).date() == day)
    load += len({h for h, i in others if i.start.astimezone(tz).date() == day})
    if load >= avail.max_per_day:
        return False
    blocks = Blocks((to_us(i.start), to_us(i.end)) for i in [*busy, *booked, *(i for _, i in others)])
    return blocks.clear(*grid.padded(start_us))


def candidate_starts(avail: Availability, now: datetime,
                     contact: ContactHours | None = None) -> Iterator[datetime]:
    """Yield every candidate start in the horizon, in chronological order, in ``avail.timezone``.

    Busy time, holds and ``max_per_day`` are not considered; ``contact`` is (see
    ``find_slots``). Raises ValueError if ``now`` is naive.
    """
    grid = SlotGrid.build(avail, now)
    for day in grid.days():
        for candidate in grid.day_candidates(day):
            if grid.fits(contact, candidate):
                yield candidate[1]


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
