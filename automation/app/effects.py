"""Carrying out pipeline decisions: the store's side of each action, and bookings.

``pipeline`` decides; ``observe`` and ``followups`` gather the state (``contact_state``) and
call ``record_actions`` inside the transaction that also records what was observed, so a
decision and its cause are written together or not at all. Bookings are journaled there as
``book`` intents and carried out right after the commit (``run_bookings``), or on the next
tick after a crash.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from automation.app.ports import DraftRef, Mailbox, MessageFacts, Store
from automation.app.services import Services
from automation.core.businessdays import country_for_zone
from automation.core.models import Contact, Interview, Slot, Status
from automation.core.replykinds import ANSWER_KINDS
from automation.errors import BackendError, UserError

# The pipeline's decisions (core.pipeline and the dataclasses of core.decision) are imported
# by the functions that build or carry one out: an idle pass decides for nobody.
if TYPE_CHECKING:
    from automation.core import pipeline as core

log = logging.getLogger(__name__)

#: Inbound classifications that are a person writing (they reset the check-in clock).
REAL_INBOUND = frozenset(str(k) for k in ANSWER_KINDS)


@dataclass
class Changes:
    """What a tick changed (or would change): one line each, and counts by kind."""

    dry_run: bool = False
    lines: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def add(self, what: str, line: str) -> None:
        self.counts[what] += 1
        self.lines.append(("Would: " if self.dry_run else "") + line)

    def preview(self, contact: Contact, actions: Iterable[core.Action]) -> None:
        """One line per action, for a dry run: what it would do (nothing is written)."""
        for action in actions:
            self.add(*describe(contact, action))


def contact_state(store: Store, contact: Contact, default_zone: ZoneInfo) -> core.ContactState:
    """The pipeline's view of ``contact``, read from the store."""
    cid = contact.id or 0
    facts = store.message_facts(_REAL, contact_id=cid).get(cid, MessageFacts())
    return _state(contact, facts, store.interview_for(cid), default_zone)


def contact_states(store: Store, statuses: Sequence[Status], default_zone: ZoneInfo, *,
                   ids: Sequence[int] | None = None) -> list[tuple[Contact, core.ContactState]]:
    """``contact_state`` of every contact in ``statuses``, or of those of ``ids`` (id order,
    without aliases), read in three queries however many there are."""
    names = [str(s) for s in statuses]
    if ids is None:
        facts = store.message_facts(_REAL, statuses=names)
        interviews = store.latest_interviews(names)
        contacts = store.contacts_in(names)
    else:
        facts = store.message_facts(_REAL, contact_ids=ids)
        interviews = store.latest_interviews_of(ids)
        contacts = store.contacts_with_ids(ids)
    return [(c, _state(c, facts.get(c.id or 0, MessageFacts()), interviews.get(c.id or 0),
                       default_zone)) for c in contacts]


def contact_states_of(store: Store, contacts: Sequence[Contact], default_zone: ZoneInfo
                      ) -> tuple[dict[int, core.ContactState], dict[int, Interview]]:
    """``contact_state`` of each of ``contacts`` (read already), and each one's latest
    interview, by contact id: two queries however many there are."""
    ids = [c.id or 0 for c in contacts]
    facts = store.message_facts(_REAL, contact_ids=ids)
    interviews = store.latest_interviews_of(ids)
    return {c.id or 0: _state(c, facts.get(c.id or 0, MessageFacts()), interviews.get(c.id or 0),
                              default_zone) for c in contacts}, interviews


def timed_states(store: Store, statuses: Sequence[Status], default_zone: ZoneInfo,
                 bounds: core.DueBounds) -> list[tuple[Contact, core.ContactState]]:
    """``contact_states`` of the contacts in ``statuses`` time alone may act on under
    ``bounds`` (``core.may_be_due``): the store picks them in one query, so an idle pass
    decodes only those, not the thousands waiting for a reply or a check-in."""
    ids = store.timed_candidates(_REAL, sent_before=bounds.sent_before,
                                 exchanged_before=bounds.exchanged_before,
                                 ended_before=bounds.ended_before)
    wanted = set(statuses)
    return [(c, state) for c, state in contact_states(store, statuses, default_zone, ids=ids)
            if c.status in wanted]


