"""The SQLite store: upserts keep status and history, file mode and WAL, holds."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.store import Store
from automation.core.models import ContactRecord, Slot, Status
from automation.errors import UserError

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)


def test_store_upsert_keeps_status_and_history(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        contact, created = store.upsert_contact(
            ContactRecord(email="a@example.com", line=2, name="Ann", company="A"), NOW)
        assert created
        store.set_status(contact.id, Status.DRAFTED, NOW, cause="outreach drafted")
        again, created = store.upsert_contact(
            ContactRecord(email="a@example.com", line=3, company="", role="Chief"), NOW,
            tags=["x"])
        assert not created
        assert again.status == Status.DRAFTED
        assert again.company == "A" and again.role == "Chief" and again.tags == ("x",)
        events = store.timeline(contact.id)
        assert [e.event for e in events] == ["created", "status"]
        assert events[1].cause == "outreach drafted" and events[1].new_status == "drafted"


def test_store_file_mode_wal_and_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.schema_version() == Store.SCHEMA_VERSION
    assert path.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO migrations VALUES ('9999_future', 0)")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="newer version"):
        Store.open(path)


def test_store_holds_expire_and_release(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        contact, _ = store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)
        slot = Slot(NOW + timedelta(days=1), NOW + timedelta(days=1, minutes=10))
        store.add_holds(contact.id, [slot], NOW + timedelta(days=3), "<m@x>")
        assert store.holds_for(contact.id, NOW) == [slot]
        assert store.holds_for(contact.id, NOW + timedelta(days=3)) == []
        assert store.offered_slots(contact.id) == [slot]
        store.release_holds(contact.id, NOW)
        assert store.active_holds(NOW) == []
