"""The local backend as real clients use it (mbsync + Dovecot, vdirsyncer + Radicale, neomutt).

The local-backend items of the real-Google issue: an iMIP REPLY by mail, an event file deleted
by a sync, the SEQUENCE rule, a CANCEL that asks for no answer, ``max_per_day`` for ``book
--at`` and its suggestions, and ``reschedule EMAIL`` without an option.
"""

from __future__ import annotations

from email.message import EmailMessage

from icalendar import Calendar

from tests.e2e.test_booking_cli import (
    LATER,
    PRIYA,
    calendar_files,
    drafts_of,
    invite_parts,
    only_event,
    setup_outreach,
)
from tests.support import play
from tests.support.workspace import Workspace

DANA = "dana.lee@example.net"


def event_file(ws: Workspace) -> tuple[str, Calendar]:
    ((name, data),) = calendar_files(ws).items()
    return name, Calendar.from_ical(data)


def test_cancel_asks_for_no_answer(workspace: Workspace) -> None:
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    (request,) = drafts_of(workspace, "confirmation")
    _, cal, _ = invite_parts(request)
    _, event = only_event(cal.get_payload(decode=True))
    assert event["ATTENDEE"].params["RSVP"] == "TRUE"
    workspace.ok("cancel", PRIYA, now=LATER)
    (notice,) = drafts_of(workspace, "cancellation")
    _, cal, _ = invite_parts(notice)
    _, event = only_event(cal.get_payload(decode=True))
    assert "RSVP" not in event["ATTENDEE"].params  # RFC 5546: a CANCEL has no REPLY


def test_update_sequence_is_above_the_one_in_the_file(workspace: Workspace) -> None:
    """A calendar client (or a CalDAV server through vdirsyncer) raised SEQUENCE in the file:
    the next update goes one above the larger of the stored one and the file's."""
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    name, cal = event_file(workspace)
    path = workspace.root / "calendar" / name
    path.write_bytes(path.read_bytes().replace(b"SEQUENCE:0", b"SEQUENCE:4"))
    workspace.ok("reschedule", PRIYA, "--option", "3", now=LATER)
    _, cal = event_file(workspace)
    (event,) = [c for c in cal.walk("VEVENT")]
    assert int(event["SEQUENCE"]) == 5
    (request,) = drafts_of(workspace, "confirmation")
    _, part, _ = invite_parts(request)
    _, sent = only_event(part.get_payload(decode=True))
    assert int(sent["SEQUENCE"]) == 5


def test_reschedule_after_a_sent_confirmation_says_moved(workspace: Workspace) -> None:
    """Case 6's other half: when she did get the first confirmation, the new one says so."""
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    (first,) = drafts_of(workspace, "confirmation")
    play.send(workspace.maildir, str(first["Message-ID"]))
    workspace.ok("run", "--once", now=LATER)
    workspace.ok("reschedule", PRIYA, "--option", "3", now=LATER)
    (latest,) = drafts_of(workspace, "confirmation")
    assert "moved" in invite_parts(latest)[0]


def test_reschedule_without_an_option_lists_the_held_slots(workspace: Workspace) -> None:
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    result = workspace.ok("reschedule", PRIYA, now=LATER)  # as the README says: not an error
    assert "--option N" in result.out and "1. " in result.out and "3. " in result.out
    held = workspace.contact(PRIYA)["offered_slots"]
    assert len(held) == 3
    again = workspace.ok("reschedule", PRIYA, now=LATER)  # the same held slots, not new ones
    assert again.out == result.out and workspace.contact(PRIYA)["offered_slots"] == held


def test_book_at_respects_max_per_day(workspace: Workspace) -> None:
    workspace.set_config("availability", "max_per_day", "1")
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--at", "2026-12-09 10:00", now=LATER)
    taken = workspace.run("book", DANA, "--at", "2026-12-09 14:00", now=LATER)
    assert taken.code == 1 and "max_per_day" in taken.err, taken.err
    suggested = taken.err.split("Next free slots:")[1]
    assert "Dec 09" not in suggested and "12-09" not in suggested, suggested


