"""Outreach (app/outreach.py) over the in-memory adapters: who gets a draft, which slots it
offers and holds, the daily cap, and the flags that stop one contact but not the others."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.app.outreach import read_availability, run_outreach
from automation.app.services import Services
from automation.core.models import Interval, Status
from tests.support.memworld import add_contact, contact, drafts, open_world

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    services = open_world(tmp_path, MONDAY)
    yield services
    services.close()


def outreach(svc: Services, *, dry_run: bool = False):
    now = svc.clock()
    return run_outreach(svc, now, read_availability(svc, now), dry_run=dry_run)


def test_each_new_contact_gets_one_draft_offering_distinct_held_slots(svc: Services) -> None:
    add_contact(svc, "ada@example.com", "Ada Lovelace", company="Engines")
    add_contact(svc, "bob@example.com", "Bob Smith")
    result = outreach(svc)
    assert [email for email, _, _ in result.drafted] == ["ada@example.com", "bob@example.com"]
    offered = {email: slots for email, _, slots in result.drafted}
    assert all(len(s) == 3 for s in offered.values())
    assert not {s.interval for s in offered["ada@example.com"]} & \
        {s.interval for s in offered["bob@example.com"]}, "two contacts offered one slot"
    for email, slots in offered.items():
        c = contact(svc, email)
        assert c.status == Status.DRAFTED
        assert svc.store.holds_for(c.id, MONDAY) == slots  # held for the contact
        (draft,) = drafts(svc, email, "outreach")
        body = draft.get_content()
        assert all(f"{n}. " in body for n in (1, 2, 3))
    assert "Engines" in str(drafts(svc, "ada@example.com")[0]["Subject"])
    assert outreach(svc).drafted == [], "a second run drafts again"
    assert len(drafts(svc)) == 2


def test_the_daily_cap_counts_the_users_local_day(tmp_path: Path) -> None:
    svc = open_world(tmp_path, MONDAY, cadence={"daily_outreach_cap": 1})
    for name in ("ada", "bob"):
        add_contact(svc, f"{name}@example.com")
    first = outreach(svc)
    assert len(first.drafted) == 1 and first.capped == 1
    svc.clock.advance(hours=12)  # 20:30 in New York, still Monday
    assert outreach(svc).drafted == []
    svc.clock.advance(hours=4)  # Tuesday 00:30 local (already Tuesday in UTC since 19:00)
    assert [e for e, _, _ in outreach(svc).drafted] == ["bob@example.com"]
    svc.close()


def test_no_free_slot_flags_once_and_drafts_when_time_frees_up(svc: Services) -> None:
    add_contact(svc, "ada@example.com")
    svc.calendar.busy_intervals.append(Interval(MONDAY, MONDAY + timedelta(days=60)))
    result = outreach(svc)
    assert result.drafted == []
    assert [e for e, _ in result.flagged] == ["ada@example.com"]
    ada = contact(svc, "ada@example.com")
    assert ada.status == Status.NEW and ada.needs_attention.startswith("no free slots")
    assert outreach(svc).flagged == [], "an unchanged flag is no news"
    assert [e.event for e in svc.store.timeline(ada.id)].count("flag") == 1
    svc.calendar.busy_intervals.clear()
    assert [e for e, _, _ in outreach(svc).drafted] == ["ada@example.com"]
    assert contact(svc, "ada@example.com").needs_attention is None


def test_a_template_error_flags_that_contact_and_the_others_go_on(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "outreach.txt.j2").write_text(
        "Subject: Hello {{ contact.first_name }}\n\n"
        "{% if contact.company == 'Broken' %}{{ contact.missing }}{% endif %}Hi\n")
    svc = open_world(tmp_path, MONDAY)
    add_contact(svc, "ada@example.com", company="Broken")
    add_contact(svc, "bob@example.com")
    result = outreach(svc)
    assert [e for e, _, _ in result.drafted] == ["bob@example.com"]
    ada = contact(svc, "ada@example.com")
    assert ada.needs_attention.startswith("template error") and "missing" in ada.needs_attention
    assert ada.status == Status.NEW and svc.store.holds_for(ada.id, MONDAY) == []
    svc.close()


def test_a_contact_flagged_for_another_reason_waits_for_the_user(svc: Services) -> None:
    ada = add_contact(svc, "ada@example.com")
    svc.store.flag(ada.id, "two contacts share this address", MONDAY)
    assert outreach(svc).drafted == []
    assert drafts(svc) == []


def test_a_referred_contact_hears_who_suggested_them(svc: Services) -> None:
    priya = add_contact(svc, "priya@example.com", "Priya Raman")
    add_contact(svc, "ada@example.com", "Ada Lovelace")
    svc.store.update_contact(contact(svc, "ada@example.com").id, MONDAY, referred_by=priya.id)
    outreach(svc)
    assert "Priya Raman suggested I contact you" in drafts(svc, "ada@example.com")[0].get_content()


def test_a_dry_run_composes_everything_and_writes_nothing(svc: Services) -> None:
    ada = add_contact(svc, "ada@example.com")
    result = outreach(svc, dry_run=True)
    assert [e for e, _, _ in result.drafted] == ["ada@example.com"]
    assert drafts(svc) == [] and svc.store.holds_for(ada.id, MONDAY) == []
    assert contact(svc, "ada@example.com").status == Status.NEW
    assert svc.store.pending_intents() == []
