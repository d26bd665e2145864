"""Two picks from the contact seen in one pass: the last word wins, or the user is asked."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.app.services import Services
from automation.app.tick import tick
from automation.core.models import Status
from tests.support.memworld import (
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


def ada_offered(tmp_path: Path) -> Services:
    """A world where Ada's outreach, with its three slots, went out and was seen sent."""
    svc = open_world(tmp_path, MONDAY)
    add_contact(svc, ADA, "Ada Lovelace")
    tick(svc)
    send(svc, drafts(svc, ADA, "outreach")[0])
    tick(svc)
    return svc


def test_a_second_pick_in_the_same_pass_wins_and_is_booked_once(tmp_path: Path) -> None:
    svc = ada_offered(tmp_path)
    reply(svc, ADA, "Option 1 works for me.")
    reply(svc, ADA, "Actually, option 3 works better for me.")
    report = tick(svc)
    ada = contact(svc, ADA)
    offered = svc.store.offered_slots(ada.id)
    assert any("replaces the earlier pick" in line for line in report.events), report.events
    assert len(svc.calendar.events) == 1 and len(drafts(svc, ADA, "confirmation")) == 1
    assert ada.status == Status.SCHEDULED
    assert svc.store.interview_for(ada.id).start == offered[2].start, "the later word lost"
    svc.close()


def test_an_unclear_second_answer_in_the_same_pass_books_nothing_and_asks(
        tmp_path: Path) -> None:
    svc = ada_offered(tmp_path)
    reply(svc, ADA, "Option 1 works for me.")
    reply(svc, ADA, "Hmm, wait: option 2 or 3 would be better, whichever you prefer.")
    report = tick(svc)
    ada = contact(svc, ADA)
    assert svc.calendar.events == {} and drafts(svc, ADA, "confirmation") == []
    assert ada.status == Status.REPLIED
    assert ada.needs_attention and ada.needs_attention.startswith("reply needs you"), ada
    assert any("replaces the earlier pick" in line for line in report.events), report.events
    svc.close()


def test_a_thank_you_after_the_pick_in_the_same_pass_keeps_the_booking(
        tmp_path: Path) -> None:
    """Seen in one pass or in two, "option 1 works" then "thanks, talk then" books option 1:
    only a later answer that names a time or a slot replaces the earlier pick."""
    svc = ada_offered(tmp_path)
    reply(svc, ADA, "Option 1 works for me.")
    reply(svc, ADA, "Thanks so much, talk then!")
    tick(svc)
    ada = contact(svc, ADA)
    assert ada.status == Status.SCHEDULED and ada.needs_attention is None, ada.needs_attention
    assert svc.store.interview_for(ada.id).start == svc.store.offered_slots(ada.id)[0].start
    svc.close()
