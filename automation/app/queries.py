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
from automation.app.ports import ContactListing, Locks, Store
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


def contact_table(store: Store, now: datetime, status: Status | str | None = None,
                  zone: ZoneInfo = UTC_ZONE) -> list[dict[str, Any]]:
    """``contact_row`` of every contact (or of those in ``status``), in id order, from two
    queries for all of them: the rows are built straight from the store's listing (at
    10,000 contacts, building each ``Contact`` and its answers was most of the command)."""
    holds = store.live_holds_by_contact(now)
    return [_listed(c, holds.get(c.id), zone) for c in store.contact_listing(status, _ANSWERS)]


def _listed(c: ContactListing, holds: list[Slot] | None, zone: ZoneInfo) -> dict[str, Any]:
    status = _STATUSES.get(c.status) or Status(c.status)  # a dict is faster than the enum call
    first = None if c.answer_kind is None else Answer(c.answer_at, c.answer_kind)  # type: ignore[arg-type]
    return {
        "email": c.email,
        "name": c.name or display_name(c.name, c.first_name, c.last_name, c.email),
        "company": c.company,
        "role": c.role,
        "status": str(status),
        "offered_slots": [s.start.isoformat() for s in holds] if holds else [],
        "needs_attention": c.needs_attention,
        "timezone": c.timezone,
        "snoozed_until": None if c.snoozed_until is None else c.snoozed_until.isoformat(),
        "referred_by": c.referrer_email,
        "tags": list(c.tags),
        "responsiveness": first_answer_label(status, c.outreach_sent_at, first,
                                             partial(zone_calendar, c.timezone, zone)),
    }


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
