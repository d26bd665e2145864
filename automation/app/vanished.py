"""Drafts of ours that left Drafts with no Sent copy: deleted by the user, or not yet.

A draft counts as deleted only once it is gone on two consecutive passes and its thread holds
no message the user sent or scheduled (see ``vanished``); then the pipeline decides what its
loss means (``pipeline.on_draft_gone``).
"""

from __future__ import annotations

from datetime import datetime

from automation.app.effects import Changes, contact_state, record_actions
from automation.app.matching import draft_ref
from automation.app.ports import DraftRef, Store
from automation.app.services import Services
from automation.core.models import MessageRow


def vanished(svc: Services, changed: frozenset[str] | None, sent_now: set[int],
              changes: Changes) -> None:
    """Our drafts no longer in Drafts with no Sent copy: the user deleted them — but only once
    a draft is gone on **two consecutive passes**, the second at a later moment than the
    first, and its thread holds no message the user sent or scheduled. A scheduled message
    leaves Drafts at once and is sent later, and undo-send hides a sent draft for a few
    seconds: neither is a discard. A second pass at the very moment of the first (the clock
    pinned, or a pass retried at once after a failure) is no later look: so when the discard
    is recorded depends on the time, not on how many passes failed in between.

    Only drafts in a thread the sync saw change (``changed``; None: every one), and those
    already found missing once, are looked up: an idle pass costs nothing here.
    """
    store, now = svc.store, svc.clock()
    rows = [m for m in store.messages_in_state("draft", "drafted")
            if m.contact_id is not None and m.id not in sent_now]
    if changed is not None:
        rows = [m for m in rows if m.thread_id is None or m.thread_id in changed
                or "missing_since" in m.detail]
    if not rows:
        return
    present = svc.mailbox.drafts_present([draft_ref(m) for m in rows])
    for row in rows:
        here = present.get(row.message_id or "")
        if here is not None:
            _still_here(store, row, here, dry_run=changes.dry_run)
        elif "missing_since" not in row.detail:
            if not changes.dry_run:  # gone once: maybe scheduled, or inside undo-send
                with store.transaction():
                    store.update_message(row.id, detail={**row.detail,
                                                         "missing_since": now.isoformat()})
        elif now <= datetime.fromisoformat(row.detail["missing_since"]):
            continue  # the same moment again: not a second look
        elif not (row.thread_id and svc.mailbox.sent_in_thread(row.thread_id, store.is_seen)):
            _discarded(svc, row, changes)


def _still_here(store: Store, row: MessageRow, here: DraftRef, *, dry_run: bool) -> None:
    """A draft found again (an undo-send undone) or moved to another thread: record it."""
    detail = {k: v for k, v in row.detail.items() if k != "missing_since"}
    moved = here.thread_id and here.thread_id != row.thread_id
    if dry_run or (detail == row.detail and not moved):
        return
    with store.transaction():
        store.update_message(row.id, detail=detail,
                             **({"thread_id": here.thread_id} if moved else {}))


def _discarded(svc: Services, row: MessageRow, changes: Changes) -> None:
    from automation.core import pipeline as core  # a draft is gone: the pipeline decides

    store, now = svc.store, svc.clock()
    contact = store.get_contact(row.contact_id or 0)
    state = contact_state(store, contact, svc.config.me.timezone)
    decision = core.on_draft_gone(state, core.DraftGone(row.kind, row.message_id or "", now), now)
    if changes.dry_run:
        changes.preview(contact, decision.actions)
        return
    with store.transaction():
        store.update_message(row.id, state="discarded",
                             detail={**row.detail, "discarded_at": now.isoformat()})
        if row.kind != "outreach":  # the only offer: kept for the user to sort out
            store.drop_holds(row.message_id or "")
        record_actions(svc.store, contact, decision, now, changes)
