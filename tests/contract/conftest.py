"""Fixtures of the adapter contract tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from automation.adapters.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh workspace database, closed after the test."""
    with Store.open(tmp_path / "automation.db") as opened:
        yield opened
