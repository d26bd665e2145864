"""The method, end to end through the CLI: slots that suit the contact, and the run says why
when there are fewer than three."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.support.workspace import REPO, Workspace, write_csv

MONDAY = "2026-12-07T08:30:00-05:00"
NY = ZoneInfo("America/New_York")


def test_a_small_overlap_offers_what_exists_and_says_why(workspace: Workspace) -> None:
    workspace.set_config("availability", "contact_hours", '["16:40-17:00"]')
    workspace.set_config("availability", "horizon_days", "2")
    rows = ["Ann,Bee,ann@example.com,Acme,Engineer,America/New_York,"]
    workspace.ok("import", str(write_csv(workspace.root / "c.csv", rows)), now=MONDAY)
    result = workspace.ok("run", "--once", now=MONDAY)
    assert "(2 slots offered)" in result.out
    assert "Fewer slots for ann@example.com: only 2 slot(s)" in result.out
    assert "Mon–Fri 16:40–17:00 America/New_York" in result.out
    offered = workspace.contact("ann@example.com")["offered_slots"]
    assert [datetime.fromisoformat(s).astimezone(NY).time() for s in offered] == \
        [time(16, 40), time(16, 50)]


def test_no_overlap_at_all_flags_the_contact_with_the_reason(workspace: Workspace) -> None:
    """08:30-18:00 in Tokyo is 18:30-04:00 in New York: nothing to offer; the user hears why."""
    rows = ["Kenji,Sato,kenji@example.jp,Acme KK,Engineer,Asia/Tokyo,"]
    workspace.ok("import", str(write_csv(workspace.root / "c.csv", rows)), now=MONDAY)
    result = workspace.ok("run", "--once", now=MONDAY)
    assert "Drafted outreach" not in result.out
    reason = workspace.contact("kenji@example.jp")["needs_attention"]
    assert reason.startswith("no slots in the next 14 days inside both your hours and theirs")
    assert "Asia/Tokyo, JP public holidays skipped" in reason


def test_note_connection_opens_the_outreach(workspace: Workspace) -> None:
    rows = ["Ann,Bee,ann@example.com,Acme,Engineer,America/Chicago,"]
    workspace.ok("import", str(write_csv(workspace.root / "c.csv", rows)), now=MONDAY)
    result = workspace.ok("note", "ann@example.com", "--connection",
                          "I read your piece on  open data", now=MONDAY)
    assert "Connection for ann@example.com: I read your piece on open data" in result.out
    assert workspace.ok("show", "ann@example.com", "--json").json()["connection"] == \
        "I read your piece on open data"
    workspace.ok("run", "--once", now=MONDAY)
    [draft] = workspace.drafts()
    assert draft.get_content().split("\n\n")[1].startswith("I read your piece on open data.")
    assert workspace.run("note", "ann@example.com").code == 2  # neither TEXT nor --connection


def test_every_demo_outreach_keeps_the_method(workspace: Workspace) -> None:
    """The five example contacts: opened with how we met, at most 75 words of prose, a
    question, no job words, three slots inside 08:30-18:00 in the contact's zone."""
    from automation.core.wordcount import measure

    workspace.ok("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
    workspace.ok("run", "--once", now=MONDAY)
    drafts = workspace.drafts()
    assert len(drafts) == 5
    for draft in drafts:
        body = draft.get_content()
        found = measure(body)
        assert found.words <= 75 and found.questions and not found.job_words, body
    for contact in workspace.contacts():
        zone = ZoneInfo(contact["timezone"]) if contact["timezone"] else NY
        starts = [datetime.fromisoformat(s) for s in contact["offered_slots"]]
        assert len(starts) == 3
        for start in starts:
            assert time(8, 30) <= start.astimezone(zone).time() <= time(17, 50)
        assert len({s.astimezone(NY).time() for s in starts}) == 3, contact["email"]


@pytest.mark.parametrize("value", [None, "true", "false"])
def test_init_turns_varied_times_on_and_a_config_that_says_false_keeps_it(
        workspace: Workspace, value: str | None) -> None:
    """A new workspace says ``vary_time_of_day = true``; a config without the key gets the
    same default; one that says false (``init`` wrote that while the default was off) keeps
    the earliest free slot of each day."""
    text = workspace.config.read_text()
    assert "\nvary_time_of_day = true " in text
    workspace.config.write_text("".join(line for line in text.splitlines(keepends=True)
                                        if not line.startswith("vary_time_of_day")))
    if value is not None:
        workspace.set_config("availability", "vary_time_of_day", value)
    rows = [f"P{i},Q,p{i}@example.com,Co{i},Engineer,America/New_York," for i in range(3)]
    workspace.set_config("cadence", "max_awaiting_per_employer", "0")
    workspace.ok("import", str(write_csv(workspace.root / "c.csv", rows)), now=MONDAY)
    workspace.ok("run", "--once", now=MONDAY)
    offered = {c["email"]: {datetime.fromisoformat(s).astimezone(NY).time()
                            for s in c["offered_slots"]} for c in workspace.contacts()}
    assert len(offered) == 3
    assert all(len(times) == (1 if value == "false" else 3) for times in offered.values()), \
        offered
