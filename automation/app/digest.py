"""The daily morning digest: what needs the user today, in a few plain lines.

Due once per local day at ``[daemon] digest_at`` in the user's zone (read off ``svc.clock()``,
so ``AUTOMATION_NOW`` drives it in tests). Written to the log; with ``digest_draft = true``
also as a draft addressed to the user, created through the intent journal under the key
``digest:YYYY-MM-DD`` so a crash never yields two. The lines name contacts and counts, never a
message body.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from automation.app.drafting import DraftRequest, draft_once
from automation.app.effects import contact_state
from automation.app.exchanges import fresh_update, responsiveness
from automation.app.health import failing, template_failures
from automation.app.reports import unmatched
from automation.app.services import Services
from automation.core import pipeline as core
from automation.core.compose import build_message, new_message_id
from automation.core.models import Contact, Status

log = logging.getLogger(__name__)

DIGEST_CURSOR = "digest:last"
_RANK = {"booster": 0, None: 1, "obligate": 2, "curmudgeon": 3}


def digest_due(svc: Services, now: datetime) -> date | None:
    """The local date whose digest is due at ``now``, or None (too early, or already done)."""
    local = now.astimezone(svc.config.me.timezone)
    if local.time() < svc.config.daemon.digest_at:
        return None
    today = local.date()
    return None if svc.store.get_cursor(DIGEST_CURSOR) == today.isoformat() else today


def digest_lines(svc: Services, now: datetime) -> list[str]:
    """What needs the user: drafts to send, contacts flagged, today's interviews, failures."""
    store, zone = svc.store, svc.config.me.timezone
    counts = store.status_counts()
    lines = []
    waiting = counts.get(Status.DRAFTED.value, 0)
    if waiting:
        lines.append(f"{waiting} draft(s) wait in your Drafts folder for you to read and send")
    contacts = store.list_contacts()
    labels = {c.id: responsiveness(store, c, zone) for c in contacts}
    # Boosters first: the method says to answer the people who answer you.
    for contact in sorted(contacts, key=lambda c: _RANK.get(labels[c.id], 1)):
        if contact.needs_attention:
            who = f"{contact.email} (booster)" if labels[contact.id] == "booster" \
                else contact.email
            lines.append(f"needs attention: {who}: {contact.needs_attention}")
    stale = check_ins_waiting(svc, contacts, now)
    if stale:
        lines.append(f"check-in(s) due with no news to share: {', '.join(stale)}; tell them "
                     "what you have been doing with `automation update \"...\"`")
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(0), tzinfo=zone)
    end = start + timedelta(days=1)
    for interview in store.interviews("confirmed"):
        if start <= interview.start < end:
            person = store.get_contact(interview.contact_id)
            when = interview.start.astimezone(zone).strftime("%H:%M")
            lines.append(f"interview today at {when} with {person.display_name} "
                         f"<{person.email}>")
    for item in unmatched(store, since=now - timedelta(days=1)):
        lines.append(f"unmatched {item['kind']} from {item['from'] or '(no sender)'}: "
                     f"{item['subject'] or '(no subject)'}")
    for item in failing(store) + template_failures(store):
        lines.append(f"failing: {item['error']} (fix: {item['fix']})")
    summary = ", ".join(f"{s.value} {counts[s.value]}" for s in Status if counts.get(s.value))
    lines.append(f"pipeline: {summary or 'no contacts yet'}")
    if len(lines) == 1:
        lines.insert(0, "nothing needs you today")
    return lines


def check_ins_waiting(svc: Services, contacts: list[Contact], now: datetime) -> list[str]:
    """Emails of nurtured contacts whose check-in is due but not drafted for want of an
    update they have not heard (``followups`` drafts none without one)."""
    policy = svc.config.cadence
    found = []
    for contact in contacts:
        if contact.status != Status.NURTURING:
            continue
        state = contact_state(svc.store, contact, svc.config.me.timezone)
        due = core.check_in_due(state, policy)
        if (due is not None and now >= due and not state.pending_of({"check_in"})
                and fresh_update(svc.store, contact) is None):
            found.append(contact.email)
    return found


def _without_text(line: str) -> str:
    """A digest line with no words from a message: who, and what kind of thing it is."""
    for prefix in ("needs attention: ", "unmatched "):
        if line.startswith(prefix):
            who, _, reason = line[len(prefix):].partition(": ")
            kind = reason.split(":", 1)[0][:40] if reason else ""
            return f"{prefix}{who}" + (f" ({kind})" if kind and kind != reason else "")
    return line


def send_digest(svc: Services, now: datetime, day: date, *, log_it: bool = True) -> list[str]:
    """Log the digest for ``day`` (and draft it when configured); mark the day done.

    Raises BackendError if the draft cannot be created: the day is then not marked, so the
    next call retries the draft (the intent key keeps it single).
    """
    lines = digest_lines(svc, now)
    if log_it:
        for line in lines:
            # Logs are kept and shipped; a reply's words are the contact's, not the log's.
            log.info("digest %s: %s", day.isoformat(), _without_text(line))
            log.debug("digest %s: %s", day.isoformat(), line)
    if svc.config.daemon.digest_draft:
        me = svc.config.me
        message = build_message(
            sender_name=me.name, sender=me.email, to_name=me.name, to=me.email,
            subject=f"Your informational-interview digest for {day.isoformat()}",
            body="\n".join(f"- {line}" for line in lines), now=now,
            message_id=new_message_id(me.email))
        # The user is not a contact: the journal handles contact_id None (no status change).
        request = DraftRequest(contact_id=None, kind="digest", message=message,  # type: ignore[arg-type]
                               cause="daily digest")
        draft_once(svc, request, f"digest:{day.isoformat()}")
    with svc.store.transaction():
        svc.store.set_cursor(DIGEST_CURSOR, day.isoformat())
    return lines
