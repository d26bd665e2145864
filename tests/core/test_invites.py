"""iCalendar for interview events and the RFC 6047 invitation email, read back part by part."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from automation.core.compose import build_message
from automation.core.invites import (
    attach_invite,
    attendee_partstat,
    calendar_part,
    event_ics,
    invite_ics,
    param_text,
    parse_event,
)
from automation.core.records import EventSpec

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
STAMP = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)


def spec(**changes) -> EventSpec:
    start = datetime(2026, 11, 2, 10, 0, tzinfo=NY)  # the Monday after the DST change
    base = EventSpec(
        uid="0123456789abcdef0123456789abcdef", start=start, end=start + timedelta(minutes=10),
        summary="Informational interview: Jordan Okafor (Food & Beverage Co)",
        description="Questions to ask:\n- How did you get here?\n- Who else; really, anyone?",
        location="Phone call (I will call you): +1 555 0100", organizer_name="Alex Rivera",
        organizer_email="alex@example.org", attendee_name="Jordan Okafor",
        attendee_email="jordan.okafor@example.com", sequence=0, reminder_minutes=15,
        timezone="America/New_York")
    return replace(base, **changes)


def only_event(data: bytes):
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_calendar_file_has_one_event_in_the_users_zone_with_its_vtimezone() -> None:
    calendar, event = only_event(event_ics(spec(), STAMP))
    assert "METHOD" not in calendar  # a stored event, not an iTIP message
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert calendar.get_missing_tzids() == set()
    assert event.start == datetime(2026, 11, 2, 10, 0, tzinfo=NY)
    assert event.start.tzinfo.key == "America/New_York"
    assert event.end - event.start == timedelta(minutes=10)
    assert event.start.astimezone(UTC).hour == 15  # EST after the change: UTC-5
    assert str(event["UID"]) == spec().uid
    assert event["DTSTAMP"].dt == STAMP
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == spec().summary
    assert str(event["LOCATION"]) == spec().location
    assert str(event["DESCRIPTION"]) == spec().description


def test_organizer_attendee_and_alarm() -> None:
    _, event = only_event(event_ics(spec(), STAMP))
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:alex@example.org"
    assert organizer.params["CN"] == "Alex Rivera"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:jordan.okafor@example.com"
    assert attendee.params["CN"] == "Jordan Okafor"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "TRUE"
    alarms = event.walk("VALARM")
    assert len(alarms) == 1
    assert str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0]["TRIGGER"].dt == timedelta(minutes=-15)


def test_vtimezone_covers_both_sides_of_the_dst_change() -> None:
    friday = spec(start=datetime(2026, 10, 30, 10, 0, tzinfo=NY),
                  end=datetime(2026, 10, 30, 10, 10, tzinfo=NY))
    calendar, event = only_event(event_ics(friday, STAMP))
    assert event.start.astimezone(UTC).hour == 14  # EDT before the change: UTC-4
    names = {str(c["TZNAME"]) for tz in calendar.walk("VTIMEZONE") for c in tz.subcomponents}
    assert {"EDT", "EST"} <= names


def test_event_for_a_berlin_organizer_keeps_the_instant() -> None:
    start = datetime(2026, 10, 30, 9, 0, tzinfo=NY)  # 14:00 in Berlin (Berlin already on CET)
    berlin = spec(start=start, end=start + timedelta(minutes=10), timezone="Europe/Berlin")
    calendar, event = only_event(event_ics(berlin, STAMP))
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert event.start.tzinfo.key == "Europe/Berlin"
    assert (event.start.hour, event.start.minute) == (14, 0)
    assert event.start == start


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_itip_objects_carry_their_method(method: str) -> None:
    cancelled = spec(status="CANCELLED", sequence=1) if method == "CANCEL" else spec()
    calendar, event = only_event(invite_ics(cancelled, STAMP, method))
    assert str(calendar["METHOD"]) == method
    assert str(event["UID"]) == spec().uid
    if method == "CANCEL":
        assert str(event["STATUS"]) == "CANCELLED"
        assert int(event["SEQUENCE"]) == 1
        assert event.walk("VALARM") == []  # no reminder for a call that will not happen


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError):
        invite_ics(spec(), STAMP, "PUBLISH")


def confirmation(method: str = "REQUEST"):
    message = build_message(
        sender_name="Alex Rivera", sender="alex@example.org", to_name="Jordan Okafor",
        to="jordan.okafor@example.com", subject="Re: Ten minutes?", body="See you then.\n",
        now=STAMP, message_id="<confirmation-1-abc@example.org>",
        in_reply_to="<outreach-1-def@example.org>")
    event = spec(status="CANCELLED", sequence=1) if method == "CANCEL" else spec()
    ics = invite_ics(event, STAMP, method)
    attach_invite(message, ics, method)
    raw = message.as_bytes(policy=policy.SMTP)
    return BytesParser(policy=policy.default).parsebytes(raw), ics


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_invitation_email_mime_structure_part_by_part(method: str) -> None:
    parsed, ics = confirmation(method)
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed["In-Reply-To"] == "<outreach-1-def@example.org>"
    assert parsed["Subject"] == "Re: Ten minutes?"
    alternative, attachment = parsed.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, cal = alternative.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert text.get_content().replace("\r\n", "\n") == "See you then.\n"
    assert cal.get_content_type() == "text/calendar"
    assert cal.get_param("method") == method
    assert cal.get_content_charset() == "utf-8"
    assert cal.get_content_disposition() is None  # inline: this part makes the buttons
    assert cal.get_payload(decode=True) == ics  # byte for byte, CRLFs intact
    calendar, _ = only_event(cal.get_payload(decode=True))
    assert str(calendar["METHOD"]) == cal.get_param("method")
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_param("name") == "invite.ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_payload(decode=True) == ics
    assert calendar_part(parsed) is not None
    assert [p for p in parsed.walk() if p.get("MIME-Version")] == [parsed]


def test_attach_invite_refuses_a_message_that_is_already_multipart() -> None:
    parsed, ics = confirmation()
    with pytest.raises(ValueError):
        attach_invite(parsed, ics, "REQUEST")


def test_parse_event_round_trips_and_reads_partstat() -> None:
    data = event_ics(spec(), STAMP)
    assert parse_event(data) == spec()
    assert attendee_partstat(data, "JORDAN.OKAFOR@example.com") == "needsAction"
    accepted = data.replace(b"PARTSTAT=NEEDS-ACTION", b"PARTSTAT=ACCEPTED")
    assert attendee_partstat(accepted, "jordan.okafor@example.com") == "accepted"
    assert attendee_partstat(data, "someone.else@example.com") is None
    assert parse_event(b"not a calendar") is None


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=60)


@settings(max_examples=60, deadline=None)
@given(summary=texts, description=st.lists(texts, max_size=4).map("\n".join), location=texts,
       name=texts, minutes=st.integers(0, 180), sequence=st.integers(0, 50),
       offset=st.integers(0, 365 * 24 * 6), zone=st.sampled_from(
           ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]))
def test_any_event_round_trips_through_the_calendar_file(summary, description, location, name,
                                                         minutes, sequence, offset, zone) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=10 * offset)
    event = spec(summary=summary, description=description, location=location,
                 attendee_name=name or "x", reminder_minutes=minutes, sequence=sequence,
                 start=start.astimezone(ZoneInfo(zone)), end=start + timedelta(minutes=10),
                 timezone=zone)
    back = parse_event(event_ics(event, STAMP))
    assert back == replace(event, attendee_name=param_text(event.attendee_name))
    assert back.start.utcoffset() == start.astimezone(ZoneInfo(zone)).utcoffset()
