"""Booking the ten-minute interview: the calendar event, the invitation, cancel and reschedule.

Each operation is journaled so a crash at any point finishes exactly once on the next run:

1. one transaction records an ``event`` intent (the EventSpec, the complete confirmation or
   cancellation message, what to record afterwards) and the interview row, so the slot counts
   as booked for every later offer from this moment on;
2. the event is written (``Calendar.put_event``, idempotent by UID);
3. the draft is created through ``drafting.draft_once`` under a key derived from the UID and
   SEQUENCE, so it exists once whatever happens;
4. one transaction releases the contact's holds, changes the status and marks the intent done.

``complete_pending`` (run at the start of every tick, and before each operation on a contact)
replays steps 2-4 of any unfinished intent; each step is a no-op when already done.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from zoneinfo import ZoneInfo

from automation.app.drafting import DraftRequest, draft_once, withdraw_unsent
from automation.app.invitation import (  # noqa: F401  (re-exported: booking.interview_uid, ...)
    describe,
    event_spec,
    event_title,
    interview_location,
    interview_uid,
    interview_view,
    sample_interview,
)
from automation.app.outreach import template_variables
from automation.app.ports import Calendar, DraftRef, Store
from automation.app.services import Services
from automation.app.slotchecks import check_free, make_offers, resolve, same_interval
from automation.app.threads import reply_context
from automation.config import Me
from automation.core.compose import build_message, new_message_id, render, slot_label
from automation.core.invites import attach_invite, invite_ics
from automation.core.models import Contact, Interview, MessageRow, Slot, Status
from automation.core.records import EventSpec, Intent
from automation.errors import BackendError, SlotTakenError, UserError

log = logging.getLogger(__name__)

CONFIRMATION_TEMPLATE = "confirmation.txt.j2"
CANCELLATION_TEMPLATE = "cancellation.txt.j2"


# -- composing --------------------------------------------------------------------------------

def _compose(svc: Services, contact: Contact, spec: EventSpec, method: str, kind: str,
             view: dict[str, Any], now: datetime) -> tuple[EmailMessage, str | None]:
    me = svc.config.me
    template = CONFIRMATION_TEMPLATE if kind == "confirmation" else CANCELLATION_TEMPLATE
    view["invite_attached"] = not svc.calendar.sends_invites
    rendered = render(svc.templates, template, template_variables(me, contact, interview=view))
    ctx = reply_context(svc.store, contact.id or 0, fallback_subject=rendered.subject)
    message = build_message(
        sender_name=me.name, sender=me.email, to_name=contact.display_name, to=contact.email,
        subject=ctx.subject if ctx.in_reply_to else rendered.subject, body=rendered.body,
        now=now, message_id=new_message_id(me.email),
        in_reply_to=ctx.in_reply_to, references=ctx.references)
    if not svc.calendar.sends_invites:  # Google sends the invitation itself
        attach_invite(message, invite_ics(spec, now, method), method)
    return message, ctx.thread_id


# -- the journaled operation ------------------------------------------------------------------

def _spec_json(spec: EventSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["start"], data["end"] = spec.start.isoformat(), spec.end.isoformat()
    return data


def _spec_from(data: dict[str, Any]) -> EventSpec:
    return EventSpec(**{**data, "start": datetime.fromisoformat(data["start"]),
                        "end": datetime.fromisoformat(data["end"])})


def _commit(svc: Services, contact: Contact, spec: EventSpec, *, action: str, method: str,
            kind: str, view: dict[str, Any], new_status: Status, cause: str,
            interview_status: str) -> Interview:
    """Journal, then perform, one event change with its draft (see module docstring)."""
    store, now = svc.store, svc.clock()
    message, thread_id = _compose(svc, contact, spec, method, kind, view, now)
    key = f"event:{spec.uid}:{spec.sequence}"
    payload = {
        "action": action, "spec": _spec_json(spec), "kind": kind, "thread_id": thread_id,
        "raw": base64.b64encode(message.as_bytes(policy=policy.SMTP)).decode(),
        "draft_key": f"draft:{kind}:{contact.id}:{spec.uid}:{spec.sequence}",
        "new_status": str(new_status), "cause": cause, "interview_status": interview_status,
        "release_holds": action != "cancel",
    }
    with store.transaction():
        intent = store.get_intent(key)
        if intent is None:
            intent = store.begin_intent(key, "event", contact.id, payload, now)
            store.save_interview(contact.id or 0, spec.uid, spec.start, spec.end, spec.sequence,
                                 interview_status, now)
    if intent.state == "pending":
        _perform(svc, intent)
    return store.interview_for(contact.id or 0)  # type: ignore[return-value]


def _perform(svc: Services, intent: Intent) -> None:
    """Steps 2-4 of the module docstring; each is a no-op when already done."""
    store, p = svc.store, intent.payload
    contact_id = intent.contact_id or 0
    spec = _spec_from(p["spec"])
    ref = svc.calendar.put_event(spec)
    message = BytesParser(policy=policy.default).parsebytes(base64.b64decode(p["raw"]))
    detail = {"uid": spec.uid, "sequence": spec.sequence, "start": spec.start.isoformat(),
              "status": spec.status}
    draft_once(svc, DraftRequest(contact_id=contact_id, kind=p["kind"], message=message,
                                 thread_id=p["thread_id"], cause=p["cause"], detail=detail),
               p["draft_key"])
    unsent = _withdraw_unsent_offers(svc, contact_id) if p["action"] == "book" else []
    now = svc.clock()
    with store.transaction():
        if store.get_intent(intent.key).state == "done":  # type: ignore[union-attr]
            return
        for row in unsent:  # the slots stay on record (released below): they were booked
            store.update_message(row.id, state="withdrawn",
                                 detail={**row.detail, "withdrawn_at": now.isoformat()})
            store.add_event(contact_id, now, "withdrawn", cause=UNSENT_CAUSE,
                            detail={"message_id": row.message_id, "kind": row.kind})
        store.save_interview(contact_id, spec.uid, spec.start, spec.end, spec.sequence,
                             p["interview_status"], now, event_ref=ref)
        if p["release_holds"]:
            store.release_holds(contact_id, now)
        new = Status(p["new_status"])
        flag = store.get_contact(contact_id).needs_attention or ""
        if new == Status.SCHEDULED and flag.startswith("reply needs you"):
            store.flag(contact_id, None, now)  # booking is what the unclear reply asked for
        if store.get_contact(contact_id).status != new:
            store.set_status(contact_id, new, now, cause=p["cause"], detail=detail)
        else:
            store.add_event(contact_id, now, p["action"], cause=p["cause"], detail=detail)
        store.finish_intent(intent.key, now, {"event_ref": ref})
    log.info("%s interview %s for contact %s", p["action"], spec.uid, contact_id)


UNSENT_CAUSE = "booked while the offer was never sent: the confirmation replaces it"


def unsent_offers(store: Store, contact_id: int) -> list[MessageRow]:
    """The contact's outreach and follow-up drafts the user has not sent."""
    return [m for m in store.messages_for(contact_id) if m.direction == "draft"
            and m.state == "drafted" and m.kind in ("outreach", "follow_up")]


