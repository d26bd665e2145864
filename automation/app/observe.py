"""What came back: sent drafts, discarded drafts and inbound mail, turned into pipeline decisions.

One sync through the Mailbox port per tick. Each item is matched to a contact (In-Reply-To and
References against our stored Message-IDs, the thread id, a bounce's failed address, else the
sender or a linked alias once the contact has had outreach), classified (``replies``), decided
(``pipeline``) and recorded — the message row, the status changes and ``seen`` — in one
transaction, so an item is processed exactly once even across a crash. Draft withdrawals are
idempotent and happen just before that transaction; bookings are journaled as ``book`` intents
in it and carried out just after (and on the next tick if a crash came in between).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from automation.app.effects import (
    Changes,
    contact_state,
    record_actions,
    run_bookings,
    withdraw_drafts,
)
from automation.app.ports import MailItem, Store, Watch
from automation.app.reports import by_report, record_unmatched
from automation.app.services import Services
from automation.core import pipeline as core
from automation.core.models import Contact, MessageRow, Status
from automation.core.picks import find_pick
from automation.core.replies import Kind, classify

log = logging.getLogger(__name__)

CURSOR = "mailbox"
_MID = re.compile(r"<[^<>\s]+>")


# -- matching --------------------------------------------------------------------------------


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header must not stop the sync
        return ""
    return str(value or "")


def _addresses(msg: EmailMessage, *names: str) -> list[str]:
    values = [_header(msg, n) for n in names]
    return [a.lower() for _, a in getaddresses([v for v in values if v]) if "@" in a]


def message_time(msg: EmailMessage, fallback: datetime | None, now: datetime,
                 floor: datetime | None = None) -> datetime:
    """When the message was written (its Date), never after ``now`` nor before ``floor``."""
    try:
        when: datetime | None = parsedate_to_datetime(_header(msg, "Date"))
        if when is not None and when.tzinfo is None:
            when = None
    except (TypeError, ValueError, IndexError):
        when = None
    when = min(when or fallback or now, now)
    return max(when, floor) if floor else when


def by_headers(store: Store, msg: EmailMessage) -> MessageRow | None:
    """Our stored message this one answers: In-Reply-To first, then References, newest first."""
    ids = _MID.findall(_header(msg, "In-Reply-To")) + _MID.findall(_header(msg, "References"))[::-1]
    for mid in dict.fromkeys(ids):
        row = store.message_by_id(mid)
        if row is not None and row.contact_id is not None:
            return row
    return None


def _by_thread(store: Store, thread_id: str | None) -> Contact | None:
    if not thread_id:
        return None
    for contact in store.list_contacts():
        if contact.thread_id == thread_id:
            return contact
    return None


def _after_outreach(contact: Contact | None) -> Contact | None:
    return contact if contact is not None and contact.status != Status.NEW else None


def match_inbound(svc: Services, item: MailItem) -> tuple[Contact | None, str]:
    """The contact an inbound item is about, and how it was matched."""
    store, msg = svc.store, item.message
    row = by_headers(store, msg)
    if row is not None:
        return store.get_contact(row.contact_id or 0), "headers"
    if contact := _after_outreach(_by_thread(store, item.thread_id)):
        return contact, "thread"
    verdict = classify(msg, now=svc.clock(), tz=svc.config.me.timezone)
    if verdict.kind == Kind.BOUNCE or verdict.delayed_addresses:
        for address in (*verdict.failed_addresses, *verdict.delayed_addresses):
            if contact := _after_outreach(store.find_contact(address)):
                return contact, "failed_address"
        contact, how = by_report(store, msg, svc.clock())
        if contact := _after_outreach(contact):
            return contact, how
    for address in _addresses(msg, "From"):
        if contact := _after_outreach(store.find_contact(address)):
            return contact, "sender"
    return None, ""


def match_sent(svc: Services, msg: EmailMessage) -> MessageRow | None:
    """Our draft this Sent copy is: same Message-ID, else — some clients mint a new one at
    send — a draft no longer in Drafts to the same recipient with the same subject, else the
    only such draft to that recipient (the user edited the subject)."""
    store = svc.store
    mid = _header(msg, "Message-ID").strip()
    row = store.message_by_id(mid) if mid else None
    if row is not None and row.direction == "draft":
        return row
    recipients = {c.id for a in _addresses(msg, "To", "Cc")
                  if (c := store.find_contact(a)) is not None}
    mine = [m for state in ("drafted", "discarded") for m in store.messages_in_state("draft", state)
            if m.contact_id in recipients]
    if not mine:
        return None
    # Read now, not before the sync: the draft just sent must already be gone. A draft still
    # in Drafts was not sent, whatever its subject (the user may have replied by hand).
    still = svc.mailbox.draft_message_ids()
    mine = [m for m in mine if m.message_id not in still]
    subject = " ".join(_header(msg, "Subject").split()).casefold()
    same = [m for m in mine if " ".join(m.subject.split()).casefold() == subject]
    if same:
        return max(same, key=lambda m: m.id)
    gone = [m for m in mine if m.state == "drafted"]
    return gone[0] if len(gone) == 1 else None


# -- the sync --------------------------------------------------------------------------------


def build_watch(store: Store) -> Watch:
    contacts = [c for c in store.list_contacts() if c.status != Status.NEW]
    rows = [m for c in contacts for m in store.messages_for(c.id or 0)]
    return Watch(
        thread_ids=frozenset(filter(None, [c.thread_id for c in contacts]
                                    + [m.thread_id for m in rows])),
        addresses=frozenset(a for c in contacts for a in (c.email, *c.aliases)),
        message_ids=frozenset(filter(None, (m.message_id for m in rows))),
    )


def observe(svc: Services, changes: Changes) -> None:
    """Sync once and process every new item, then notice drafts the user deleted.

    A failing mailbox (BackendError, AuthError) fails the tick: nothing can be drafted
    safely without knowing what was sent, and the daemon backs off and reports it.
    """
    store = svc.store
    # Before the sync (see _vanished), with the drafts we knew of at that moment; with none
    # pending there is nothing to look for (an idle tick costs Gmail no drafts.list).
    known_drafts = {m.id for m in store.messages_in_state("draft", "drafted")}
    present = svc.mailbox.draft_message_ids() if known_drafts else set()
    result = svc.mailbox.sync(store.get_cursor(CURSOR), build_watch(store), known=store.is_seen)
    changes.problems.extend(result.problems)
    books: list[str] = []
    # Sent copies first: a reply in the same batch then finds the contact already "sent".
    for item in sorted(result.items, key=lambda i: i.folder != "sent"):
        if store.is_seen(item.key):
            continue  # items may repeat across (and within) syncs
        if item.folder == "sent":
            if (row_id := _sent_item(svc, item, changes)) is not None:
                known_drafts.discard(row_id)  # sent, not deleted (matters in a dry run)
        else:
            books += _inbound_item(svc, item, changes)
    if not changes.dry_run:
        if result.cursor is not None:
            store.set_cursor(CURSOR, result.cursor)
        run_bookings(svc, books, changes)
    _vanished(svc, present, known_drafts, changes)


def _sent_item(svc: Services, item: MailItem, changes: Changes) -> int | None:
    """Record a Sent copy; returns the row id of our draft it is, if any."""
    store, now, msg = svc.store, svc.clock(), item.message
    draft = match_sent(svc, msg)
    contact = store.get_contact(draft.contact_id) if draft and draft.contact_id else None
    kind = draft.kind if draft else "manual"
    if contact is None:  # mail the user wrote themselves: a real exchange if it is to a contact
        contact = next((c for a in _addresses(msg, "To", "Cc")
                        if (c := _after_outreach(store.find_contact(a)))), None)
    if contact is None or draft is not None and draft.state == "sent":
        if not changes.dry_run:
            with store.transaction():
                store.mark_seen(item.key, now)
        return None
    at = message_time(msg, item.received_at, now, floor=draft.created_at if draft else None)
    mid = _header(msg, "Message-ID").strip() or (draft.message_id if draft else None)
    state = contact_state(store, contact, svc.config.me.timezone)
    decision = core.on_sent(state, core.DraftSent(kind, draft.message_id or "" if draft
                                                  else mid or "", at), now)
    if changes.dry_run:
        changes.preview(contact, decision.actions)
        return draft.id if draft else None
    with store.transaction():
        store.add_message(contact_id=contact.id, kind=kind, direction="sent", state="sent",
                          now=now, message_id=mid, subject=" ".join(_header(msg, "Subject").split()),
                          thread_id=item.thread_id or (draft.thread_id if draft else None),
                          in_reply_to=_header(msg, "In-Reply-To") or None, sent_at=at,
                          detail={"key": item.key, "draft": draft.message_id if draft else None})
        if draft is not None:
            store.update_message(draft.id, state="sent", sent_at=at)
        record_actions(svc.store, contact, decision, now, changes, item_key=item.key)
        store.mark_seen(item.key, now)
    return draft.id if draft else None


def _inbound_item(svc: Services, item: MailItem, changes: Changes) -> list[str]:
    store, now, msg = svc.store, svc.clock(), item.message
    contact, how = match_inbound(svc, item)
    if contact is None or svc.config.me.email in _addresses(msg, "From"):
        if not changes.dry_run:
            with store.transaction():
                if contact is None:
                    record_unmatched(svc, item, now)
                store.mark_seen(item.key, now)
        return []
    zone = contact.zone or svc.config.me.timezone
    verdict = classify(msg, now=now, tz=zone)
    pick = None
    if verdict.kind == Kind.HUMAN:
        pick = find_pick(verdict.text, store.offered_slots(contact.id or 0), tz=zone, now=now)
    failed: str | None = None
    if verdict.kind == Kind.BOUNCE:
        mine = {contact.email, *contact.aliases}
        hit = [a for a in verdict.failed_addresses if a in mine]
        failed = hit[0] if hit else ("" if not verdict.failed_addresses else None)
        if failed is None and how == "returned_message_id":
            failed = ""  # our message to them came back, though a forward target is named
    at = message_time(msg, item.received_at, now)
    reply = core.Reply(verdict.kind, at, summary=verdict.text, reason=verdict.reason, pick=pick,
                       snooze_until=verdict.snooze_until, redirect_to=verdict.redirect_to,
                       failed_address=failed)
    state = contact_state(store, contact, svc.config.me.timezone)
    decision = core.on_reply(state, reply, now)
    if changes.dry_run:
        changes.preview(contact, decision.actions)
        return []
    withdraw_drafts(svc, decision.actions)
    detail: dict[str, Any] = {"key": item.key, "from": _header(msg, "From"), "matched_by": how,
                              "reason": verdict.reason, "summary": core.summary(verdict.text)}
    if pick is not None:
        detail["pick"] = {"kind": pick.kind, "index": pick.index, "detail": pick.detail,
                          "start": pick.start.isoformat() if pick.start else None}
    if verdict.kind == Kind.BOUNCE:
        detail["failed_addresses"] = list(verdict.failed_addresses)
    with store.transaction():
        store.add_message(contact_id=contact.id, kind="reply", direction="inbound",
                          state="received", now=now,
                          message_id=_header(msg, "Message-ID").strip() or None,
                          thread_id=item.thread_id or contact.thread_id,
                          subject=" ".join(_header(msg, "Subject").split()),
                          in_reply_to=_header(msg, "In-Reply-To") or None, sent_at=at,
                          classification=str(verdict.kind), detail=detail)
        store.add_event(contact.id or 0, now, "inbound", cause=f"{verdict.kind}: "
                        f"{core.summary(verdict.text) or verdict.reason}", detail=detail)
        books = record_actions(svc.store, contact, decision, now, changes, item_key=item.key)
        store.mark_seen(item.key, now)
    return books


def _vanished(svc: Services, present: set[str], known: set[int], changes: Changes) -> None:
    """Our drafts no longer in Drafts with no Sent copy seen: the user deleted them.

    ``present`` was read before the sync, so a draft sent meanwhile is matched by the sync
    first; a Sent copy that shows up later still heals the record (``match_sent``). Only
    drafts ``known`` then are judged: one made during this sync (a confirmation) is not gone.
    """
    store, now = svc.store, svc.clock()
    for row in store.messages_in_state("draft", "drafted"):
        if row.message_id in present or row.contact_id is None or row.id not in known:
            continue
        contact = store.get_contact(row.contact_id)
        state = contact_state(store, contact, svc.config.me.timezone)
        decision = core.on_draft_gone(state, core.DraftGone(row.kind, row.message_id or "", now),
                                      now)
        if changes.dry_run:
            changes.preview(contact, decision.actions)
            continue
        with store.transaction():
            store.update_message(row.id, state="discarded",
                                 detail={**row.detail, "discarded_at": now.isoformat()})
            if row.kind != "outreach":  # the only offer: kept for the user to sort out
                store.drop_holds(row.message_id or "")
            record_actions(svc.store, contact, decision, now, changes)
