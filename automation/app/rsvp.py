"""The attendee's answer to the interview invitation, read back from the calendar.

Google Calendar (and a synced vdir) records whether the contact accepted, declined or is
tentative. Once a tick, each upcoming confirmed interview's answer is read through
``Calendar.attendee_status``; a change is stored on the interview and written to the contact's
timeline, and a decline flags the contact ``needs_attention`` with what to do (reschedule or
cancel) — the service never decides that on its own.

On the local backend the answer usually comes back by mail instead: an iMIP REPLY
(``text/calendar; method=REPLY``) that Gmail, Outlook or Apple Mail send when the contact
presses Accept or Decline. ``observe`` hands such mail to ``record_mail_answer``: it updates the
attendee's status and the timeline, and is neither a "reply needs you" nor a slot pick.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from automation.app.effects import Changes
from automation.app.services import Services
from automation.core.models import Contact, Interview, Slot
from automation.errors import BackendError

if TYPE_CHECKING:
    from email.message import EmailMessage


def _when(interview: Interview, contact: Contact, svc: Services) -> str:
    """The interview's time as the contact reads it (composing is imported when an answer
    or a gone event is to be told: not by a pass where nothing changed)."""
    from automation.core.compose import slot_label

    return slot_label(Slot(interview.start, interview.end), contact.zone or svc.config.me.timezone)

log = logging.getLogger(__name__)

ANSWERS = ("accepted", "declined", "tentative")


def check_answers(svc: Services, changes: Changes) -> None:
    """Record new answers to invitations of interviews that have not ended yet."""
    store, now = svc.store, svc.clock()
    for interview in store.upcoming_interviews(now):  # not the year of past ones
        try:
            answer = svc.calendar.attendee_status(interview.uid)
        except BackendError as exc:
            changes.problems.append(f"could not read the invitation answers: {exc}")
            return  # the calendar is failing: the next tick asks again
        if answer is None and interview.event_ref and \
                svc.calendar.get_event(interview.uid) is None:  # written once, gone now
            _event_gone(svc, interview, changes)
            continue
        if answer is None or answer == interview.attendee_status:
            continue
        if answer == "needsAction" and interview.attendee_status in ANSWERS:
            continue  # an answer that came by mail (iMIP REPLY) is not in the calendar file
        record_answer(svc, interview, answer, changes)


def _event_gone(svc: Services, interview: Interview, changes: Changes) -> None:
    """The interview's event is gone from the calendar (deleted by hand, or by a sync with a
    CalDAV server): the contact is flagged once with what to do; nothing is re-created."""
    store, now = svc.store, svc.clock()
    contact = store.get_contact(interview.contact_id)
    when = _when(interview, contact, svc)
    reason = (f"the calendar event for the interview on {when} is gone (deleted from the "
              f"calendar, perhaps by a sync): put it back with `automation reschedule "
              f"{contact.email} --at TIME` or call it off with `automation cancel {contact.email}`")
    if contact.needs_attention == reason:
        return
    changes.add("flagged", f"Needs attention {contact.email}: the calendar event of the "
                f"interview on {when} is gone (its event file or Google event was deleted)")
    if not changes.dry_run:
        with store.transaction():
            store.flag(contact.id or 0, reason, now)
            store.add_event(contact.id or 0, now, "event_gone", cause="calendar event deleted",
                            detail={"uid": interview.uid})


def record_answer(svc: Services, interview: Interview, answer: str, changes: Changes,
                  detail: dict[str, Any] | None = None) -> None:
    """Store the attendee's ``answer`` on the interview and the timeline (a decline flags)."""
    store, now = svc.store, svc.clock()
    contact = store.get_contact(interview.contact_id)
    if answer not in ANSWERS:  # needsAction: nothing to tell, only remember it
        if not changes.dry_run:
            with store.transaction():
                store.set_attendee_status(interview.uid, answer)
        return
    when = _when(interview, contact, svc)
    line = f"{contact.email}: {answer} the invitation for {when}"
    changes.add("invitation_" + answer, line)
    if changes.dry_run:
        return
    with store.transaction():
        store.set_attendee_status(interview.uid, answer)
        store.add_event(contact.id or 0, now, "invitation", cause=f"invitation {answer}",
                        detail={"uid": interview.uid, "answer": answer, **(detail or {})})
        if answer == "declined":
            store.flag(contact.id or 0,
                       f"declined the invitation for {when}: move it with `automation "
                       f"reschedule {contact.email}` or call it off with `automation "
                       f"cancel {contact.email}`", now)
    log.info("%s", line)


# -- an iMIP REPLY that comes back by mail (RFC 6047) ------------------------------------------

_PARTSTAT = {"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentative",
             "NEEDS-ACTION": "needsAction"}


@dataclass(frozen=True)
class MailAnswer:
    """What a ``text/calendar; method=REPLY`` part says: whose answer to which event."""

    uid: str
    attendee: str
    answer: str
    sequence: int


def imip_answer(message: EmailMessage) -> MailAnswer | None:
    """The REPLY a calendar client mailed when the contact pressed Accept or Decline, or None.

    Gmail, Outlook and Apple Mail send ``text/calendar; method=REPLY`` with the attendee's
    PARTSTAT (RFC 6047 §2.4, RFC 5546 §3.2.3); a broken part is simply not an answer.
    """
    for part in message.walk():
        if part.get_content_type() != "text/calendar":
            continue
        if str(part.get_param("method", "")).upper() not in ("REPLY", ""):
            continue
        payload = part.get_payload(decode=True)
        from icalendar import Calendar  # here: only a mailed calendar answer is parsed

        try:
            calendar = Calendar.from_ical(payload if isinstance(payload, bytes) else b"")
        except ValueError:
            continue
        if str(calendar.get("METHOD", "")).upper() != "REPLY":
            continue
        for event in calendar.walk("VEVENT"):
            attendee = event.get("ATTENDEE")
            attendee = attendee[0] if isinstance(attendee, list) else attendee
            partstat = str(getattr(attendee, "params", {}).get("PARTSTAT", "")).upper()
            if event.get("UID") and partstat in _PARTSTAT:
                email = str(attendee).removeprefix("mailto:").removeprefix("MAILTO:").lower()
                return MailAnswer(str(event["UID"]), email, _PARTSTAT[partstat],
                                  int(event.get("SEQUENCE", 0)))
    return None


def record_mail_answer(svc: Services, contact: Contact, answer: MailAnswer,
                       changes: Changes, key: str) -> bool:
    """Apply an iMIP REPLY to the contact's interview; False if it is about no interview of
    theirs (then it is ordinary mail). An answer to an older SEQUENCE than the stored one
    answers an invitation since replaced, and is only noted."""
    interview = next((i for i in (svc.store.interview_for(contact.id or 0),)
                      if i is not None and i.uid == answer.uid), None)
    if interview is None:
        return False
    detail = {"via": "mail", "key": key, "sequence": answer.sequence}
    if answer.sequence < interview.sequence or interview.status != "confirmed":
        if not changes.dry_run:
            with svc.store.transaction():
                svc.store.add_event(contact.id or 0, svc.clock(), "invitation",
                                    cause=f"an old answer ({answer.answer}) to a replaced "
                                          "invitation", detail=detail)
        return True
    if answer.answer != interview.attendee_status:
        record_answer(svc, interview, answer.answer, changes, detail)
    return True
