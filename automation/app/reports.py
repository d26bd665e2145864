"""Tie a delivery report to the contact it is about when no header or recipient line does.

A report is about a contact when it quotes the Message-ID of one of our messages to them (the
returned headers or the quoted original), or, failing that, when its text names the address of
a contact we wrote to recently. Only those contacts can be hit: an address that merely appears
in a report (the user's own, a relay's, a stranger's) changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from automation.app.ports import MailItem, Store
from automation.app.services import Services
from automation.core.models import Contact
from automation.core.redact import redact
from automation.core.replykinds import Kind

# The bounce reader and core.mailsafe (the email package under them) are imported when a
# message is read: a pass with no new mail reads none.
if TYPE_CHECKING:
    from email.message import EmailMessage

RECENT = timedelta(days=60)  # bounces come within days; a quarter is generous
UNMATCHED_SHOWN = timedelta(days=14)  # how far back ``status`` lists unmatched messages


def by_report(store: Store, msg: EmailMessage, now: datetime) -> tuple[Contact | None, str]:
    """The contact the report concerns and how it was found (``''`` when none)."""
    from automation.core import bounces

    text = bounces.report_text(msg)
    for mid in bounces.returned_message_ids(msg, text):
        row = store.message_by_id(mid)
        if row is not None and row.contact_id is not None and row.direction in ("sent", "draft"):
            return store.get_contact(row.contact_id), "returned_message_id"
    for address in bounces.addresses_in(text):
        contact = store.find_contact(address)
        if contact is not None and _written_recently(store, contact, now):
            return contact, "address_in_report"
    return None, ""


def record_unmatched(svc: Services, item: MailItem, now: datetime) -> bool:
    """Keep a trace of a bounce or auto-reply that matched no contact (inside a transaction).

    Nothing that looks like a bounce or an automatic reply is dropped silently: it is kept
    as an unmatched message (no contact), shown by ``status`` and the digest with its
    subject and sender. Other mail from strangers is none of the pipeline's business.
    """
    from automation.core.mailsafe import header_text
    from automation.core.replies import classify  # the reply reader, when mail came in

    msg = item.message
    verdict = classify(msg, now=now, tz=svc.config.me.timezone)
    delayed = bool(verdict.delayed_addresses)
    if verdict.kind not in (Kind.BOUNCE, Kind.AUTO_REPLY):
        return False
    kind = "delayed" if delayed else str(verdict.kind)
    svc.store.add_message(
        contact_id=None, kind="unmatched", direction="inbound", state="unmatched", now=now,
        subject=_one_line(header_text(msg, "Subject")), classification=kind,
        detail={"key": item.key, "from": _one_line(header_text(msg, "From")),
                "reason": verdict.reason,
                "failed_addresses": list(verdict.failed_addresses)})
    return True


def unmatched(store: Store, since: datetime | None = None) -> list[dict[str, Any]]:
    """Bounces and auto-replies that matched no contact, newest first (``since``: received then
    or later)."""
    rows = [m for m in store.messages_in_state("inbound", "unmatched")
            if since is None or m.created_at >= since]
    return [{"at": m.created_at.isoformat(), "kind": m.classification, "subject": m.subject,
             "from": m.detail.get("from", ""), "reason": m.detail.get("reason", "")}
            for m in sorted(rows, key=lambda m: m.id, reverse=True)]


def _one_line(value: object, limit: int = 200) -> str:
    try:
        text = " ".join(str(value or "").split())
    except Exception:  # a header that cannot be rendered is still worth a trace
        text = "(unreadable)"
    return redact(text[:limit])


def _written_recently(store: Store, contact: Contact, now: datetime) -> bool:
    return any(m.direction == "sent" and m.sent_at is not None and now - m.sent_at <= RECENT
               for m in store.messages_for(contact.id or 0))
