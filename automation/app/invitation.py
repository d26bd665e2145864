"""What the contact is sent about the interview, and what templates see of it.

The event (its UID, title, description, location) is the part of the invitation the contact
reads in their calendar: only the purpose, how you'll talk and who you are. Notes, tags and
the questions to ask are private and live in the prep sheet (``app.prep``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from automation.config import Config, InterviewConfig, Me
from automation.core.compose import slot_label
from automation.core.models import Contact, Slot
from automation.core.records import EventSpec


def interview_uid(contact: Contact, generation: int = 0) -> str:
    """The UID of the contact's interview: stable across updates, unique across workspaces.

    ``generation`` counts the bookings cancelled before this one: Google never lets the id of
    a deleted event be used again, so a booking after a cancel gets its own id — derived, not
    random, so an insert repeated after a crash still answers 409 (done). 32 hex digits; hex is
    a subset of base32hex, so it is also a valid Google event id.
    """
    created = contact.created_at.isoformat() if contact.created_at else ""
    seed = f"informational-interview|{contact.id}|{contact.email}|{created}"
    if generation:
        seed += f"|{generation}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]



def interview_location(interview: InterviewConfig, contact: Contact) -> str:
    """The contact's preferred way to meet, else ``[interview] location`` (+ their phone)."""
    location = contact.location or interview.location
    if contact.phone and "phone" in location.lower() and contact.phone not in location:
        location = f"{location}: {contact.phone}"
    return location


def event_title(me: Me, contact: Contact, minutes: int) -> str:
    """The event's title, neutral so it reads right on both calendars."""
    return f"{minutes}-minute call: {me.name} & {contact.display_name}"


def describe(me: Me, interview: InterviewConfig, contact: Contact) -> str:
    """The event DESCRIPTION, which the contact sees: the purpose, how you'll talk, who you are.

    Nothing private: notes, tags and the questions to ask live in the prep sheet
    (``app.prep``), never here.
    """
    at = f" at {contact.company}" if contact.company else ""
    return "\n".join([
        f"A short informational conversation: I'd love to hear about your work{at}.",
        f"How we'll talk: {interview_location(interview, contact)}",
        f"{me.name} <{me.email}>",
    ])


def event_spec(config: Config, contact: Contact, slot: Slot, sequence: int,
               uid: str | None = None) -> EventSpec:
    """The interview event ``uid`` (default: the first generation's) for ``slot`` (the
    organizer's zone, confirmed)."""
    me, interview = config.me, config.interview
    minutes = int((slot.end - slot.start).total_seconds() // 60)
    return EventSpec(
        uid=uid or interview_uid(contact), start=slot.start.astimezone(me.timezone),
        end=slot.end.astimezone(me.timezone), summary=event_title(me, contact, minutes),
        description=describe(me, interview, contact),
        location=interview_location(interview, contact),
        organizer_name=me.name, organizer_email=me.email, attendee_name=contact.display_name,
        attendee_email=contact.email, sequence=sequence, status="CONFIRMED",
        reminder_minutes=interview.reminder_minutes,
        meet=config.backend == "google" and config.google.meet, timezone=me.zone_name)


def interview_view(slot: Slot, zone: ZoneInfo, location: str, **extra: Any) -> dict[str, Any]:
    """What templates see as ``interview`` (times in the reader's ``zone``)."""
    view = {"label": slot_label(slot, zone), "start": slot.start.astimezone(zone),
            "end": slot.end.astimezone(zone), "location": location,
            "minutes": int((slot.end - slot.start).total_seconds() // 60),
            "rescheduled": False, "previous_label": "", "invite_attached": True,
            "declined": False, "reason": ""}
    view.update(extra)
    return view


def sample_interview(start: datetime) -> dict[str, Any]:
    """The ``interview`` variable of ``templates check``."""
    slot = Slot(start, start + timedelta(minutes=10))
    return interview_view(slot, ZoneInfo("America/Chicago"), "Phone call (I will call you)")
