"""Writing an import: ``upsert_contacts`` applies a whole file in one transaction and a few
statements, and must leave the database exactly as upserting its rows one by one would, with
the same outcome per row; a failure part-way leaves nothing of the import behind."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.store import Store, ts
from automation.core.models import PROFILE_FIELDS, Contact, Status
from automation.core.records import ContactRecord

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
POOL = [f"p{i}@example.com" for i in range(40)]


def _record(rng: random.Random, line: int) -> ContactRecord:
    def maybe(value: str) -> str:
        return value if rng.random() < 0.5 else ""
    extras = tuple(dict.fromkeys(rng.sample(POOL, rng.choice((0, 0, 1, 2)))))
    email = rng.choice(POOL)
    return ContactRecord(
        email=email, line=line, name=maybe(f"N{rng.randrange(3)}"),
        first_name=maybe("F"), last_name=maybe("L"), company=maybe(f"C{rng.randrange(3)}"),
        role=maybe("R"), timezone=rng.choice((None, "Europe/Berlin", "Asia/Tokyo")),
        notes=maybe("n"), phone=maybe("1"), location=maybe("x"), connection=maybe("met"),
        extra_emails=tuple(e for e in extras if e != email))


def _seed(store: Store, rng: random.Random) -> int:
    """Contacts from an earlier import (one with tags stored unsorted) and a referrer."""
    for i, email in enumerate(rng.sample(POOL, 10)):
        alias = rng.choice(POOL)  # an alias a row of the import may name as its address
        store.upsert_contact(ContactRecord(email=email, line=i + 2, name=f"Old{i}",
                                           extra_emails=(alias,) if alias != email else ()),
                             NOW - timedelta(days=30), tags=("old",) * (i % 2))
    first = store.find_contact(store.list_contacts()[0].email)
    assert first is not None
    store.update_contact(first.id or 0, NOW - timedelta(days=20), tags=["z", "a"])
    referrer, _ = store.upsert_contact(ContactRecord(email="ref@example.com", line=1), NOW)
    return int(referrer.id or 0)


def _profile(contact: Contact | None) -> tuple[object, ...]:
    if contact is None:
        return ()
    return (*(getattr(contact, f) for f in PROFILE_FIELDS), contact.tags, contact.aliases,
            contact.referred_by)


def _upsert_one(store: Store, record: ContactRecord, tags: tuple[str, ...],
                referred_by: int | None) -> tuple[Contact, bool]:
    """The row-at-a-time upsert the store had before ``upsert_contacts`` (kept here as the
    reference): look the address up, insert or update, add each extra address as an alias."""
    existing = store.find_contact(record.email)
    if existing is None:
        columns = ("email", *PROFILE_FIELDS, "tags", "referred_by", "created_at",
                   "updated_at", "status_changed_at")
        profile = (getattr(record, f) if f == "timezone" else getattr(record, f) or ""
                   for f in PROFILE_FIELDS)
        cur = store.conn.execute(
            f"INSERT INTO contacts ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            (record.email, *profile, json.dumps(sorted(set(tags))), referred_by, ts(NOW),
             ts(NOW), ts(NOW)))
        contact_id = int(cur.lastrowid or 0)
        store.add_event(contact_id, NOW, "created", new_status=Status.NEW, cause="imported",
                        detail={"line": record.line})
    else:
        contact_id = int(existing.id or 0)
        updates = {f: getattr(record, f) for f in PROFILE_FIELDS if getattr(record, f)}
        sets = ", ".join(f"{k} = ?" for k in updates)
        store.conn.execute(
            f"UPDATE contacts SET {sets + ', ' if sets else ''}tags = ?, updated_at = ?, "
            "referred_by = COALESCE(referred_by, ?) WHERE id = ?",
            (*updates.values(), json.dumps(sorted(set(existing.tags) | set(tags))), ts(NOW),
             referred_by, contact_id))
    for extra in record.extra_emails:
        store.add_alias(contact_id, extra)
    return store.get_contact(contact_id), existing is None


def _one_by_one(store: Store, records: list[ContactRecord], tags: tuple[str, ...],
                referred_by: int | None) -> list[tuple[int, str]]:
    """What an import did before: the reference upsert per row, outcome by comparing
    profiles before and after."""
    outcomes = []
    with store.transaction():
        for record in records:
            before = store.find_contact(record.email)
            contact, created = _upsert_one(store, record, tags, referred_by)
            outcome = ("created" if created else
                       "unchanged" if _profile(before) == _profile(contact) else "updated")
            outcomes.append((int(contact.id or 0), outcome))
            if referred_by is not None and contact.id != referred_by:
                store.add_referral(referred_by, int(contact.id or 0), NOW)
    return outcomes


def _dump(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """The tables an import writes, and every contact's timeline as it reads: the reference
    above records a "created" event as a timeline row, as the store did before it kept them
    as runs (adapters/store/createdruns.py). The timeline of each id up to the last a run
    names is read, so a run left behind for contacts that do not exist shows too."""
    dump = {table: [tuple(r) for r in store.conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
            for table in ("contacts", "aliases", "referrals")}
    (last,) = store.conn.execute("SELECT max(coalesce((SELECT max(last_id) FROM created_runs), "
                                 "0), coalesce((SELECT max(id) FROM contacts), 0))").fetchone()
    dump["timeline"] = [(i, entry) for i in range(1, last + 1) for entry in store.timeline(i)]
    return dump


@pytest.mark.parametrize("seed", range(12))
def test_bulk_upsert_is_the_rows_upserted_one_by_one(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    records = [_record(rng, line) for line in range(2, 2 + rng.randrange(20, 80))]
    tags = rng.choice(((), ("b", "a"), ("old",)))
    with Store.open(tmp_path / "bulk.db") as bulk, Store.open(tmp_path / "each.db") as each:
        referrer = _seed(bulk, random.Random(seed))
        assert _seed(each, random.Random(seed)) == referrer
        referred_by = referrer if seed % 2 else None
        with bulk.transaction():
            got = bulk.upsert_contacts(records, NOW, tags=tags, referred_by=referred_by)
            if referred_by is not None:
                bulk.add_referrals(referred_by, [cid for cid, _ in got], NOW)
        want = _one_by_one(each, records, tags, referred_by)
        assert got == want
        assert _dump(bulk) == _dump(each)
        assert {o for _, o in got} >= {"created", "updated"}  # the case is not trivial


def test_an_import_that_fails_part_way_leaves_nothing_behind(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        store.upsert_contact(ContactRecord(email="kept@example.com", line=2, name="Kept"), NOW)
        before = _dump(store)
        # A real failure inside the write (a full disk or a constraint would do the same).
        store.conn.execute("CREATE TRIGGER boom BEFORE INSERT ON contacts "
                           "WHEN NEW.email = 'row500@example.com' "
                           "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        records = [ContactRecord(email=f"row{i}@example.com", line=i + 2, name=f"R{i}",
                                 extra_emails=(f"alias{i}@example.com",)) for i in range(1000)]
        records.append(ContactRecord(email="kept@example.com", line=1002, company="New Co"))
        with pytest.raises(sqlite3.DatabaseError, match="disk full"):
            store.upsert_contacts(records, NOW)
        assert _dump(store) == before
        assert not store.conn.in_transaction
