"""``import_contacts``: the cycle collector is paused while a file is imported (a big import
keeps every row alive at once, and the collector walked them all again and again), and runs
again afterwards, also when the import fails; the progress callbacks follow the reading and
then the saving."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.clock import fixed_clock
from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.app import contacts
from automation.app.contacts import import_contacts
from automation.app.services import Services
from automation.bootstrap import open_services
from automation.config import load_config
from automation.errors import UserError
from automation.interfaces.cli.setup_cmds import CONFIG_TEMPLATE

MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Services]:
    config = tmp_path / "automation.toml"
    config.write_text(CONFIG_TEMPLATE.format(name="Alex Rivera", email="alex@example.org",
                                             timezone="America/New_York"))
    services = open_services(load_config(config), fixed_clock(MONDAY), mailbox=MemoryMailbox(),
                             calendar=MemoryCalendar())
    yield services
    services.close()


def _file(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text("Email,Name\n" + "".join(f"p{i}@example.com,P {i}\n" for i in range(rows)),
                    encoding="utf-8")
    return path


def test_the_collector_is_paused_while_importing_and_runs_again_after(
        svc: Services, tmp_path: Path) -> None:
    assert gc.isenabled()
    seen: list[tuple[str, int, int, bool]] = []
    summary = import_contacts(
        svc, _file(tmp_path, 450),
        progress=lambda done, total: seen.append(("read", done, total, gc.isenabled())),
        saving=lambda done, total: seen.append(("saved", done, total, gc.isenabled())))
    assert summary.created == 450
    assert seen == [("read", 200, 450, False), ("read", 400, 450, False),
                    ("read", 450, 450, False), ("saved", 450, 450, False)]
    assert gc.isenabled()


def test_the_collector_runs_again_after_a_failed_import(svc: Services, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Name,Company\nAna,Acme\n", encoding="utf-8")
    with pytest.raises(UserError, match="no email column"):
        import_contacts(svc, bad)
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused(svc: Services, tmp_path: Path) -> None:
    gc.disable()
    try:
        import_contacts(svc, _file(tmp_path, 3))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_big_import_leaves_its_survivors_in_the_oldest_generation(
        svc: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first collection after a big import walked every record it kept (they all sat in
    the youngest generation while collection was paused): they are in the oldest one now,
    with no collection of the younger ones having walked them there."""
    monkeypatch.setattr(contacts, "_PROMOTE_AT", 1_000)
    walked: list[int] = []

    def collection(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            walked.append(info["generation"])

    summary = import_contacts(svc, _file(tmp_path, 3_000))
    gc.callbacks.append(collection)
    try:
        oldest = gc.get_objects(generation=2)
    finally:
        gc.callbacks.remove(collection)
    assert summary.created == 3_000
    first = summary.result.records[0]
    assert any(o is first for o in oldest)
    assert 2 not in walked
    assert gc.isenabled() and gc.get_freeze_count() == 0
