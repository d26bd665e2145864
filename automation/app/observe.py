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
import sqlite3
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

from automation.app import rsvp
from automation.app.effects import (
    Changes,
    contact_state,
    record_actions,
    run_bookings,
    withdraw_drafts,
)
from automation.app.gate import held_back
from automation.app.ports import DraftRef, MailItem, Store, Watch
from automation.app.refresh import answered_offer, with_offer
from automation.app.reports import by_report, record_unmatched
from automation.app.services import Services
from automation.core import pipeline as core
from automation.core.mailsafe import header_addresses, header_text, message_id, message_ids
from automation.core.models import Contact, MessageRow, Slot, Status
from automation.core.picks import Pick, find_pick
from automation.core.replies import Classification, Kind, classify
from automation.errors import BackendError

log = logging.getLogger(__name__)

CURSOR = "mailbox"


# -- matching --------------------------------------------------------------------------------


def _header(msg: EmailMessage, name: str) -> str:
    # Raw and bounded (mailsafe): never raises, and a From with 20,000 addresses costs nothing.
    return header_text(msg, name)


def _addresses(msg: EmailMessage, *names: str) -> list[str]:
    return header_addresses(msg, *names)


def _reply_to(msg: EmailMessage) -> str | None:
    """The In-Reply-To worth storing: valid Message-IDs only (they may be copied into a
    header we write later; an encoded CR/LF in one would break every draft in the thread)."""
    return " ".join(message_ids(_header(msg, "In-Reply-To"), limit=5)) or None


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
    ids = message_ids(_header(msg, "In-Reply-To")) + message_ids(_header(msg, "References"))[::-1]
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


def _ref(row: MessageRow) -> DraftRef:
    return DraftRef(row.draft_id or "", row.message_id or "", row.thread_id)


def _best(rows: list[MessageRow], msg: EmailMessage) -> MessageRow:
    """The draft a Sent copy most likely is: same subject, else the latest made."""
    subject = " ".join(_header(msg, "Subject").split()).casefold()
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
    mid = _header(msg, "Message-ID").strip()
    row = store.message_by_id(mid) if mid else None
    if row is not None and row.direction == "draft":
        return row
    pending = [m for state in ("drafted", "discarded")
               for m in store.messages_in_state("draft", state)]
    if item.thread_id:
        in_thread = [m for m in pending if m.thread_id == item.thread_id]
        present = svc.mailbox.drafts_present([_ref(m) for m in in_thread]) if in_thread else {}
        gone = [m for m in in_thread if m.message_id not in present]
        if gone:
            return _best(gone, msg)
    recipients = {c.id for a in _addresses(msg, "To", "Cc")
                  if (c := store.find_contact(a)) is not None}
    mine = [m for m in pending if m.contact_id in recipients]
    if not mine:
        return None
    present = svc.mailbox.drafts_present([_ref(m) for m in mine])
    mine = [m for m in mine if m.message_id not in present]
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
        draft_ids=frozenset(filter(None, (m.draft_id for m in rows if m.direction == "draft"))),
    )


def observe(svc: Services, changes: Changes) -> None:
    """Sync once and process every new item, then notice drafts the user deleted.

    A failing mailbox (BackendError, AuthError) fails the tick: nothing can be drafted
    safely without knowing what was sent, and the daemon backs off and reports it.
    """
    store = svc.store
    result = svc.mailbox.sync(store.get_cursor(CURSOR), build_watch(store), known=store.is_seen)
    changes.problems.extend(result.problems)
    books: list[str] = []
    sent_now: set[int] = set()
    # Sent copies first: a reply in the same batch then finds the contact already "sent".
    for item in sorted(result.items, key=lambda i: i.folder != "sent"):
        if store.is_seen(item.key):
            continue  # items may repeat across (and within) syncs
        try:
            if item.folder == "sent":
                if (row_id := _sent_item(svc, item, changes)) is not None:
                    sent_now.add(row_id)  # sent, not deleted (matters in a dry run)
            else:
                books += _inbound_item(svc, item, changes, books)
        except (BackendError, sqlite3.Error, OSError):
            raise  # the backend or the disk, not this message: the tick fails and retries
        except Exception as exc:  # one message must never stop the pass for everyone
            _quarantine(svc, item, exc, changes)
    if not changes.dry_run:
        if result.cursor is not None:
            store.set_cursor(CURSOR, result.cursor)
        run_bookings(svc, books, changes)
    _vanished(svc, result.changed_threads, sent_now, changes)


