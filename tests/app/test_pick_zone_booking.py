"""A reply naming a time zone books the offer at that moment (observe → picks → booking)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.app.tick import tick
from automation.core.models import Status
from tests.support.memworld import add_contact, contact, drafts, open_world, reply, send

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
SAM = "sam@example.com"


def said(start: datetime, zone: str, tz: ZoneInfo) -> str:
    local = start.astimezone(tz)
    return f"{local:%A} {local:%-I:%M%p} {zone} works for me.".replace(":00", "")


def test_eleven_eastern_from_a_pacific_contact_books_eleven_eastern(tmp_path: Path) -> None:
    svc = open_world(tmp_path, MONDAY)
    add_contact(svc, SAM, "Sam Lee", timezone="America/Los_Angeles")
    tick(svc)
    send(svc, drafts(svc, SAM, "outreach")[0])
    tick(svc)
    offered = svc.store.offered_slots(contact(svc, SAM).id)
    # The user's own words for an offer, in the user's zone ("Tuesday 9am ET"), from a
    # contact whose own clock says three hours earlier.
    reply(svc, SAM, said(offered[1].start, "ET", NY))
    tick(svc)
    sam = contact(svc, SAM)
    assert sam.status == Status.SCHEDULED, sam.needs_attention
    assert svc.store.interview_for(sam.id).start == offered[1].start


def test_noon_your_time_is_the_users_zone(tmp_path: Path) -> None:
    svc = open_world(tmp_path, MONDAY)
    add_contact(svc, SAM, "Sam Lee", timezone="Europe/London")
    tick(svc)
    send(svc, drafts(svc, SAM, "outreach")[0])
    tick(svc)
    offered = svc.store.offered_slots(contact(svc, SAM).id)
    reply(svc, SAM, said(offered[2].start, "your time", NY))
    tick(svc)
    sam = contact(svc, SAM)
    assert sam.status == Status.SCHEDULED, sam.needs_attention
    assert svc.store.interview_for(sam.id).start == offered[2].start
