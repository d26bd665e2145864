"""One contract for the Calendar port, run against every backend.

To add a backend, add a factory to ``CALENDARS``: it gets pytest's ``tmp_path`` and returns a
``CalendarUnderTest`` — the port, plus ``answer(uid, status)``, which plays the attendee
replying to the invitation ("accepted", "declined", "tentative") the way that backend would
learn of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar as ICalendar

from automation.adapters.clock import fixed_clock
from automation.adapters.local.vdir import VdirCalendar
from automation.adapters.memory import MemoryCalendar
from automation.app.ports import Calendar
from automation.core.models import Interval
from automation.core.records import EventSpec
from tests.support.fakegoogle import FakeGoogle
from tests.support.googlekit import answer_invite, open_on_fake

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 10, 26, 9, 0, tzinfo=NY)
WINDOW = Interval(NOW, NOW + timedelta(days=14))


@dataclass
class CalendarUnderTest:
    calendar: Calendar
    answer: Callable[[str, str], None]
    close: Callable[[], None] = lambda: None
    #: What the backend must declare: True only if it mails the invitation itself (then the
    #: confirmation draft carries none), and ``invited`` lists whom it mailed.
    sends_invites: bool = False
    invited: Callable[[], list[str]] = list


def memory_calendar(tmp_path: Path) -> CalendarUnderTest:
    calendar = MemoryCalendar()
    return CalendarUnderTest(calendar, calendar.responses.__setitem__)


_PARTSTAT = {"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE"}


def vdir_calendar(tmp_path: Path) -> CalendarUnderTest:
    calendar = VdirCalendar(tmp_path / "calendar", (), NY, clock=fixed_clock(NOW))

    def answer(uid: str, status: str) -> None:
        # What the user's client writes back (synced by vdirsyncer) once the reply arrives.
        path = calendar.path_for(uid)
        ical = ICalendar.from_ical(path.read_bytes())
        for event in ical.walk("VEVENT"):
            attendees = event["ATTENDEE"]
            for attendee in attendees if isinstance(attendees, list) else [attendees]:
                attendee.params["PARTSTAT"] = _PARTSTAT[status]
        path.write_bytes(ical.to_ical())

    return CalendarUnderTest(calendar, answer)


def google_calendar(tmp_path: Path) -> CalendarUnderTest:
    # The package's Google Calendar over HTTP against a fresh loopback fake of the API.
    fake = FakeGoogle(email="alex@example.org").start()
    _, calendar = open_on_fake(fake, tmp_path / "google")
    # Google mails the invitation when the event is written with sendUpdates=all
    # (https://developers.google.com/calendar/api/v3/reference/events/insert); the fake
    # records each one it would send.
    return CalendarUnderTest(calendar, lambda uid, status: answer_invite(fake, uid, status),
                             close=fake.stop, sends_invites=True,
                             invited=lambda: [i["email"] for i in fake.invitations
                                              if i["kind"] == "invite"])


CALENDARS: dict[str, Callable[[Path], CalendarUnderTest]] = {
    "memory": memory_calendar,
    "vdir": vdir_calendar,
    "google": google_calendar,
}


@pytest.fixture(params=sorted(CALENDARS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CalendarUnderTest]:
    under_test = CALENDARS[request.param](tmp_path)
    yield under_test
    under_test.close()


def interview(uid: str = "0af3c29e4b7d4e5f8a9b0c1d2e3f4a5b", **changes) -> EventSpec:
    start = datetime(2026, 10, 30, 10, 0, tzinfo=NY)
    base = EventSpec(
        uid=uid, start=start, end=start + timedelta(minutes=10),
        summary="Informational interview: Priya Raman (County Health Department)",
        description="Questions to ask:\n- How did you get to where you are now?",
        location="Phone call (I will call you)", organizer_name="Alex Rivera",
        organizer_email="alex@example.org", attendee_name="Priya Raman",
        attendee_email="priya.raman@example.com", reminder_minutes=15,
        timezone="America/New_York")
    return replace(base, **changes)


def assert_same_event(got: EventSpec | None, want: EventSpec) -> None:
    assert got is not None
    assert got.uid == want.uid
    assert got.start.timestamp() == want.start.timestamp()
    assert got.end.timestamp() == want.end.timestamp()
    assert (got.summary, got.description, got.location) == \
        (want.summary, want.description, want.location)
    assert got.organizer_email == want.organizer_email
    assert (got.attendee_email, got.attendee_name) == (want.attendee_email, want.attendee_name)
    assert (got.sequence, got.status) == (want.sequence, want.status)


def spans(calendar: Calendar) -> list[tuple[float, float]]:
    busy, problems = calendar.busy(WINDOW)
    assert problems == []
    return sorted((i.start.timestamp(), i.end.timestamp()) for i in busy)


def span(event: EventSpec) -> tuple[float, float]:
    return event.start.timestamp(), event.end.timestamp()


class TestCalendarContract:
    def test_declares_whether_it_sends_invites_and_does_as_declared(
            self, backend: CalendarUnderTest) -> None:
        assert backend.calendar.sends_invites is backend.sends_invites
        assert backend.invited() == []
        backend.calendar.put_event(interview())
        want = ["priya.raman@example.com"] if backend.sends_invites else []
        assert backend.invited() == want

    def test_unknown_event_is_none(self, backend: CalendarUnderTest) -> None:
        assert backend.calendar.get_event("0000000000unknown") is None
        assert backend.calendar.attendee_status("0000000000unknown") is None

    def test_put_then_get_returns_the_event(self, backend: CalendarUnderTest) -> None:
        ref = backend.calendar.put_event(interview())
        assert isinstance(ref, str) and ref
        assert_same_event(backend.calendar.get_event(interview().uid), interview())

    def test_put_is_idempotent_by_uid(self, backend: CalendarUnderTest) -> None:
        first = backend.calendar.put_event(interview())
        second = backend.calendar.put_event(interview())
        assert first == second
        assert spans(backend.calendar).count(span(interview())) == 1
        assert_same_event(backend.calendar.get_event(interview().uid), interview())

    def test_event_counts_as_busy(self, backend: CalendarUnderTest) -> None:
        assert span(interview()) not in spans(backend.calendar)
        backend.calendar.put_event(interview())
        assert span(interview()) in spans(backend.calendar)

    def test_update_moves_the_same_event(self, backend: CalendarUnderTest) -> None:
        backend.calendar.put_event(interview())
        start = datetime(2026, 11, 2, 14, 0, tzinfo=NY)
        moved = interview(start=start, end=start + timedelta(minutes=10), sequence=1)
        backend.calendar.put_event(moved)
        assert_same_event(backend.calendar.get_event(moved.uid), moved)
        busy = spans(backend.calendar)
        assert span(moved) in busy and span(interview()) not in busy

    def test_cancelled_event_is_kept_but_not_busy(self, backend: CalendarUnderTest) -> None:
        backend.calendar.put_event(interview())
        cancelled = interview(status="CANCELLED", sequence=1)
        backend.calendar.put_event(cancelled)
        assert_same_event(backend.calendar.get_event(cancelled.uid), cancelled)
        assert span(interview()) not in spans(backend.calendar)

    def test_events_are_independent(self, backend: CalendarUnderTest) -> None:
        other_start = datetime(2026, 10, 30, 14, 0, tzinfo=NY)
        other = interview(uid="1bf3c29e4b7d4e5f8a9b0c1d2e3f4a5b", start=other_start,
                          end=other_start + timedelta(minutes=10),
                          attendee_email="dana.lee@example.net", attendee_name="Dana Lee")
        backend.calendar.put_event(interview())
        backend.calendar.put_event(other)
        assert_same_event(backend.calendar.get_event(other.uid), other)
        assert_same_event(backend.calendar.get_event(interview().uid), interview())
        assert {span(interview()), span(other)} <= set(spans(backend.calendar))

    @pytest.mark.parametrize("answer", ["accepted", "declined", "tentative"])
    def test_attendee_status_reads_the_answer(self, backend: CalendarUnderTest,
                                              answer: str) -> None:
        backend.calendar.put_event(interview())
        assert backend.calendar.attendee_status(interview().uid) == "needsAction"
        backend.answer(interview().uid, answer)
        assert backend.calendar.attendee_status(interview().uid) == answer

    def test_times_survive_a_dst_change(self, backend: CalendarUnderTest) -> None:
        # Friday before and Monday after the US change on Sunday 2026-11-01.
        friday = interview()
        monday_start = datetime(2026, 11, 2, 10, 0, tzinfo=NY)
        monday = interview(uid="2cf3c29e4b7d4e5f8a9b0c1d2e3f4a5b", start=monday_start,
                           end=monday_start + timedelta(minutes=10))
        backend.calendar.put_event(friday)
        backend.calendar.put_event(monday)
        got_friday = backend.calendar.get_event(friday.uid)
        got_monday = backend.calendar.get_event(monday.uid)
        assert got_friday.start.astimezone(UTC) == datetime(2026, 10, 30, 14, 0, tzinfo=UTC)
        assert got_monday.start.astimezone(UTC) == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
        assert got_monday.start.astimezone(NY).hour == got_friday.start.astimezone(NY).hour == 10
