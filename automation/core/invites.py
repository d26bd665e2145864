"""Interview events as iCalendar, and the invitation email that carries them (RFC 5545/5546/6047).

Pure: no I/O and no clock reads (``dtstamp`` comes in as an argument). Three shapes of one event:

- the calendar file (``event_ics``): one VCALENDAR with its VTIMEZONE and one VEVENT, no METHOD —
  what a vdir holds and what khal and vdirsyncer read;
- the iTIP message (``invite_ics``): the same VEVENT under ``METHOD:REQUEST`` (invite or update)
  or ``METHOD:CANCEL``;
- the email (``attach_invite``): the plain-text draft turned into multipart/mixed →
  multipart/alternative [text/plain, text/calendar; method=…] + ``invite.ics``, the structure
  Gmail and Outlook turn into accept/decline buttons (RFC 6047 §2.4, and what Google Calendar
  itself sends).

``parse_event`` and ``attendee_partstat`` read a calendar file back, tolerating what other
clients add to it.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from automation.core.models import require_aware

# icalendar is imported when an event is written or read: a pass with nothing to book or to
# re-read never needs it (nor the EventSpec that parsing builds: core.records).
if TYPE_CHECKING:
    from email.message import EmailMessage

    from icalendar import Calendar, Event

    from automation.core.records import EventSpec

log = logging.getLogger(__name__)

# A product id as every calendar client writes one; it names no automation (the contact sees it).
PRODID = "-//Informational interviews//Calendar 1.0//EN"
METHODS = ("REQUEST", "CANCEL")
#: Marks an event that asked for a video-conference link (no standard property exists).
MEET_PROPERTY = "X-AUTOMATION-MEET"
#: Port vocabulary (Google's words) for the iCalendar PARTSTAT values.
PARTSTATS = {"NEEDS-ACTION": "needsAction", "ACCEPTED": "accepted", "DECLINED": "declined",
             "TENTATIVE": "tentative", "DELEGATED": "declined"}


def param_text(value: str) -> str:
    """A value safe inside a property parameter such as CN.

    icalendar leaves a value ending in a backslash unquoted, and readers then take ``\\;`` for
    an escaped semicolon, corrupting the rest of the line; no display name needs a backslash.
    """
    return value.replace("\\", "/")


def _mailto(email: str) -> str:
    return f"mailto:{email}"


def _address(value: object) -> str:
    text = str(value)
    return text[7:] if text.lower().startswith("mailto:") else text


def _event(spec: EventSpec, dtstamp: datetime) -> Event:
    from icalendar import Alarm, Event, vCalAddress

    zone = ZoneInfo(spec.timezone)
    event = Event()
    event.add("uid", spec.uid)
    event.add("dtstamp", require_aware(dtstamp, "dtstamp").astimezone(UTC))
    # DTSTART/DTEND in the organizer's zone (with its VTIMEZONE): the event keeps its wall time
    # in the user's calendar, and the attendee's client converts it to theirs.
    event.add("dtstart", require_aware(spec.start, "event start").astimezone(zone))
    event.add("dtend", require_aware(spec.end, "event end").astimezone(zone))
    event.add("sequence", spec.sequence)
    event.add("status", spec.status)
    event.add("summary", spec.summary)
    if spec.location:
        event.add("location", spec.location)
    if spec.description:
        event.add("description", spec.description)
    event.add("transp", "OPAQUE")
    organizer = vCalAddress(_mailto(spec.organizer_email))
    organizer.params["CN"] = param_text(spec.organizer_name or spec.organizer_email)
    event.add("organizer", organizer)
    attendee = vCalAddress(_mailto(spec.attendee_email))
    attendee.params["CN"] = param_text(spec.attendee_name or spec.attendee_email)
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = "NEEDS-ACTION"
    if spec.status != "CANCELLED":
        # A cancellation asks for no answer (RFC 5546 §3.2.5: the CANCEL has no REPLY); with
        # RSVP=TRUE some clients still show accept/decline buttons on it.
        attendee.params["RSVP"] = "TRUE"
    event.add("attendee", attendee)
    if spec.meet:
        event.add(MEET_PROPERTY, "TRUE")
    if spec.status != "CANCELLED":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Reminder: {spec.summary}")
        alarm.add("trigger", timedelta(minutes=-spec.reminder_minutes))
        event.add_component(alarm)
    return event


def event_calendar(spec: EventSpec, dtstamp: datetime, method: str | None = None) -> Calendar:
    """The VCALENDAR for ``spec``; ``method`` "REQUEST"/"CANCEL" makes it an iTIP message."""
    if method is not None and method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add_component(_event(spec, dtstamp))
    # A VTIMEZONE covering the event's years only: a full 1970-2038 table is ~4 KB of RDATEs
    # in every invite. Unknown zones (none, for ZoneInfo keys) would simply be left out.
    start = spec.start.astimezone(ZoneInfo(spec.timezone))
    end = spec.end.astimezone(ZoneInfo(spec.timezone))
    calendar.add_missing_timezones(first_date=date(start.year, 1, 1),
                                   last_date=date(end.year + 1, 1, 1))
    return calendar


def event_ics(spec: EventSpec, dtstamp: datetime) -> bytes:
    """The calendar file: VCALENDAR + VTIMEZONE + one VEVENT, no METHOD (RFC 5545 §3.7.2)."""
    return bytes(event_calendar(spec, dtstamp).to_ical())


def invite_ics(spec: EventSpec, dtstamp: datetime, method: str = "REQUEST") -> bytes:
    """The iTIP object an attendee's client acts on: METHOD:REQUEST or METHOD:CANCEL."""
    return bytes(event_calendar(spec, dtstamp, method).to_ical())


