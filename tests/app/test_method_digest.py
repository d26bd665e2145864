"""The digest puts boosters first, and a template sees the contact's responsiveness."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.app.digest import digest_lines
from automation.app.exchanges import responsiveness
from automation.app.outreach import template_variables
from automation.app.tick import tick
from tests.support.memworld import add_contact, contact, drafts, open_world, reply, send

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)


def test_boosters_come_first_in_the_digest(tmp_path: Path) -> None:
    svc = open_world(tmp_path, MONDAY)
    try:
        for email, company in (("slow@a.com", "A"), ("quick@b.com", "B")):
            add_contact(svc, email, company=company, timezone="America/New_York")
        tick(svc)
        for email in ("slow@a.com", "quick@b.com"):
            send(svc, drafts(svc, email, "outreach")[0])
        tick(svc)
        svc.clock.advance(hours=3)
        reply(svc, "quick@b.com", "Happy to help! Let me think about which time suits.")
        tick(svc)
        svc.clock.advance(days=10)
        reply(svc, "slow@a.com", "Sorry for the delay, happy to talk sometime.")
        tick(svc)
        zone = svc.config.me.timezone
        assert responsiveness(svc.store, contact(svc, "quick@b.com"), zone) == "booster"
        assert responsiveness(svc.store, contact(svc, "slow@a.com"), zone) == "obligate"
        flagged = [line for line in digest_lines(svc, svc.clock())
                   if line.startswith("needs attention:")]
        assert len(flagged) == 2, flagged
        assert flagged[0].startswith("needs attention: quick@b.com (booster):")
        variables = template_variables(svc.config.me, contact(svc, "quick@b.com"),
                                       responsiveness="booster")
        assert variables["contact"]["responsiveness"] == "booster"
    finally:
        svc.close()
