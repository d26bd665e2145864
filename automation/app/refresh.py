"""Unsent drafts never offer times that have passed or been given away.

An outreach or follow-up left in Drafts keeps offering the slots it was written with; once a
slot is past, inside ``min_notice_hours``, or no longer held for the contact (holds last
``hold_days``), sending it would promise a time that may be given to someone else. On every
pass such a draft is **refreshed**:

- unchanged since we wrote it (its fingerprint, recorded when it was written, still
  matches): it is replaced in place with fresh slots and new holds — Gmail ``drafts.update``
  on the same draft id, a Maildir's new file in the same folder with the old one removed —
  keeping its Message-ID, so everything that tracks it still does;
- edited by the user: it is left alone, and the contact is flagged with the fix,
  ``automation refresh EMAIL`` (which replaces it anyway: the user asked).

Each refresh is journaled like a draft (an intent first, then the replacement, then the
record), so a crash at any point replays to exactly one draft with the new offer.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from automation.app.effects import Changes
from automation.app.outreach import FreeBusy, compose_outreach, offer
from automation.app.ports import DraftRef, Store
from automation.app.services import Services
from automation.core.models import Contact, MessageRow, Slot, Status
from automation.core.offerwindow import hold_expiry, notice_cutoff
from automation.errors import BackendError, TemplateError

# Composing, journaling and parsing a replacement draft (templates, the email package's
# parser, the drafting journal) are imported by the functions that refresh one: a pass with
# no lapsed offer (an idle one) needs none of them.
if TYPE_CHECKING:
    from email.message import EmailMessage

    from automation.core import pipeline as core
    from automation.core.records import Intent

log = logging.getLogger(__name__)

#: The drafts that offer slots.
OFFER_KINDS = ("outreach", "follow_up")
#: Where an offer is still open: outreach drafted, or sent and waiting for an answer.
OPEN = (Status.DRAFTED, Status.SENT)
STALE_FLAG = "your draft to {email} offers times that have passed"


def stale_flag(email: str) -> str:
    """The needs-attention reason of a contact whose edited draft offers lapsed times."""
    return (STALE_FLAG.format(email=email) + f"; run `automation refresh {email}` to replace "
            "it with fresh times (your edits to it are replaced too), or change the times "
            "yourself before sending")


def slots_at(slot_minutes: int, starts: list[str]) -> list[Slot]:
    """Slots of ``slot_minutes`` from the ISO starts a draft's record keeps."""
    minutes = timedelta(minutes=slot_minutes)
    return [Slot(start, start + minutes) for start in map(datetime.fromisoformat, starts)]


def offered_in(svc: Services, row: MessageRow) -> list[Slot]:
    """The slots a draft offers, as recorded when it was written (or last refreshed)."""
    return slots_at(svc.config.availability.slot_minutes, row.detail.get("slots") or [])


def lapsed(svc: Services, row: MessageRow, now: datetime) -> list[Slot]:
    """The draft's slots that can no longer be promised: past, inside the notice period, held
    for someone else or booked, or (with ``hold_days`` > 0) no longer held for the contact.
    Empty: the offer still stands. With ``hold_days = 0`` nothing is ever held, so a lapsed
    hold alone is no reason (else every pass would refresh the draft again)."""
    cid = row.contact_id or 0
    availability = svc.config.availability
    notice = notice_cutoff(now, availability.min_notice_hours, availability.timezone)
    store = svc.store
    taken = [i for holder, i in store.active_holds(now) if holder != cid]
    taken += [i.interval for i in store.interviews("confirmed") if i.contact_id != cid]
    held = {s.start.timestamp() for s in store.holds_for(cid, now)}
    must_hold = svc.config.cadence.hold_days > 0

    def gone(slot: Slot) -> bool:
        return (slot.start < notice or any(i.start < slot.end and slot.start < i.end
                                            for i in taken)
                or must_hold and slot.start.timestamp() not in held)

    return [s for s in offered_in(svc, row) if gone(s)]


