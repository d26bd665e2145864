"""The read models every interface shows: plain JSON-ready dicts, built from the store.

The CLI prints them (``contacts``, ``status``, ``show`` and their ``--json``), the web
dashboard renders them; neither computes anything of its own. The dict shapes are a contract:
``--json`` prints them unchanged and scripts read their fields. None of them writes anything,
takes a lock, or touches the mailbox or the calendar.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from automation.app import newdb
from automation.app.employers import zone_calendar
from automation.app.exchanges import responsiveness
from automation.app.health import failing, template_failures
from automation.app.ports import ContactDetails, FirstAnswer, Locks, Store
from automation.app.ports.listing import ListedContact
from automation.core.businessdays import BusinessCalendar
from automation.core.models import Contact, Slot, Status, display_name
from automation.core.responsiveness import ANSWERS, Answer, first_answer_label

#: Introductions to ask each interviewee for (DESIGN.md: "the names of up to five more people").
REFERRAL_TARGET = 5
#: Business days of a contact with no zone are counted here unless the caller says otherwise.
UTC_ZONE = ZoneInfo("UTC")
_INTERVIEWED = (Status.INTERVIEWED, Status.THANKED, Status.NURTURING)
_ANSWERS = sorted(ANSWERS)  # bound in a stable order
_STATUSES = {s.value: s for s in Status}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def contact_row(store: Store, contact: Contact, now: datetime,
                zone: ZoneInfo = UTC_ZONE) -> dict[str, Any]:
    """One row of the contact table (``contacts --json``): email, name, company, role, status,
    offered_slots (ISO starts of the live holds at ``now``), needs_attention, timezone,
    snoozed_until, referred_by (the referrer's email), tags and responsiveness ("booster",
    "obligate", "curmudgeon" or None; business days in the contact's zone, else ``zone``)."""
    return _row(contact, store.holds_for(contact.id or 0, now),
                store.get_contact(contact.referred_by).email if contact.referred_by else None,
                responsiveness(store, contact, zone))


def _row(contact: Contact, holds: list[Slot], referrer: str | None,
         responsive: str | None) -> dict[str, Any]:
    return {
        "email": contact.email,
        "name": contact.display_name,
        "company": contact.company,
        "role": contact.role,
        "status": str(contact.status),
        "offered_slots": [s.start.isoformat() for s in holds],
        "needs_attention": contact.needs_attention,
        "timezone": contact.timezone,
        "snoozed_until": _iso(contact.snoozed_until),
        "referred_by": referrer,
        "tags": list(contact.tags),
        "responsiveness": responsive,
    }


#: The fields of a ``contact_row``, in order: ``contact_values`` gives rows as tuples of them.
CONTACT_FIELDS = ("email", "name", "company", "role", "status", "offered_slots",
                  "needs_attention", "timezone", "snoozed_until", "referred_by", "tags",
                  "responsiveness")


def contact_table(store: Store, now: datetime, status: Status | str | None = None,
                  zone: ZoneInfo = UTC_ZONE) -> list[dict[str, Any]]:
    """``contact_row`` of every contact (or of those in ``status``), in id order."""
    return [dict(zip(CONTACT_FIELDS, values, strict=True))
            for values in contact_values(store, now, status, zone)]


def contact_values(store: Store, now: datetime, status: Status | str | None = None,
                   zone: ZoneInfo = UTC_ZONE) -> list[tuple[Any, ...]]:
    """``contact_table`` as tuples of each row's values in ``CONTACT_FIELDS`` order (what
    ``contacts --json`` formats), from a few set-based reads for all contacts.

    Most contacts have no hold, no answer and none of the sparse details; their row is their
    listed columns and constants (at 10,000 contacts, building each ``Contact`` and its answers
    was most of the command, then a dict and a label computed per contact a third of it)."""
    holds = store.live_holds_by_contact(now)
    listing = store.contact_listing(status, _ANSWERS)
    details, answers = listing.details, listing.answers
    rows: list[tuple[Any, ...]] = []
    for row in listing.rows:
        cid, email, name, company, role, state, timezone = row
        if cid in details or cid in answers or cid in holds or state not in _UNANSWERED:
            rows.append(_detailed(row, details.get(cid, _NO_DETAILS), answers.get(cid),
                                  holds.get(cid), zone))
        else:  # its name is set: the details hold the name parts of each empty name
            rows.append((email, name, company, role, state, [], None, timezone, None, None, [],
                         _UNANSWERED[state]))
    return rows


def _detailed(row: ListedContact, details: ContactDetails, answer: FirstAnswer | None,
              holds: list[Slot] | None, zone: ZoneInfo) -> tuple[Any, ...]:
    _, email, name, company, role, state, timezone = row
    status = _STATUSES.get(state) or Status(state)  # a dict is faster than the enum call
    sent = None if answer is None else answer.outreach_sent_at
    first = None if answer is None else Answer(answer.at, answer.kind)
    return (email, name or display_name(name, details.first_name, details.last_name, email),
            company, role, str(status), [s.start.isoformat() for s in holds] if holds else [],
            details.needs_attention, timezone,
            None if details.snoozed_until is None else details.snoozed_until.isoformat(),
            details.referrer_email, list(details.tags),
            first_answer_label(status, sent, first, partial(zone_calendar, timezone, zone)))


def _no_calendar() -> BusinessCalendar:
    raise AssertionError("a contact without an answer needs no business days")


#: The responsiveness label of a contact without an answer, by status value.
_UNANSWERED = {s.value: first_answer_label(s, None, None, _no_calendar) for s in Status}
_NO_DETAILS = ContactDetails("", "", None, None, None, ())


def referral_yield(store: Store, now: datetime) -> dict[str, Any]:
    """Interviews held by ``now``, the referrals their interviewees gave, and the ratio:
    ``{"interviews", "referrals", "per_interview", "target"}`` (``per_interview`` is 0.0
    before the first interview)."""
    held = set(store.ids_in([str(s) for s in _INTERVIEWED]))
    held |= set(store.interviewed_ids(now))
    referrals = sum(n for referrer, n in store.referral_counts().items() if referrer in held)
    return {"interviews": len(held), "referrals": referrals,
            "per_interview": round(referrals / len(held), 2) if held else 0.0,
            "target": REFERRAL_TARGET}


def pipeline_status(store: Store, locks: Locks, now: datetime) -> dict[str, Any]:
    """What ``status --json`` prints: ``counts`` (every status name, zeros included, in
    pipeline order), ``total``, ``needs_attention`` (email and reason of each flagged contact),
    ``last_tick`` (its times as ISO strings, or None), ``daemon`` (running, pid), ``failing``
    (what fails now, each with its fix), ``referrals`` (``referral_yield``) and ``unmatched``
    (bounces and auto-replies of the last two weeks that matched no contact: at, kind, subject,
    from, reason; newest first)."""
    # Here, not at the top: app.reports brings the mail classifiers (dateparser), which
    # ``contacts --json`` must not pay for at start-up.
    from automation.app.reports import UNMATCHED_SHOWN, unmatched

    counts = store.status_counts()
    attention = [{"email": c.email, "reason": c.needs_attention}
                 for c in store.flagged_contacts()]
    snoozed = [{"email": c.email, "until": c.snoozed_until.isoformat()}
               for c in store.snoozed_contacts(now) if c.snoozed_until]
    last = store.last_tick()
    if last:
        last = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in last.items()}
    return {"counts": {s.value: counts.get(s.value, 0) for s in Status},
            "total": sum(counts.values()), "needs_attention": attention, "snoozed": snoozed,
            "last_tick": last,
            "daemon": locks.daemon_status(),
            "failing": newdb.failures(store) + failing(store) + template_failures(store),
            "referrals": referral_yield(store, now),
            "unmatched": unmatched(store, since=now - UNMATCHED_SHOWN)}