_REAL = sorted(REAL_INBOUND)


def _state(contact: Contact, facts: MessageFacts, interview: Interview | None,
           default_zone: ZoneInfo) -> core.ContactState:
    # A call, a coffee or a LinkedIn message the user logged is an exchange like an email
    # (the store counts those); a deleted follow-up or check-in counts as skipped from when
    # it went.
    outbound = [facts.last_outbound_at, *(at for k, at in facts.discarded if k == "follow_up")]
    exchange = [facts.last_exchange_at, *(at for k, at in facts.discarded if k == "check_in")]
    from automation.core import pipeline as core

    zone = contact.zone or default_zone
    return core.ContactState(
        email=contact.email, status=contact.status, zone=zone,
        needs_attention=contact.needs_attention, snoozed_until=contact.snoozed_until,
        last_outbound_at=max(filter(None, outbound), default=None),
        last_exchange_at=max(filter(None, exchange), default=None),
        follow_ups=facts.follow_ups,
        pending=tuple(core.PendingDraft(kind, mid) for kind, mid in facts.pending),
        interview_end=interview.end if interview and interview.status == "confirmed" else None,
        thank_you_drafted=facts.thank_you_drafted,
        has_note=bool(contact.user_note),
        country=country_for_zone(zone.key) or country_for_zone(default_zone.key),
    )


def describe(contact: Contact, action: core.Action) -> tuple[str, str]:
    """(count key, one line) for an action."""
    from automation.core import pipeline as core

    who = contact.email
    if isinstance(action, core.SetStatus):
        return "status", f"{who}: → {action.status} ({action.cause})"
    if isinstance(action, core.Flag):
        return ("flagged", f"Needs attention {who}: {action.reason}") if action.reason else \
            ("unflagged", f"{who}: attention flag cleared")
    if isinstance(action, core.Snooze):
        until = f"until {action.until:%Y-%m-%d}" if action.until else "cleared"
        return "snoozed", f"{who}: snooze {until}"
    if isinstance(action, core.Withdraw):
        return "withdrawn", f"Withdrew {action.kind.replace('_', '-')} draft to {who}: {action.cause}"
    if isinstance(action, core.Book):
        return "booking", f"Booking {who}: {action.cause}"
    if isinstance(action, core.Draft):
        return "drafted", f"Draft {action.kind.replace('_', '-')} to {who}: {action.cause}"
    if isinstance(action, core.Record):
        return action.event, f"{who}: {action.cause}"
    return "released", f"{who}: offered slots released"


def delete_draft(store: Store, mailbox: Mailbox, message_id: str) -> None:
    """Remove the draft ``message_id`` from the mailbox (the mailbox half of a withdrawal;
    call it before the transaction that records it). A draft already gone is fine; a failing
    mailbox raises BackendError and nothing is recorded."""
    row = store.message_by_id(message_id)
    mailbox.delete_draft(DraftRef(row.draft_id if row and row.draft_id else "", message_id,
                                  row.thread_id if row else None))


def record_withdrawal(store: Store, contact_id: int, message_id: str, kind: str, cause: str,
                      now: datetime) -> None:
    """The store half of a withdrawal (call inside a transaction): the draft's row becomes
    ``withdrawn``, the slots it offered are forgotten, and the timeline says why."""
    row = store.message_by_id(message_id)
    if row is not None:
        store.update_message(row.id, state="withdrawn",
                             detail={**row.detail, "withdrawn_at": now.isoformat()})
    store.drop_holds(message_id)
    store.add_event(contact_id, now, "withdrawn", cause=cause,
                    detail={"message_id": message_id, "kind": kind})


def withdraw_drafts(svc: Services, actions: tuple[core.Action, ...]) -> None:
    """Remove the drafts a decision withdraws (idempotent: a draft already gone is fine)."""
    from automation.core import pipeline as core

    for action in actions:
        if isinstance(action, core.Withdraw):
            delete_draft(svc.store, svc.mailbox, action.message_id)


