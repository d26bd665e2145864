"""What the contact receives: a personal note with no trace of automation and nothing private.

One story through the command line renders one of every kind of draft (outreach, follow-up,
confirmation with its invitation, cancellation, thank-you, check-in, and the digest to the
user), then every message in Drafts and Sent and every calendar file is read back the way the
contact's mail and calendar clients would read it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from icalendar import Calendar

from automation.app.digest import send_digest
from automation.bootstrap import open_services
from automation.config import TIARA_QUESTIONS, load_config
from tests.e2e.test_google_e2e import (  # noqa: F401  (fixtures)
    GmailStory,
    fake,
    google_workspace,
    no_backoff,
)
from tests.e2e.test_pipeline_cli import MONDAY, Clock, Story, at
from tests.support.crashkit import kind_of
from tests.support.workspace import Workspace, write_csv

DANA = "dana.lee@example.net"
PRIYA = "priya.raman@example.com"
NOTES = ("Alumna of my program", "Spoke at the public-health career night")
TAG = "public-health-network"
QUESTION = "Which vaccine-outreach campaign taught you the most?"
KINDS = {"outreach", "follow_up", "confirmation", "cancellation", "thank_you", "check_in"}
#: What Thunderbird, Apple Mail, Outlook, Gmail or neomutt write into a plain message or an
#: invitation (RFC 5322 and MIME); anything else would be ours and show in "show original".
CLIENT_HEADERS = {"from", "to", "cc", "subject", "date", "message-id", "in-reply-to",
                  "references", "mime-version", "content-type", "content-transfer-encoding",
                  "content-disposition"}
#: An opaque Message-ID: a random UUID at the user's domain (no kind, no counter, no id).
OPAQUE_ID = re.compile(r"^<[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
                       r"@example\.org>$")
KIND_WORDS = re.compile(r"(?i)outreach|follow|confirm|cancel|thank|check|digest|automation")


def private_words() -> list[str]:
    return [*NOTES, TAG, QUESTION]


def every_kind(ws: Workspace) -> Story:
    """Drive two contacts through every kind of draft; the user sends most of them."""
    ws.set_config("prep", "questions", f'["{QUESTION}"]')
    ws.set_config("cadence", "follow_up_after_business_days", "4")  # a config from before 3B7
    story = Story(ws)
    ws.ok("import", "--tag", TAG, str(write_csv(ws.root.parent / "contacts.csv", [
        f"Priya,Raman,{PRIYA},County Health Department,Epidemiologist,America/New_York,"
        f"{NOTES[1]}",
        f"Dana,Lee,{DANA},City Hospital,Communications Manager,America/Chicago,{NOTES[0]}",
    ])), now=MONDAY.isoformat())
    story.run(MONDAY)
    story.send(PRIYA, "outreach", at(7, 9))
    story.send(DANA, "outreach", at(7, 9))
    story.run(at(7, 9, 5))
    ws.ok("book", DANA, "--option", "1", now=at(7, 10).isoformat())
    story.send(DANA, "confirmation", at(7, 11))
    end = datetime.fromisoformat(story.show(DANA)["interview"]["end"])
    story.run(end + timedelta(minutes=5))  # → interviewed
    assert "Drafted thank-you" in story.run(end + timedelta(hours=13))
    story.send(DANA, "thank_you", end + timedelta(hours=14))
    story.run(end + timedelta(hours=15))
    ws.ok("mark", DANA, "nurturing", now=(end + timedelta(hours=16)).isoformat())
    assert "Drafted follow-up" in story.run(at(11, 10))  # Priya: four business days, no reply
    story.send(PRIYA, "follow_up", at(11, 10, 30))
    ws.ok("book", PRIYA, "--option", "1", now=at(11, 11).isoformat())
    ws.ok("cancel", PRIYA, "--reason", "something came up", now=at(11, 12).isoformat())
    story.run(at(11, 13))  # the follow-up's Sent copy is recorded
    ws.ok("update", "I finished the course you recommended",
          now=(end + timedelta(days=90)).isoformat())
    assert "Drafted check-in" in story.run(end + timedelta(days=91))
    ws.set_config("daemon", "digest_draft", "true")
    svc = open_services(load_config(ws.config), Clock(end + timedelta(days=91)))
    try:
        send_digest(svc, svc.clock(), svc.clock().date(), log_it=False)
    finally:
        svc.close()
    return story


def our_messages(ws: Workspace) -> list[EmailMessage]:
    return ws.messages("Drafts") + ws.messages("Sent")


def unfolded(text: str) -> str:
    """iCalendar folds lines at 75 octets: join them so a phrase cannot hide across a fold."""
    return re.sub(r"\r?\n[ \t]", "", text)


def readable_text(message: EmailMessage) -> str:
    """Every header and every decoded part, as the recipient's client can display them."""
    chunks = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        chunks += [f"{name}: {value}" for name, value in part.items()]
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        text = payload.decode(part.get_content_charset() or "utf-8", "replace")
        if part.get_content_type() in ("text/calendar", "application/ics"):
            calendar = Calendar.from_ical(payload)
            chunks += [str(value) for component in calendar.walk()
                       for value in component.values()]
            text = unfolded(text)
        chunks.append(text)
    return "\n".join(chunks)