def reply_with_partstat(ws: Workspace, request: EmailMessage, partstat: str) -> None:
    """What Gmail, Outlook or Apple Mail send when the contact presses Accept or Decline."""
    _, part, _ = invite_parts(request)
    _, event = only_event(part.get_payload(decode=True))
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
        "METHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        f"DTSTART:{event.decoded('DTSTART').strftime('%Y%m%dT%H%M%SZ')}\r\n"
        f"DTEND:{event.decoded('DTEND').strftime('%Y%m%dT%H%M%SZ')}\r\n"
        "DTSTAMP:20261207T150000Z\r\n"
        f"ORGANIZER;CN=Alex Rivera:mailto:{str(event['ORGANIZER'])[7:]}\r\n"
        f"UID:{event['UID']}\r\n"
        f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN=Priya Raman;"
        f"X-NUM-GUESTS=0:mailto:{PRIYA}\r\n"
        f"SEQUENCE:{event['SEQUENCE']}\r\nSTATUS:CONFIRMED\r\n"
        f"SUMMARY:{'Accepted' if partstat == 'ACCEPTED' else 'Declined'}: interview\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n")
    answer = EmailMessage()
    answer["From"] = f"Priya Raman <{PRIYA}>"
    answer["To"] = str(request["From"])
    answer["Subject"] = f"{'Accepted' if partstat == 'ACCEPTED' else 'Declined'}: interview"
    answer["Message-ID"] = f"<calendar-{partstat.lower()}@google.com>"
    answer["In-Reply-To"] = str(request["Message-ID"])
    answer["Date"] = "Mon, 07 Dec 2026 10:00:00 -0500"
    answer.set_content(f"Priya Raman has {partstat.lower()} this invitation.")
    answer.add_alternative(ics, subtype="calendar", params={"method": "REPLY"})
    answer.add_attachment(ics.encode(), maintype="application", subtype="ics",
                          filename="invite.ics")
    play.deliver(ws.maildir, answer)


def test_imip_reply_by_mail_updates_the_attendee(workspace: Workspace) -> None:
    """The contact presses Accept in Gmail: a text/calendar; method=REPLY comes back by mail.
    It records her answer and the timeline; it is no "reply needs you" and no slot pick."""
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    (request,) = drafts_of(workspace, "confirmation")
    play.send(workspace.maildir, str(request["Message-ID"]))
    workspace.ok("run", "--once", now=LATER)
    reply_with_partstat(workspace, request, "ACCEPTED")
    out = workspace.ok("run", "--once", now="2026-12-07T10:05:00-05:00").out
    assert f"{PRIYA}: accepted the invitation" in out, out
    shown = workspace.ok("show", PRIYA, "--json").json()
    assert shown["status"] == "scheduled" and not shown["needs_attention"]
    assert shown["interview"]["attendee_status"] == "accepted"
    assert any(e["cause"] == "invitation accepted" for e in shown["timeline"])
    assert drafts_of(workspace, "confirmation") == []  # no new booking from "a pick"


def test_imip_decline_by_mail_flags_what_to_do(workspace: Workspace) -> None:
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    (request,) = drafts_of(workspace, "confirmation")
    play.send(workspace.maildir, str(request["Message-ID"]))
    workspace.ok("run", "--once", now=LATER)
    reply_with_partstat(workspace, request, "DECLINED")
    workspace.ok("run", "--once", now="2026-12-07T10:05:00-05:00")
    shown = workspace.ok("show", PRIYA, "--json").json()
    assert shown["interview"]["attendee_status"] == "declined"
    assert "declined the invitation" in (shown["needs_attention"] or "")
    assert "reply needs you" not in (shown["needs_attention"] or "")


def test_event_file_deleted_by_a_sync_is_noticed(workspace: Workspace) -> None:
    """vdirsyncer mirrored a deletion on the CalDAV server: the file is gone. The contact is
    flagged, and ``doctor`` says so."""
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    name, _ = event_file(workspace)
    (workspace.root / "calendar" / name).unlink()
    out = workspace.ok("run", "--once", now=LATER).out
    assert "event file" in out and PRIYA in out, out
    shown = workspace.ok("show", PRIYA, "--json").json()
    assert "calendar" in (shown["needs_attention"] or ""), shown["needs_attention"]
    doctor = workspace.run("doctor", now=LATER)
    assert doctor.code == 1 and name in doctor.out and PRIYA in doctor.out, doctor.out


def test_readme_gives_the_mbsync_and_vdirsyncer_setup() -> None:
    """The facts checked with real tools (isync 1.4, vdirsyncer 0.21) are in the README."""
    from tests.support.workspace import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use with any IMAP and CalDAV provider", 1)[1].split("\n## ", 1)[0]
    for fact in ("Path ~/interviews/mail/", "Inbox ~/interviews/mail/INBOX",
                 "SubFolders Verbatim", "Patterns INBOX Drafts Sent", "Create Both",
                 "Expunge Both", '"Sent Items"', 'type = "filesystem"', 'fileext = ".ics"',
                 "collections = null", "random file names"):
        assert fact in section, fact
