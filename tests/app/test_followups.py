"""What time brings (app/followups.py) over the in-memory adapters: follow-ups in the thread,
their slots, no_response, thank-yous, and what a failing template or mailbox does."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.app.effects import Changes
from automation.app.followups import run_due
from automation.app.outreach import read_availability
from automation.app.services import Services
from automation.app.tick import tick
from automation.core.models import Interval, Status
from tests.support.memworld import (
    Faults,
    FaultyMailbox,
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


#: These stories were written for a 4-business-day, two-follow-up cadence; a config that
#: sets those keys keeps them (the defaults are now the method's 7 and 1).
OLD_CADENCE = {"follow_up_after_business_days": 4, "max_follow_ups": 2}


def world(tmp_path: Path, *, busy_days: int = 0, **sections) -> Services:
    """Ada had outreach on Monday (offering slots after ``busy_days`` of a full calendar)."""
    sections["cadence"] = {**OLD_CADENCE, **sections.get("cadence", {})}
    svc = open_world(tmp_path, MONDAY, **sections)
    svc.calendar.busy_intervals.append(Interval(MONDAY, MONDAY + timedelta(days=busy_days)))
    add_contact(svc, ADA, "Ada Lovelace", company="Engines")
    tick(svc)
    send(svc, drafts(svc, ADA, "outreach")[0])
    tick(svc)
    assert contact(svc, ADA).status == Status.SENT
    return svc


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    services = world(tmp_path)
    yield services
    services.close()


def due(svc: Services, *, dry_run: bool = False) -> Changes:
    changes = Changes(dry_run=dry_run)
    now = svc.clock()
    run_due(svc, now, read_availability(svc, now), changes)
    return changes


def test_nothing_is_due_before_the_follow_up_day(svc: Services) -> None:
    svc.clock.advance(days=3)  # Thursday: three business days
    assert due(svc).lines == []
    assert drafts(svc) == []


def test_the_follow_up_continues_the_thread_and_offers_the_held_slots_again(
        tmp_path: Path) -> None:
    # Holds long enough to outlive the wait, on slots far enough ahead to still be offered.
    svc = world(tmp_path, busy_days=10, cadence={"hold_days": 14})
    (outreach,) = [i.message for i in svc.mailbox.items if i.folder == "sent"]
    held = svc.store.holds_for(contact(svc, ADA).id, MONDAY)
    svc.clock.advance(days=4)  # Friday: four business days after Monday
    changes = due(svc)
    assert changes.counts["drafted"] == 1, changes.lines
    (follow_up,) = drafts(svc, ADA, "follow_up")
    assert follow_up["In-Reply-To"] == outreach["Message-ID"]
    assert outreach["Message-ID"] in str(follow_up["References"])
    assert follow_up["Subject"] == "Re: " + outreach["Subject"]
    ((_, thread),) = [v for v in svc.mailbox.drafts.values() if v[0] is follow_up]
    assert thread == svc.mailbox.items[0].thread_id
    assert held and svc.store.holds_for(contact(svc, ADA).id, svc.clock()) == held
    assert "fresh slots" not in " ".join(changes.lines)
    assert due(svc).lines == [], "the same follow-up drafted twice"
    svc.close()


def test_a_follow_up_never_offers_a_held_slot_that_has_passed(tmp_path: Path) -> None:
    svc = world(tmp_path, cadence={"hold_days": 14})  # holds outlive their slots (Tue-Thu)
    svc.clock.advance(days=4)  # Friday
    changes = due(svc)
    assert any("3 fresh slots offered" in line for line in changes.lines), changes.lines
    offered = svc.store.offered_slots(contact(svc, ADA).id)
    assert len(offered) == 3 and all(s.start > svc.clock() for s in offered), offered
    svc.close()


def test_expired_holds_are_replaced_by_fresh_held_slots(tmp_path: Path) -> None:
    svc = world(tmp_path, cadence={"hold_days": 1})
    svc.clock.advance(days=4)
    changes = due(svc)
    assert any("3 fresh slots offered" in line for line in changes.lines), changes.lines
    fresh = svc.store.holds_for(contact(svc, ADA).id, svc.clock())
    assert len(fresh) == 3 and all(s.start > svc.clock() for s in fresh)
    svc.close()


def test_after_the_last_follow_up_and_the_wait_the_contact_is_no_response(tmp_path: Path) -> None:
    svc = world(tmp_path, cadence={"max_follow_ups": 1})
    svc.clock.advance(days=4)
    due(svc)
    send(svc, drafts(svc, ADA, "follow_up")[0])
    tick(svc)
    svc.clock.advance(days=8)
    changes = due(svc)
    assert contact(svc, ADA).status == Status.NO_RESPONSE, changes.lines
    assert drafts(svc) == []
    svc.close()


def test_a_reply_stops_the_follow_ups(svc: Services) -> None:
    reply(svc, ADA, "Let me check my calendar and get back to you.")
    tick(svc)
    assert contact(svc, ADA).status == Status.REPLIED
    svc.clock.advance(days=10)
    assert due(svc).counts["drafted"] == 0
    assert drafts(svc, ADA, "follow_up") == []


def test_a_template_error_flags_the_contact_and_drafts_nothing(tmp_path: Path) -> None:
    svc = world(tmp_path)
    templates = svc.config.templates_dir
    templates.mkdir(exist_ok=True)
    (templates / "follow_up.txt.j2").write_text("Subject: again\n\n{{ nope }}\n")
    svc.templates.cache.clear()  # the environment caches compiled templates
    svc.clock.advance(days=4)
    changes = due(svc)
    assert contact(svc, ADA).needs_attention.startswith("template error")
    assert changes.counts["flagged"] == 1 and drafts(svc) == []
    svc.close()


def test_a_failing_mailbox_is_a_problem_and_the_next_run_drafts_once(tmp_path: Path) -> None:
    faults = Faults()
    svc = open_world(tmp_path, MONDAY, mailbox=FaultyMailbox(faults), cadence=OLD_CADENCE)
    add_contact(svc, ADA)
    tick(svc)
    send(svc, drafts(svc, ADA, "outreach")[0])
    tick(svc)
    svc.clock.advance(days=4)
    faults.arm("create_draft", "after")  # created, but the caller never hears back
    changes = due(svc)
    assert any("could not draft the follow_up" in p for p in changes.problems)
    assert faults.fired["create_draft"] == 1
    assert [i.kind for i in svc.store.pending_intents()] == ["draft"]  # finished next tick
    tick(svc)
    assert len(drafts(svc, ADA, "follow_up")) == 1
    (follow_up,) = drafts(svc, ADA, "follow_up")
    assert svc.mailbox.created.count(str(follow_up["Message-ID"])) == 1  # created once only
    svc.close()


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(svc: Services) -> None:
    svc.clock.advance(days=4)
    changes = due(svc, dry_run=True)
    assert changes.lines and all(line.startswith("Would: ") for line in changes.lines)
    assert drafts(svc) == [] and svc.store.pending_intents() == []


def test_the_thank_you_follows_the_interview(svc: Services) -> None:
    reply(svc, ADA, "Option 1 works for me.")
    tick(svc)
    interview = svc.store.interview_for(contact(svc, ADA).id)
    assert contact(svc, ADA).status == Status.SCHEDULED
    svc.clock.moment = interview.end + timedelta(hours=13)  # half the 24 h window
    due(svc)
    assert contact(svc, ADA).status == Status.INTERVIEWED
    (thanks,) = drafts(svc, ADA, "thank_you")
    assert thanks["Subject"].startswith("Re: ")
    assert due(svc).counts["drafted"] == 0