def _sent_item(svc: Services, item: MailItem, changes: Changes) -> int | None:
    """Record a Sent copy; returns the row id of our draft it is, if any."""
    store, now, msg = svc.store, svc.clock(), item.message
    draft = match_sent(svc, item)
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
    mid = message_id(_header(msg, "Message-ID")) or (draft.message_id if draft else None)
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
                          in_reply_to=_reply_to(msg), sent_at=at,
                          detail={"key": item.key, "draft": draft.message_id if draft else None})
        if draft is not None:
            store.update_message(draft.id, state="sent", sent_at=at)
            mine = {contact.email.lower(), *(a.lower() for a in contact.aliases)}
            fixed = [a for a in _addresses(msg, "To") if a not in mine]
            if fixed and not mine & set(_addresses(msg, "To", "Cc")):
                # The user corrected the address before sending: replies come from there.
                store.add_alias(contact.id or 0, fixed[0])
        record_actions(svc.store, contact, decision, now, changes, item_key=item.key)
        store.mark_seen(item.key, now)
    return draft.id if draft else None


def _inbound_item(svc: Services, item: MailItem, changes: Changes,
                  fresh: list[str]) -> list[str]:
    """Decide one inbound item; returns the ``book`` intents it journaled. ``fresh`` are
    those journaled earlier in this pass, not yet carried out: a later pick supersedes them."""
    store, now, msg = svc.store, svc.clock(), item.message
    contact, how = match_inbound(svc, item)
    if contact is None or svc.config.me.email in _addresses(msg, "From"):
        if not changes.dry_run:
            with store.transaction():
                if contact is None:
                    record_unmatched(svc, item, now)
                store.mark_seen(item.key, now)
        return []
    if not changes.dry_run:  # a later pick supersedes this pass's bookings; else settle them
        again = bool(fresh) and _picks(_read(svc, contact, msg, now)[2])
        contact = _settle_bookings(svc, contact, changes, fresh if again else [])
    if (answer := rsvp.imip_answer(msg)) is not None and \
            rsvp.record_mail_answer(svc, contact, answer, changes, item.key):
        if not changes.dry_run:  # the answer to our invitation: no reply to read, no pick
            with store.transaction():
                store.mark_seen(item.key, now)
        return []
    verdict, held, pick, answered = _read(svc, contact, msg, now)
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
    decision = core.on_reply(state, reply, now) if held is None else _held(state, *held)
    if answered:
        decision = with_offer(decision, answered)
    if changes.dry_run:
        changes.preview(contact, decision.actions)
        return []
    withdraw_drafts(svc, decision.actions)
    detail: dict[str, Any] = {"key": item.key, "from": _header(msg, "From"), "matched_by": how,
                              "reason": verdict.reason, "summary": core.summary(verdict.text)}
    if pick is not None:
        detail["pick"] = {"kind": pick.kind, "index": pick.index, "detail": pick.detail,
                          "start": pick.start.isoformat() if pick.start else None}
    if held is not None:
        detail["held_back"] = held[0]
    if verdict.kind == Kind.BOUNCE:
        detail["failed_addresses"] = list(verdict.failed_addresses)
    with store.transaction():
        store.add_message(contact_id=contact.id, kind="reply", direction="inbound",
                          state="received", now=now,
                          message_id=message_id(_header(msg, "Message-ID")),
                          thread_id=item.thread_id or contact.thread_id,
                          subject=" ".join(_header(msg, "Subject").split()),
                          in_reply_to=_reply_to(msg), sent_at=at,
                          classification=str(verdict.kind), detail=detail)
        store.add_event(contact.id or 0, now, "inbound", cause=f"{verdict.kind}: "
                        f"{core.summary(verdict.text) or verdict.reason}", detail=detail)
        if _picks(pick):
            _supersede(svc, contact, decision, fresh, item.key, changes)
        books = record_actions(svc.store, contact, decision, now, changes, item_key=item.key)
        store.mark_seen(item.key, now)
    return books


def _read(svc: Services, contact: Contact, msg: EmailMessage,
          now: datetime) -> tuple[Classification, tuple[str, str] | None, Pick | None,
                                  list[Slot] | None]:
    """The verdict on ``msg``, whether it is held back, its pick and the offer it answers."""
    zone = contact.zone or svc.config.me.timezone
    verdict = classify(msg, now=now, tz=zone)
    held = held_back(svc, contact, msg, verdict)  # only the contact speaks for the contact
    pick = None
    answered = answered_offer(svc, msg)  # "option 2" counts in the offer it answers
    if verdict.kind == Kind.HUMAN and held is None:
        offered = answered if answered is not None else svc.store.offered_slots(contact.id or 0)
        pick = find_pick(verdict.text, offered, tz=zone, now=now,
                         user_tz=svc.config.me.timezone)
    return verdict, held, pick, answered


def _picks(pick: Pick | None) -> bool:
    """Whether a reply names a slot or a time (a "thanks, see you then" does not)."""
    return pick is not None and pick.kind != "none"


