"""What time brings: follow-ups, no_response, interviewed, thank-yous and check-ins.

For each contact in the running part of the pipeline, ``pipeline.due`` decides from the stored
state and ``now``; this module carries the decision out. Every draft goes through
``drafting.draft_once`` (exactly once, even across a crash) and continues the contact's thread
(``threads.reply_context``: In-Reply-To, References, "Re:" subject, thread id).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from automation.app.effects import Changes, describe, record_actions, timed_states
from automation.app.outreach import FreeBusy, offer, template_variables
from automation.app.ports import Store
from automation.app.services import Services
from automation.core.models import Contact, Slot, Status
from automation.core.offerwindow import notice_cutoff
from automation.core.timing import due_bounds
from automation.errors import BackendError, TemplateError

# Deciding (the pipeline), drafting and composing (templates, threads, the interview's
# invitation) are imported by the functions that decide and draft: a pass where time brings
# nothing (an idle one) needs none of them.
if TYPE_CHECKING:
    from email.message import EmailMessage

    from automation.core import pipeline as core
    from automation.core.records import UserUpdate

log = logging.getLogger(__name__)

TEMPLATES = {"follow_up": "follow_up.txt.j2", "thank_you": "thank_you.txt.j2",
             "check_in": "check_in.txt.j2"}
#: Statuses where time alone can change something.
TIMED = (Status.SENT, Status.SCHEDULED, Status.INTERVIEWED, Status.NURTURING)


def run_due(svc: Services, now: datetime, avail: FreeBusy, changes: Changes) -> None:
    """Decide and act for every contact whose status time can move (see ``pipeline.due``)."""
    policy = svc.config.cadence
    store = svc.store
    states = timed_states(store, TIMED, svc.config.me.timezone, due_bounds(now, policy))
    if not states:
        return  # nobody past the bounds: nothing to decide (and the pipeline not imported)
    from automation.core import pipeline as core

    for contact, state in states:
        decision = _without_stale_check_in(store, contact, core.due(state, now, policy))
        if not decision.actions:
            continue
        if changes.dry_run:
            for action in decision.actions:
                what, line = describe(contact, action)
                if isinstance(action, core.Draft) and action.kind == "follow_up":
                    line += f"; it would offer {_would_offer(svc, contact, now, avail)}"
                changes.add(what, line)
            continue
        with store.transaction():
            record_actions(svc.store, contact, decision, now, changes)
        for action in decision.actions:
            if isinstance(action, core.Draft):
                _draft(svc, store.get_contact(contact.id or 0), action, now, avail, changes)


def _without_stale_check_in(store: Store, contact: Contact,
                            decision: core.Decision) -> core.Decision:
    """A check-in says something new or is not written: with no update the contact has not
    heard yet (``automation update``), its Draft is dropped and the digest asks for one."""
    from automation.app.exchanges import fresh_update
    from automation.core import pipeline as core

    if not any(isinstance(a, core.Draft) and a.kind == "check_in" for a in decision.actions) \
            or fresh_update(store, contact) is not None:
        return decision
    kept = tuple(a for a in decision.actions
                 if not (isinstance(a, core.Draft) and a.kind == "check_in"))
    return replace(decision, actions=kept)


def _would_offer(svc: Services, contact: Contact, now: datetime, avail: FreeBusy) -> str:
    """The slots a follow-up drafted now would offer (a dry run: nothing is held)."""
    from automation.core.compose import slot_label

    cid = contact.id or 0
    slots = svc.store.holds_for(cid, now) or offer(svc.config.availability, avail, contact, now)
    avail.hold(cid, slots)
    zone = contact.zone or svc.config.me.timezone
    return "; ".join(slot_label(s, zone) for s in slots) or "no free slot"


def _draft(svc: Services, contact: Contact, action: core.Draft, now: datetime,
           avail: FreeBusy, changes: Changes) -> None:
    """Compose and create one follow-up, thank-you or check-in; a template error flags the
    contact (the others go on), a backend error is retried on the next tick."""
    from automation.app.drafting import DraftRequest, draft_once, intent_key
    from automation.app.exchanges import fresh_update

    cid = contact.id or 0
    holds: list[Slot] = []
    slots: list[Slot] = []
    if action.kind == "follow_up":
        # Still-held slots are offered again; expired ones are replaced by fresh, held ones,
        # and so are holds that outlived their slots (hold_days longer than the wait): a
        # follow-up never offers a time that has passed or is too close to prepare for.
        slots = svc.store.holds_for(cid, now)
        availability = svc.config.availability
        earliest = notice_cutoff(now, availability.min_notice_hours, availability.timezone)
        if any(s.start < earliest for s in slots):
            slots = []
        if not slots:
            slots = holds = offer(svc.config.availability, avail, contact, now)
            avail.hold(cid, holds)
    update = fresh_update(svc.store, contact) if action.kind == "check_in" else None
    try:
        message, thread_id = compose(svc, contact, action.kind, slots, now, update=update)
    except TemplateError as exc:
        reason = f"template error: {exc}"
        if contact.needs_attention != reason:
            svc.store.flag(cid, reason, now)
        changes.add("flagged", f"Needs attention {contact.email}: {reason}")
        return
    request = DraftRequest(contact_id=cid, kind=action.kind, message=message,
                           thread_id=thread_id, cause=action.cause, holds=holds,
                           detail={"slots": [s.start.isoformat() for s in slots],
                                   "number": action.number,
                                   **({"update_id": update.id} if update else {})})
    try:
        ref = draft_once(svc, request, intent_key(svc.store, cid, action.kind))
    except BackendError as exc:
        changes.problems.append(f"could not draft the {action.kind} to {contact.email}: {exc}")
        return
    if ref is not None:
        label = action.kind.replace("_", "-")
        fresh = f", {len(holds)} fresh slots offered" if holds else ""
        changes.add("drafted", f"Drafted {label} to {contact.email}: \"{message['Subject']}\""
                    f"{fresh}")


def compose(svc: Services, contact: Contact, kind: str, slots: list[Slot],
            now: datetime, *, update: UserUpdate | None = None
            ) -> tuple[EmailMessage, str | None]:
    """Render ``kind``'s template and address it as a reply in the contact's thread; a
    check-in's template sees ``update`` (``text``, ``at``) as the news it shares."""
    from automation.app.exchanges import responsiveness
    from automation.app.invitation import interview_location, interview_view
    from automation.app.threads import reply_context
    from automation.core.compose import build_message, new_message_id, render

    me, store = svc.config.me, svc.store
    referrer = store.get_contact(contact.referred_by) if contact.referred_by else None
    extra: dict[str, Any] = {}
    if update is not None:
        # The template ends the sentence itself: "news: I finished the course."
        extra["update"] = {"text": update.text.rstrip(" .!"), "at": update.at}
    interview = store.interview_for(contact.id or 0)
    if interview is not None:
        extra["interview"] = interview_view(Slot(interview.start, interview.end),
                                            contact.zone or me.timezone,
                                            interview_location(svc.config.interview, contact))
    rendered = render(svc.templates, TEMPLATES[kind],
                      template_variables(me, contact, slots=slots, referrer=referrer,
                                         responsiveness=responsiveness(store, contact,
                                                                       me.timezone), **extra))
    ctx = reply_context(store, contact.id or 0, fallback_subject=rendered.subject)
    message = build_message(
        sender_name=me.name, sender=me.email, to_name=contact.display_name, to=contact.email,
        subject=ctx.subject if ctx.in_reply_to else rendered.subject, body=rendered.body,
        now=now, message_id=new_message_id(me.email),
        in_reply_to=ctx.in_reply_to, references=ctx.references)
    return message, ctx.thread_id