def unsent_offers(store: Store, contact_id: int | None = None) -> list[MessageRow]:
    """Drafts the user has not sent that offer slots (of ``contact_id``, or everyone's)."""
    rows = store.messages_in_state("draft", "drafted")
    return [r for r in rows if r.kind in OFFER_KINDS and r.contact_id is not None
            and r.detail.get("slots") and (contact_id is None or r.contact_id == contact_id)]


@dataclass(frozen=True)
class Outcome:
    """What became of one stale draft: ``refreshed`` (with ``slots``), ``edited`` (flagged),
    ``gone`` (no longer in Drafts), ``no_slots`` or ``failed`` (``detail`` says why)."""

    kind: str
    slots: tuple[Slot, ...] = ()
    detail: str = ""


def refresh_stale(svc: Services, now: datetime, avail: FreeBusy, changes: Changes) -> None:
    """Refresh (or flag) every unsent offer whose times lapsed; see the module docstring."""
    for row in unsent_offers(svc.store):
        contact = svc.store.get_contact(row.contact_id or 0)
        if contact.status not in OPEN or not lapsed(svc, row, now):
            continue  # booked, declined, ...: the offer is closed, not stale
        if changes.dry_run:
            slots = offer(svc.config.availability, avail, contact, now)
            changes.add("refreshed", f"Refresh the {_label(row)} draft to {contact.email} "
                        f"(its times lapsed); it would offer {_slots(slots, contact.zone or svc.config.me.timezone)}")
            avail.hold(contact.id or 0, slots)
            continue
        outcome = refresh_one(svc, row, contact, now, avail, force=False)
        _report(svc, contact, row, outcome, now, changes)


def _report(svc: Services, contact: Contact, row: MessageRow, outcome: Outcome,
            now: datetime, changes: Changes) -> None:
    if outcome.kind == "refreshed":
        changes.add("refreshed", f"Refreshed the {_label(row)} draft to {contact.email}: its "
                    f"times had lapsed; now offers {_slots(list(outcome.slots), contact.zone or svc.config.me.timezone)}")
    elif outcome.kind in ("edited", "no_slots"):
        reason = stale_flag(contact.email) if outcome.kind == "edited" else outcome.detail
        if contact.needs_attention != reason:
            svc.store.flag(contact.id or 0, reason, now)
            changes.add("flagged", f"Needs attention {contact.email}: {reason}")
    elif outcome.kind == "failed":
        changes.problems.append(f"could not refresh the {_label(row)} draft to "
                                f"{contact.email}: {outcome.detail}")


def refresh_one(svc: Services, row: MessageRow, contact: Contact, now: datetime,
                avail: FreeBusy, *, force: bool) -> Outcome:
    """Replace one unsent offer with fresh slots (unless the user edited it and not
    ``force``)."""
    from automation.core.compose import fingerprint

    ref = DraftRef(row.draft_id or "", row.message_id or "", row.thread_id)
    try:
        current = svc.mailbox.read_draft(ref)
    except BackendError as exc:
        return Outcome("failed", detail=str(exc))
    if current is None:
        return Outcome("gone")  # sent or deleted: the next sync says which
    if not force and fingerprint(current) != written_fingerprint(svc, row):
        return Outcome("edited")
    cid = contact.id or 0
    avail.release(cid, [s.interval for s in svc.store.holds_for(cid, now)])
    slots = offer(svc.config.availability, avail, contact, now)
    if not slots:
        return Outcome("no_slots", detail=(
            f"{STALE_FLAG.format(email=contact.email)}, and no slot is free in the next "
            f"{svc.config.availability.horizon_days} days; widen [availability] or free some "
            "calendar time"))
    try:
        message = _compose(svc, row, contact, slots, now)
    except TemplateError as exc:
        return Outcome("failed", detail=f"template error: {exc}")
    avail.hold(cid, slots)
    intent = _journal(svc, row, message, slots, now)
    try:
        return _perform(svc, intent)
    except BackendError as exc:
        return Outcome("failed", detail=f"{exc} (the next run finishes it)")


