"""Keeping in touch: exchanges that were not email, the user's updates, and how each contact
answered (booster, obligate, curmudgeon).

``log_exchange`` records a call, a meeting or a message (LinkedIn, text) in the timeline; like
an email either way it restarts the check-in clock (``effects.contact_state`` counts logged
exchanges). ``add_update`` records what the user has been doing; a check-in is drafted only
with an update that contact has not yet been told (``fresh_update``), and the digest asks for
one when a check-in waits for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from automation.app.employers import calendar_of, outreach_sent_at
from automation.app.ports import Store
from automation.app.services import Services
from automation.core.models import Contact
from automation.core.responsiveness import Answer, label
from automation.errors import UserError

if TYPE_CHECKING:
    from automation.core.records import UserUpdate

LOG_KINDS = ("call", "meeting", "message")
#: ``messages.direction`` of an exchange the user logged by hand.
LOGGED = "logged"


def log_exchange(svc: Services, email: str, kind: str, text: str,
                 at: datetime | None = None) -> tuple[Contact, datetime]:
    """Record a ``kind`` exchange (call, meeting, message) with the contact ``email`` at
    ``at`` (default now); returns ``(contact, at)``. Raises UserError for an unknown address,
    an unknown kind, an empty text or a time in the future."""
    store, now = svc.store, svc.clock()
    contact = store.require_contact(email)
    if kind not in LOG_KINDS:
        raise UserError(f"--kind must be one of {', '.join(LOG_KINDS)}, not {kind!r}")
    text = " ".join(text.split())
    if not text:
        raise UserError("say what the exchange was about, e.g. \"coffee: talked portfolios\"")
    when = at or now
    if when.tzinfo is None:
        raise UserError("--at needs a time zone, e.g. 2026-12-07T15:00-05:00")
    if when > now:
        raise UserError(f"--at {when.isoformat()} is in the future; log what already happened")
    cid = contact.id or 0
    with store.transaction():
        store.add_message(contact_id=cid, kind=kind, direction=LOGGED, state="logged",
                          now=now, sent_at=when, detail={"text": text})
        store.add_event(cid, when, "logged", cause=f"{kind}: {text}",
                        detail={"kind": kind, "text": text})
    return contact, when


def add_update(svc: Services, text: str) -> UserUpdate:
    """Record what the user has been doing ("finished the epidemiology course"); the next
    check-in to each contact carries it. Raises UserError for an empty text."""
    text = " ".join(text.split())
    if not text:
        raise UserError("the update is empty; say what you have been doing, e.g. "
                        "\"I finished the data course you recommended\"")
    return svc.store.add_update(text, svc.clock())


def shared_update_ids(store: Store, contact: Contact) -> set[int]:
    """Updates already carried by a check-in draft to ``contact`` (sent or still waiting)."""
    return {int(m.detail["update_id"]) for m in store.messages_for(contact.id or 0)
            if m.kind == "check_in" and m.direction == "draft" and "update_id" in m.detail
            and m.state != "withdrawn"}


def fresh_update(store: Store, contact: Contact) -> UserUpdate | None:
    """The latest update not yet shared with ``contact``, or None."""
    updates = store.updates()
    if not updates:  # the common case, asked of every contact due a check-in on every pass
        return None
    shared = shared_update_ids(store, contact)
    fresh = [u for u in updates if u.id not in shared]
    return fresh[-1] if fresh else None


def responsiveness(store: Store, contact: Contact, user_zone: ZoneInfo) -> str | None:
    """``booster``, ``obligate``, ``curmudgeon`` or None (``core.responsiveness``), counting
    business days in the contact's zone (``user_zone`` when theirs is unknown)."""
    answers = [Answer(m.sent_at or m.created_at, m.classification or "")
               for m in store.messages_for(contact.id or 0)
               if m.direction == "inbound" and m.classification]
    return label(contact.status, outreach_sent_at(store, contact), answers,
                 calendar_of(contact, user_zone))


