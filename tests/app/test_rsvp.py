"""The contact's answer to the invitation (app/rsvp.py), read from the in-memory calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.app.effects import Changes
from automation.app.rsvp import check_answers
from automation.app.services import Services
from automation.app.tick import tick
from automation.core.models import Interview, Status
from tests.support.memworld import (
    Faults,
    FaultyCalendar,
    answered_outreach,
    contact,
    open_world,
)

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
ADA = "ada@example.com"


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def svc(tmp_path: Path, faults: Faults) -> Services:
    """Ada is booked (option 1, Tuesday 14:30: her offer aims there) and her invitation is out."""
    services = open_world(tmp_path, MONDAY, calendar=FaultyCalendar(faults))
    answered_outreach(services, ADA, "Ada Lovelace", "Option 1 works for me.")
    tick(services)
    assert contact(services, ADA).status == Status.SCHEDULED
    yield services
    services.close()


def interview(svc: Services) -> Interview:
    found = svc.store.interview_for(contact(svc, ADA).id)
    assert found is not None
    return found


def answer(svc: Services, value: str, *, dry_run: bool = False) -> Changes:
    svc.calendar.responses[interview(svc).uid] = value
    changes = Changes(dry_run=dry_run)
    check_answers(svc, changes)
    return changes


def invitation_events(svc: Services) -> list[str]:
    return [e.cause for e in svc.store.timeline(contact(svc, ADA).id) if e.event == "invitation"]


def test_an_acceptance_is_stored_and_told_once(svc: Services) -> None:
    changes = answer(svc, "accepted")
    assert changes.counts["invitation_accepted"] == 1
    assert changes.lines == [f"{ADA}: accepted the invitation for Tue, Dec 8, 2:30\u20132:40 PM EST"]
    assert interview(svc).attendee_status == "accepted"
    assert invitation_events(svc) == ["invitation accepted"]
    assert contact(svc, ADA).needs_attention is None
    assert answer(svc, "accepted").lines == [], "the same answer told twice"
    assert invitation_events(svc) == ["invitation accepted"]


def test_a_decline_flags_the_contact_with_both_ways_out(svc: Services) -> None:
    answer(svc, "accepted")
    answer(svc, "declined")
    flag = contact(svc, ADA).needs_attention
    assert flag.startswith("declined the invitation for Tue, Dec 8")
    assert f"automation reschedule {ADA}" in flag and f"automation cancel {ADA}" in flag
    assert invitation_events(svc) == ["invitation accepted", "invitation declined"]
    assert contact(svc, ADA).status == Status.SCHEDULED, "the service decided for the user"


def test_needs_action_is_remembered_silently(svc: Services) -> None:
    changes = answer(svc, "needsAction")
    assert changes.lines == [] and invitation_events(svc) == []
    assert interview(svc).attendee_status == "needsAction"


def test_a_failing_calendar_is_a_problem_and_nothing_is_recorded(svc: Services,
                                                                    faults: Faults) -> None:
    faults.arm("attendee_status")
    changes = answer(svc, "accepted")
    assert changes.problems and "could not read the invitation answers" in changes.problems[0]
    assert interview(svc).attendee_status != "accepted" and invitation_events(svc) == []
    assert answer(svc, "accepted").counts["invitation_accepted"] == 1  # asked again next tick


def test_an_interview_that_has_ended_is_not_asked_about(svc: Services) -> None:
    svc.clock.moment = interview(svc).end + timedelta(minutes=1)
    assert answer(svc, "declined").lines == []
    assert contact(svc, ADA).needs_attention is None and invitation_events(svc) == []


def test_a_dry_run_tells_and_stores_nothing(svc: Services) -> None:
    changes = answer(svc, "declined", dry_run=True)
    assert [line.split(":")[0] for line in changes.lines] == ["Would"]
    assert interview(svc).attendee_status == "needsAction"  # as the booking tick read it
    assert contact(svc, ADA).needs_attention is None and invitation_events(svc) == []
