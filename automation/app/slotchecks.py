"""Whether a time can be booked, and what to offer instead: the checks behind ``booking``.

A time is re-checked against availability, busy time, bookings and other contacts' holds at
the moment it is booked; when it is taken, the error lists the next free slots. Moving an
interview without a time given offers fresh slots, held like an outreach offer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from automation.app.invitation import interview_uid
from automation.app.services import Services
from automation.core.compose import slot_label
from automation.core.models import Contact, Interval, Slot, require_aware
from automation.core.offerwindow import hold_expiry
from automation.core.slots import find_slots, is_free
from automation.errors import SlotTakenError, UserError

log = logging.getLogger(__name__)

#: How many alternatives a SlotTakenError lists.
ALTERNATIVES = 3


def same_interval(a: Interval, b: Interval) -> bool:
    """The same instants, whatever the zones they are written in."""
    return a.start.timestamp() == b.start.timestamp() and a.end.timestamp() == b.end.timestamp()


def _calendar_state(svc: Services, contact: Contact, now: datetime, until: datetime
                    ) -> tuple[list[Interval], list[tuple[int, Interval]], list[Interval]]:
    """Busy, held and booked time, minus the contact's own interview (it may move)."""
    own = svc.store.interview_for(contact.id or 0)
    horizon = now + timedelta(days=svc.config.availability.horizon_days + 1)
    busy, problems = svc.calendar.busy(Interval(now, max(horizon, until)))
    for problem in problems:  # a broken busy source must not hide time: say so
        log.warning("busy time incomplete: %s", problem)
    if own is not None:
        busy = [b for b in busy if not same_interval(b, own.interval)]
    booked = [i.interval for i in svc.store.interviews("confirmed") if i.contact_id != contact.id]
    return busy, svc.store.active_holds(now), booked


def check_free(svc: Services, contact: Contact, slot: Slot, now: datetime, *,
               offered: bool) -> None:
    """Raise SlotTakenError (listing the next free slots) unless ``slot`` can be booked.

    An offered slot skips ``min_notice_hours``: the notice was given when it was offered.
    """
    avail = svc.config.availability
    check = replace(avail, min_notice_hours=0) if offered else avail
    busy, held, booked = _calendar_state(svc, contact, now, slot.end + timedelta(days=1))
    cid = contact.id
    if slot.start > now and is_free(check, now, slot.start, busy, held, booked, cid):
        return
    if slot.start <= now:
        reason = "is in the past"
    elif not is_free(check, now, slot.start, [], [], [], cid):
        reason = ("is outside your availability ([availability] days, hours, slot grid, "
                  "min_notice_hours or horizon_days)")
    else:
        reason = ("is taken (busy in your calendar, booked, held for another contact, or "
                  "max_per_day reached)")
    free = find_slots(avail, now, busy, held, booked, count=ALTERNATIVES, exclude_holder=cid,
                      seed=contact.email)
    raise SlotTakenError(_taken_message(svc.config.me.timezone, slot, reason, free),
                         alternatives=free)


def _taken_message(zone: ZoneInfo, slot: Slot, reason: str, free: list[Slot]) -> str:
    text = f"{slot_label(slot, zone)} {reason}; nothing was booked."
    if not free:
        return text + " No free slot in the next days: widen [availability] or free some time."
    options = "; ".join(f"{slot_label(s, zone)} (--at \"{s.start.astimezone(zone):%Y-%m-%d %H:%M}\")"
                        for s in free)
    return f"{text} Next free slots: {options}"


def resolve(svc: Services, contact: Contact, option: int | None, at: datetime | None,
            offered: Sequence[Slot] | None = None) -> Slot:
    """The slot ``--option N`` (in ``offered``, else the latest offer) or ``--at`` names;
    UserError when it names none."""
    if (option is None) == (at is None):
        raise UserError("give exactly one of --option N (an offered slot) or --at TIME")
    if at is not None:
        start = require_aware(at, "--at")
        return Slot(start, start + timedelta(minutes=svc.config.availability.slot_minutes))
    offered = list(offered or svc.store.offered_slots(contact.id or 0))
    zone = svc.config.me.timezone
    if not offered:
        raise UserError(f"{contact.email} has no offered slots; book a time with --at "
                        "\"YYYY-MM-DD HH:MM\"")
    if not 1 <= option <= len(offered):  # type: ignore[operator]
        listed = "; ".join(f"{i}. {slot_label(s, zone)}" for i, s in enumerate(offered, 1))
        raise UserError(f"there is no option {option}; {contact.email} was offered: {listed}")
    return offered[option - 1]  # type: ignore[operator]


def make_offers(svc: Services, contact: Contact, now: datetime) -> list[Slot]:
    """Fresh slots for the contact, held like an outreach offer (``offered_slots`` lists them)."""
    busy, held, booked = _calendar_state(svc, contact, now, now)
    slots = find_slots(svc.config.availability, now, busy, held, booked,
                       exclude_holder=contact.id, seed=contact.email)
    if slots:
        expires = hold_expiry(now, svc.config.cadence.hold_days, svc.config.availability.timezone)
        current = svc.store.interview_for(contact.id or 0)
        tag = f"reschedule:{current.uid if current else interview_uid(contact)}:" \
              f"{int(now.timestamp())}"
        svc.store.add_holds(contact.id or 0, slots, expires, tag)
    return slots
