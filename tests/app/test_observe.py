"""Observing the mailbox (app/observe.py) when a booking from an earlier reply is unfinished."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.app.services import Services
from automation.app.tick import tick
from automation.core.models import Status
from automation.errors import BackendError
from tests.support.memworld import (
    Faults,
    FaultyCalendar,
    FaultyMailbox,
    add_contact,
    answered_outreach,
    contact,
    discard,
    drafts,
    open_world,
    reply,
)

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
ADA = "ada@example.com"


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def svc(tmp_path: Path, faults: Faults) -> Services:
    """Ada picked option 2, but the calendar failed: the booking is journaled, not done."""
    services = open_world(tmp_path, MONDAY, calendar=FaultyCalendar(faults))
    answered_outreach(services, ADA, "Ada Lovelace", "Option 2 works for me.")
    faults.arm("put_event")
    report = tick(services)
    assert any("could not book" in p for p in report.problems)
    assert contact(services, ADA).status == Status.REPLIED
    yield services
    services.close()


def still_failing_then_back(svc: Services, faults: Faults, text: str) -> None:
    """Ada writes again while the calendar still fails (the tick's retry of the booking
    fails too), then the calendar is back."""
    reply(svc, ADA, text)
    faults.down.add("put_event")
    try:
        tick(svc)
    except BackendError:
        pass  # the newer mail waits for the booking
    assert svc.calendar.events == {}
    faults.down.clear()
    tick(svc)


def test_a_second_pick_is_decided_after_the_first_booking_not_skipped(
        svc: Services, faults: Faults) -> None:
    still_failing_then_back(svc, faults, "Actually, option 1 works better for me.")
    ada = contact(svc, ADA)
    assert ada.status == Status.SCHEDULED  # the first answer booked
    assert ada.needs_attention is not None and \
        ada.needs_attention.startswith("reply needs you (may reschedule)"), \
        "the contact's second choice went unseen"
    assert len(svc.calendar.events) == 1 and len(drafts(svc, ADA, "confirmation")) == 1
    booked = svc.store.interview_for(ada.id).start
    assert booked == svc.store.offered_slots(ada.id)[1].start  # option 2, as first asked


def test_a_decline_after_an_unfinished_booking_asks_about_cancelling(
        svc: Services, faults: Faults) -> None:
    still_failing_then_back(svc, faults, "Sorry, thanks, but I will pass after all.")
    ada = contact(svc, ADA)
    assert ada.status == Status.SCHEDULED
    assert ada.needs_attention.startswith("reply needs you (may cancel)")


def test_while_the_booking_still_fails_the_newer_mail_waits_unseen(
        svc: Services, faults: Faults) -> None:
    reply(svc, ADA, "Actually, option 1 works better for me.")
    faults.down.add("put_event")
    with pytest.raises(BackendError, match="not finished yet"):
        tick(svc)
    assert contact(svc, ADA).needs_attention is None and svc.calendar.events == {}
    inbound = [m for m in svc.store.messages_for(contact(svc, ADA).id)
               if m.direction == "inbound"]
    assert len(inbound) == 1, "the newer mail was recorded before the booking it follows"


def test_when_a_deleted_draft_counts_as_discarded_does_not_depend_on_failed_passes(
        tmp_path: Path) -> None:
    """Gone on two passes, the second at a later moment: a pass that failed in between (the
    look-up of the missing draft timed out) only delays it within the same moment, so a
    world with failures and one without record the same discard at the same time."""
    faults = Faults()
    faulty = open_world(tmp_path / "faulty", MONDAY, mailbox=FaultyMailbox(faults))
    clean = open_world(tmp_path / "clean", MONDAY)
    worlds = (faulty, clean)
    for svc in worlds:
        add_contact(svc, ADA, "Ada Lovelace")
        tick(svc)
    faults.arm("find_draft")  # looking the missing draft up fails once
    for svc in worlds:
        discard(svc, drafts(svc, ADA)[0])
    with pytest.raises(BackendError):
        tick(faulty)  # this pass fails; the clean world's is its first look
    tick(clean)
    tick(faulty)  # the daemon retries at once: the faulty world's first look
    tick(clean)  # and the clean world's second pass, at the same moment
    assert [contact(svc, ADA).needs_attention for svc in worlds] == [None, None]
    for svc in worlds:
        svc.clock.advance(minutes=5)
        tick(svc)
    stories = [[(e.at, e.event, e.cause) for e in svc.store.timeline(contact(svc, ADA).id)]
               for svc in worlds]
    assert stories[0] == stories[1]
    assert [contact(svc, ADA).needs_attention for svc in worlds] == [
        "outreach draft discarded"] * 2
    for svc in worlds:
        svc.close()