def _withdraw_unsent_offers(svc: Services, contact_id: int) -> list[MessageRow]:
    """Booking by hand while the outreach is unsent: sending it now would offer times to
    someone already booked. Its draft is removed (idempotent); the caller records it."""
    rows = unsent_offers(svc.store, contact_id)
    for row in rows:
        svc.mailbox.delete_draft(DraftRef(row.draft_id or "", row.message_id or "",
                                          row.thread_id))
    return rows


def complete_pending(svc: Services, contact_id: int | None = None) -> list[str]:
    """Finish every booking, cancellation or reschedule a crash interrupted; returns problems.

    With ``contact_id``, only that contact's, raising instead of collecting problems.
    """
    problems = []
    for intent in svc.store.pending_intents():
        if intent.kind != "event" or (contact_id is not None and intent.contact_id != contact_id):
            continue
        try:
            _perform(svc, intent)
        except BackendError as exc:
            if contact_id is not None:
                raise
            problems.append(f"could not finish the {intent.payload['action']} of interview "
                            f"{intent.payload['spec']['uid']}: {exc}")
    return problems


# -- use cases --------------------------------------------------------------------------------

def _fresh(svc: Services, contact: Contact) -> Contact:
    complete_pending(svc, contact.id)
    contact = svc.store.get_contact(contact.id or 0)
    if contact.status in (Status.OPTED_OUT, Status.BOUNCED):
        raise UserError(f"{contact.email} is {contact.status}; nothing was booked (change the "
                        "status by hand first if that is wrong)")
    return contact


