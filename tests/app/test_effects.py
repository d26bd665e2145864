"""Carrying out pipeline decisions (app/effects.py): what each action writes, the pipeline's
view read back from the store, draft withdrawal, and bookings from a reply."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.app.effects import (
    Changes,
    contact_state,
    pending_bookings,
    record_actions,
    run_bookings,
    withdraw_drafts,
)
from automation.app.services import Services
from automation.app.tick import tick
from automation.core import pipeline as core
from automation.core.models import Interval, Status
from tests.support.memworld import (
    Faults,
    FaultyCalendar,
    add_contact,
    contact,
    drafts,
    open_world,
    reply,
    send,
)

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
ADA = "ada@example.com"


@pytest.fixture
def faults() -> Faults:
    return Faults()


@pytest.fixture
def svc(tmp_path: Path, faults: Faults) -> Services:
    """Ada had outreach (drafted on Monday, not sent yet)."""
    services = open_world(tmp_path, MONDAY, calendar=FaultyCalendar(faults),
                          cadence={"follow_up_after_business_days": 4})
    add_contact(services, ADA, "Ada Lovelace")
    tick(services)
    yield services
    services.close()


def decide(svc: Services, *actions: core.Action, item_key: str = "") -> tuple[Changes, list[str]]:
    ada = contact(svc, ADA)
    decision = core.Decision(contact_state(svc.store, ada, svc.config.me.timezone), actions)
    changes = Changes()
    with svc.store.transaction():
        books = record_actions(svc.store, ada, decision, svc.clock(), changes, item_key=item_key)
    return changes, books


def events(svc: Services) -> list[tuple[str, str]]:
    return [(e.event, e.cause) for e in svc.store.timeline(contact(svc, ADA).id)]


def test_contact_state_reads_pending_drafts_and_the_last_exchange(svc: Services) -> None:
    (outreach,) = drafts(svc, ADA)
    state = contact_state(svc.store, contact(svc, ADA), svc.config.me.timezone)
    assert state.status == Status.DRAFTED
    assert state.pending == (core.PendingDraft("outreach", outreach["Message-ID"]),)
    assert state.last_outbound_at is None and state.last_exchange_at is None
    assert state.zone == NY and state.follow_ups == 0 and not state.thank_you_drafted
    svc.clock.advance(hours=2)
    send(svc, outreach)
    tick(svc)
    state = contact_state(svc.store, contact(svc, ADA), svc.config.me.timezone)
    assert state.pending == () and state.status == Status.SENT
    assert state.last_outbound_at == state.last_exchange_at == MONDAY  # its Date, not the tick


def test_a_discarded_follow_up_counts_as_outbound_from_when_it_went(svc: Services) -> None:
    send(svc, drafts(svc, ADA)[0])
    tick(svc)
    svc.clock.advance(days=4)
    tick(svc)  # Friday: the follow-up is drafted
    (follow_up,) = drafts(svc, ADA, "follow_up")
    svc.clock.advance(hours=3)
    del svc.mailbox.drafts[svc.mailbox.find_draft(str(follow_up["Message-ID"])).draft_id]
    tick(svc)  # gone once: maybe a scheduled send
    svc.clock.advance(minutes=5)
    tick(svc)  # gone on two consecutive passes, nothing sent in its thread: discarded
    state = contact_state(svc.store, contact(svc, ADA), svc.config.me.timezone)
    assert state.follow_ups == 1 and state.pending == ()
    assert state.last_outbound_at == svc.clock()
    assert state.last_exchange_at == MONDAY, "a skipped follow-up is no exchange"


def test_each_action_writes_its_part_and_one_line(svc: Services) -> None:
    until = MONDAY + timedelta(days=5)
    changes, books = decide(
        svc,
        core.SetStatus(Status.SENT, "sent by hand", detail={"how": "test"}),
        core.Flag("check this one", detail={"referral": "bob@example.com"}),
        core.Snooze(until),
        core.Record("auto_reply", "out of office"),
        core.Book("reply picked option 2", option=2),
        item_key="inbox:7")
    ada = contact(svc, ADA)
    assert ada.status == Status.SENT and ada.needs_attention == "check this one"
    assert ada.snoozed_until == until
    assert events(svc)[-4:] == [("status", "sent by hand"), ("flag", "check this one"),
                                ("referral_offered", "check this one"),
                                ("auto_reply", "out of office")]  # a Book is journaled, below
    assert books == [f"book:{ada.id}:inbox:7"]
    intent = svc.store.get_intent(books[0])
    assert intent.kind == "book" and intent.state == "pending"
    assert intent.payload == {"option": 2, "cause": "reply picked option 2", "at": None}
    assert pending_bookings(svc.store) == books
    assert dict(changes.counts) == {"status": 1, "flagged": 1, "snoozed": 1, "auto_reply": 1,
                                    "booking": 1}
    assert changes.lines[0] == f"{ADA}: → sent (sent by hand)"


def test_a_withdrawal_marks_the_row_drops_its_holds_and_removes_the_draft(svc: Services) -> None:
    (outreach,) = drafts(svc, ADA)
    mid = str(outreach["Message-ID"])
    cid = contact(svc, ADA).id
    assert svc.store.holds_for(cid, MONDAY)
    action = core.Withdraw(mid, "outreach", "opted out")
    changes, _ = decide(svc, action)
    assert svc.store.message_by_id(mid).state == "withdrawn"
    assert svc.store.holds_for(cid, MONDAY) == []
    assert events(svc)[-1] == ("withdrawn", "opted out")
    assert changes.lines == [f"Withdrew outreach draft to {ADA}: opted out"]
    assert drafts(svc) == [outreach], "the store's side does not touch the mailbox"
    withdraw_drafts(svc, (action,))
    assert drafts(svc) == []
    withdraw_drafts(svc, (action,))  # a draft already gone is fine


def test_release_holds_and_draft_actions_write_no_line(svc: Services) -> None:
    cid = contact(svc, ADA).id
    changes, _ = decide(svc, core.ReleaseHolds(), core.Draft("follow_up", "due"))
    assert svc.store.holds_for(cid, MONDAY) == [] and changes.lines == []


def test_a_calendar_failure_keeps_the_booking_for_the_next_tick(svc: Services,
                                                                  faults: Faults) -> None:
    send(svc, drafts(svc, ADA)[0])
    tick(svc)
    reply(svc, ADA, "Option 2 works for me.")
    faults.arm("put_event")
    report = tick(svc)
    assert any("could not book" in p for p in report.problems), report.problems
    assert contact(svc, ADA).status == Status.REPLIED
    (key,) = pending_bookings(svc.store)
    changes = Changes()
    run_bookings(svc, [key], changes)
    assert contact(svc, ADA).status == Status.SCHEDULED
    assert svc.store.get_intent(key).state == "done" and pending_bookings(svc.store) == []
    assert len(svc.calendar.events) == 1 and len(drafts(svc, ADA, "confirmation")) == 1
    assert changes.counts["booked"] == 1
    run_bookings(svc, [key], changes)  # done: nothing again
    assert len(drafts(svc, ADA, "confirmation")) == 1 and changes.counts["booked"] == 1


def test_a_taken_slot_flags_the_reply_and_fails_the_intent(svc: Services) -> None:
    send(svc, drafts(svc, ADA)[0])
    tick(svc)
    option2 = svc.store.offered_slots(contact(svc, ADA).id)[1]
    svc.calendar.busy_intervals.append(Interval(option2.start, option2.end))  # taken meanwhile
    reply(svc, ADA, "Option 2 works for me.")
    report = tick(svc)
    ada = contact(svc, ADA)
    assert ada.status == Status.REPLIED and ada.needs_attention.startswith("reply needs you")
    assert any("Needs attention" in line for line in report.events)
    assert pending_bookings(svc.store) == [] and svc.calendar.events == {}


def test_a_booking_for_a_contact_who_moved_on_is_skipped(svc: Services) -> None:
    changes, (key,) = decide(svc, core.Book("picked", option=1), item_key="inbox:9")
    assert contact(svc, ADA).status == Status.DRAFTED  # not replied: nothing to book
    run_bookings(svc, [key], Changes())
    intent = svc.store.get_intent(key)
    assert intent.state == "done" and svc.calendar.events == {}