def record_actions(store: Store, contact: Contact, decision: core.Decision, now: datetime,
                   changes: Changes, *, item_key: str = "") -> list[str]:
    """Write a decision's effects to the store (call inside a transaction); Draft actions are
    the caller's. Returns the keys of the ``book`` intents journaled."""
    from automation.core import pipeline as core

    cid = contact.id or 0
    books: list[str] = []
    expected = contact.status
    for action in decision.actions:
        if isinstance(action, core.SetStatus):
            # Re-read in this transaction: a user's `mark` during the pass stands. A decision
            # may take two steps (thanked, then nurturing): each expects the one before.
            store.set_status(cid, action.status, action.at or now, cause=action.cause,
                             detail=action.detail, expect=expected)
            expected = action.status
        elif isinstance(action, core.Flag):
            store.flag(cid, action.reason, now)
            if action.detail:
                store.add_event(cid, now, "referral_offered" if "referral" in action.detail
                                else "flag_detail", cause=action.reason or "", detail=action.detail)
        elif isinstance(action, core.Snooze):
            store.update_contact(cid, now, snoozed_until=action.until)
        elif isinstance(action, core.Withdraw):
            record_withdrawal(store, cid, action.message_id, action.kind, action.cause, now)
        elif isinstance(action, core.Book):
            key = f"book:{cid}:{item_key}"
            payload: dict[str, Any] = {"option": action.option, "cause": action.cause,
                                       "at": action.at.isoformat() if action.at else None}
            if action.offer:  # the offer "option" counts in: the one the reply answered
                payload["offer"] = [s.isoformat() for s in action.offer]
            store.begin_intent(key, "book", cid, payload, now)
            books.append(key)
        elif isinstance(action, core.Record):
            store.add_event(cid, now, action.event, cause=action.cause, detail=action.detail)
        elif isinstance(action, core.ReleaseHolds):
            store.release_holds(cid, now)
            continue  # not worth a line of its own
        elif isinstance(action, core.Draft):
            continue
        changes.add(*describe(contact, action))
    return books


# -- booking from a reply -----------------------------------------------------------------------


def run_bookings(svc: Services, keys: list[str], changes: Changes) -> None:
    """Carry out journaled ``book`` intents (pending ones from a crash too)."""
    store = svc.store
    for key in keys:
        intent = store.get_intent(key)
        if intent is None or intent.state != "pending":
            continue
        now, p = svc.clock(), intent.payload
        contact = store.get_contact(intent.contact_id or 0)
        if contact.status != Status.REPLIED:  # booked before a crash, or the user moved on
            store.finish_intent(key, now, {"skipped": str(contact.status)})
            continue
        # The booking module (events, invites, the confirmation draft) only when one is made.
        from automation.app.booking import book

        try:
            minutes = timedelta(minutes=svc.config.availability.slot_minutes)
            offer = [Slot(s, s + minutes) for s in map(datetime.fromisoformat,
                                                       p.get("offer") or [])]
            interview = book(svc, contact, option=p["option"], cause=p["cause"],
                             at=datetime.fromisoformat(p["at"]) if p["at"] else None,
                             offered=offer or None)
        except BackendError as exc:
            changes.problems.append(f"could not book {contact.email} yet: {exc}")
            continue  # retried on the next tick
        except UserError as exc:  # SlotTakenError included: the person must be asked again
            with store.transaction():
                store.flag(contact.id or 0, f"reply needs you: {exc}", now)
                store.finish_intent(key, now, {"error": str(exc)}, state="failed")
            changes.add("flagged", f"Needs attention {contact.email}: reply needs you: {exc}")
            continue
        with store.transaction():
            store.finish_intent(key, now, {"uid": interview.uid})
            if store.get_contact(contact.id or 0).needs_attention:  # an earlier unclear reply
                store.flag(contact.id or 0, None, now)
        zone = contact.zone or svc.config.me.timezone
        changes.add("booked", f"Booked {contact.email} for "
                    f"{interview.start.astimezone(zone):%a %b %d %H:%M %Z}: confirmation drafted")


def pending_bookings(store: Store) -> list[str]:
    return [i.key for i in store.pending_intents() if i.kind == "book"]