def test_one_of_every_kind_carries_no_trace_of_automation(workspace: Workspace) -> None:
    """No X-Automation-* header, no header a mail client would not write, and opaque
    Message-IDs (no kind, no counter) on every draft and every sent copy, of every kind."""
    every_kind(workspace)
    messages = our_messages(workspace)
    kinds = {kind_of(m) for m in messages}
    assert KINDS <= kinds, kinds
    assert any(str(m["Subject"]).startswith("Your informational-interview digest")
               for m in messages)
    for message in messages:
        names = {name.lower() for part in message.walk() for name in part.keys()}
        assert not [n for n in names if n.startswith("x-")], (kind_of(message), names)
        assert names <= CLIENT_HEADERS, (kind_of(message), names - CLIENT_HEADERS)
        message_id = str(message["Message-ID"])
        assert OPAQUE_ID.match(message_id), message_id
        assert not KIND_WORDS.search(message_id), message_id
    for path in sorted((workspace.root / "calendar").glob("*.ics")):
        text = unfolded(path.read_text())
        assert "X-AUTOMATION" not in text.upper() and "automation" not in text.lower(), path


def test_nothing_private_reaches_the_contact(workspace: Workspace) -> None:
    """No contact note, tag or configured question in any part of any message, any invite
    inside a confirmation, or any calendar file; the prep sheet has all of them."""
    every_kind(workspace)
    for message in our_messages(workspace):
        if str(message["To"]) and "alex@example.org" in str(message["To"]):
            continue  # the digest goes to the user, not to a contact
        text = readable_text(message)
        leaked = [w for w in private_words() if w.lower() in text.lower()]
        assert not leaked, (kind_of(message), leaked)
    files = sorted((workspace.root / "calendar").glob("*.ics"))
    assert len(files) == 2
    for path in files:
        data = path.read_bytes()
        values = [str(v) for c in Calendar.from_ical(data).walk() for v in c.values()]
        text = unfolded(data.decode()) + "\n".join(values)
        assert not [w for w in private_words() if w.lower() in text.lower()], path
    sheet = workspace.ok("prep", DANA, "--json", now=at(7, 12).isoformat()).json()
    assert sheet["notes"] == NOTES[0] and TAG in sheet["tags"]
    assert sheet["questions"] == [QUESTION]


def test_invitation_shows_purpose_how_and_who(workspace: Workspace) -> None:
    """The event's title reads right on both calendars; its description says why, how and who."""
    story = Story(workspace)
    story.start(f"Dana,Lee,{DANA},City Hospital,Communications Manager,America/Chicago,"
                f"{NOTES[0]}")
    workspace.ok("book", DANA, "--option", "1", now=at(7, 10).isoformat())
    (path,) = (workspace.root / "calendar").glob("*.ics")
    (event,) = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert str(event["SUMMARY"]) == "10-minute call: Alex Rivera & Dana Lee"
    assert str(event["DESCRIPTION"]).splitlines() == [
        "A short informational conversation: I'd love to hear about your work at City Hospital.",
        "How we'll talk: Phone call (I will call you)",
        "Alex Rivera <alex@example.org>",
    ]


