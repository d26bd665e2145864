"""A pass and its restart minutes later draft the same offers and hold them alike.

The SIGKILL suite's case over the in-memory adapters: one workspace drafts at 08:30 (the pass
that was killed), another at 08:35 (the restart, or the kill-free reference). The offer window's
edges and the holds' expiry sit on clock boundaries (``core.offerwindow``), so the contacts
are offered the same slots and those slots stay held, for both, until the same moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.app.outreach import read_availability, run_outreach
from automation.app.services import Services
from automation.core.models import Slot
from tests.support.memworld import add_contact, contact, open_world

NY = ZoneInfo("America/New_York")
KILLED = datetime(2026, 12, 7, 8, 30, tzinfo=NY)  # a Monday
RESTARTED = KILLED + timedelta(minutes=5)
EMAILS = ["c010@example.com", "c188@example.com", "ada@example.com", "bob@example.com"]


def world(folder: Path, now: datetime, vary: bool) -> Services:
    """Tuesday's 08:30 slot is 24 hours after the killed pass, 23 h 55 m after the restart."""
    svc = open_world(folder, now, availability={
        "hours": ["08:30-10:00"], "min_notice_hours": 24, "max_per_day": 4,
        "vary_time_of_day": vary}, cadence={"hold_days": 3})
    for email in EMAILS:
        add_contact(svc, email)
    return svc


def offers(svc: Services) -> dict[str, list[str]]:
    now = svc.clock()
    result = run_outreach(svc, now, read_availability(svc, now))
    return {email: [s.start.isoformat() for s in slots] for email, _, slots in result.drafted}


def held(svc: Services, at: datetime) -> dict[str, list[Slot]]:
    return {email: svc.store.holds_for(contact(svc, email).id or 0, at) for email in EMAILS}


@pytest.mark.parametrize("vary", [False, True])
def test_a_pass_and_its_restart_offer_and_hold_the_same(tmp_path: Path, vary: bool) -> None:
    killed = world(tmp_path / "killed", KILLED, vary)
    restarted = world(tmp_path / "restarted", RESTARTED, vary)
    try:
        first, second = offers(killed), offers(restarted)
        assert first == second and len(first) == len(EMAILS)
        assert all(len(slots) == 3 for slots in first.values())
        assert min(s for slots in first.values() for s in slots) >= "2026-12-08T09:00"
        # Held alike through the third day after the offer (Thursday) to its last instant,
        # the minutes around 08:30 included; lapsed for both at midnight.
        thursday = KILLED + timedelta(days=3)
        for at in (thursday - timedelta(minutes=1), thursday + timedelta(minutes=2),
                   thursday + timedelta(minutes=6), datetime(2026, 12, 10, 23, 59, tzinfo=NY)):
            assert held(killed, at) == held(restarted, at)
            assert all(held(killed, at).values()), at
        midnight = datetime(2026, 12, 11, 0, 0, tzinfo=NY)
        assert not any(held(killed, midnight).values())
        assert not any(held(restarted, midnight).values())
    finally:
        killed.close()
        restarted.close()
