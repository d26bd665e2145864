"""Replying in a contact's thread: In-Reply-To, References, "Re:" subject and thread id.

A draft lands in the existing conversation only with all of them (Gmail also needs the
threadId, and the subject must match the thread's latest message: developers.google.com/gmail/
api/guides/threads, "The Subject headers must match"). The thread's messages are the copies the user actually sent (``direction='sent'``
rows, recorded by sent detection) and the inbound mail matched to the contact
(``direction='inbound'``); before anything was sent, the drafted outreach stands in.
"""

from __future__ import annotations

from dataclasses import dataclass

from automation.app.ports import Store
from automation.core.compose import reply_subject
from automation.core.mailsafe import message_id as valid_id
from automation.core.models import MessageRow

#: Enough ancestry for any client to thread; keeps the header short in long exchanges.
MAX_REFERENCES = 10


@dataclass(frozen=True)
class ReplyContext:
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    thread_id: str | None


def thread_messages(store: Store, contact_id: int) -> list[MessageRow]:
    """The contact's exchanged messages, oldest first (drafted outreach if none yet)."""
    rows = store.messages_for(contact_id)
    # Machines' mail (auto-replies, bounces) is no part of the conversation to answer.
    exchanged = [m for m in rows if m.message_id and (
        m.direction == "sent"
        or m.direction == "inbound" and m.classification not in ("auto_reply", "bounce"))]
    if not exchanged:
        exchanged = [m for m in rows if m.message_id and m.kind == "outreach"]
    return sorted(exchanged, key=lambda m: (m.sent_at or m.created_at, m.id))


def reply_context(store: Store, contact_id: int, fallback_subject: str = "") -> ReplyContext:
    """Headers for a draft that continues the contact's thread."""
    messages = thread_messages(store, contact_id)
    # Gmail joins a draft to a thread only with threadId, References/In-Reply-To *and* a
    # matching subject: answer the subject of the message answered (the latest sent or
    # received one), not of our first draft — the contact may have changed it.
    subject = next((m.subject for m in reversed(messages) if m.subject), "")
    # Only valid ids go into a header (a row stored before ids were validated may hold junk).
    ids = tuple(dict.fromkeys(m.message_id for m in messages
                              if m.message_id is not None and valid_id(m.message_id)))
    thread_id = next((m.thread_id for m in reversed(messages) if m.thread_id), None)
    if thread_id is None:
        thread_id = store.get_contact(contact_id).thread_id
    return ReplyContext(
        in_reply_to=ids[-1] if ids else None,
        references=ids[-MAX_REFERENCES:],
        subject=reply_subject(subject or fallback_subject),
        thread_id=thread_id,
    )
