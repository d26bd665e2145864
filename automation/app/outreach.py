"""Outreach: for each new contact, three real slots and a personal first email as a draft."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from automation.app.employers import outreach_gate
from automation.app.ports import Store
from automation.app.services import Services
from automation.config import Me
from automation.core.models import Availability, Contact, Interval, Slot, Status
from automation.errors import TemplateError

# Drafting, composing and the slot search are imported by the functions that draft, compose
# and search: a pass with no new contact to write to (an idle one) needs none of them.
if TYPE_CHECKING:
    from email.message import EmailMessage

    from automation.app.drafting import DraftRequest
    from automation.core.compose import PassTemplates
    from automation.core.contacthours import ContactHours
    from automation.core.slotsearch import SlotSearch

log = logging.getLogger(__name__)

OUTREACH_TEMPLATE = "outreach.txt.j2"
#: Drafts journaled, created and recorded together (two transactions a batch, not a draft);
#: a crash leaves at most this many pending, found again in one look at the Drafts folder.
DRAFT_BATCH = 100


@dataclass
class FreeBusy:
    """Busy time, holds and booked interviews, read once per tick; updated as offers are made.

    ``hold`` and ``release`` keep ``held`` and the pass's slot search in step: the search
    (busy time indexed once, see ``core.slotsearch``) is built on the first offer and reused
    by every later one of the pass.
    """

    busy: list[Interval]
    held: list[tuple[int, Interval]]
    booked: list[Interval]
    problems: list[str] = field(default_factory=list)
    _search: tuple[Availability, datetime, SlotSearch] | None = field(
        default=None, repr=False, compare=False)
    _hours: dict[tuple[Availability, ZoneInfo | None], ContactHours] = field(
        default_factory=dict, repr=False, compare=False)

    def contact_hours(self, availability: Availability, contact: Contact) -> ContactHours:
        """``contact_hours`` for the contact, made once per zone in the pass (a value: the
        contacts of one zone share it, and the search their candidate lists)."""
        key = (availability, contact.zone)
        hours = self._hours.get(key)
        if hours is None:
            hours = self._hours[key] = contact_hours(availability, contact)
        return hours

    def search(self, availability: Availability, now: datetime) -> SlotSearch:
        """The pass's search for ``availability`` at ``now`` (built once, then kept)."""
        if self._search is None or self._search[:2] != (availability, now):
            from automation.core.slotsearch import SlotSearch

            built = SlotSearch(availability, now, self.busy, self.held, self.booked)
            self._search = (availability, now, built)
        return self._search[2]

    def hold(self, holder: int, slots: Sequence[Slot]) -> None:
        """Hold ``slots`` for ``holder``: no later offer of the pass gives them to another."""
        intervals = [s.interval for s in slots]
        self.held.extend((holder, i) for i in intervals)
        if self._search is not None:
            self._search[2].hold(holder, intervals)

    def release(self, holder: int, intervals: Sequence[Interval]) -> None:
        """Forget ``holder``'s holds on ``intervals`` (a refresh replaces them)."""
        gone = {(i.start.timestamp(), i.end.timestamp()) for i in intervals}
        self.held[:] = [(h, i) for h, i in self.held
                        if h != holder or (i.start.timestamp(), i.end.timestamp()) not in gone]
        if self._search is not None:
            self._search[2].release(holder, intervals)


#: Slots start after ``now`` on today's local date or later (a local day is at most 25
#: hours), so a booking that ended this long before ``now``, plus the buffer, can neither
#: block one nor count towards a day's ``max_per_day``.
BOOKED_LOOKBACK = timedelta(days=7)


def read_availability(svc: Services, now: datetime) -> FreeBusy:
    """One read of the calendar (plus every busy_ics file) covering the offer horizon."""
    horizon = svc.config.availability.horizon_days + 1
    busy, problems = svc.calendar.busy(Interval(now, now + timedelta(days=horizon)))
    return FreeBusy(busy=busy, held=svc.store.active_holds(now), booked=_booked(svc, now),
                    problems=list(problems))


def _booked(svc: Services, now: datetime) -> list[Interval]:
    """The confirmed interviews an offer made at ``now`` must avoid: not the year of past
    ones (the same offers result, ``tests/app/test_outreach_booked.py``)."""
    try:
        since = now - BOOKED_LOOKBACK - timedelta(minutes=svc.config.availability.buffer_minutes)
    except OverflowError:  # a buffer of centuries: every booking
        return [i.interval for i in svc.store.interviews("confirmed")]
    return [i.interval for i in svc.store.upcoming_interviews(since)]