def _view_for(me: Me, contact: Contact, slot: Slot, spec: EventSpec,
              **extra: Any) -> dict[str, Any]:
    return interview_view(slot, contact.zone or me.timezone, spec.location, **extra)


def book(svc: Services, contact: Contact, *, option: int | None = None,
         at: datetime | None = None, cause: str = "booked by hand",
         offered: Sequence[Slot] | None = None) -> Interview:
    """Book offered slot ``option`` (1-based) or the aware start ``at`` for ``contact``.

    ``option`` counts in ``offered`` when given (the offer a reply answered), else in the
    contact's latest offer.

    Re-checks the time against availability, busy time, bookings and other contacts' holds;
    raises SlotTakenError listing the next free slots, creating nothing, if it is taken.
    Writes the event, drafts the confirmation (with the invite when the calendar does not send
    it), releases the contact's holds and sets ``scheduled``. Booking the slot already booked
    changes nothing; a contact booked at another time needs ``reschedule``.
    """
    contact = _fresh(svc, contact)
    slot = resolve(svc, contact, option, at, offered)
    current = svc.store.interview_for(contact.id or 0)
    if current is not None and current.status == "confirmed":
        if same_interval(current.interval, slot.interval):
            return current
        zone = svc.config.me.timezone
        raise UserError(f"{contact.email} is already booked for "
                        f"{slot_label(Slot(current.start, current.end), zone)}; move it with "
                        f"`automation reschedule {contact.email} --option N | --at TIME`")
    now = svc.clock()
    check_free(svc, contact, slot, now, offered=option is not None)
    cancelled = sum(1 for i in svc.store.interviews("cancelled") if i.contact_id == contact.id)
    spec = event_spec(svc.config, contact, slot, 0, uid=interview_uid(contact, cancelled))
    return _commit(svc, contact, spec, action="book", method="REQUEST", kind="confirmation",
                   view=_view_for(svc.config.me, contact, slot, spec), new_status=Status.SCHEDULED,
                   cause=cause, interview_status="confirmed")


def reschedule(svc: Services, contact: Contact, *, option: int | None = None,
               at: datetime | None = None, via: str = "") -> Interview:
    """Move the contact's interview: same UID, SEQUENCE+1, new times, a new REQUEST draft.
    ``via`` (e.g. "via web") is added to the cause in the timeline.

    Without ``option``/``at``, or when the offered slot picked is no longer free and the
    contact holds no live offer, fresh slots are offered (held for ``hold_days``) and a
    UserError/SlotTakenError lists them for ``--option N``.
    """
    contact = _fresh(svc, contact)
    current = svc.store.interview_for(contact.id or 0)
    if current is None or current.status != "confirmed":
        raise UserError(f"{contact.email} has no scheduled interview; book one with "
                        f"`automation book {contact.email}`")
    now = svc.clock()
    zone = svc.config.me.timezone
    if option is None and at is None:
        offers = reschedule_options(svc, contact)
        raise UserError(f"say where to move it: --at TIME, or --option N of the slots held for "
                        f"{contact.email}: {_numbered(offers, zone)}")
    slot = resolve(svc, contact, option, at)
    if same_interval(current.interval, slot.interval):
        return current
    try:
        check_free(svc, contact, slot, now, offered=option is not None)
    except SlotTakenError as exc:
        if option is None or svc.store.holds_for(contact.id or 0, now):
            raise
        offers = make_offers(svc, contact, now)
        raise SlotTakenError(f"{exc} The earlier offer has expired, so new slots are held for "
                             f"{contact.email}: {_numbered(offers, zone)}; move the interview "
                             f"with `automation reschedule {contact.email} --option N`",
                             alternatives=offers) from None
    spec = event_spec(svc.config, contact, slot, _next_sequence(svc.calendar, current), uid=current.uid)
    previous = slot_label(Slot(current.start, current.end), contact.zone or zone)
    # The unsent confirmation goes first; "moved from" only to someone who heard of the time
    # (a confirmation sent, or Google's own invitation).
    told = withdraw_unsent(svc, contact.id or 0, ("confirmation",),
                           f"the interview moved to {slot_label(slot, zone)}")
    told = told or svc.calendar.sends_invites
    view = _view_for(svc.config.me, contact, slot, spec, rescheduled=told,
                     previous_label=previous if told else "")
    return _commit(svc, contact, spec, action="reschedule", method="REQUEST",
                   kind="confirmation", view=view, new_status=Status.SCHEDULED,
                   cause=f"rescheduled from {previous}" + (f" {via}" if via else ""),
                   interview_status="confirmed")


