"""What came back: sent drafts, discarded drafts and inbound mail, turned into pipeline decisions.

One sync through the Mailbox port per tick. Each item is matched to a contact (``matching``),
classified (``replies``), decided
(``pipeline``) and recorded — the message row, the status changes and ``seen`` — in one
transaction, so an item is processed exactly once even across a crash. Draft withdrawals are
idempotent and happen just before that transaction; bookings are journaled as ``book`` intents
in it and carried out just after (and on the next tick if a crash came in between). Drafts
that left Drafts with no Sent copy are ``vanished``'s.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING, Any

from automation.app import rsvp
from automation.app.effects import (
    Changes,
    contact_state,
    record_actions,
    run_bookings,
    withdraw_drafts,
)
from automation.app.matching import (
    addresses,
    after_outreach,
    header,
    match_inbound,
    match_sent,
    message_time,
    reply_to,
)
from automation.app.ports import MailItem, Store, Watch
from automation.app.ports.mail import LazyWatch
from automation.app.refresh import answered_offer, with_offer
from automation.app.reports import record_unmatched
from automation.app.services import Services
from automation.app.vanished import vanished
from automation.core.models import Contact, Slot
from automation.core.replykinds import Kind
from automation.errors import BackendError

# The reply reader is imported when a message is read (``_read``), the pipeline when one is
# decided on, core.mailsafe (and the email package) when one is recorded: a pass with no new
# mail (an idle one) imports none of them.
if TYPE_CHECKING:
    from email.message import EmailMessage

    from automation.core import pipeline as core
    from automation.core.picks import Pick
    from automation.core.replies import Classification

log = logging.getLogger(__name__)

CURSOR = "mailbox"


# -- the sync --------------------------------------------------------------------------------


def build_watch(store: Store) -> Watch:
    """What the service tracks: the threads, addresses, Message-IDs and draft ids of every
    contact past ``new`` (a few set queries, however many contacts there are), read only if
    the mailbox looks at them (``LazyWatch``)."""
    return LazyWatch(store.watch)


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
    vanished(svc, result.changed_threads, sent_now, changes)


def _sent_item(svc: Services, item: MailItem, changes: Changes) -> int | None:
    """Record a Sent copy; returns the row id of our draft it is, if any."""
    from automation.core import pipeline as core

    store, now, msg = svc.store, svc.clock(), item.message
    draft = match_sent(svc, item)
    contact = store.get_contact(draft.contact_id) if draft and draft.contact_id else None
    kind = draft.kind if draft else "manual"
    if contact is None:  # mail the user wrote themselves: a real exchange if it is to a contact
        contact = next((c for a in addresses(msg, "To", "Cc")
                        if (c := after_outreach(store.find_contact(a)))), None)
    if contact is None or draft is not None and draft.state == "sent":
        if not changes.dry_run:
            with store.transaction():
                store.mark_seen(item.key, now)
        return None
    from automation.core.mailsafe import message_id

    at = message_time(msg, item.received_at, now, floor=draft.created_at if draft else None)
    mid = message_id(header(msg, "Message-ID")) or (draft.message_id if draft else None)
    state = contact_state(store, contact, svc.config.me.timezone)
    decision = core.on_sent(state, core.DraftSent(kind, draft.message_id or "" if draft
                                                  else mid or "", at), now)
    if changes.dry_run:
        changes.preview(contact, decision.actions)
        return draft.id if draft else None
    with store.transaction():
        store.add_message(contact_id=contact.id, kind=kind, direction="sent", state="sent",
                          now=now, message_id=mid, subject=" ".join(header(msg, "Subject").split()),
                          thread_id=item.thread_id or (draft.thread_id if draft else None),
                          in_reply_to=reply_to(msg), sent_at=at,
                          detail={"key": item.key, "draft": draft.message_id if draft else None})
        if draft is not None:
            store.update_message(draft.id, state="sent", sent_at=at)
            mine = {contact.email.lower(), *(a.lower() for a in contact.aliases)}
            fixed = [a for a in addresses(msg, "To") if a not in mine]
            if fixed and not mine & set(addresses(msg, "To", "Cc")):
                # The user corrected the address before sending: replies come from there.
                store.add_alias(contact.id or 0, fixed[0])
        record_actions(svc.store, contact, decision, now, changes, item_key=item.key)
        store.mark_seen(item.key, now)
    return draft.id if draft else None


def _inbound_item(svc: Services, item: MailItem, changes: Changes,
                  fresh: list[str]) -> list[str]:
    """Match, classify, decide and record one inbound message; returns the ``book`` intents
    it journaled (carried out after the sync). ``fresh`` are those journaled earlier in this
    pass, not yet carried out: a later pick supersedes them."""
    from automation.core import pipeline as core

    store, now, msg = svc.store, svc.clock(), item.message
    contact, how = match_inbound(svc, item)
    if contact is None or svc.config.me.email in addresses(msg, "From"):
        _just_seen(svc, item, changes, unmatched=contact is None)
        return []
    if not changes.dry_run:  # a later pick supersedes this pass's bookings; else settle them
        again = bool(fresh) and _picks(_read(svc, contact, msg, now)[2])
        contact = _settle_bookings(svc, contact, changes, fresh if again else [])
    if (answer := rsvp.imip_answer(msg)) is not None and \
            rsvp.record_mail_answer(svc, contact, answer, changes, item.key):
        _just_seen(svc, item, changes)  # the answer to our invitation: no reply, no pick
        return []
    verdict, held, pick, answered = _read(svc, contact, msg, now)
    at = message_time(msg, item.received_at, now)
    reply = core.Reply(verdict.kind, at, summary=verdict.text, reason=verdict.reason, pick=pick,
                       snooze_until=verdict.snooze_until, redirect_to=verdict.redirect_to,
                       failed_address=_failed_address(contact, verdict, how))
    state = contact_state(store, contact, svc.config.me.timezone)
    decision = core.on_reply(state, reply, now) if held is None else _held(state, *held)
    if answered:
        decision = with_offer(decision, answered)
    if changes.dry_run:
        changes.preview(contact, decision.actions)
        return []
    withdraw_drafts(svc, decision.actions)
    detail = _detail(item, how, verdict, pick, held)
    with store.transaction():
        _record_inbound(store, contact, item, verdict, at, detail, now)
        if _picks(pick):
            _supersede(svc, contact, decision, fresh, item.key, changes)
        books = record_actions(svc.store, contact, decision, now, changes, item_key=item.key)
        store.mark_seen(item.key, now)
    return books


def _read(svc: Services, contact: Contact, msg: EmailMessage,
          now: datetime) -> tuple[Classification, tuple[str, str] | None, Pick | None,
                                  list[Slot] | None]:
    """The verdict on ``msg``, whether it is held back, its pick and the offer it answers."""
    from automation.app.gate import held_back
    from automation.core.picks import find_pick
    from automation.core.replies import classify

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


def _just_seen(svc: Services, item: MailItem, changes: Changes, *,
               unmatched: bool = False) -> None:
    """Mark an item processed that needs no decision (an unmatched one is recorded first)."""
    if changes.dry_run:
        return
    now = svc.clock()
    with svc.store.transaction():
        if unmatched:
            record_unmatched(svc, item, now)
        svc.store.mark_seen(item.key, now)


def _failed_address(contact: Contact, verdict: Classification, how: str) -> str | None:
    """For a bounce: the contact's address that failed ("" the contact's, unnamed), or None
    when the failure was another address's."""
    if verdict.kind != Kind.BOUNCE:
        return None
    mine = {contact.email, *contact.aliases}
    hit = [a for a in verdict.failed_addresses if a in mine]
    failed = hit[0] if hit else ("" if not verdict.failed_addresses else None)
    if failed is None and how == "returned_message_id":
        failed = ""  # our message to them came back, though a forward target is named
    return failed