def contact_hours(availability: Availability, contact: Contact) -> ContactHours:
    """The contact's working hours and holidays (``[availability] contact_hours``)."""
    from automation.core.contacthours import ContactHours

    return ContactHours.for_contact(availability, contact.zone)


def offer(availability: Availability, avail: FreeBusy, contact: Contact,
          now: datetime) -> list[Slot]:
    """Up to ``offer_count`` slots for this contact: inside the user's availability and the
    contact's working hours on their business days, never overlapping another's holds."""
    return avail.search(availability, now).find(exclude_holder=contact.id or 0,
                                                contact=avail.contact_hours(availability, contact),
                                                seed=contact.email)


def shortfall(availability: Availability, avail: FreeBusy, contact: Contact, now: datetime,
              found: int) -> str:
    """Why only ``found`` (< ``offer_count``) slots could be offered, in words the user can
    act on: the two people's hours barely overlap, or the user's calendar is full."""
    hours = avail.contact_hours(availability, contact)
    mine = avail.search(availability, now).find(exclude_holder=contact.id or 0)
    days = availability.horizon_days
    if len(mine) > found:
        offered = f"only {found} slot(s)" if found else "no slots"
        return (f"{offered} in the next {days} days inside both your hours and "
                f"theirs ({hours.describe()}); widen [availability] hours or contact_hours, "
                "or offer a time by hand")
    offered = f"only {found} free slot(s)" if found else "no free slots"
    return (f"{offered} in the next {days} days; widen [availability] "
            "or free some calendar time")


def template_variables(me: Me, contact: Contact, *, slots: Sequence[Slot] = (),
                       referrer: Contact | None = None, responsiveness: str | None = None,
                       **extra: Any) -> dict[str, Any]:
    """The variables every template sees: ``me``, ``contact``, ``referrer``, ``slots``.

    ``contact.responsiveness`` is "booster", "obligate", "curmudgeon" or "" (not known yet).

    Slots are shown in the contact's zone when known, else the user's.
    """
    from automation.core.compose import slot_views

    zone = contact.zone or me.timezone
    first = contact.first_name or (contact.name.split()[0] if contact.name else "")
    contact_view = {
        "email": contact.email, "name": contact.display_name, "first_name": first,
        "last_name": contact.last_name, "company": contact.company, "role": contact.role,
        "notes": contact.notes, "timezone": zone.key, "location": contact.location,
        "note": contact.user_note, "connection": sentence(contact.connection),
        "responsiveness": responsiveness or "",
    }
    me_view = {"name": me.name, "first_name": me.name.split()[0] if me.name else "",
               "email": me.email, "signature": me.signature or me.name, "timezone": me.zone_name,
               "exploring": me.exploring, "exploring_specifically": me.exploring_specifically}
    referrer_view = None
    if referrer is not None:
        referrer_view = {"name": referrer.display_name, "email": referrer.email,
                         "first_name": referrer.first_name or referrer.display_name.split()[0],
                         "company": referrer.company}
    return {"me": me_view, "contact": contact_view, "referrer": referrer_view,
            "slots": slot_views(list(slots), zone), **extra}


def sentence(text: str) -> str:
    """A fragment as a sentence: "we met at the PRSA mixer" → "We met at the PRSA mixer."
    (only the first letter is raised, so "PRSA" stays as written); "" stays ""."""
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def compose_outreach(svc: Services, contact: Contact, slots: list[Slot], now: datetime, *,
                     templates: PassTemplates | None = None) -> EmailMessage:
    """Render the outreach template into a message (raises TemplateError); ``templates``:
    a pass's, loaded once for all its messages."""
    from automation.core.compose import build_message, new_message_id, render

    referrer = svc.store.get_contact(contact.referred_by) if contact.referred_by else None
    rendered = render(templates or svc.templates, OUTREACH_TEMPLATE,
                      template_variables(svc.config.me, contact, slots=slots, referrer=referrer))
    me = svc.config.me
    return build_message(sender_name=me.name, sender=me.email, to_name=contact.display_name,
                         to=contact.email, subject=rendered.subject, body=rendered.body,
                         now=now, message_id=new_message_id(me.email))


def local_day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of ``now``'s day in ``zone`` (the daily cap counts local days)."""
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


@dataclass
class OutreachResult:
    drafted: list[tuple[str, str, list[Slot]]] = field(default_factory=list)  # email, subject
    flagged: list[tuple[str, str]] = field(default_factory=list)
    short: list[tuple[str, str]] = field(default_factory=list)  # email, why fewer slots
    waiting: int = 0  # new contacts waiting for a colleague at their employer (3B)
    withheld: list[str] = field(default_factory=list)  # a new database: written to before
    capped: int = 0


