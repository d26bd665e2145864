"""``automation import`` shows a progress bar on a terminal, and only there: piped output (what
scripts and the other tests read) is the summary line and nothing else."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROWS = 1_500


@pytest.fixture
def rows() -> int:
    return ROWS


@pytest.fixture
def setup(tmp_path: Path, rows: int) -> tuple[Path, Path]:
    subprocess.run([sys.executable, "-m", "automation", "init", str(tmp_path / "ws")],
                   check=True, capture_output=True, timeout=120)
    source = tmp_path / "connections.csv"
    source.write_text("First Name,Last Name,Email Address,Company,Position\n" + "".join(
        f"F{i},L{i},p{i}@example.com,Co,Role\n" for i in range(rows)), encoding="utf-8")
    return tmp_path / "ws" / "automation.toml", source


def _command(config: Path, source: Path) -> list[str]:
    return [sys.executable, "-m", "automation", "--config", str(config), "import", str(source)]


# 25,000 rows: a file big enough to be written while it is read (adapters/store/streamwrite).
@pytest.mark.parametrize("rows", [ROWS, 25_000])
def test_a_terminal_sees_the_bar_then_the_summary(setup: tuple[Path, Path], rows: int) -> None:
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(_command(*setup), stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True)
    os.close(slave)
    seen = b""
    while True:  # read until the child closes the terminal (EIO on Linux)
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=120) == 0
    assert b"importing" in seen and f"{rows}/{rows}".encode() in seen
    # The bar covers the writing too, not only the reading: the contacts saved, all of them.
    assert re.search(rb"saving[^\n]*" + f"{rows}/{rows}".encode(), seen)
    assert f"csv: {rows} imported, 0 updated, 0 unchanged, 0 skipped".encode() in seen


def test_piped_output_has_no_bar(setup: tuple[Path, Path]) -> None:
    done = subprocess.run(_command(*setup), capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout == f"csv: {ROWS} imported, 0 updated, 0 unchanged, 0 skipped\n"
    assert done.stderr == ""
