"""What an outreach pass keeps between contacts gives what making it afresh would give.

``FreeBusy.contact_hours`` makes each zone's ``ContactHours`` once per pass; these tests
compare it with ``ContactHours.for_contact`` for every contact, and a pass over contacts in
many zones with the same pass offered contact by contact from a fresh search.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.app.outreach import FreeBusy, read_availability, run_outreach
from automation.core.contacthours import ContactHours
from automation.core.slots import find_slots
from tests.support.memworld import add_contact, contact, open_world

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
ZONES = ["America/Chicago", "Europe/Berlin", "Asia/Kolkata", "", "America/Chicago",
         "Australia/Sydney", "", "Europe/Berlin", "America/Los_Angeles", "Pacific/Auckland"]


def test_each_zones_hours_are_made_once_and_are_those_of_each_contact(
        tmp_path: Path) -> None:
    svc = open_world(tmp_path, MONDAY)
    try:
        availability = svc.config.availability
        avail = FreeBusy(busy=[], held=[], booked=[])
        people = [add_contact(svc, f"p{i}@example.com", timezone=zone or None)
                  for i, zone in enumerate(ZONES)]
        made = [avail.contact_hours(availability, person) for person in people]
        for person, hours in zip(people, made, strict=True):
            assert hours == ContactHours.for_contact(availability, person.zone)
        assert made[0] is made[4] and made[3] is made[6] and made[1] is made[7]
        assert len({id(h) for h in made}) == len(set(ZONES))
    finally:
        svc.close()


def test_a_pass_offers_what_each_contact_gets_from_a_fresh_search(tmp_path: Path) -> None:
    """Every offer of a pass (kept hours, kept search) is the offer ``find_slots`` makes
    from scratch for that contact, with the holds of the offers made before it."""
    svc = open_world(tmp_path, MONDAY, availability={"max_per_day": 4},
                     cadence={"daily_outreach_cap": 100})
    try:
        for i, zone in enumerate(ZONES * 3):
            add_contact(svc, f"p{i}@example.com", timezone=zone or None)
        now = svc.clock()
        before = read_availability(svc, now)
        result = run_outreach(svc, now, read_availability(svc, now))
        # Kolkata, Sydney and Auckland share no working hour with New York (flagged), and
        # the calendar fills up before the last contacts.
        assert len(result.drafted) >= 10 and result.flagged
        availability = svc.config.availability
        held = list(before.held)
        for email, _, slots in result.drafted:
            person = contact(svc, email)
            fresh = find_slots(availability, now, before.busy, held, before.booked,
                               exclude_holder=person.id,
                               contact=ContactHours.for_contact(availability, person.zone),
                               seed=email)
            assert slots == fresh, email
            held += [(person.id, s.interval) for s in slots]
    finally:
        svc.close()


def test_a_pass_reads_its_template_once_and_the_next_pass_reads_an_edit(
        tmp_path: Path, monkeypatch) -> None:
    """The outreach template's file is checked once per pass, not once per message; an edit
    made between passes is what the next pass writes."""
    import os.path

    templates = tmp_path / "templates"
    templates.mkdir()
    template = templates / "outreach.txt.j2"
    template.write_text("Subject: Hello {{ contact.first_name }}\n\nFirst text\n")
    svc = open_world(tmp_path, MONDAY, cadence={"daily_outreach_cap": 100})
    try:
        for i in range(5):
            add_contact(svc, f"first{i}@example.com", first_name=f"F{i}")
        checks = []
        real = os.path.getmtime

        def getmtime(path):
            if str(path).endswith("outreach.txt.j2"):
                checks.append(path)
            return real(path)

        monkeypatch.setattr(os.path, "getmtime", getmtime)
        first = run_outreach(svc, MONDAY, read_availability(svc, MONDAY))
        assert len(first.drafted) == 5 and len(checks) <= 1
        template.write_text("Subject: Hi again {{ contact.first_name }}\n\nSecond text\n")
        os.utime(template, (1, 1))  # a different time, whatever the file system's resolution
        add_contact(svc, "second@example.com", first_name="S")
        second = run_outreach(svc, MONDAY, read_availability(svc, MONDAY))
        assert [subject for _, subject, _ in second.drafted] == ["Hi again S"]
        assert {subject for _, subject, _ in first.drafted} == {f"Hello F{i}" for i in range(5)}
    finally:
        svc.close()