def written_fingerprint(svc: Services, row: MessageRow) -> str | None:
    """The fingerprint of the draft as we wrote it: recorded with the row, or, for a draft
    written before fingerprints were recorded, that of the message its intent journaled --
    the bytes the draft was created from, so an untouched draft matches and an edited one
    does not. None (always "edited": flagged, never overwritten) when neither exists."""
    from automation.app.drafting import journaled_message
    from automation.core.compose import fingerprint

    recorded = row.detail.get("fingerprint")
    if recorded:
        return str(recorded)
    written = journaled_message(svc.store, row)
    return None if written is None else fingerprint(written)


def _compose(svc: Services, row: MessageRow, contact: Contact, slots: list[Slot],
             now: datetime) -> EmailMessage:
    """The draft rewritten with ``slots``, under its own Message-ID and in its thread."""
    if row.kind == "outreach":
        message = compose_outreach(svc, contact, slots, now)
    else:
        from automation.app.followups import compose

        message, _ = compose(svc, contact, row.kind, slots, now)
    del message["Message-ID"]
    message["Message-ID"] = row.message_id or ""
    return message


def _journal(svc: Services, row: MessageRow, message: EmailMessage, slots: list[Slot],
             now: datetime) -> Intent:
    from email import policy

    from automation.core.compose import fingerprint

    store = svc.store
    number = int(row.detail.get("refreshes", 0)) + 1
    payload = {"row": row.id, "message_id": row.message_id, "kind": row.kind,
               "raw": base64.b64encode(message.as_bytes(policy=policy.SMTP)).decode(),
               "slots": [s.start.isoformat() for s in slots], "number": number,
               "fingerprint": fingerprint(message), "draft_id": row.draft_id,
               "thread_id": row.thread_id}
    expires = hold_expiry(now, svc.config.cadence.hold_days, svc.config.availability.timezone)
    with store.transaction():
        intent = store.begin_intent(f"refresh:{row.message_id}:{number}", "refresh",
                                    row.contact_id, payload, now)
        store.drop_holds(row.message_id or "")  # never sent: the old times were never offered
        store.add_holds(row.contact_id or 0, slots, expires, row.message_id)
    return intent


def _perform(svc: Services, intent: Intent) -> Outcome:
    """Replace the draft (idempotent), then record it; a no-op once done."""
    from email import policy
    from email.parser import BytesParser

    store, p = svc.store, intent.payload
    message = BytesParser(policy=policy.default).parsebytes(base64.b64decode(p["raw"]))
    ref = DraftRef(p["draft_id"] or "", p["message_id"], p["thread_id"])
    new = svc.mailbox.replace_draft(ref, message, thread_id=p["thread_id"])
    now = svc.clock()
    slots = tuple(slots_at(svc.config.availability.slot_minutes, p["slots"]))
    with store.transaction():
        if store.get_intent(intent.key).state == "done":  # type: ignore[union-attr]
            return Outcome("refreshed", slots)
        row = store.message_by_id(p["message_id"])
        if new is None or row is None or row.state != "drafted":
            store.finish_intent(intent.key, now, {"gone": True})
            return Outcome("gone")
        store.update_message(row.id, draft_id=new.draft_id, detail={
            **row.detail, "slots": p["slots"], "fingerprint": p["fingerprint"],
            "refreshes": p["number"], "refreshed_at": now.isoformat()})
        cid = intent.contact_id or 0
        store.add_event(cid, now, "refreshed", cause=f"{p['kind'].replace('_', '-')} draft "
                        "refreshed: its offered times had lapsed",
                        detail={"message_id": p["message_id"], "slots": p["slots"]})
        flag = store.get_contact(cid).needs_attention or ""
        if flag.startswith(STALE_FLAG.format(email=store.get_contact(cid).email)):
            store.flag(cid, None, now)
        store.finish_intent(intent.key, now, {"draft_id": new.draft_id})
    log.info("refreshed draft %s for contact %s", p["message_id"], intent.contact_id)
    return Outcome("refreshed", slots)



