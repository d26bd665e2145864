"""Which contact, or which draft of ours, a message observed in the mailbox is about.

An inbound message is matched by In-Reply-To and References against our stored Message-IDs,
then the thread id, a bounce's failed address (or the report it carries), else the sender or a
linked alias once the contact has had outreach. A Sent copy is matched to the draft it is.
Every lookup is one indexed query: nothing here reads every contact.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from automation.app.ports import DraftRef, MailItem, Store
from automation.app.reports import by_report
from automation.app.services import Services
from automation.core.models import Contact, MessageRow, Status
from automation.core.replykinds import Kind

if TYPE_CHECKING:
    from email.message import EmailMessage

# core.mailsafe (and the email package under it) is imported when a message is matched: a pass
# with nothing new in the mailbox matches none.

# -- headers --------------------------------------------------------------------------------


def header(msg: EmailMessage, name: str) -> str:
    # Raw and bounded (mailsafe): never raises, and a From with 20,000 addresses costs nothing.
    from automation.core.mailsafe import header_text

    return header_text(msg, name)


def addresses(msg: EmailMessage, *names: str) -> list[str]:
    from automation.core.mailsafe import header_addresses

    return header_addresses(msg, *names)


def reply_to(msg: EmailMessage) -> str | None:
    """The In-Reply-To worth storing: valid Message-IDs only (they may be copied into a
    header we write later; an encoded CR/LF in one would break every draft in the thread)."""
    from automation.core.mailsafe import message_ids

    return " ".join(message_ids(header(msg, "In-Reply-To"), limit=5)) or None


def message_time(msg: EmailMessage, fallback: datetime | None, now: datetime,
                 floor: datetime | None = None) -> datetime:
    """When the message was written (its Date), never after ``now`` nor before ``floor``."""
    from email.utils import parsedate_to_datetime

    try:
        when: datetime | None = parsedate_to_datetime(header(msg, "Date"))
        if when is not None and when.tzinfo is None:
            when = None
    except (TypeError, ValueError, IndexError):
        when = None
    when = min(when or fallback or now, now)
    return max(when, floor) if floor else when


def by_headers(store: Store, msg: EmailMessage) -> MessageRow | None:
    """Our stored message this one answers: In-Reply-To first, then References, newest first."""
    from automation.core.mailsafe import message_ids

    ids = message_ids(header(msg, "In-Reply-To")) + message_ids(header(msg, "References"))[::-1]
    for mid in dict.fromkeys(ids):
        row = store.message_by_id(mid)
        if row is not None and row.contact_id is not None:
            return row
    return None


def _by_thread(store: Store, thread_id: str | None) -> Contact | None:
    return store.contact_by_thread(thread_id) if thread_id else None


def after_outreach(contact: Contact | None) -> Contact | None:
    return contact if contact is not None and contact.status != Status.NEW else None


def match_inbound(svc: Services, item: MailItem) -> tuple[Contact | None, str]:
    """The contact an inbound item is about, and how it was matched."""
    store, msg = svc.store, item.message
    row = by_headers(store, msg)
    if row is not None:
        return store.get_contact(row.contact_id or 0), "headers"
    if contact := after_outreach(_by_thread(store, item.thread_id)):
        return contact, "thread"
    from automation.core.replies import classify  # the reply reader, for unmatched mail only

    verdict = classify(msg, now=svc.clock(), tz=svc.config.me.timezone)
    if verdict.kind == Kind.BOUNCE or verdict.delayed_addresses:
        for address in (*verdict.failed_addresses, *verdict.delayed_addresses):
            if contact := after_outreach(store.find_contact(address)):
                return contact, "failed_address"
        contact, how = by_report(store, msg, svc.clock())
        if contact := after_outreach(contact):
            return contact, how
    for address in addresses(msg, "From"):
        if contact := after_outreach(store.find_contact(address)):
            return contact, "sender"
    return None, ""


def draft_ref(row: MessageRow) -> DraftRef:
    return DraftRef(row.draft_id or "", row.message_id or "", row.thread_id)


def _best(rows: list[MessageRow], msg: EmailMessage) -> MessageRow:
    """The draft a Sent copy most likely is: same subject, else the latest made."""
    subject = " ".join(header(msg, "Subject").split()).casefold()
    same = [m for m in rows if " ".join(m.subject.split()).casefold() == subject]
    return max(same or rows, key=lambda m: m.id)


def match_sent(svc: Services, item: MailItem) -> MessageRow | None:
    """Our draft this Sent copy is.

    1. the same Message-ID;
    2. the thread: a draft of ours in the same thread that is no longer in Drafts — Gmail keeps
       the thread whatever the user changed before sending (the To address, the subject);
    3. the last fallback, recipient and subject: a draft no longer in Drafts to the same
       recipient with the same subject, else the only such draft (the user edited the subject).

    A draft still in Drafts was not sent, whatever its subject (the user may reply by hand).
    """
    store, msg = svc.store, item.message
    mid = header(msg, "Message-ID").strip()
    row = store.message_by_id(mid) if mid else None
    if row is not None and row.direction == "draft":
        return row
    pending = [m for state in ("drafted", "discarded")
               for m in store.messages_in_state("draft", state)]
    if item.thread_id:
        in_thread = [m for m in pending if m.thread_id == item.thread_id]
        present = svc.mailbox.drafts_present([draft_ref(m) for m in in_thread]) \
            if in_thread else {}
        gone = [m for m in in_thread if m.message_id not in present]
        if gone:
            return _best(gone, msg)
    recipients = {c.id for a in addresses(msg, "To", "Cc")
                  if (c := store.find_contact(a)) is not None}
    mine = [m for m in pending if m.contact_id in recipients]
    if not mine:
        return None
    present = svc.mailbox.drafts_present([draft_ref(m) for m in mine])
    mine = [m for m in mine if m.message_id not in present]
    subject = " ".join(header(msg, "Subject").split()).casefold()
    same = [m for m in mine if " ".join(m.subject.split()).casefold() == subject]
    if same:
        return max(same, key=lambda m: m.id)
    gone = [m for m in mine if m.state == "drafted"]
    return gone[0] if len(gone) == 1 else None
