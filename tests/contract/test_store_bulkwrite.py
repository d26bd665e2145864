"""A big import builds the secondary indexes after its rows (``adapters/store/bulkwrite``).

The database it leaves is the one upserting the rows one by one leaves, with the same schema
(every index back, from its own definition) and a clean integrity check; a failure part-way
leaves the database as it was, indexes included; and a small import keeps its indexes current
row by row (rebuilding would cost more than it saves).
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from automation.adapters.store import Store, bulkwrite
from automation.core.records import ContactRecord
from tests.contract.test_store_import import NOW, _dump, _one_by_one, _record, _seed


def _schema(store: Store) -> list[tuple[object, ...]]:
    return [tuple(r) for r in store.conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")]


def _traced(store: Store) -> list[str]:
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    return statements


@pytest.mark.parametrize("seed", range(6))
def test_a_big_import_rebuilding_indexes_is_the_rows_upserted_one_by_one(
        tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every write here counts as big, also one of fewer rows than the table holds.
    monkeypatch.setattr(bulkwrite, "_worth", lambda conn, table, rows: rows > 0)
    rng = random.Random(seed)
    records = [_record(rng, line) for line in range(2, 2 + rng.randrange(40, 90))]
    tags = rng.choice(((), ("b", "a")))
    with Store.open(tmp_path / "bulk.db") as bulk, Store.open(tmp_path / "each.db") as each:
        referrer = _seed(bulk, random.Random(seed))
        assert _seed(each, random.Random(seed)) == referrer
        schema = _schema(bulk)
        statements = _traced(bulk)
        with bulk.transaction():
            got = bulk.upsert_contacts(records, NOW, tags=tags, referred_by=referrer)
            bulk.add_referrals(referrer, [cid for cid, _ in got], NOW)
        assert any(s.startswith("DROP INDEX") for s in statements)  # the rebuild path ran
        assert got == _one_by_one(each, records, tags, referrer)
        assert _dump(bulk) == _dump(each)
        assert _schema(bulk) == schema == _schema(each)
        assert bulk.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_first_import_into_an_empty_database_builds_its_indexes_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulkwrite, "REBUILD_AT", 100)
    records = [ContactRecord(email=f"p{i}@example.com", line=i + 2, name=f"P{i}")
               for i in range(150)]
    with Store.open(tmp_path / "db.sqlite") as store:
        schema = _schema(store)
        statements = _traced(store)
        store.upsert_contacts(records, NOW)
        dropped = sorted(s.split()[-1].strip('"') for s in statements
                         if s.startswith("DROP INDEX"))
        # Every index of the contacts but the partial ones (their condition is cheap to
        # check per row; building one again reads the whole table) and those on the status
        # columns, which every new contact holds the same values in (each row goes in behind
        # the one before). The timeline gets no rows: the "created" events are one run
        # (adapters/store/createdruns.py).
        assert dropped == sorted(name for kind, name, table, sql in schema if kind == "index"
                                 and table == "contacts" and sql is not None
                                 and " WHERE " not in sql and "(status" not in sql)
        assert "contacts_company" in dropped and "contacts_thread" not in dropped
        assert "contacts_status" not in dropped and "contacts_status_changed" not in dropped
        assert _schema(store) == schema
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # The planner finds the rebuilt indexes.
        plan = store.conn.execute("EXPLAIN QUERY PLAN SELECT id FROM contacts "
                                  "WHERE status = 'new'").fetchall()
        assert "contacts_status" in " ".join(str(r[-1]) for r in plan)


def test_a_small_import_keeps_its_indexes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulkwrite, "REBUILD_AT", 10)
    with Store.open(tmp_path / "db.sqlite") as store:
        statements = _traced(store)
        store.upsert_contacts([ContactRecord(email=f"first{i}@example.com", line=i + 2)
                               for i in range(5)], NOW)  # fewer than REBUILD_AT: keep them
        assert not [s for s in statements if s.startswith(("DROP INDEX", "CREATE INDEX"))]
        store.upsert_contacts([ContactRecord(email=f"old{i}@example.com", line=i + 2)
                               for i in range(100)], NOW)
        statements.clear()
        store.upsert_contacts([ContactRecord(email=f"new{i}@example.com", line=i + 2)
                               for i in range(50)], NOW)  # 50 new rows into 100: keep them
        assert not [s for s in statements if s.startswith(("DROP INDEX", "CREATE INDEX"))]
        assert store.conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 155


def test_a_big_import_that_fails_part_way_leaves_every_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulkwrite, "REBUILD_AT", 1)
    with Store.open(tmp_path / "db.sqlite") as store:
        store.upsert_contact(ContactRecord(email="kept@example.com", line=2, name="Kept"), NOW)
        store.conn.execute("CREATE TRIGGER boom BEFORE INSERT ON contacts "
                           "WHEN NEW.email = 'row698@example.com' "
                           "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        schema, before = _schema(store), _dump(store)
        (cache,) = store.conn.execute("PRAGMA cache_size").fetchone()
        records = [ContactRecord(email=f"row{i}@example.com", line=i + 2) for i in range(1000)]
        with pytest.raises(sqlite3.DatabaseError, match="disk full"):
            store.upsert_contacts(records, NOW)
        assert _schema(store) == schema and _dump(store) == before
        assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == cache
        assert not store.conn.in_transaction


def test_bulk_write_refuses_to_run_outside_a_transaction(tmp_path: Path) -> None:
    """Dropping indexes outside a transaction could leave a table without them."""
    with Store.open(tmp_path / "db.sqlite") as store:
        with pytest.raises(RuntimeError, match="transaction"), \
                bulkwrite.bulk_write(store.conn, {"contacts": 10**6}):
            pass
        assert _schema(store) == _schema(Store.open(tmp_path / "other.sqlite"))


def test_indexes_on_columns_the_same_in_every_new_row_stay(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        schema = _schema(store)
        statements = _traced(store)
        with store.transaction(), bulkwrite.bulk_write(
                store.conn, {"contacts": 10**6, "timeline": 10**6},
                {"contacts": ("status", "status_changed_at"), "timeline": ("new_status",)}):
            pass
        dropped = {s.split()[-1].strip('"') for s in statements if s.startswith("DROP INDEX")}
        # (status), (status, status_changed_at) stay; (new_status, at) has another column.
        assert "contacts_status" not in dropped and "contacts_status_changed" not in dropped
        assert {"contacts_company", "timeline_status_at", "timeline_contact"} <= dropped
        assert _schema(store) == schema
