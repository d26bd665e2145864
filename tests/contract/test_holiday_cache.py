"""The holiday tables kept in the store between processes (adapters/holidaycache.py): a
process that finds them counts business days exactly as one that computes them, without
importing the holidays package; a table of another package, or one that cannot be read, is
computed again and replaced."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest

from automation.adapters import holidaycache
from automation.adapters.store import Store
from automation.core import businessdays

#: Counts business days in two countries across a year end (US 2026, US 2027, DE 2026),
#: then writes what it found and whether the holidays package was imported.
PROBE = """
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from automation.adapters import holidaycache
from automation.adapters.store import Store
from automation.core.businessdays import BusinessCalendar
from pathlib import Path
store = Store.open(Path(sys.argv[1]))
holidaycache.load(store, sys.argv[1])
out = {}
for zone in ("America/New_York", "Europe/Berlin"):
    cal = BusinessCalendar.for_zone(ZoneInfo(zone))
    start = datetime(2026, 12, 20, 9, tzinfo=ZoneInfo(zone))
    out[zone] = [cal.add_business_days(start, 10).isoformat(),
                 cal.business_days_between(start, datetime(2027, 1, 20, tzinfo=ZoneInfo(zone)))]
holidaycache.save(store)
store.close()
out["imported"] = "holidays" in sys.modules
print(json.dumps(out))
"""


def probe(db: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(db)], check=True,
                          capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout)


def rows(db: Path) -> dict[str, str]:
    store = Store.open(db)
    try:
        return store.file_cache(holidaycache.KIND)
    finally:
        store.close()


def test_a_later_process_counts_the_same_without_importing_holidays(tmp_path: Path) -> None:
    db = tmp_path / "automation.db"
    first = probe(db)
    assert first.pop("imported") is True  # nothing kept yet: computed
    assert set(rows(db)) == {"US/2026", "US/2027", "DE/2026", "DE/2027"}
    second = probe(db)
    assert second.pop("imported") is False  # every table came from the store
    assert second == first


def test_kept_tables_are_the_packages_own(tmp_path: Path) -> None:
    db = tmp_path / "automation.db"
    probe(db)
    kept = json.loads(rows(db)["DE/2026"])
    assert kept["library"] == holidaycache.library_identity()
    assert kept["dates"] == sorted(d.isoformat() for d in holidays.country_holidays("DE",
                                                                                    years=2026))


@pytest.mark.parametrize("payload", [
    json.dumps({"library": "/elsewhere/holidays/version.py:1:2", "dates": ["2026-12-23"]}),
    "not json",
    json.dumps({"library": "SAME", "dates": ["Christmas"]}),
    json.dumps({"library": "SAME"}),
    json.dumps(["SAME"]),
])
def test_a_row_of_another_package_or_unreadable_is_computed_again_and_replaced(
        tmp_path: Path, payload: str) -> None:
    db = tmp_path / "automation.db"
    truth = probe(db)
    truth.pop("imported")
    store = Store.open(db)
    store.save_file_cache(holidaycache.KIND, {
        "US/2026": payload.replace("SAME", holidaycache.library_identity())}, [])
    store.close()
    again = probe(db)
    assert again.pop("imported") is True  # that one table was computed again...
    assert again == truth  # ...so nothing changed, not even with a made-up holiday
    assert json.loads(rows(db)["US/2026"])["library"] == holidaycache.library_identity()
    assert probe(db)["imported"] is False  # and kept again


def test_a_stale_row_of_another_year_goes_when_tables_are_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(businessdays, "_tables", {})
    monkeypatch.setattr(businessdays, "_fresh", {})
    store = Store.open(tmp_path / "automation.db")
    store.save_file_cache(holidaycache.KIND, {"FR/2019": json.dumps({"library": "old",
                                                                     "dates": []})}, [])
    assert businessdays.BusinessCalendar.for_zone(
        ZoneInfo("Europe/Paris")).holiday(date(2026, 7, 14))
    holidaycache.save(store)
    assert set(store.file_cache(holidaycache.KIND)) == {"FR/2026"}
    store.close()


def test_a_read_only_database_keeps_nothing_and_fails_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(businessdays, "_tables", {})
    monkeypatch.setattr(businessdays, "_fresh", {})
    businessdays.BusinessCalendar.for_zone(
        ZoneInfo("Europe/Paris")).holiday(date(2026, 7, 14))

    class ReadOnly:
        def file_cache(self, kind: str) -> dict[str, str]:
            return {}

        def save_file_cache(self, kind: str, rows: object, gone: object) -> None:
            raise sqlite3.OperationalError("attempt to write a readonly database")

    holidaycache.save(ReadOnly())  # type: ignore[arg-type]