def reschedule_options(svc: Services, contact: Contact) -> list[Slot]:
    """The slots held for moving the contact's interview: the live offer, else fresh slots
    (held for ``hold_days``, so asking twice lists the same ones)."""
    now = svc.clock()
    return svc.store.holds_for(contact.id or 0, now) or make_offers(svc, contact, now)


def _next_sequence(calendar: Calendar, current: Interview,
                   stored: EventSpec | None | bool = False) -> int:
    """SEQUENCE of an update: one more than the larger of ours and the event's (a calendar
    client or a CalDAV server may have raised the one in the file, RFC 5546 §2.1.4)."""
    if stored is False:
        stored = calendar.get_event(current.uid)
    theirs = stored.sequence if isinstance(stored, EventSpec) else -1
    return max(current.sequence, theirs) + 1


def _numbered(slots: list[Slot], zone: ZoneInfo) -> str:
    return "; ".join(f"{i}. {slot_label(s, zone)}" for i, s in enumerate(slots, 1)) or "none"


def cancel(svc: Services, contact: Contact, *, reason: str = "",
           declined: bool = False, via: str = "") -> Interview:
    """Cancel the interview: STATUS:CANCELLED, SEQUENCE+1, a METHOD:CANCEL notice drafted in
    the thread; status → ``replied`` (``declined`` with ``declined=True``). Cancelling an
    interview already cancelled changes nothing. ``via`` is added to the timeline's cause
    (never to the notice)."""
    contact = _fresh(svc, contact)
    current = svc.store.interview_for(contact.id or 0)
    if current is not None and current.status == "cancelled":
        return current
    if current is None:
        raise UserError(f"{contact.email} has no scheduled interview to cancel")
    slot = Slot(current.start, current.end)
    withdraw_unsent(svc, contact.id or 0, ("confirmation",), "the interview was cancelled")
    stored = svc.calendar.get_event(current.uid)
    fresh = event_spec(svc.config, contact, slot, current.sequence, uid=current.uid)
    # An event booked before the invitation was made private may still carry notes and
    # questions: the cancellation shows only what the contact may read.
    base = replace(stored, summary=fresh.summary, description=fresh.description) \
        if stored is not None else fresh
    spec = replace(base, status="CANCELLED", sequence=_next_sequence(svc.calendar, current, stored))
    view = _view_for(svc.config.me, contact, slot, spec, declined=declined, reason=reason)
    cause = (("declined" if declined else "cancelled") + (f": {reason}" if reason else "")
             + (f" ({via})" if via else ""))
    return _commit(svc, contact, spec, action="cancel", method="CANCEL", kind="cancellation",
                   view=view, new_status=Status.DECLINED if declined else Status.REPLIED,
                   cause=cause, interview_status="cancelled")
