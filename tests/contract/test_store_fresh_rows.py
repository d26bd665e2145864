"""An import whose every row is a new address is written a column at a time
(``adapters/store/freshrows``): the database it leaves and the outcomes it returns are those of
upserting the rows one by one, whatever columns are empty, whatever the tags say, into an empty
database or beside stored contacts; a row that is not new (a duplicate, a stored address or
alias, an extra address, an address not yet normalised) sends the whole file the general way.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from automation.adapters.store import Store, freshrows
from automation.core.records import ContactRecord
from tests.contract.test_store_import import NOW, _dump, _one_by_one, _seed
from tests.support.sqltrace import traced


def _column_wise(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch the column-wise path writes (none: the general way ran)."""
    batches: list[int] = []
    real = freshrows.insert_batch

    def spy(conn: sqlite3.Connection, records: list[ContactRecord], *args: object) -> None:
        batches.append(len(records))
        real(conn, records, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(freshrows, "insert_batch", spy)
    return batches


def _fresh(rng: random.Random, count: int, start: int = 0) -> list[ContactRecord]:
    """New addresses; each column empty in every row, in none, or in some (None included)."""
    kinds = {f: rng.choice(("all", "none", "some")) for f in (
        "name", "first_name", "last_name", "company", "role", "notes", "phone", "location",
        "connection", "timezone")}

    def value(field: str, i: int) -> str | None:
        kind = kinds[field]
        if kind == "none":  # empty text may come as "" or None; no time zone is None
            return None if field == "timezone" else rng.choice(("", None))
        if kind == "some" and rng.random() < 0.5:
            return rng.choice((None, ""))
        return "Europe/Berlin" if field == "timezone" else f"{field} {i} o'k"

    return [ContactRecord(email=f"new{start + i}@example.com", line=rng.randrange(2, 10**6),
                          **{f: value(f, i) for f in kinds})  # type: ignore[arg-type]
            for i in range(count)]


@pytest.mark.parametrize("seed", range(10))
def test_new_rows_written_by_column_are_the_rows_upserted_one_by_one(
        tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshrows, "BATCH", 7)  # several batches, the last one short
    # Several statements per batch, the last one short; or as many rows a statement as an
    # SQLite built to bind fewer values allows (never fewer than a row's).
    limited = seed % 3 == 2
    monkeypatch.setattr(freshrows, "ROWS", 1000 if limited else 3)
    rng = random.Random(seed)
    records = _fresh(rng, rng.randrange(1, 60))
    tags = rng.choice(((), ("b", "a"), ("it's", 'say "hi"')))
    with Store.open(tmp_path / "bulk.db") as bulk, Store.open(tmp_path / "each.db") as each:
        referrer = None
        if seed % 2:  # beside an earlier import, or into an empty database
            referrer = _seed(bulk, random.Random(seed))
            assert _seed(each, random.Random(seed)) == referrer
        if limited:
            bulk.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 12 + seed % 5)
        batches = _column_wise(monkeypatch)
        with traced(bulk.conn) as statements, bulk.transaction():
            got = bulk.upsert_contacts(records, NOW, tags=tags, referred_by=referrer)
            if referrer is not None:
                bulk.add_referrals(referrer, [cid for cid, _ in got], NOW)
        assert batches  # the column-wise path ran
        assert sum(s.startswith("INSERT INTO contacts") for s in statements) \
            >= len(records) / (8 if limited else 3)
        assert got == _one_by_one(each, records, tags, referrer)
        assert _dump(bulk) == _dump(each)


@pytest.mark.parametrize("case", ["duplicate", "stored", "alias", "extra", "not normalised"])
def test_a_row_that_is_not_new_sends_the_file_the_general_way(
        tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _fresh(random.Random(1), 20)
    with Store.open(tmp_path / "db.sqlite") as store:
        store.upsert_contact(ContactRecord(email="old@example.com", line=1,
                                           extra_emails=("alias@example.com",)), NOW)
        change = {"duplicate": {"email": records[3].email}, "stored": {"email": "old@example.com"},
                  "alias": {"email": "alias@example.com"},
                  "extra": {"extra_emails": ("more@example.com",)},
                  "not normalised": {"email": "Shout@Example.com"}}[case]
        records[9] = replace(records[9], **change)  # type: ignore[arg-type]
        batches = _column_wise(monkeypatch)
        store.upsert_contacts(records, NOW)
        assert not batches


def test_progress_follows_the_batches_and_reports_the_end_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freshrows, "BATCH", 10)
    calls: list[tuple[int, int]] = []
    with Store.open(tmp_path / "db.sqlite") as store:
        store.upsert_contacts(_fresh(random.Random(2), 25), NOW,
                              progress=lambda done, total: calls.append((done, total)))
        assert calls == [(10, 25), (20, 25), (25, 25)]
        calls.clear()  # the general way reports the end
        store.upsert_contacts(_fresh(random.Random(2), 3), NOW,
                              progress=lambda done, total: calls.append((done, total)))
        assert calls == [(3, 3)]