def attach_invite(message: EmailMessage, ics: bytes, method: str) -> EmailMessage:
    """Turn a text/plain draft into an RFC 6047 invitation carrying ``ics``; returns it.

    Result: multipart/mixed → [multipart/alternative → [text/plain,
    text/calendar; method=METHOD; charset=UTF-8], application/ics "invite.ics"]. The calendar
    parts are base64 so the CRLF line ends iCalendar requires survive every hop unchanged.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if message.get_content_type() != "text/plain" or message.is_multipart():
        raise ValueError("attach_invite needs the plain-text message from compose.build_message")
    message.make_alternative()
    message.add_alternative(ics, maintype="text", subtype="calendar",
                            params={"method": method, "charset": "UTF-8"})
    message.make_mixed()
    message.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics",
                           params={"name": "invite.ics"})
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # only the top-level header carries it
    return message


def calendar_part(message: EmailMessage) -> EmailMessage | None:
    """The inline text/calendar part of an invitation email, or None."""
    from email.message import EmailMessage  # the part's class: a message in hand has loaded it

    for part in message.walk():
        if part.get_content_type() == "text/calendar" and isinstance(part, EmailMessage):
            return part
    return None


# -- reading a calendar file back ---------------------------------------------------------------

def _zone_name(value: datetime) -> str:
    key = getattr(value.tzinfo, "key", None) or getattr(value.tzinfo, "zone", None)
    if key:
        return str(key)
    return "UTC" if value.utcoffset() == timedelta(0) else str(value.tzinfo)


def _reminder(event: Event) -> int:
    for alarm in event.walk("VALARM"):
        trigger = alarm.get("trigger")
        if trigger is not None and isinstance(trigger.dt, timedelta):
            return max(0, int(-trigger.dt.total_seconds()) // 60)
    return 0


def _first_event(data: bytes) -> Event | None:
    from icalendar import Calendar, Event

    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:
        log.warning("unreadable calendar data: %s", exc)
        return None
    events = [e for e in calendar.walk("VEVENT") if isinstance(e, Event)]
    return events[0] if events else None


def parse_event(data: bytes) -> EventSpec | None:
    """The EventSpec in a calendar file written by ``event_ics`` (or edited by a client).

    None when the data holds no VEVENT with an aware start, or does not parse.
    """
    from automation.core.records import EventSpec

    event = _first_event(data)
    if event is None:
        return None
    try:
        start = event.start
        end = event.end
    except (KeyError, ValueError, IndexError):
        return None
    if not isinstance(start, datetime) or start.tzinfo is None or not isinstance(end, datetime):
        return None
    organizer = event.get("organizer")
    attendees = event.get("attendee") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    organizer_email = _address(organizer) if organizer is not None else ""
    attendee = next((a for a in attendees if _address(a).lower() != organizer_email.lower()),
                    attendees[0] if attendees else None)
    alarm_minutes = _reminder(event)
    return EventSpec(
        uid=str(event.get("uid", "")),
        start=start,
        end=end,
        summary=str(event.get("summary", "")),
        description=str(event.get("description", "")),
        location=str(event.get("location", "")),
        organizer_name=str(organizer.params.get("CN", "")) if organizer is not None else "",
        organizer_email=organizer_email,
        attendee_name=str(attendee.params.get("CN", "")) if attendee is not None else "",
        attendee_email=_address(attendee) if attendee is not None else "",
        sequence=int(event.get("sequence", 0)),
        status=str(event.get("status", "CONFIRMED")).upper(),
        reminder_minutes=alarm_minutes if event.walk("VALARM") else EventSpec.reminder_minutes,
        meet=str(event.get(MEET_PROPERTY, "")).upper() == "TRUE",
        timezone=_zone_name(start),
    )


def attendee_partstat(data: bytes, email: str) -> str | None:
    """The PARTSTAT of attendee ``email`` in port words ("accepted", ...), or None if absent."""
    event = _first_event(data)
    if event is None:
        return None
    attendees = event.get("attendee") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    for attendee in attendees:
        if _address(attendee).lower() == email.lower():
            value = str(attendee.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
            return PARTSTATS.get(value, "needsAction")
    return None
