"""The read models (app/queries.py) and the user's actions (app/manual.py), called the way any
interface calls them: over the SQLite store and the in-memory mailbox and calendar, no CLI."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.clock import fixed_clock
from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.app import manual, queries
from automation.app.contacts import import_contacts
from automation.app.services import InProcessLocks, Services
from automation.app.templates import check_templates, sample_me
from automation.app.tick import tick, tick_guarded
from automation.bootstrap import open_services
from automation.config import load_config
from automation.core.compose import TEMPLATE_NAMES, default_templates_dir
from automation.core.models import Status
from automation.errors import AlreadyRunning, UserError
from automation.interfaces.cli.setup_cmds import CONFIG_TEMPLATE

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
PRIYA = "priya.raman@example.com"
EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "example_contacts.csv"


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    config = tmp_path / "automation.toml"
    config.write_text(CONFIG_TEMPLATE.format(name="Alex Rivera", email="alex@example.org",
                                             timezone="America/New_York"))
    services = open_services(load_config(config), fixed_clock(MONDAY), mailbox=MemoryMailbox(),
                             calendar=MemoryCalendar())
    import_contacts(services, EXAMPLES)
    yield services
    services.close()


def test_contact_table_rows_carry_the_json_contract_fields(svc: Services) -> None:
    tick(svc)
    rows = queries.contact_table(svc.store, MONDAY)
    assert list(rows[0]) == ["email", "name", "company", "role", "status", "offered_slots",
                             "needs_attention", "timezone", "snoozed_until", "referred_by",
                             "tags", "responsiveness"]
    priya = next(r for r in rows if r["email"] == PRIYA)
    assert priya["status"] == "drafted" and len(priya["offered_slots"]) == 3
    assert queries.contact_table(svc.store, MONDAY, "new") == [
        r for r in rows if r["status"] == "new"]


def test_pipeline_status_counts_every_status_and_asks_the_locks_about_the_daemon(
        svc: Services) -> None:
    class Running(InProcessLocks):
        def daemon_status(self) -> dict[str, object]:
            return {"running": True, "pid": 4242}

    data = queries.pipeline_status(svc.store, Running(), MONDAY)
    assert list(data["counts"]) == [s.value for s in Status]
    assert data["total"] == sum(data["counts"].values()) == data["counts"]["new"] > 0
    assert data["daemon"] == {"running": True, "pid": 4242}
    assert data["last_tick"] is None and data["failing"] == []
    assert data["referrals"] == {"interviews": 0, "referrals": 0, "per_interview": 0.0,
                                 "target": queries.REFERRAL_TARGET}


def test_refer_then_referral_yield_and_the_story_of_both_contacts(svc: Services) -> None:
    contact, created = manual.refer(svc, PRIYA, name="Noor  Haddad", email="Noor@Example.com")
    assert created and contact.email == "noor@example.com"
    manual.mark(svc, PRIYA, Status.INTERVIEWED, "we talked")
    assert queries.referral_yield(svc.store, MONDAY) == {
        "interviews": 1, "referrals": 1, "per_interview": 1.0, "target": 5}
    story = queries.contact_story(svc.store, PRIYA, MONDAY)
    assert story["referrals"]["introduced"] == ["noor@example.com"]
    assert story["status"] == "interviewed"
    assert [e["cause"] for e in story["timeline"]][-1] == "marked by hand: we talked"
    noor = queries.contact_story(svc.store, "noor@example.com", MONDAY)
    assert noor["name"] == "Noor Haddad" and noor["referred_by"] == PRIYA
    with pytest.raises(UserError, match="themselves"):
        manual.refer(svc, PRIYA, name="Priya", email=PRIYA.upper())
    with pytest.raises(UserError):
        queries.contact_story(svc.store, "nobody@example.com", MONDAY)


def test_marking_a_terminal_status_withdraws_the_drafts_like_a_pipeline_decision(
        svc: Services) -> None:
    tick(svc)
    assert isinstance(svc.mailbox, MemoryMailbox)
    cid = svc.store.require_contact(PRIYA).id or 0
    (draft,) = [m for m in svc.store.messages_for(cid) if m.direction == "draft"]
    assert draft.message_id in svc.mailbox.draft_message_ids()
    withdrawn = manual.mark(svc, PRIYA, Status.DECLINED, "not hiring")
    assert withdrawn == [draft.message_id]
    assert draft.message_id not in svc.mailbox.draft_message_ids()
    (row,) = [m for m in svc.store.messages_for(cid) if m.direction == "draft"]
    assert row.state == "withdrawn" and "withdrawn_at" in row.detail
    assert svc.store.holds_for(cid, MONDAY) == [] and svc.store.offered_slots(cid) == []
    events = [e for e in svc.store.timeline(cid) if e.event == "withdrawn"]
    assert [(e.cause, e.detail["kind"]) for e in events] == [
        ("marked by hand: not hiring", "outreach")]
    assert manual.mark(svc, PRIYA, Status.DECLINED) == []  # nothing left to withdraw


def test_a_note_is_collapsed_and_an_empty_one_refused(svc: Services) -> None:
    _, text = manual.note(svc, PRIYA, "  the advice\n on portfolios ")
    assert text == "the advice on portfolios"
    assert svc.store.require_contact(PRIYA).user_note == text
    with pytest.raises(UserError, match="the note is empty"):
        manual.note(svc, PRIYA, " \n ")


def test_every_shipped_template_checks_against_the_sample_contact() -> None:
    results = check_templates(default_templates_dir(), sample_me())
    assert [name for name, _, _ in results] == [
        n for n in TEMPLATE_NAMES if (default_templates_dir() / n).exists()]
    assert all(rendered is not None and error is None for _, rendered, error in results)


def test_a_second_guarded_tick_waits_then_says_already_running(svc: Services) -> None:
    svc.locks = InProcessLocks()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with svc.locks.tick():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        with pytest.raises(AlreadyRunning):
            tick_guarded(svc, wait=0.05)
    finally:
        release.set()
        holder.join(30)
    assert tick_guarded(svc).counts()["drafted"] > 0
