"""Shared fixtures for every tier; the helpers they use live in tests/support."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tally import tally
from tests.support.workspace import REPO, Workspace

os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(REPO / ".hypothesis"))


@pytest.fixture
def workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("AUTOMATION_CONFIG", raising=False)
    monkeypatch.delenv("AUTOMATION_NOW", raising=False)
    ws = Workspace(tmp_path / "ws", capsys, monkeypatch)
    result = ws.run("init", str(ws.root))
    assert result.code == 0, result.err
    yield ws


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, items in sorted(tally(terminalreporter.config).items()):
        terminalreporter.write_line(f"[{name}] {len(items)} checked: {', '.join(items)}")
