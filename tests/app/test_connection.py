"""The connection: imported from a "how we met" column, set by hand, kept by the store."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.adapters.store import Store
from automation.adapters.store.migrations import MIGRATIONS
from automation.core.importers import read_contacts
from automation.core.records import ContactRecord

NOW = datetime(2026, 12, 7, 8, 30, tzinfo=ZoneInfo("America/New_York"))


def test_a_how_we_met_or_connection_column_becomes_the_connection(tmp_path: Path) -> None:
    for header in ("How we met", "Connection", "how_we_met"):
        path = tmp_path / "c.csv"
        path.write_text(f"Email,Name,{header}\nann@example.com,Ann Bee,we met at the mixer\n",
                        encoding="utf-8")
        [record] = read_contacts(path, "auto").records
        assert record.connection == "we met at the mixer", header


def test_the_store_keeps_the_connection_and_a_reimport_never_erases_it(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        contact, _ = store.upsert_contact(
            ContactRecord(email="a@example.com", line=2, connection="we met at the mixer"), NOW)
        assert contact.connection == "we met at the mixer"
        again, _ = store.upsert_contact(ContactRecord(email="a@example.com", line=2), NOW)
        assert again.connection == "we met at the mixer"


def test_a_database_from_before_the_connection_is_migrated(tmp_path: Path) -> None:
    """A store written with only the first migration opens, gains the column, keeps rows."""
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER)")
    name, statements = MIGRATIONS[0]
    for statement in statements:
        conn.execute(statement)
    conn.execute("INSERT INTO migrations VALUES (?, 0)", (name,))
    conn.execute("INSERT INTO contacts (email, created_at, updated_at, status_changed_at) "
                 "VALUES ('old@example.com', 0, 0, 0)")
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        old = store.require_contact("old@example.com")
        assert old.connection == ""
        names = {r[0] for r in store.conn.execute("SELECT name FROM migrations")}
        assert "0002_contact_connection" in names
