"""Fixtures of the adapter contract tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.local import filecache
from automation.adapters.store import Store
from automation.core.models import Interval


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh workspace database, closed after the test."""
    with Store.open(tmp_path / "automation.db") as opened:
        yield opened


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the calendar cache parses for busy time, in order (the real parser still
    runs)."""
    seen: list[str] = []
    real = filecache.file_busy

    def counting(data: bytes, window: Interval, tz: ZoneInfo, source: str) -> object:
        seen.append(Path(source).name)
        return real(data, window, tz, source)

    monkeypatch.setattr(filecache, "file_busy", counting)
    return seen


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose content the calendar cache reads for busy time, in order."""
    seen: list[str] = []
    real = filecache.read_calendar_stat

    def counting(path: Path, limit: int | None = None) -> object:
        seen.append(Path(path).name)
        return real(path, limit)

    monkeypatch.setattr(filecache, "read_calendar_stat", counting)
    return seen
