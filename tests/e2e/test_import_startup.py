"""``automation import`` into a pipe or a file draws no bar, so it imports no rich (a tenth
of a second of a big import's start-up): the bars and rich come with a terminal only
(tests/e2e/test_import_progress.py shows them there)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.test_startup_imports import empty_workspace, loaded  # noqa: F401 (fixture)


def test_a_piped_import_imports_no_rich(tmp_path: Path, empty_workspace: Path,  # noqa: F811
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "FORCE_TERMINAL"):
        monkeypatch.delenv(name, raising=False)
    source = tmp_path / "connections.csv"
    source.write_text("First Name,Last Name,Email Address\nAna,Lima,ana@example.com\n",
                      encoding="utf-8")
    assert "FORCE_COLOR" not in os.environ
    modules = loaded(tmp_path, "--config", str(empty_workspace), "import", str(source))
    assert "automation.app.contacts" in modules  # the probe ran the import
    assert [m for m in modules if m == "rich" or m.startswith("rich.")] == []
