"""End to end through the CLI: book, cancel and reschedule on the local backend.

The calendar folder is read back with icalendar, and each draft is checked part by part.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from automation.adapters.clock import parse_now
from automation.adapters.local.maildir import MaildirMailbox
from automation.adapters.memory import MemoryCalendar
from automation.app import booking
from automation.bootstrap import open_services
from automation.config import load_config
from automation.errors import BackendError
from tests.support.crashkit import kind_of
from tests.support.workspace import REPO, Workspace, write_csv

MONDAY = "2026-12-07T08:30:00-05:00"
LATER = "2026-12-07T09:00:00-05:00"
NY = ZoneInfo("America/New_York")
PRIYA = "priya.raman@example.com"
DEFAULT_QUESTIONS = ("How did you get to where you are now?",
                     "What steps would you take if you were in my place?",
                     "What would you have done differently?", "Who else should I talk to?")


def setup_outreach(ws: Workspace) -> dict:
    ws.ok("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
    ws.ok("run", "--once", now=MONDAY)
    return ws.contact(PRIYA)


def calendar_files(ws: Workspace) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((ws.root / "calendar").glob("*.ics"))}


def only_event(data: bytes):
    calendar = Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def drafts_of(ws: Workspace, kind: str, to: str = PRIYA) -> list[EmailMessage]:
    return [d for d in ws.drafts() if kind_of(d) == kind
            and d["To"].addresses[0].addr_spec == to]


def invite_parts(draft: EmailMessage):
    """(text, calendar part, attachment), asserting the RFC 6047 structure on the way."""
    assert draft.get_content_type() == "multipart/mixed"
    alternative, attachment = draft.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, cal = alternative.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert cal.get_content_type() == "text/calendar"
    assert cal.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == cal.get_payload(decode=True)
    return text.get_content(), cal, attachment


def start_of(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def test_book_offered_slot_writes_event_and_invite_in_the_thread(workspace: Workspace) -> None:
    offered = setup_outreach(workspace)["offered_slots"]
    (outreach,) = drafts_of(workspace, "outreach")
    result = workspace.ok("book", PRIYA, "--option", "2", now=LATER)
    assert "Booked Priya Raman" in result.out

    (name, data), = calendar_files(workspace).items()
    calendar, event = only_event(data)
    uid = str(event["UID"])
    assert name == f"{uid}.ics"
    assert "METHOD" not in calendar
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert event.start == start_of(offered[1]) and event.start.tzinfo.key == "America/New_York"
    assert event.end - event.start == timedelta(minutes=10)
    assert str(event["SUMMARY"]) == "10-minute call: Alex Rivera & Priya Raman"
    assert str(event["ORGANIZER"]) == "mailto:alex@example.org"
    assert event["ORGANIZER"].params["CN"] == "Alex Rivera"
    attendee = event["ATTENDEE"]
    assert str(attendee) == f"mailto:{PRIYA}"
    assert dict(attendee.params).items() >= {"CN": "Priya Raman", "ROLE": "REQ-PARTICIPANT",
                                             "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"}.items()
    assert str(event["LOCATION"]) == "Phone call (I will call you)"
    description = str(event["DESCRIPTION"])
    assert "How we'll talk: Phone call (I will call you)" in description
    assert "Alex Rivera <alex@example.org>" in description
    assert not any(q in description for q in DEFAULT_QUESTIONS)
    assert "Spoke at the public-health career night" not in description
    assert event.walk("VALARM")[0]["TRIGGER"].dt == timedelta(minutes=-15)
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert event["DTSTAMP"].dt == parse_now(LATER)

    (draft,) = drafts_of(workspace, "confirmation")
    assert "confirmation" not in draft["Message-ID"]
    assert draft["In-Reply-To"] == outreach["Message-ID"]
    assert outreach["Message-ID"] in draft["References"]
    assert draft["Subject"] == f"Re: {outreach['Subject']}"
    assert parsedate_to_datetime(draft["Date"]) == parse_now(LATER)
    text, cal, _ = invite_parts(draft)
    assert cal.get_param("method") == "REQUEST"
    invite, invite_event = only_event(cal.get_payload(decode=True))
    assert str(invite["METHOD"]) == "REQUEST"
    assert str(invite_event["UID"]) == uid
    assert invite_event.start == event.start
    label = start_of(offered[1]).astimezone(NY)
    assert f"{label.strftime('%a, %b')} {label.day}, {label.hour % 12 or 12}:" in text
    assert "Phone call (I will call you)" in text

    priya = workspace.contact(PRIYA)
    assert priya["status"] == "scheduled"
    assert priya["offered_slots"] == []  # holds released


def test_booking_twice_changes_nothing(workspace: Workspace) -> None:
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    files, drafts = calendar_files(workspace), len(workspace.drafts())
    again = workspace.ok("book", PRIYA, "--option", "1", now="2026-12-07T10:00:00-05:00")
    assert "nothing changed" in again.out
    workspace.ok("run", "--once", now="2026-12-07T10:00:00-05:00")
    assert calendar_files(workspace) == files
    assert len(workspace.drafts()) == drafts
    other = workspace.run("book", PRIYA, "--option", "2", now=LATER)
    assert other.code == 1 and "reschedule" in other.err


def test_taken_time_lists_next_free_slots_and_creates_nothing(workspace: Workspace) -> None:
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    _, event = only_event(next(iter(calendar_files(workspace).values())))
    booked = event.start.astimezone(NY)
    files, drafts = calendar_files(workspace), len(workspace.drafts())
    before = workspace.contact("dana.lee@example.net")
    taken = workspace.run("book", "dana.lee@example.net", "--at",
                          booked.strftime("%Y-%m-%d %H:%M"), now=LATER)
    assert taken.code == 1
    assert "is taken" in taken.err and "Next free slots" in taken.err
    assert "--at \"" in taken.err and "Traceback" not in taken.err
    assert calendar_files(workspace) == files
    assert len(workspace.drafts()) == drafts
    assert workspace.contact("dana.lee@example.net") == before
    off_hours = workspace.run("book", "dana.lee@example.net", "--at", "2026-12-09 20:00",
                              now=LATER)
    assert off_hours.code == 1 and "outside your availability" in off_hours.err
    gap = workspace.run("book", "dana.lee@example.net", "--at", "2027-03-14 02:30", now=LATER)
    assert gap.code == 1 and "does not exist" in gap.err


def test_scheduled_interview_is_busy_and_max_per_day_holds(workspace: Workspace,
                                                           tmp_path: Path) -> None:
    workspace.set_config("availability", "max_per_day", "1")
    first = write_csv(tmp_path / "a.csv", ["Ann,One,ann@example.com,A Co,Lead,America/New_York,"])
    workspace.ok("import", str(first), now=MONDAY)
    workspace.ok("book", "ann@example.com", "--at", "2026-12-09 10:00", now=MONDAY)
    assert workspace.contact("ann@example.com")["status"] == "scheduled"
    second = write_csv(tmp_path / "b.csv", ["Ben,Two,ben@example.com,B Co,Lead,,"])
    workspace.ok("import", str(second), now=MONDAY)
    workspace.ok("run", "--once", now=MONDAY)
    offered = [start_of(s).astimezone(NY) for s in workspace.contact("ben@example.com")
               ["offered_slots"]]
    assert len(offered) == 3
    assert all(s.date() != date(2026, 12, 9) for s in offered)
    full = workspace.run("book", "ben@example.com", "--at", "2026-12-09 14:00", now=MONDAY)
    assert full.code == 1 and "max_per_day" in full.err


def test_cancel_drafts_a_cancel_notice_and_frees_the_slot(workspace: Workspace,
                                                          tmp_path: Path) -> None:
    workspace.set_config("availability", "max_per_day", "10")
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    _, booked_event = only_event(next(iter(calendar_files(workspace).values())))
    result = workspace.ok("cancel", PRIYA, "--reason", "a family emergency", now=LATER)
    assert "Cancelled" in result.out

    (data,) = calendar_files(workspace).values()
    _, event = only_event(data)
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == str(booked_event["UID"])
    assert event.start == booked_event.start
    # The confirmation she never got is withdrawn: one reply waits in the thread, not two.
    assert drafts_of(workspace, "confirmation") == []
    (notice,) = drafts_of(workspace, "cancellation")
    assert notice["Subject"].startswith("Re: ") and notice["In-Reply-To"]
    text, cal, _ = invite_parts(notice)
    assert cal.get_param("method") == "CANCEL"
    invite, cancelled = only_event(cal.get_payload(decode=True))
    assert str(invite["METHOD"]) == "CANCEL"
    assert str(cancelled["UID"]) == str(event["UID"])
    assert int(cancelled["SEQUENCE"]) == 1 and str(cancelled["STATUS"]) == "CANCELLED"
    assert "a family emergency" in text
    assert workspace.contact(PRIYA)["status"] == "replied"

    again = workspace.ok("cancel", PRIYA, now=LATER)
    assert "nothing changed" in again.out
    assert len(drafts_of(workspace, "cancellation")) == 1

    # The cancelled event is no longer busy: someone else can have that time.
    kim = write_csv(tmp_path / "k.csv", ["Kim,Park,kim@example.com,K Co,Lead,,"])
    workspace.ok("import", str(kim), now=LATER)
    workspace.ok("book", "kim@example.com", "--at",
                 booked_event.start.astimezone(NY).strftime("%Y-%m-%d %H:%M"), now=LATER)
    assert workspace.contact("kim@example.com")["status"] == "scheduled"


def test_cancel_declined(workspace: Workspace) -> None:
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "3", now=LATER)
    workspace.ok("cancel", PRIYA, "--declined", now=LATER)
    assert workspace.contact(PRIYA)["status"] == "declined"
    (notice,) = drafts_of(workspace, "cancellation")
    text, cal, _ = invite_parts(notice)
    assert cal.get_param("method") == "CANCEL" and "thank you for letting me know" in text


def test_reschedule_same_uid_new_sequence_new_request(workspace: Workspace) -> None:
    offered = setup_outreach(workspace)["offered_slots"]
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    _, first = only_event(next(iter(calendar_files(workspace).values())))
    result = workspace.ok("reschedule", PRIYA, "--option", "3", now=LATER)
    assert "Rescheduled" in result.out

    (data,) = calendar_files(workspace).values()
    _, event = only_event(data)
    assert str(event["UID"]) == str(first["UID"])
    assert int(event["SEQUENCE"]) == 1 and str(event["STATUS"]) == "CONFIRMED"
    assert event.start == start_of(offered[2])
    # The first confirmation was never sent: it is withdrawn, and the new one does not say
    # "moved" to someone who never heard of the first time.
    (latest,) = drafts_of(workspace, "confirmation")
    text, cal, _ = invite_parts(latest)
    assert "moved" not in text
    assert cal.get_param("method") == "REQUEST"
    _, moved = only_event(cal.get_payload(decode=True))
    assert str(moved["UID"]) == str(first["UID"]) and int(moved["SEQUENCE"]) == 1
    assert moved.start == start_of(offered[2])
    assert latest["Subject"].startswith("Re: ")
    assert workspace.contact(PRIYA)["status"] == "scheduled"
    assert workspace.ok("status", "--json").json()["counts"]["scheduled"] == 1


def test_reschedule_offers_new_slots_when_the_old_offer_expired(workspace: Workspace) -> None:
    setup_outreach(workspace)
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)
    ask = workspace.run("reschedule", PRIYA, now=LATER)
    assert ask.code == 0 and "--option N" in ask.out and "1. " in ask.out  # a listing
    new_offers = workspace.contact(PRIYA)["offered_slots"]
    assert len(new_offers) == 3  # held for her now
    workspace.ok("reschedule", PRIYA, "--option", "2", now=LATER)
    _, event = only_event(next(iter(calendar_files(workspace).values())))
    assert event.start == start_of(new_offers[1])
    assert workspace.contact(PRIYA)["offered_slots"] == []


def test_at_with_another_zone(workspace: Workspace, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "s.csv", ["Sofía,G,sofia@example.org,G&P,Founder,Europe/Madrid,"])
    workspace.ok("import", str(csv), now=MONDAY)
    workspace.ok("book", "sofia@example.org", "--at", "2026-12-09 16:00", "--tz",
                 "Europe/Madrid", now=MONDAY)
    _, event = only_event(next(iter(calendar_files(workspace).values())))
    assert event.start.astimezone(NY).hour == 10  # 16:00 CET = 10:00 EST
    (draft,) = drafts_of(workspace, "confirmation", "sofia@example.org")
    assert draft["In-Reply-To"] is None and not draft["Subject"].startswith("Re:")
    text, _, _ = invite_parts(draft)
    assert "4:00\u20134:10 PM CET" in text


def test_templates_check_covers_booking_templates(workspace: Workspace) -> None:
    result = workspace.ok("templates", "check")
    assert "ok   confirmation.txt.j2" in result.out
    assert "ok   cancellation.txt.j2" in result.out


# -- crash safety and the Google-style calendar (through the library, then the CLI) ------------

class Crash(BaseException):
    """Stands for the process being killed: nothing after it runs."""


class CrashingMailbox(MaildirMailbox):
    """A Maildir that dies around its next draft creation (before or after writing it)."""

    def __init__(self, root: Path, after_write: bool) -> None:
        super().__init__(root)
        self.after_write = after_write

    def create_draft(self, message, *, thread_id=None):
        if self.after_write:
            super().create_draft(message, thread_id=thread_id)
        raise Crash()


@pytest.mark.parametrize("after_write", [False, True], ids=["before-draft", "after-draft"])
def test_crash_between_event_and_draft_is_finished_once(workspace: Workspace,
                                                        after_write: bool) -> None:
    setup_outreach(workspace)
    config = load_config(workspace.config)
    svc = open_services(config, lambda: parse_now(LATER),
                        mailbox=CrashingMailbox(config.local.maildir, after_write))
    with pytest.raises(Crash):
        booking.book(svc, svc.store.require_contact(PRIYA), option=2)
    svc.close()
    assert len(calendar_files(workspace)) == 1  # the event was written
    assert len(drafts_of(workspace, "confirmation")) == (1 if after_write else 0)
    assert workspace.contact(PRIYA)["status"] == "drafted"

    workspace.ok("run", "--once", now=LATER)  # the next tick finishes the booking
    assert len(drafts_of(workspace, "confirmation")) == 1
    assert len(calendar_files(workspace)) == 1
    assert workspace.contact(PRIYA)["status"] == "scheduled"
    workspace.ok("run", "--once", now=LATER)
    workspace.ok("book", PRIYA, "--option", "2", now=LATER)
    assert len(drafts_of(workspace, "confirmation")) == 1


def test_backend_failure_is_retried_by_the_next_tick(workspace: Workspace) -> None:
    setup_outreach(workspace)
    config = load_config(workspace.config)

    class Offline(MemoryCalendar):
        def put_event(self, event):
            raise BackendError("calendar unreachable")

    svc = open_services(config, lambda: parse_now(LATER), calendar=Offline())
    with pytest.raises(BackendError):
        booking.book(svc, svc.store.require_contact(PRIYA), option=1)
    assert booking.complete_pending(svc) == [
        f"could not finish the book of interview "
        f"{booking.interview_uid(svc.store.require_contact(PRIYA))}: calendar unreachable"]
    svc.close()
    assert drafts_of(workspace, "confirmation") == []
    workspace.ok("run", "--once", now=LATER)
    assert len(calendar_files(workspace)) == 1
    assert len(drafts_of(workspace, "confirmation")) == 1
    assert workspace.contact(PRIYA)["status"] == "scheduled"


def test_calendar_that_sends_invites_gets_a_plain_confirmation(workspace: Workspace) -> None:
    setup_outreach(workspace)
    config = load_config(workspace.config)
    calendar = MemoryCalendar(sends_invites=True)
    svc = open_services(config, lambda: parse_now(LATER), calendar=calendar)
    contact = svc.store.require_contact(PRIYA)
    interview = booking.book(svc, contact, option=1, cause="reply picked option 1")
    assert calendar.get_event(interview.uid).attendee_email == PRIYA
    assert svc.store.timeline(contact.id)[-1].cause == "reply picked option 1"
    svc.close()
    (draft,) = drafts_of(workspace, "confirmation")
    assert draft.get_content_type() == "text/plain"
    assert "on its way" in draft.get_content()


def test_booking_waits_for_a_running_tick(workspace: Workspace,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    lock = pytest.importorskip("automation.adapters.lock")
    setup_outreach(workspace)
    monkeypatch.setattr(lock, "TICK_LOCK_WAIT_SECONDS", 0.2)
    config = load_config(workspace.config)
    with lock.PidLock(lock.tick_lock_path(config.database)).acquire():
        busy = workspace.run("book", PRIYA, "--option", "1", now=LATER)
    assert busy.code == 1 and "already running" in busy.err
    assert calendar_files(workspace) == {} and drafts_of(workspace, "confirmation") == []
    workspace.ok("book", PRIYA, "--option", "1", now=LATER)  # lock released: it goes through
    assert len(calendar_files(workspace)) == 1
