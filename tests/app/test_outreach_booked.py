"""A pass reads only the bookings an offer can meet (app/outreach.read_availability), not the
year of past interviews, and offers exactly what it offers with every booking: a booking
earlier today still counts towards today's ``max_per_day``, and one that just ended still
keeps its buffer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.app.outreach import offer, read_availability
from automation.app.services import Services
from automation.core.models import Slot
from tests.support.memworld import add_contact, contact, open_world

NY = ZoneInfo("America/New_York")
MONDAY_NOON = datetime(2026, 12, 7, 12, 0, tzinfo=NY)
AVAILABILITY = {"hours": ["08:00-18:00"], "min_notice_hours": 0, "max_per_day": 1,
                "buffer_minutes": 90, "horizon_days": 14}


def world(tmp_path: Path, now: datetime, **availability: object) -> Services:
    svc = open_world(tmp_path, now, availability={**AVAILABILITY, **availability})
    add_contact(svc, "ada@example.com", "Ada Lovelace")
    add_contact(svc, "booked@example.com", "Bo Oked")
    return svc


def book(svc: Services, start: datetime, minutes: int = 30) -> None:
    booked = contact(svc, "booked@example.com")
    svc.store.save_interview(booked.id or 0, f"i-{start.isoformat()}", start,
                             start + timedelta(minutes=minutes), 0, "confirmed", start)


def offers(svc: Services, *, every_booking: bool) -> list[Slot]:
    now = svc.clock()
    avail = read_availability(svc, now)
    if every_booking:
        avail = replace(avail, booked=[i.interval for i in svc.store.interviews("confirmed")])
    return offer(svc.config.availability, avail, contact(svc, "ada@example.com"), now)


def test_a_booking_earlier_today_still_fills_today(tmp_path: Path) -> None:
    svc = world(tmp_path, MONDAY_NOON)
    for weeks in range(1, 53):  # a year of past interviews
        book(svc, MONDAY_NOON - timedelta(weeks=weeks, hours=2))
    book(svc, MONDAY_NOON.replace(hour=8))  # ended three and a half hours ago
    book(svc, MONDAY_NOON + timedelta(days=1, hours=-3))  # tomorrow
    slots = offers(svc, every_booking=False)
    assert slots == offers(svc, every_booking=True)
    assert len(slots) == 3 and min(s.start for s in slots).date() > MONDAY_NOON.date() + \
        timedelta(days=1), "today and tomorrow are full"
    svc.close()


def test_the_same_offers_as_with_every_booking(tmp_path: Path) -> None:
    """Bookings every five hours over seven weeks, ``now`` stepping through them: the offers
    from the bookings read are always those from every booking."""
    start = MONDAY_NOON - timedelta(days=30)
    svc = world(tmp_path, start, max_per_day=3)
    for step in range(0, 7 * 24 * 7, 5):
        book(svc, start + timedelta(hours=step, minutes=step % 60), minutes=20 + step % 50)
    for hours in range(0, 24 * 21, 13):
        svc.clock.moment = start + timedelta(hours=hours)  # type: ignore[attr-defined]
        assert offers(svc, every_booking=False) == offers(svc, every_booking=True), hours
    svc.close()
