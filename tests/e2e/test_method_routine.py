"""The 3B7 routine, employers, exchanges logged by hand, updates and check-ins, and the
responsiveness labels -- end to end through the CLI with the clock driven by AUTOMATION_NOW."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_pipeline_cli import Story, at
from tests.support.workspace import Workspace, write_csv

NY = ZoneInfo("America/New_York")
MADRID = ZoneInfo("Europe/Madrid")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
ANA, BEA, CAL = "ana@acme.es", "bea@acme.es", "cal@acme.es"
ACME = [f"Ana,Ruiz,{ANA},\"Acme, S.A.\",Engineer,Europe/Madrid,",
        f"Bea,Gil,{BEA},ACME,Designer,Europe/Madrid,",
        f"Cal,Paz,{CAL},acme sa,Analyst,Europe/Madrid,"]


@pytest.fixture
def story(workspace: Workspace) -> Story:
    return Story(workspace)


def statuses(story: Story) -> dict[str, str]:
    return {c["email"]: c["status"] for c in story.ws.contacts()}


def test_3b7_one_colleague_at_a_time_then_the_next_after_three_business_days(
        story: Story) -> None:
    """Ana's outreach goes first; Bea waits 3 of Madrid's business days (8 Dec is a holiday
    there) after Ana's was sent; Ana gets one follow-up at 7 business days, and no second."""
    story.ws.ok("import", str(write_csv(story.ws.root / "c.csv", ACME)), now=MONDAY.isoformat())
    out = story.run(MONDAY)
    assert f"Drafted outreach to {ANA}" in out
    assert "2 new contact(s) wait for a colleague at the same employer" in out
    assert statuses(story) == {ANA: "drafted", BEA: "new", CAL: "new"}
    [acme] = story.ws.ok("employers", "--json", now=MONDAY.isoformat()).json()
    assert acme["contacts"] == {"drafted": 1, "new": 2}
    assert {w["email"] for w in acme["waiting"]} == {BEA, CAL}

    sent = datetime(2026, 12, 7, 16, 0, tzinfo=MADRID)  # Monday afternoon in Madrid
    story.send(ANA, "outreach", sent)
    story.run(sent + timedelta(minutes=5))
    # Tue 8 (holiday), Wed 9, Thu 10, Fri 11: three business days end Friday 16:00 Madrid.
    turn = datetime(2026, 12, 11, 16, 0, tzinfo=MADRID)
    assert "Drafted outreach" not in story.run(turn - timedelta(minutes=1))
    out = story.run(turn)
    assert f"Drafted outreach to {BEA}" in out and CAL not in out.split("wait")[0]
    assert statuses(story)[CAL] == "new"

    # 7 business days after Ana's outreach: Wed 9 ... Thu 17 -> one follow-up, then no more.
    follow = datetime(2026, 12, 17, 16, 0, tzinfo=MADRID)
    assert f"Drafted follow-up to {ANA}" not in story.run(follow - timedelta(minutes=1))
    assert f"Drafted follow-up to {ANA}" in story.run(follow)
    story.send(ANA, "follow_up", follow + timedelta(hours=1))
    later = story.run(follow + timedelta(days=30))
    assert f"Drafted follow-up to {ANA}" not in later
    assert story.status(ANA) == "no_response"
    assert story.show(ANA)["responsiveness"] == "curmudgeon"


def test_a_ranked_employer_is_written_to_first(story: Story) -> None:
    rows = ["Zed,One,zed@zeta.com,Zeta Corp,Engineer,America/New_York,",
            "Amy,Two,amy@beta.com,Beta Inc,Engineer,America/New_York,"]
    story.ws.ok("import", str(write_csv(story.ws.root / "c.csv", rows)), now=MONDAY.isoformat())
    story.ws.set_config("cadence", "daily_outreach_cap", "1")
    out = story.ws.ok("employers", "rank", "beta", "1", now=MONDAY.isoformat()).out
    assert "Ranked Beta Inc 1" in out
    assert "Drafted outreach to amy@beta.com" in story.run(MONDAY)
    rows = story.ws.ok("employers", "--json", now=MONDAY.isoformat()).json()
    assert [(r["name"], r["rank"]) for r in rows] == [("Beta Inc", 1), ("Zeta Corp", None)]
    bad = story.ws.run("employers", "rank", "Nowhere Ltd", "2", now=MONDAY.isoformat())
    assert bad.code == 1 and "no contact works at 'Nowhere Ltd'" in bad.err


