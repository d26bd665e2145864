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
from automation.app.ports.mail import create_each
from automation.app.services import Services
from automation.core.compose import fingerprint
from automation.core.mime import header_value, message_bytes
from automation.core.models import TERMINAL, MessageRow, Slot, Status
from automation.core.offerwindow import hold_expiry
from automation.core.records import Intent
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
    return draft_many(svc, [(request, key)])[0]


def draft_many(svc: Services, batch: Sequence[tuple[DraftRequest, str]]) -> list[DraftRef | None]:
    """``draft_once`` for each ``(request, key)`` of ``batch``, in its order: every new intent
    is journaled (with its holds) in one transaction before any draft is created, and every
    draft made is recorded in one transaction after, so a pass of many drafts commits twice,
    not twice per draft. A crash in between leaves the batch's intents pending, and
    ``reconcile`` finds what was made by Message-ID, exactly as for one. If creating a draft
    fails (``BackendError``), those made before it are recorded and the error is raised; the
    rest stay pending for the next pass.
    """
    store, now = svc.store, svc.clock()
    refs: list[DraftRef | None] = [None] * len(batch)
    todo: list[tuple[int, DraftRequest, str, dict[str, Any]]] = []
    keys: set[str] = set()
    for i, (request, key) in enumerate(batch):
        existing = store.get_intent(key)
        if key in keys:  # named twice: the first makes it (as one draft_once after another)
            continue
        keys.add(key)
        if existing is not None:
            refs[i] = None if existing.state == "done" else reconcile_one(svc, existing)
        else:
            todo.append((i, request, key, _payload(store, request)))
    if not todo:
        return refs
    # Every hold of the batch lapses together: made at one ``now``, for the same days.
    expires = hold_expiry(now, svc.config.cadence.hold_days, svc.config.availability.timezone)
    with store.transaction():
        intents = [_journal(store, request, key, payload, now, expires)
                   for _, request, key, payload in todo]
    # The messages in hand are the ones journaled: no need to parse the journal's copies.
    drafts = [(request.message, request.thread_id) for _, request, _, _ in todo]
    # One draft alone is made as ever (create_drafts' one sync is for many). Each group
    # yielded exists (and is durable): it is recorded at once, in one transaction.
    made = (create_each(svc.mailbox, drafts) if len(drafts) == 1
            else svc.mailbox.create_drafts(drafts))
    done = 0
    for group in made:
        pairs = list(zip(intents[done:], group, strict=False))
        for (intent, ref), (i, *_) in zip(pairs, todo[done:], strict=False):
            refs[i] = ref
            log.info("drafted %s for contact %s (%s)", intent.payload["kind"],
                     intent.contact_id, ref.message_id)
        _record(svc, pairs)
        done += len(group)
    return refs


def _payload(store: Store, request: DraftRequest) -> dict[str, Any]:
    """What the intent journals: the message's bytes and what to record once it exists."""
    msg = request.message
    return {
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
        "from_status": str(store.status_of(request.contact_id))
        if request.new_status else None,
        "cause": request.cause,
        # Recorded so that a later pass can tell whether the user has edited the draft.
        "detail": {**(request.detail or {}), "fingerprint": fingerprint(msg)},
    }


def _journal(store: Store, request: DraftRequest, key: str, payload: dict[str, Any],
             now: datetime, expires: datetime) -> Intent:
    """The intent and the holds it offers, lapsing at ``expires`` (inside the caller's
    transaction)."""
    intent = store.begin_intent(key, "draft", request.contact_id, payload, now)
    if request.holds:
        store.add_holds(request.contact_id, request.holds, expires, payload["message_id"])
    return intent


def reconcile_one(svc: Services, intent: Intent) -> DraftRef:
    """Finish a pending draft intent left by an earlier failure or crash."""
    return _finish(svc, intent, svc.mailbox.find_draft(intent.payload["message_id"]))


def _finish(svc: Services, intent: Intent, found: DraftRef | None) -> DraftRef:
    """Record the pending ``intent``'s draft, ``found`` by its Message-ID, or create it."""
    p = intent.payload
    ref = found
    row = svc.store.message_by_id(p["message_id"]) if ref is None else None
    if row is not None:
        # The draft was recorded and the user has already sent it: nothing to create.
        ref = DraftRef(row.draft_id or "", p["message_id"], row.thread_id)
    if ref is None:
        message = BytesParser(policy=policy.default).parsebytes(base64.b64decode(p["raw"]))
        ref = _create(svc, intent, message)
    _record(svc, [(intent, ref)])
    return ref


def reconcile(svc: Services) -> list[str]:
    """Finish every pending draft intent; returns problems (the rest still proceeds).

    The drafts are looked up by Message-ID in one look (``find_drafts``): a crash during a
    pass can leave a whole batch pending. If that look-up fails (BackendError: the Drafts
    folder cannot be read), it is raised: nothing in the pass could be drafted safely, so the
    tick fails and is retried, rather than finishing those drafts later in the same pass
    under a warning that no longer holds.
    """
    pending = [i for i in svc.store.pending_intents() if i.kind == "draft"]
    if not pending:
        return []
    problems = []
    found = svc.mailbox.find_drafts([i.payload["message_id"] for i in pending])
    for intent in pending:
        try:
            _finish(svc, intent, found.get(intent.payload["message_id"]))
        except BackendError as exc:
            problems.append(f"could not finish draft {intent.payload['message_id']}: {exc}")
    return problems


def _create(svc: Services, intent: Intent, message: EmailMessage) -> DraftRef:
    p = intent.payload
    ref = svc.mailbox.create_draft(message, thread_id=p["thread_id"])
    log.info("drafted %s for contact %s (%s)", p["kind"], intent.contact_id, p["message_id"])
    return ref


def _record(svc: Services, made: Sequence[tuple[Intent, DraftRef]]) -> None:
    """Record the drafts ``made`` in one transaction; take back any whose contact left the
    pipeline meanwhile."""
    if not made:
        return
    now = svc.clock()
    with svc.store.transaction():
        overtaken = [(intent, ref) for intent, ref in made
                     if not _complete(svc.store, intent, ref, now)]
    for intent, ref in overtaken:
        _withdraw_overtaken(svc, intent, ref)


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
        if store.intent_state(intent.key) == "done":
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
