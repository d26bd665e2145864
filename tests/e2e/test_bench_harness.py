"""The benchmark harness measures the command it runs, not the process that runs it."""

from __future__ import annotations

import sys

import pytest

from benchmarks.harness import run_process

MIB = 1024 * 1024


def test_a_command_s_peak_memory_is_its_own_not_its_launcher_s() -> None:
    """``make bench`` holds its generated workloads in memory; a command it starts must not
    report that memory as its own peak (a child spawned straight from a large process
    inherits the process's high-water mark through ``exec``)."""
    ballast = bytearray(300 * MIB)  # the launcher's workloads
    small = run_process([sys.executable, "-c", "pass"])
    large = run_process([sys.executable, "-c", "x = bytearray(120 * 1024 * 1024)"])
    assert ballast and small.rss_mib < 100, small
    assert 120 <= large.rss_mib < 250, large
    assert small.cpu > 0 and small.wall > 0


def test_a_failing_command_says_so_unless_asked_not_to() -> None:
    with pytest.raises(RuntimeError, match="exited 3"):
        run_process([sys.executable, "-c", "raise SystemExit(3)"])
    assert run_process([sys.executable, "-c", "raise SystemExit(3)"], check=False).wall > 0


def test_the_measured_package_imports_bytecode_as_an_installed_copy_does() -> None:
    """Measured commands must not compile the package from source in every process (as they
    would with ``PYTHONDONTWRITEBYTECODE`` set): ``make bench`` writes its bytecode first."""
    import importlib.util
    from pathlib import Path

    import automation
    from benchmarks.__main__ import compile_package

    compile_package()
    stale = []
    for source in Path(automation.__file__).parent.rglob("*.py"):
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.exists() or cached.stat().st_mtime < source.stat().st_mtime:
            stale.append(str(source))
    assert stale == []