def test_a_quick_warm_reply_is_a_booster_shown_everywhere(story: Story) -> None:
    story.start("Priya,Raman,priya@example.com,County,Epidemiologist,America/New_York,")
    outreach = story.send("priya@example.com", "outreach", at(7, 9))
    story.run(at(7, 9, 5))
    story.reply("h01_gmail_option_2.eml", {"outreach": outreach}, at(8, 10))
    story.run(at(8, 10, 5))
    assert story.show("priya@example.com")["responsiveness"] == "booster"
    assert story.ws.contact("priya@example.com")["responsiveness"] == "booster"
    table = story.ws.ok("contacts", now=at(8, 11).isoformat()).out
    assert "booster" in table
    assert "responsiveness: booster" in story.ws.ok("show", "priya@example.com").out


def nurtured(story: Story) -> datetime:
    """Priya interviewed, thanked and nurturing; returns when the thank-you went out."""
    story.start("Priya,Raman,priya@example.com,County,Epidemiologist,America/New_York,")
    outreach = story.send("priya@example.com", "outreach", at(7, 9))
    story.run(at(7, 9, 5))
    story.reply("h01_gmail_option_2.eml", {"outreach": outreach}, at(7, 16))
    story.run(at(7, 16, 5))
    end = datetime.fromisoformat(story.show("priya@example.com")["interview"]["end"])
    story.ws.ok("note", "priya@example.com", "the advice to take the data course",
                now=(end + timedelta(minutes=1)).isoformat())
    story.run(end + timedelta(minutes=5))
    sent = end + timedelta(hours=2)
    story.send("priya@example.com", "thank_you", sent)
    story.run(sent + timedelta(minutes=5))
    assert story.status("priya@example.com") == "nurturing"
    return sent


def test_no_fresh_update_means_no_check_in_and_the_digest_asks(story: Story) -> None:
    from automation.app.digest import digest_lines
    from automation.bootstrap import open_services
    from automation.config import load_config
    from tests.support.memworld import Clock

    sent = nurtured(story)
    due = sent + timedelta(days=90, minutes=1)
    assert "Drafted check-in" not in story.run(due)
    svc = open_services(load_config(story.ws.config), Clock(due))
    try:
        lines = digest_lines(svc, due)
    finally:
        svc.close()
    assert any(line.startswith("check-in(s) due with no news to share: priya@example.com")
               for line in lines), lines
    story.ws.ok("update", "I finished the data course.", now=due.isoformat())
    assert "Drafted check-in to priya@example.com" in story.run(due + timedelta(minutes=1))
    body = story.draft("priya@example.com", "check_in").get_content()
    assert "some news: I finished the data course." in body
    assert "Your advice, the advice to take the data course, helped" in body


def test_a_shared_update_is_not_shared_again(story: Story) -> None:
    sent = nurtured(story)
    story.ws.ok("update", "I finished the data course", now=(sent + timedelta(days=1)).isoformat())
    first = sent + timedelta(days=90, minutes=1)
    assert "Drafted check-in" in story.run(first)
    story.send("priya@example.com", "check_in", first + timedelta(hours=1))
    story.run(first + timedelta(hours=2))
    assert "Drafted check-in" not in story.run(first + timedelta(days=91))


def test_a_logged_call_restarts_the_check_in_clock(story: Story) -> None:
    sent = nurtured(story)
    story.ws.ok("update", "I started a new role", now=(sent + timedelta(days=1)).isoformat())
    call = sent + timedelta(days=60)
    out = story.ws.ok("log", "priya@example.com", "--kind", "call", "--at", call.isoformat(),
                      "caught up about the new role",
                      now=(call + timedelta(days=1)).isoformat()).out
    assert "Logged a call with priya@example.com" in out
    assert "Drafted check-in" not in story.run(sent + timedelta(days=90, minutes=1))
    assert "Drafted check-in" in story.run(call + timedelta(days=90, minutes=1))
    timeline = story.show("priya@example.com")["timeline"]
    assert any(e["event"] == "logged" and e["cause"] == "call: caught up about the new role"
               for e in timeline)


def test_log_refuses_bad_input_with_what_to_do(workspace: Workspace) -> None:
    rows = ["Ann,Bee,ann@example.com,Acme,Engineer,America/New_York,"]
    workspace.ok("import", str(write_csv(workspace.root / "c.csv", rows)),
                 now=MONDAY.isoformat())
    future = workspace.run("log", "ann@example.com", "--kind", "meeting", "--at",
                           "2027-01-01T10:00:00-05:00", "coffee", now=MONDAY.isoformat())
    assert future.code == 1 and "in the future" in future.err
    naive = workspace.run("log", "ann@example.com", "--kind", "message", "--at",
                          "2026-12-01T10:00", "hi", now=MONDAY.isoformat())
    assert naive.code == 1 and "needs a time zone" in naive.err
    kind = workspace.run("log", "ann@example.com", "--kind", "fax", "hi", now=MONDAY.isoformat())
    assert kind.code == 2
    assert workspace.run("update", "  ", now=MONDAY.isoformat()).code == 1
