"""The method, end to end through the CLI: slots that suit the contact, and the run says why
when there are fewer than three."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from tests.support.workspace import Workspace, write_csv

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