def _supersede(svc: Services, contact: Contact, decision: core.Decision, fresh: list[str],
               key: str, changes: Changes) -> None:
    """The last word wins: a later answer in the same pass that books or needs the user
    ("option 1 works", then "actually option 3 is better") replaces the booking journaled for
    the earlier one, which was not carried out yet (call inside the transaction)."""
    if not any(isinstance(a, core.Book) or isinstance(a, core.Flag) and a.reason
               for a in decision.actions):
        return
    store, now = svc.store, svc.clock()
    for old in fresh:
        intent = store.get_intent(old)
        if intent is None or intent.state != "pending" or intent.contact_id != contact.id:
            continue
        store.finish_intent(old, now, {"superseded_by": key}, state="superseded")
        cause = f"a later reply replaces the earlier pick ({intent.payload.get('cause')})"
        store.add_event(contact.id or 0, now, "superseded", cause=cause, detail={"intent": old})
        changes.add("superseded", f"{contact.email}: {cause}; nothing was booked for it")


def _settle_bookings(svc: Services, contact: Contact, changes: Changes,
                     fresh: list[str]) -> Contact:
    """Finish the contact's journaled bookings before deciding on newer mail from them.

    A later reply is then decided against the booked interview (a second pick asks the user
    about rescheduling, a decline about cancelling) whether or not a backend failed in
    between; otherwise the booking would go ahead and the later answer be skipped unseen.
    If the booking still cannot be made, the tick fails here and the newer mail, not yet
    marked seen, waits for the next tick. Bookings journaled in this pass (``fresh``) are
    left for the newer mail to supersede.
    """
    store = svc.store
    keys = [i.key for i in store.pending_intents()
            if i.kind == "book" and i.contact_id == contact.id and i.key not in fresh]
    if not keys:
        return contact
    run_bookings(svc, keys, changes)
    if any((i := store.get_intent(k)) is not None and i.state == "pending" for k in keys):
        raise BackendError(f"the booking for {contact.email} is not finished yet; their newer "
                           "mail waits for the next tick")
    return store.get_contact(contact.id or 0)


def _quarantine(svc: Services, item: MailItem, exc: Exception, changes: Changes) -> None:
    """Record a message that could not be processed, once, and never retry it."""
    log.error("message %s could not be processed; quarantined", item.key, exc_info=True)
    subject = " ".join(_header(item.message, "Subject").split())[:200]
    changes.problems.append(f"{item.folder} message {item.key} ({subject!r}) could not be "
                            f"processed ({type(exc).__name__}) and was set aside; run with "
                            "--log-level debug and report it")
    if changes.dry_run:
        return
    store, now = svc.store, svc.clock()
    with store.transaction():
        store.add_message(contact_id=None, kind="reply", direction="inbound",
                          state="quarantined", now=now, subject=subject,
                          detail={"key": item.key, "error": type(exc).__name__,
                                  "from": _header(item.message, "From")[:200]})
        store.mark_seen(item.key, now)


def _held(state: core.ContactState, reason: str, flag: str) -> core.Decision:
    """A message that may not act for the contact: a timeline entry, and a flag if the user
    should look at it."""
    actions: list[core.Action] = [core.Record("held_back", reason)]
    if flag:
        actions.append(core.Flag(flag))
    return core.Decision(state, tuple(actions))


def _vanished(svc: Services, changed: frozenset[str] | None, sent_now: set[int],
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
    present = svc.mailbox.drafts_present([_ref(m) for m in rows])
    for row in rows:
        here = present.get(row.message_id or "")
        if here is not None:
            _still_here(svc, row, here, changes)
        elif "missing_since" not in row.detail:
            if not changes.dry_run:  # gone once: maybe scheduled, or inside undo-send
                with store.transaction():
                    store.update_message(row.id, detail={**row.detail,
                                                         "missing_since": now.isoformat()})
        elif now <= datetime.fromisoformat(row.detail["missing_since"]):
            continue  # the same moment again: not a second look
        elif not (row.thread_id and svc.mailbox.sent_in_thread(row.thread_id, store.is_seen)):
            _discarded(svc, row, changes)


def _still_here(svc: Services, row: MessageRow, here: DraftRef, changes: Changes) -> None:
    """A draft found again (an undo-send undone) or moved to another thread: record it."""
    detail = {k: v for k, v in row.detail.items() if k != "missing_since"}
    moved = here.thread_id and here.thread_id != row.thread_id
    if changes.dry_run or (detail == row.detail and not moved):
        return
    with svc.store.transaction():
        svc.store.update_message(row.id, detail=detail,
                                 **({"thread_id": here.thread_id} if moved else {}))


def _discarded(svc: Services, row: MessageRow, changes: Changes) -> None:
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
