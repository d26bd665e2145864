"""The contact table (``contacts --json``) is built with a few set-based queries; every row must
be what the one-contact read model (``contact_row``, several queries per contact) says, on a
workspace where every field varies: live, expired and released holds, referrers inside and
outside a status filter, tags, snoozes, flags, zones, and answers that make a contact a booster,
an obligate or a curmudgeon."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.clock import fixed_clock
from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.app import queries
from automation.app.ports import Store
from automation.app.services import Services
from automation.bootstrap import open_services
from automation.config import load_config
from automation.core.models import Slot, Status
from automation.core.records import ContactRecord
from automation.interfaces.cli.contacts_cmds import contacts_json
from automation.interfaces.cli.setup_cmds import CONFIG_TEMPLATE

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
ZONES = (None, "Europe/Berlin", "Asia/Tokyo", "America/New_York", "UTC", "Not/AZone", "")
CLASSES = ("human", "decline", "redirect", "opt_out", "auto_reply", "", None)


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    config = tmp_path / "automation.toml"
    (tmp_path / "templates").mkdir()  # the config's templates folder, as `automation init` makes
    config.write_text(CONFIG_TEMPLATE.format(name="Alex Rivera", email="alex@example.org",
                                             timezone="America/New_York"))
    services = open_services(load_config(config), fixed_clock(NOW), mailbox=MemoryMailbox(),
                             calendar=MemoryCalendar())
    yield services
    services.close()


def _varied(svc: Services, n: int = 120, seed: int = 7) -> None:
    rng = random.Random(seed)
    store, ids = svc.store, []
    statuses = list(Status)
    for i in range(n):
        record = ContactRecord(email=f"p{i}@example.com", name=f"P{i} Q" if i % 5 else "",
                               first_name=f"F{i}" if i % 4 else "",
                               last_name=f"L{i}" if i % 3 else "",
                               company=f"Co {i % 7}", role="r" if i % 2 else "",
                               timezone=ZONES[i % len(ZONES)], line=i + 2)
        created = NOW - timedelta(days=rng.randrange(5, 200))
        referrer = ids[rng.randrange(len(ids))] if ids and i % 3 == 0 else None
        contact, _ = store.upsert_contact(record, created, tags=("t1",) * (i % 2) + ("t2",) * (i % 3 == 1),
                                          referred_by=referrer)
        cid = int(contact.id or 0)
        ids.append(cid)
        status = statuses[i % len(statuses)]
        if status is not Status.NEW:
            store.set_status(cid, status, created + timedelta(hours=1), cause="test")
        if i % 4 == 0:
            store.flag(cid, f"look at {i}", created)
        if i % 6 == 0:
            store.update_contact(cid, created, snoozed_until=NOW + timedelta(days=i % 9 - 3))
        for h in range(rng.randrange(0, 4)):  # live, expired and released holds
            start = NOW + timedelta(days=rng.randrange(-3, 9), hours=h)
            expires = NOW + timedelta(days=rng.choice((-1, 2)))
            store.add_holds(cid, [Slot(start, start + timedelta(minutes=10))], expires, f"m{i}")
        if i % 10 == 0:
            store.release_holds(cid, NOW - timedelta(hours=1))
        sent = created + timedelta(hours=rng.randrange(2, 48))
        if i % 3:
            store.add_message(contact_id=cid, kind="outreach", direction="sent", state="sent",
                              now=sent, message_id=f"<o{i}@x>", sent_at=sent)
            if i % 5 == 1:  # a second Sent copy, later: the first one counts
                store.add_message(contact_id=cid, kind="outreach", direction="sent",
                                  state="sent", now=sent + timedelta(days=10),
                                  sent_at=sent + timedelta(days=10))
        _answers(store, rng, cid, sent, i)


def _answers(store: Store, rng: random.Random, cid: int, sent: datetime, i: int) -> None:
    """Answers in any order of rows, some at the same second as another (the earlier row is
    the first answer), some timed by when they were recorded (no ``sent_at``)."""
    times = []
    for _ in range(rng.randrange(0, 4)):
        at = sent + timedelta(days=rng.randrange(0, 12), hours=rng.randrange(0, 24))
        if times and rng.random() < 0.3:
            at = rng.choice(times)
        times.append(at)
        store.add_message(contact_id=cid, kind="reply", direction="inbound",
                          state="received", now=at, sent_at=at if rng.random() < 0.7 else None,
                          classification=rng.choice(CLASSES))
    if i % 11 == 5:  # two answers at one second: a warm one, then a decline
        at = sent + timedelta(hours=30)
        for kind in ("human", "decline") if i % 2 else ("decline", "human"):
            store.add_message(contact_id=cid, kind="reply", direction="inbound",
                              state="received", now=at, sent_at=at, classification=kind)
    if i % 13 == 7:  # an answer that was not matched to the contact counts for no one
        store.add_message(contact_id=None, kind="reply", direction="inbound",
                          state="received", now=sent, sent_at=sent, classification="human")


@pytest.mark.parametrize("status", [None, "new", "sent", "no_response", "replied"])
def test_the_table_is_the_one_contact_read_model_of_each_contact(svc: Services,
                                                                 status: str | None) -> None:
    _varied(svc)
    store = svc.store
    table = queries.contact_table(store, NOW, status, NY)
    expected = [queries.contact_row(store, c, NOW, NY) for c in store.list_contacts(status)]
    assert table == expected
    if status is None:  # the workspace is as varied as it claims
        assert {r["responsiveness"] for r in table} == {"booster", "obligate", "curmudgeon", None}
        assert any(r["offered_slots"] for r in table) and any(r["referred_by"] for r in table)
        assert any(r["snoozed_until"] for r in table) and any(r["tags"] for r in table)


ODD = 'Zoë "Z" \\ \n\t\x00\x1f\x7f \u2028 %s %% {} <b> 🙂'


def _odd(svc: Services) -> None:
    """Contacts whose every text needs escaping in JSON, with lists of several items."""
    store = svc.store
    for i in range(3):
        record = ContactRecord(email=f"odd{i}@example.com", name=f"{ODD} {i}" if i else "",
                               first_name=ODD if i == 0 else "", company=ODD, role=ODD,
                               timezone=ODD, line=i + 2)
        contact, _ = store.upsert_contact(record, NOW - timedelta(days=9),
                                          tags=(ODD, "", f"t{i}"))
        cid = int(contact.id or 0)
        store.flag(cid, ODD, NOW - timedelta(days=1))
        for h in range(3):
            start = NOW + timedelta(days=1, hours=h)
            store.add_holds(cid, [Slot(start, start + timedelta(minutes=10))],
                            NOW + timedelta(days=2), f"odd{i}")


@pytest.mark.parametrize("status", [None, "new", "sent"])
def test_contacts_json_writes_what_json_dumps_would(svc: Services, status: str | None) -> None:
    """``contacts --json`` formats the rows itself (json's indenting encoder is slow); the
    text must be json.dumps(rows, indent=2, ensure_ascii=False) to the byte."""
    _varied(svc)
    _odd(svc)
    rows = queries.contact_table(svc.store, NOW, status, NY)
    text = contacts_json(queries.contact_values(svc.store, NOW, status, NY))
    assert text == json.dumps(rows, indent=2, ensure_ascii=False)
    if status is None:  # every kind of value is in the text
        assert any(len(r["offered_slots"]) > 1 for r in rows)
        assert any(len(r["tags"]) > 1 for r in rows)
        assert json.dumps(ODD, ensure_ascii=False)[1:-1] in text  # the store kept it as written
        assert any(r["name"].startswith(ODD) for r in rows) and any(r["name"] == ODD for r in rows)


def test_contacts_json_of_no_contacts_is_an_empty_list() -> None:
    assert contacts_json([]) == json.dumps([], indent=2) == "[]"


def test_plain_contacts_of_every_status_are_the_one_contact_read_model(svc: Services) -> None:
    """Most contacts have no hold, no answer, no flag, snooze, referrer or tag, and a name:
    the table lists those from their columns alone; one such contact in every status (an
    outreach sent but never answered), each as ``contact_row`` says."""
    store = svc.store
    for i, status in enumerate(Status):
        record = ContactRecord(email=f"plain{i}@example.com", name=f"Plain {i}", company="Co",
                               role="r", timezone=ZONES[i % len(ZONES)] or None, line=i + 2)
        contact, _ = store.upsert_contact(record, NOW - timedelta(days=40))
        cid = int(contact.id or 0)
        if status is not Status.NEW:
            store.set_status(cid, status, NOW - timedelta(days=39), cause="test")
            store.add_message(contact_id=cid, kind="outreach", direction="sent", state="sent",
                              now=NOW - timedelta(days=39), sent_at=NOW - timedelta(days=39))
    table = queries.contact_table(store, NOW, None, NY)
    assert table == [queries.contact_row(store, c, NOW, NY) for c in store.list_contacts(None)]
    assert [r["status"] for r in table] == [s.value for s in Status]
    assert {r["responsiveness"] for r in table} == {"curmudgeon", None}


def test_an_empty_workspace_has_an_empty_table(svc: Services) -> None:
    assert queries.contact_table(svc.store, NOW, None, NY) == []


def test_the_label_counts_from_the_first_sent_copy_of_the_outreach(svc: Services) -> None:
    """A booster answers warmly within three business days of the outreach's first Sent copy:
    a later copy, or another kind of mail sent earlier, does not move that start."""
    store = svc.store
    monday = datetime(2026, 11, 2, 9, tzinfo=NY)

    def contact(i: int, sent: list[tuple[str, datetime]], answered: datetime) -> None:
        record = ContactRecord(email=f"s{i}@example.com", name=f"S {i}", line=i + 2)
        cid = int(store.upsert_contact(record, monday - timedelta(days=20))[0].id or 0)
        store.set_status(cid, Status.REPLIED, answered, cause="test")
        for kind, at in sent:
            store.add_message(contact_id=cid, kind=kind, direction="sent", state="sent",
                              now=at, sent_at=at)
        store.add_message(contact_id=cid, kind="reply", direction="inbound", state="received",
                          now=answered, sent_at=answered, classification="human")

    friday = monday + timedelta(days=4)  # four business days after Monday's outreach
    contact(0, [("outreach", monday), ("outreach", monday + timedelta(days=3))], friday)
    contact(1, [("cancellation", monday - timedelta(days=10)), ("outreach", monday)],
            monday + timedelta(days=1))
    contact(2, [("cancellation", monday - timedelta(days=10))], friday)  # no outreach seen
    table = queries.contact_table(store, NOW, None, NY)
    assert [r["responsiveness"] for r in table] == ["obligate", "booster", "booster"]
    assert table == [queries.contact_row(store, c, NOW, NY) for c in store.list_contacts(None)]
