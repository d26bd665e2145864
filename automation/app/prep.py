"""The prep sheet: the private side of an interview, for the user's eyes only.

What the contact sees (the invitation, the confirmation) carries only the purpose, how you'll
talk and who you are. Everything the user needs to prepare lives here instead: the contact's
role and company, how you are connected, who introduced you, your notes and tags, and the
questions to ask (``[prep] questions``, TIARA by default). ``automation prep EMAIL`` prints it;
other interfaces read the same ``prep_sheet``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from automation.app.invitation import interview_location
from automation.app.services import Services
from automation.core.models import Contact, Slot


@dataclass(frozen=True)
class PrepSheet:
    """One contact's prep sheet (a read model: nothing here is ever sent)."""

    email: str
    name: str
    role: str
    company: str
    status: str
    connection: str  # how you are connected, in words
    referred_by: str | None  # "Name <email>" of who introduced you
    notes: str  # the Notes column of the import
    note: str  # your own `automation note`
    tags: tuple[str, ...]
    interview: Slot | None
    interview_status: str | None
    location: str
    questions: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        slot = self.interview
        return {"email": self.email, "name": self.name, "role": self.role,
                "company": self.company, "status": self.status,
                "connection": self.connection, "referred_by": self.referred_by,
                "notes": self.notes, "note": self.note, "tags": list(self.tags),
                "interview": None if slot is None else {
                    "start": slot.start.isoformat(), "end": slot.end.isoformat(),
                    "status": self.interview_status},
                "location": self.location, "questions": list(self.questions)}


def _connection(contact: Contact, referrer: Contact | None) -> str:
    if contact.connection:  # what the user said (imported, or set by hand)
        return contact.connection
    if referrer is not None:
        return f"introduced by {referrer.display_name}"
    if contact.tags:
        return "from your contacts (" + ", ".join(contact.tags) + ")"
    return "from your contacts"


def prep_sheet(svc: Services, email: str) -> PrepSheet:
    """The prep sheet of the contact ``email`` (UserError if there is none)."""
    return prep_sheet_of(svc, svc.store.require_contact(email))


def prep_sheet_of(svc: Services, contact: Contact) -> PrepSheet:
    """The prep sheet of ``contact``, read already."""
    store = svc.store
    referrer = store.get_contact(contact.referred_by) if contact.referred_by else None
    interview = store.interview_for(contact.id or 0)
    return PrepSheet(
        email=contact.email, name=contact.display_name, role=contact.role,
        company=contact.company, status=str(contact.status),
        connection=_connection(contact, referrer),
        referred_by=f"{referrer.display_name} <{referrer.email}>" if referrer else None,
        notes=contact.notes, note=contact.user_note, tags=contact.tags,
        interview=Slot(interview.start, interview.end) if interview else None,
        interview_status=interview.status if interview else None,
        location=interview_location(svc.config.interview, contact), questions=svc.config.interview.questions)


def interview_label(sheet: PrepSheet, now: datetime) -> str:
    """"upcoming"/"past"/"cancelled" for the sheet's interview (for headings)."""
    if sheet.interview is None:
        return "not booked"
    if sheet.interview_status == "cancelled":
        return "cancelled"
    return "upcoming" if sheet.interview.end > now else "held"