def contact_story(store: Store, email: str, now: datetime, zone: ZoneInfo = UTC_ZONE) -> dict[str, Any]:
    """The whole story of one contact (``show --json``): the ``contact_row`` fields plus names,
    notes, aliases, dates, the latest offer, the interview, referrals both ways, the timeline
    and every tracked message. Raises UserError when no contact has address ``email``."""
    contact = store.require_contact(email)
    cid = contact.id or 0
    data = contact_row(store, contact, now, zone)
    interview = store.interview_for(cid)
    data.update({
        "first_name": contact.first_name, "last_name": contact.last_name,
        "notes": contact.notes, "note": contact.user_note, "connection": contact.connection,
        "aliases": list(contact.aliases),
        "created_at": _iso(contact.created_at), "status_changed_at": _iso(contact.status_changed_at),
        "offered": [{"option": i, "start": s.start.isoformat(), "end": s.end.isoformat()}
                    for i, s in enumerate(store.offered_slots(cid), 1)],
        "interview": None if interview is None else {
            "uid": interview.uid, "start": interview.start.isoformat(),
            "end": interview.end.isoformat(), "status": interview.status,
            "attendee_status": interview.attendee_status},
        "referrals": {
            "referred_by": data["referred_by"],
            "introduced": [store.get_contact(i).email for i in store.referrals_by(cid)]},
        "timeline": [{"at": e.at.isoformat(), "event": e.event, "old_status": e.old_status,
                      "new_status": e.new_status, "cause": e.cause,
                      "message_id": e.detail.get("message_id"), "detail": e.detail}
                     for e in store.timeline(cid)],
        "messages": [{"kind": m.kind, "direction": m.direction, "state": m.state,
                      "message_id": m.message_id, "subject": m.subject,
                      "created_at": m.created_at.isoformat(), "sent_at": _iso(m.sent_at),
                      "classification": m.classification} for m in store.messages_for(cid)],
    })
    return data