def answered_offer(svc: Services, msg: EmailMessage) -> list[Slot] | None:
    """The slots offered by the message ``msg`` answers (In-Reply-To, then References from
    the newest) when it is one of our offers; None otherwise.

    A reply to the outreach means the outreach's "option 2" even after a follow-up offered
    other times. The user's Sent copy may carry a Message-ID of its own (Gmail stamps one):
    its row leads to the draft it was, which recorded the slots.
    """
    from automation.core.mailsafe import message_ids

    store = svc.store
    refs = [*message_ids(str(msg.get("In-Reply-To", "") or "")),
            *reversed(message_ids(str(msg.get("References", "") or "")))]
    for ref in refs:
        row = store.message_by_id(ref)
        if row is not None and row.direction == "sent" and row.detail.get("draft"):
            row = store.message_by_id(row.detail["draft"]) or row
        if row is not None and row.kind in OFFER_KINDS and row.detail.get("slots"):
            return offered_in(svc, row)
    return None


def with_offer(decision: core.Decision, offer: list[Slot]) -> core.Decision:
    """``decision`` with each Book of an option counting in ``offer``."""
    from automation.core import pipeline as core

    return replace(decision, actions=tuple(
        replace(a, offer=tuple(s.start for s in offer))
        if isinstance(a, core.Book) and a.option is not None else a for a in decision.actions))


def reconcile(svc: Services) -> list[str]:
    """Finish every refresh a crash or a failure interrupted; returns problems."""
    problems = []
    for intent in svc.store.pending_intents():
        if intent.kind != "refresh":
            continue
        try:
            _perform(svc, intent)
        except BackendError as exc:
            problems.append(f"could not finish refreshing draft {intent.payload['message_id']}:"
                            f" {exc}")
    return problems


def _label(row: MessageRow) -> str:
    return row.kind.replace("_", "-")


def _slots(slots: list[Slot], zone: ZoneInfo) -> str:
    """The slots as the contact reads them, in ``zone`` (theirs, else the user's)."""
    from automation.core.compose import slot_label

    return "; ".join(slot_label(s, zone) for s in slots) or "no free slot"


def refresh_contact(svc: Services, email: str) -> list[tuple[MessageRow, Outcome]]:
    """``automation refresh EMAIL``: replace the contact's unsent outreach or follow-up with
    fresh slots and new holds now, edited or not (the user asked for it).

    Raises UserError when there is no such draft; the outcomes say what became of each.
    """
    from automation.app.outreach import read_availability
    from automation.errors import UserError

    contact = svc.store.require_contact(email)
    rows = unsent_offers(svc.store, contact.id)
    if not rows:
        raise UserError(f"{contact.email} has no unsent outreach or follow-up draft that "
                        "offers times; nothing to refresh")
    now = svc.clock()
    avail = read_availability(svc, now)
    results = []
    for row in rows:
        outcome = refresh_one(svc, row, contact, now, avail, force=True)
        if outcome.kind == "no_slots":
            svc.store.flag(contact.id or 0, outcome.detail, now)
        results.append((row, outcome))
    return results


def describe_outcome(svc: Services, contact: Contact, row: MessageRow, outcome: Outcome) -> str:
    """One line for the user about what ``refresh_one`` did."""
    label = _label(row)
    if outcome.kind == "refreshed":
        return (f"Refreshed the {label} draft to {contact.email}; it now offers "
                f"{_slots(list(outcome.slots), contact.zone or svc.config.me.timezone)}")
    if outcome.kind == "gone":
        return (f"The {label} draft to {contact.email} is no longer in Drafts (sent or "
                "deleted); the next run records which")
    return f"Could not refresh the {label} draft to {contact.email}: {outcome.detail}"