def _detail(item: MailItem, how: str, verdict: Classification, pick: Pick | None,
            held: tuple[str, str] | None) -> dict[str, Any]:
    """What the message row and the timeline keep of an inbound message."""
    from automation.core import pipeline as core

    detail: dict[str, Any] = {"key": item.key, "from": header(item.message, "From"),
                              "matched_by": how, "reason": verdict.reason,
                              "summary": core.summary(verdict.text)}
    if pick is not None:
        detail["pick"] = {"kind": pick.kind, "index": pick.index, "detail": pick.detail,
                          "start": pick.start.isoformat() if pick.start else None}
    if held is not None:
        detail["held_back"] = held[0]
    if verdict.kind == Kind.BOUNCE:
        detail["failed_addresses"] = list(verdict.failed_addresses)
    return detail


def _record_inbound(store: Store, contact: Contact, item: MailItem, verdict: Classification,
                    at: datetime, detail: dict[str, Any], now: datetime) -> None:
    """The inbound message's row and its timeline entry (inside the item's transaction)."""
    from automation.core import pipeline as core
    from automation.core.mailsafe import message_id

    msg = item.message
    store.add_message(contact_id=contact.id, kind="reply", direction="inbound",
                      state="received", now=now, message_id=message_id(header(msg, "Message-ID")),
                      thread_id=item.thread_id or contact.thread_id,
                      subject=" ".join(header(msg, "Subject").split()),
                      in_reply_to=reply_to(msg), sent_at=at,
                      classification=str(verdict.kind), detail=detail)
    store.add_event(contact.id or 0, now, "inbound", cause=f"{verdict.kind}: "
                    f"{core.summary(verdict.text) or verdict.reason}", detail=detail)


def _supersede(svc: Services, contact: Contact, decision: core.Decision, fresh: list[str],
               key: str, changes: Changes) -> None:
    """The last word wins: a later answer in the same pass that books or needs the user
    ("option 1 works", then "actually option 3 is better") replaces the booking journaled for
    the earlier one, which was not carried out yet (call inside the transaction)."""
    from automation.core import pipeline as core

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
    subject = " ".join(header(item.message, "Subject").split())[:200]
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
                                  "from": header(item.message, "From")[:200]})
        store.mark_seen(item.key, now)


def _held(state: core.ContactState, reason: str, flag: str) -> core.Decision:
    """A message that may not act for the contact: a timeline entry, and a flag if the user
    should look at it."""
    from automation.core import pipeline as core

    actions: list[core.Action] = [core.Record("held_back", reason)]
    if flag:
        actions.append(core.Flag(flag))
    return core.Decision(state, tuple(actions))
