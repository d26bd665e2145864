"""The attendee's answer to the interview invitation, read back from the calendar.

Google Calendar (and a synced vdir) records whether the contact accepted, declined or is
tentative. Once a tick, each upcoming confirmed interview's answer is read through
``Calendar.attendee_status``; a change is stored on the interview and written to the contact's
timeline, and a decline flags the contact ``needs_attention`` with what to do (reschedule or
cancel) — the service never decides that on its own.
"""

from __future__ import annotations

import logging

from automation.app.effects import Changes
from automation.app.services import Services
from automation.core.compose import slot_label
from automation.core.models import Slot
from automation.errors import BackendError

log = logging.getLogger(__name__)

ANSWERS = ("accepted", "declined", "tentative")


def check_answers(svc: Services, changes: Changes) -> None:
    """Record new answers to invitations of interviews that have not ended yet."""
    store, now = svc.store, svc.clock()
    for interview in store.interviews("confirmed"):
        if interview.end <= now:
            continue
        try:
            answer = svc.calendar.attendee_status(interview.uid)
        except BackendError as exc:
            changes.problems.append(f"could not read the invitation answers: {exc}")
            return  # the calendar is failing: the next tick asks again
        if answer is None or answer == interview.attendee_status:
            continue
        contact = store.get_contact(interview.contact_id)
        if answer not in ANSWERS:  # needsAction: nothing to tell, only remember it
            if not changes.dry_run:
                with store.transaction():
                    store.set_attendee_status(interview.uid, answer)
            continue
        when = slot_label(Slot(interview.start, interview.end),
                          contact.zone or svc.config.me.timezone)
        line = f"{contact.email}: {answer} the invitation for {when}"
        changes.add("invitation_" + answer, line)
        if changes.dry_run:
            continue
        with store.transaction():
            store.set_attendee_status(interview.uid, answer)
            store.add_event(contact.id or 0, now, "invitation", cause=f"invitation {answer}",
                            detail={"uid": interview.uid, "answer": answer})
            if answer == "declined":
                store.flag(contact.id or 0,
                           f"declined the invitation for {when}: move it with `automation "
                           f"reschedule {contact.email}` or call it off with `automation "
                           f"cancel {contact.email}`", now)
        log.info("%s", line)
