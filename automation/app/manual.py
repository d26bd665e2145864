"""The user's own actions on one contact: mark a status, note something, record a referral.

Every interface (the CLI, the web dashboard) calls these; each is one transaction recorded in
the contact's timeline with its cause, and a UserError says what to do when the input is wrong.
"""

from __future__ import annotations

from automation.app.effects import delete_draft, record_withdrawal
from automation.app.services import Services
from automation.core.importers import normalise_email
from automation.core.models import TERMINAL, Contact, Status
from automation.core.records import ContactRecord
from automation.errors import UserError


def mark(svc: Services, email: str, new: Status, reason: str = "") -> list[str]:
    """Set the status of the contact ``email`` to ``new`` by hand and clear its
    needs_attention flag; the timeline records "marked by hand[: reason]".

    Marking a terminal status (declined, no_response, bounced, opted_out) also withdraws every
    unsent draft to them (deleted from the mailbox first, so a failing mailbox raises
    BackendError and nothing is recorded) and releases their held slots. Returns the
    Message-IDs of the drafts withdrawn. Raises UserError for an unknown address.
    """
    store, now = svc.store, svc.clock()
    contact = store.require_contact(email)
    cid = contact.id or 0
    pending = [m for m in store.messages_for(cid) if m.direction == "draft"
               and m.state == "drafted"] if new in TERMINAL else []
    for m in pending:
        delete_draft(store, svc.mailbox, m.message_id or "")
    cause = f"marked by hand: {reason}" if reason else "marked by hand"
    with store.transaction():
        if contact.status != new:
            store.set_status(cid, new, now, cause=cause)
        else:
            store.add_event(cid, now, "mark", cause=cause)
        if contact.needs_attention:
            store.flag(cid, None, now)
        for m in pending:
            record_withdrawal(store, cid, m.message_id or "", m.kind, cause, now)
        if new in TERMINAL:
            store.release_holds(cid, now)
    return [m.message_id or "" for m in pending]


def note(svc: Services, email: str, text: str, *, via: str = "") -> tuple[Contact, str]:
    """Keep ``text`` (whitespace collapsed) as the user's note on the contact ``email`` (the
    thank-you thanks them for it); returns ``(contact, note)``. ``via`` (e.g. "via web") is
    added to the timeline's cause. Raises UserError for an unknown address or an empty note."""
    store, now = svc.store, svc.clock()
    contact = store.require_contact(email)
    text = " ".join(text.split())
    if not text:
        raise UserError("the note is empty; say what to thank them for, e.g. "
                        "\"the advice on portfolios\"")
    with store.transaction():
        store.update_contact(contact.id or 0, now, user_note=text)
        store.add_event(contact.id or 0, now, "note", cause=f"{text} ({via})" if via else text)
    return contact, text


def set_connection(svc: Services, email: str, text: str) -> tuple[Contact, str]:
    """Keep ``text`` (whitespace collapsed) as how the user knows of the contact ``email``
    ("we met at the PRSA mixer"): the outreach opens with it. Returns ``(contact, text)``.
    Raises UserError for an unknown address or an empty text."""
    store, now = svc.store, svc.clock()
    contact = store.require_contact(email)
    text = " ".join(text.split())
    if not text:
        raise UserError("the connection is empty; say how you know of them, e.g. "
                        "\"we met at the PRSA mixer\"")
    with store.transaction():
        store.update_contact(contact.id or 0, now, connection=text)
        store.add_event(contact.id or 0, now, "connection", cause=text)
    return contact, text


def refer(svc: Services, referrer_email: str, *, name: str, email: str, company: str = "",
          role: str = "", notes: str = "", via: str = "") -> tuple[Contact, bool]:
    """Record that the contact ``referrer_email`` introduced ``email``: the new person is
    created (or an existing contact linked) with the referrer, and the outreach to them names
    the referrer. Returns ``(contact, created)``; ``via`` is added to the timeline's causes.
    Raises UserError for an unknown referrer, an address that is not one, or the referrer's
    own address."""
    store, now = svc.store, svc.clock()
    referrer = store.require_contact(referrer_email)
    address = normalise_email(email)
    if address is None:
        raise UserError(f"--email {email!r} is not an email address")
    existing = store.find_contact(address)
    if existing is not None and existing.id == referrer.id:
        raise UserError(f"{address} is {referrer.email} themselves; give the new person's address")
    first, _, last = " ".join(name.split()).partition(" ")
    record = ContactRecord(email=address, line=0, name=" ".join(name.split()), first_name=first,
                           last_name=last, company=company, role=role, notes=notes)
    suffix = f" ({via})" if via else ""
    with store.transaction():
        contact, created = store.upsert_contact(record, now, referred_by=referrer.id)
        store.add_referral(referrer.id or 0, contact.id or 0, now)
        store.add_event(contact.id or 0, now, "referred",
                        cause=f"introduced by {referrer.email}{suffix}")
        store.add_event(referrer.id or 0, now, "referral", cause=f"introduced {address}{suffix}",
                        detail={"referred": address})
        if referrer.needs_attention and address in referrer.needs_attention:
            store.flag(referrer.id or 0, None, now)  # the suggested person is now recorded
    return contact, created
