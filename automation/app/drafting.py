"""Creating drafts exactly once, even across a crash: the intent journal.

Every draft is first written as an *intent* (the full message, its Message-ID and what to
record once it exists) in the same transaction as any holds it offers; then the draft is
created; then, in one transaction, the message row, the status change and ``done``. On the
next tick, a pending intent is reconciled by looking the draft up by its Message-ID before
anything is created again, so a crash at any point yields exactly one draft.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from automation.app.ports import DraftRef, Store
from automation.app.services import Services
from automation.core.compose import fingerprint
from automation.core.mime import header_value, message_bytes
from automation.core.models import TERMINAL, Intent, MessageRow, Slot, Status
from automation.core.offerwindow import hold_expiry
from automation.errors import BackendError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftRequest:
    """What to draft and what to record once it exists."""

    contact_id: int
    kind: str  # outreach | follow_up | confirmation | cancellation | thank_you | check_in
    message: EmailMessage
    thread_id: str | None = None
    new_status: Status | None = None
    cause: str = ""
    holds: Sequence[Slot] = ()
    detail: dict[str, Any] | None = None


def intent_key(store: Store, contact_id: int, kind: str, discriminator: str = "") -> str:
    """A key naming one logical draft: the n-th draft of ``kind`` for this contact."""
    n = 1 + sum(1 for m in store.messages_for(contact_id)
                if m.kind == kind and m.direction == "draft")
    return f"draft:{kind}:{contact_id}:{n}{':' + discriminator if discriminator else ''}"


def journaled_message(store: Store, row: MessageRow) -> EmailMessage | None:
    """The message a draft row was created from, as its intent journaled it (None if no
    intent of ``intent_key``'s shape names it). ``draft_once`` creates the draft from exactly
    these bytes, so this is what we wrote, whatever the user did to the draft since."""
    if row.contact_id is None or not row.message_id:
        return None
    count = sum(1 for m in store.messages_for(row.contact_id)
                if m.kind == row.kind and m.direction == "draft")
    for n in range(1, count + 1):
        intent = store.get_intent(f"draft:{row.kind}:{row.contact_id}:{n}")
        if intent is not None and intent.payload.get("message_id") == row.message_id:
            raw = base64.b64decode(intent.payload["raw"])
            return BytesParser(policy=policy.default).parsebytes(raw)
    return None


def draft_once(svc: Services, request: DraftRequest, key: str) -> DraftRef | None:
    """Create the draft ``key`` unless it already exists; None if it was done before."""
    store, now = svc.store, svc.clock()
    existing = store.get_intent(key)
    if existing is not None:
        return None if existing.state == "done" else reconcile_one(svc, existing)
    msg = request.message
    payload: dict[str, Any] = {
        "kind": request.kind,
        # message_bytes and header_value read a message written once without serialising or
        # parsing it again (core/mime.py).
        "raw": base64.b64encode(message_bytes(msg, "\r\n")).decode(),
        "message_id": header_value(msg, "Message-ID"),
        "thread_id": request.thread_id,
        "subject": header_value(msg, "Subject"),
        "in_reply_to": header_value(msg, "In-Reply-To") or None,
        "new_status": str(request.new_status) if request.new_status else None,
        # What the status change is decided on: re-checked when the draft is recorded, so a
        # user's `automation mark` during the pass is never overwritten.
        "from_status": str(store.get_contact(request.contact_id).status)
        if request.new_status else None,
        "cause": request.cause,
        # Recorded so that a later pass can tell whether the user has edited the draft.
        "detail": {**(request.detail or {}), "fingerprint": fingerprint(msg)},
    }
    with store.transaction():
        intent = store.begin_intent(key, "draft", request.contact_id, payload, now)
        if request.holds:
            expires = hold_expiry(now, svc.config.cadence.hold_days,
                                  svc.config.availability.timezone)
            store.add_holds(request.contact_id, request.holds, expires, payload["message_id"])
    # The message in hand is the one journaled: no need to parse the journal's copy back.
    return _perform(svc, intent, recovering=False, message=msg)


def reconcile_one(svc: Services, intent: Intent) -> DraftRef:
    """Finish a pending draft intent left by an earlier failure or crash."""
    return _perform(svc, intent, recovering=True)


def reconcile(svc: Services) -> list[str]:
    """Finish every pending draft intent; returns problems (the rest still proceeds)."""
    problems = []
    for intent in svc.store.pending_intents():
        if intent.kind != "draft":
            continue
        try:
            reconcile_one(svc, intent)
        except BackendError as exc:
            problems.append(f"could not finish draft {intent.payload['message_id']}: {exc}")
    return problems


def _perform(svc: Services, intent: Intent, *, recovering: bool,
             message: EmailMessage | None = None) -> DraftRef:
    p = intent.payload
    ref = svc.mailbox.find_draft(p["message_id"]) if recovering else None
    if ref is None and recovering and svc.store.message_by_id(p["message_id"]) is not None:
        # The draft was recorded and the user has already sent it: nothing to create.
        row = svc.store.message_by_id(p["message_id"])
        ref = DraftRef(row.draft_id or "", p["message_id"], row.thread_id)  # type: ignore[union-attr]
    if ref is None:
        if message is None:
            message = BytesParser(policy=policy.default).parsebytes(base64.b64decode(p["raw"]))
        ref = svc.mailbox.create_draft(message, thread_id=p["thread_id"])
        log.info("drafted %s for contact %s (%s)", p["kind"], intent.contact_id, p["message_id"])
    if not _complete(svc.store, intent, ref, svc.clock()):
        _withdraw_overtaken(svc, intent, ref)
    return ref


def _withdraw_overtaken(svc: Services, intent: Intent, ref: DraftRef) -> None:
    """The contact's status changed while the draft was made (the user marked them
    opted_out, say): a draft to someone who left the pipeline is taken back."""
    store, now = svc.store, svc.clock()
    contact = store.get_contact(intent.contact_id or 0)
    if contact.status not in TERMINAL:
        return
    svc.mailbox.delete_draft(ref)
    with store.transaction():
        row = store.message_by_id(ref.message_id)
        if row is not None:
            store.update_message(row.id, state="withdrawn",
                                 detail={**row.detail, "withdrawn_at": now.isoformat()})
        store.drop_holds(ref.message_id)
        store.add_event(contact.id or 0, now, "withdrawn",
                        cause=f"the contact became {contact.status} while it was drafted",
                        detail={"message_id": ref.message_id, "kind": intent.payload["kind"]})


def _complete(store: Store, intent: Intent, ref: DraftRef, now: datetime) -> bool:
    """Record the draft and its status change; False if the status had changed meanwhile."""
    p = intent.payload
    contact_id = intent.contact_id
    applied = True
    with store.transaction():
        if store.get_intent(intent.key).state == "done":  # type: ignore[union-attr]
            return True
        if store.message_by_id(p["message_id"]) is None:
            store.add_message(contact_id=contact_id, kind=p["kind"], direction="draft",
                              state="drafted", now=now, message_id=p["message_id"],
                              thread_id=ref.thread_id, draft_id=ref.draft_id,
                              subject=p["subject"], in_reply_to=p["in_reply_to"],
                              detail=p["detail"])
        if contact_id is not None:
            detail = {"message_id": p["message_id"], "kind": p["kind"]}
            if ref.thread_id:
                store.update_contact(contact_id, now, thread_id=ref.thread_id)
            if p["new_status"]:
                expect = Status(p["from_status"]) if p.get("from_status") else None
                applied = store.set_status(contact_id, Status(p["new_status"]), now,
                                           cause=p["cause"], detail=detail, expect=expect)
            else:
                store.add_event(contact_id, now, "draft", cause=p["cause"], detail=detail)
        store.finish_intent(intent.key, now, {"draft_id": ref.draft_id,
                                              "thread_id": ref.thread_id})
    return applied


def withdraw_unsent(svc: Services, contact_id: int, kinds: Sequence[str], cause: str) -> bool:
    """Withdraw the contact's drafts of ``kinds`` still waiting in Drafts (a confirmation the
    user has not sent when the interview moves again): two unsent replies in one thread would
    contradict each other. Returns whether one of ``kinds`` was ever sent (the contact heard
    of it). Deleting is idempotent, so a crash between the two steps is harmless.
    """
    store, now = svc.store, svc.clock()
    rows = [m for m in store.messages_for(contact_id) if m.kind in kinds]
    for row in rows:
        if row.direction != "draft" or row.state != "drafted":
            continue
        svc.mailbox.delete_draft(DraftRef(row.draft_id or "", row.message_id or "",
                                          row.thread_id))
        with store.transaction():
            store.update_message(row.id, state="withdrawn",
                                 detail={**row.detail, "withdrawn_at": now.isoformat()})
            store.add_event(contact_id, now, "withdrawn", cause=cause,
                            detail={"message_id": row.message_id, "kind": row.kind})
        log.info("withdrew the unsent %s %s: %s", row.kind, row.message_id, cause)
    return any(m.direction == "sent" for m in rows)