def test_prep_sheet_defaults_to_tiara_and_keeps_an_older_question_list(
        workspace: Workspace) -> None:
    """TIARA by default; a config file with ``[interview] questions`` keeps its own list."""
    story = Story(workspace)
    story.start(f"Dana,Lee,{DANA},City Hospital,Communications Manager,America/Chicago,"
                f"{NOTES[0]}")
    sheet = workspace.ok("prep", DANA, "--json", now=at(7, 10).isoformat()).json()
    assert sheet["questions"] == list(TIARA_QUESTIONS)
    assert [q.split(":")[0] for q in sheet["questions"]] == [
        "Trends", "Insights", "Advice", "Resources", "Assignments"]
    text = workspace.ok("prep", DANA, now=at(7, 10).isoformat()).out
    assert "Prep: Dana Lee" in text and NOTES[0] in text and "1. Trends:" in text
    workspace.set_config("interview", "questions", '["How did you get here?"]')
    sheet = workspace.ok("prep", DANA, "--json", now=at(7, 10).isoformat()).json()
    assert sheet["questions"] == ["How did you get here?"]
    result = workspace.ok("prep", DANA, now=at(7, 10).isoformat())
    assert "unknown key" not in result.err



def test_the_google_event_and_its_confirmation_hold_nothing_private(
        workspace: Workspace, request: pytest.FixtureRequest) -> None:
    """On Google Calendar the event description is shared with the attendee: the event on
    the fake, and the confirmation in Gmail, carry no note, tag or configured question."""
    fake_google = request.getfixturevalue("fake")
    story = GmailStory(google_workspace(workspace, fake_google), fake_google,
                       fake_google.clock_now)
    workspace.set_config("prep", "questions", f'["{QUESTION}"]')
    workspace.ok("import", "--tag", TAG, str(write_csv(workspace.root.parent / "c.csv", [
        f"Dana,Lee,{DANA},City Hospital,Communications Manager,America/Chicago,{NOTES[0]}",
    ])), now=MONDAY.isoformat())
    story.run(MONDAY)
    story.send(DANA, "outreach", at(7, 9))
    story.run(at(7, 9, 5))
    workspace.ok("book", DANA, "--option", "1", now=at(7, 10).isoformat())
    (event,) = fake_google.events()
    assert event["summary"] == "10-minute call: Alex Rivera & Dana Lee"
    shared = " ".join(str(event.get(k, "")) for k in ("summary", "description", "location"))
    shared += " " + " ".join(str(a) for a in event.get("attendees", []))
    assert not [w for w in private_words() if w.lower() in shared.lower()], shared
    (confirmation,) = story.ws.drafts()
    text = readable_text(confirmation)
    assert not [w for w in private_words() if w.lower() in text.lower()]
    sheet = workspace.ok("prep", DANA, "--json", now=at(7, 11).isoformat()).json()
    assert sheet["notes"] == NOTES[0] and sheet["questions"] == [QUESTION]


def test_prep_sheet_says_how_you_are_connected(workspace: Workspace) -> None:
    """The contact's connection as recorded, else who introduced you, else your contacts."""
    story = Story(workspace)
    story.start(f"Dana,Lee,{DANA},City Hospital,Communications Manager,America/Chicago,")
    workspace.ok("refer", DANA, "--name", "Sam Lee", "--email", "sam@example.com",
                 now=at(7, 9).isoformat())
    sam = workspace.ok("prep", "sam@example.com", "--json", now=at(7, 9).isoformat()).json()
    assert sam["connection"] == "introduced by Dana Lee"
    assert sam["referred_by"] == f"Dana Lee <{DANA}>"
    dana = workspace.ok("prep", DANA, "--json", now=at(7, 9).isoformat()).json()
    assert dana["connection"] == "from your contacts"