def run_outreach(svc: Services, now: datetime, avail: FreeBusy, *, dry_run: bool = False,
                 withheld: frozenset[str] = frozenset()) -> OutreachResult:
    """Draft outreach for new contacts, at most ``daily_outreach_cap`` a (local) day.

    A template error or a lack of free slots flags that contact and the others go on.
    Contacts with an address in ``withheld`` wait (a new database: written to before).
    ``dry_run`` composes everything and writes nothing.
    """
    store = svc.store
    batch: list[tuple[DraftRequest, str]] = []  # drafted DRAFT_BATCH at a time (draft_many)
    cap = svc.config.cadence.daily_outreach_cap
    remaining = cap - store.count_drafts_since("outreach", local_day_start(now, svc.config.me.timezone))
    gate = outreach_gate(svc, now)  # ranked employers first; one awaiting reply per employer
    result = OutreachResult(waiting=len(gate.waiting))  # those are not in gate.order
    templates = None
    for contact in gate.order:
        if _waits(contact, withheld, result):
            continue
        if remaining <= 0:
            result.capped += 1
            continue
        availability = svc.config.availability
        slots = offer(availability, avail, contact, now)
        if not slots:
            _flag(store, contact, shortfall(availability, avail, contact, now, 0), now, result,
                  dry_run)
            remaining -= 1  # it was due today; those beyond today's cap wait quietly
            continue
        if len(slots) < svc.config.availability.offer_count:
            result.short.append((contact.email, shortfall(availability, avail, contact, now,
                                                          len(slots))))
        from automation.core.mime import header_value  # imported with the first draft

        templates = templates or _pass_templates(svc)
        try:
            message = compose_outreach(svc, contact, slots, now, templates=templates)
        except TemplateError as exc:
            _flag(store, contact, f"template error: {exc}", now, result, dry_run)
            remaining -= 1
            continue
        avail.hold(contact.id or 0, slots)
        result.drafted.append((contact.email, header_value(message, "Subject"), slots))
        remaining -= 1
        if not dry_run:
            batch.append(_request(store, contact, message, slots, now))
            if len(batch) == DRAFT_BATCH:
                _draft_many(svc, batch)
                batch.clear()
    _draft_many(svc, batch)
    return result


def _pass_templates(svc: Services) -> PassTemplates:
    """The templates of this pass, loaded once (imported with the first draft)."""
    from automation.core.compose import PassTemplates

    return PassTemplates(svc.templates)


def _draft_many(svc: Services, batch: list[tuple[DraftRequest, str]]) -> None:
    """``drafting.draft_many`` of a batch; nothing to draft, nothing imported."""
    if batch:
        from automation.app.drafting import draft_many

        draft_many(svc, batch)


def _request(store: Store, contact: Contact, message: EmailMessage, slots: list[Slot],
             now: datetime) -> tuple[DraftRequest, str]:
    """The outreach draft to make for ``contact`` and its intent key (a flag the contact
    carried from an earlier pass, a template error or no slots, is cleared first)."""
    from automation.app.drafting import DraftRequest, intent_key

    if contact.needs_attention:
        store.flag(contact.id or 0, None, now)
    request = DraftRequest(contact_id=contact.id or 0, kind="outreach", message=message,
                           new_status=Status.DRAFTED, cause="outreach drafted",
                           holds=slots, detail={"slots": [s.start.isoformat() for s in slots]})
    return request, intent_key(store, contact.id or 0, "outreach")


def _waits(contact: Contact, withheld: frozenset[str], result: OutreachResult) -> bool:
    """Whether the contact, whose employer has a turn for them, still waits this pass
    (counted in ``result`` where the user is told)."""
    if withheld and {contact.email.lower(), *map(str.lower, contact.aliases)} & withheld:
        result.withheld.append(contact.email)
        return True
    # Flagged for a reason only the user can clear.
    return bool(contact.needs_attention) and not (contact.needs_attention or "").startswith(
        ("template", "no free", "no slots"))


def _flag(store: Store, contact: Contact, reason: str, now: datetime,
          result: OutreachResult, dry_run: bool) -> None:
    """Flag the contact; a flag it already carries is no change (the tick stays quiet)."""
    if contact.needs_attention == reason:
        return
    result.flagged.append((contact.email, reason))
    if not dry_run:
        store.flag(contact.id or 0, reason, now)
