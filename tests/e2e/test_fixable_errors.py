"""Problems the user can fix are reported with what to do, never as "internal error".

Each case breaks one thing in a working local workspace, runs the command that meets it and
checks: a non-zero exit, one clear line naming the thing and the fix, no traceback, and the
commands that do not need the broken thing still working. The disk-full and read-only cases
run the CLI in a private mount namespace (``unshare -rm``) over a tiny or read-only tmpfs,
so they need no root; where namespaces are not allowed they are skipped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.workspace import Result, Workspace, write_csv

NOW = "2026-12-07T09:00:00-05:00"
ADA = "First Name,Last Name,Email,Company,Title,Timezone,Notes"


def ready(ws: Workspace) -> None:
    write_csv(ws.root / "c.csv", ["Ada,Lovelace,ada@example.com,Analytical,Eng,,"])
    ws.ok("import", str(ws.root / "c.csv"), now=NOW)


def clear(result: Result, *needles: str) -> str:
    text = result.out + result.err
    assert result.code != 0, text
    assert "internal error" not in text and "Traceback" not in text, text
    for needle in needles:
        assert needle in text, (needle, text)
    return text


def test_the_calendar_path_being_a_file(workspace: Workspace) -> None:
    ready(workspace)
    shutil.rmtree(workspace.root / "calendar")
    (workspace.root / "calendar").write_text("not a folder\n")
    clear(workspace.run("run", "--once", now=NOW), "calendar", "folder")
    workspace.ok("status", now=NOW)  # what needs no calendar still works


def test_the_database_locked_by_another_program(workspace: Workspace) -> None:
    ready(workspace)
    other = sqlite3.connect(workspace.root / "automation.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        clear(workspace.run("run", "--once", now=NOW), "automation.db", "locked by another")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "Drafted outreach" in workspace.ok("run", "--once", now=NOW).out  # then it works


def test_a_corrupt_database(workspace: Workspace) -> None:
    ready(workspace)
    db = workspace.root / "automation.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(os.urandom(8192))
    text = clear(workspace.run("run", "--once", now=NOW), "automation.db", "damaged",
                 "restore it from a backup")
    assert "cannot open database" not in text or "backup" in text
    clear(workspace.run("status", now=NOW), "damaged")


def test_book_at_the_end_of_time(workspace: Workspace) -> None:
    ready(workspace)
    workspace.ok("run", "--once", now=NOW)
    clear(workspace.run("book", "ada@example.com", "--at", "9999-12-31 23:59", now=NOW),
          "too far", "horizon_days")
    clear(workspace.run("book", "ada@example.com", "--at", "0001-01-01 00:00", now=NOW),
          "too far")


def test_a_misspelt_templates_dir_is_an_error_naming_the_path(workspace: Workspace) -> None:
    ready(workspace)
    workspace.set_config("templates", "dir", '"templatez"')
    clear(workspace.run("run", "--once", now=NOW), str(workspace.root / "templatez"),
          "not a folder")
    assert workspace.drafts() == []  # not drafted from the shipped templates instead


def test_a_missing_include_names_the_including_template(workspace: Workspace) -> None:
    ready(workspace)
    outreach = workspace.root / "templates" / "outreach.txt.j2"
    outreach.write_text(outreach.read_text() + '\n{% include "signature.txt.j2" %}\n')
    result = workspace.run("run", "--once", now=NOW)
    text = result.out + result.err
    assert "internal error" not in text
    assert "outreach.txt.j2" in text and "includes 'signature.txt.j2'" in text, text
    assert "template outreach.txt.j2: template not found" not in text


# -- a real full disk and a real read-only folder, in a private mount namespace ----------------


def namespace_or_skip() -> None:
    if not shutil.which("unshare") or subprocess.run(
            ["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -rm (user and mount namespaces) is not allowed here")


def cli_in_namespace(ws: Workspace, mount: str, *args: str) -> Result:
    """Run ``automation args`` with ``mount`` (shell) done first, in a new mount namespace."""
    cli = f"{sys.executable} -m automation --config {ws.config}"
    script = f"set -e; {mount}; {cli} {' '.join(args)}"
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "AUTOMATION_NOW": NOW})
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("left_kb", [8, 48, 160])
def test_the_disk_full(tmp_path: Path, capsys, monkeypatch, left_kb: int) -> None:
    namespace_or_skip()
    ws = Workspace(tmp_path / "ws", capsys, monkeypatch)
    ws.ok("init", str(ws.root))
    ready(ws)
    write_csv(ws.root / "more.csv", [f"P{i},Q,p{i}@example.com,Co{i},Eng,," for i in range(8)])
    ws.ok("import", str(ws.root / "more.csv"), now=NOW)
    # The workspace moves onto a 4 MB tmpfs, which a file then fills to ``left_kb``.
    mount = (f"cp -a {ws.root} {tmp_path}/copy && mount -t tmpfs -o size=4m tmpfs {ws.root} "
             f"&& cp -a {tmp_path}/copy/. {ws.root}/ && (dd if=/dev/zero of={ws.root}/fill "
             f"bs=4k 2>/dev/null || true) && truncate -s -{left_kb}k {ws.root}/fill")
    clear(cli_in_namespace(ws, mount, "run", "--once"), "disk", "full", "free some space")


def test_a_read_only_database_folder(workspace: Workspace) -> None:
    namespace_or_skip()
    ready(workspace)
    root = workspace.root
    mount = f"mount --bind {root} {root} && mount -o remount,bind,ro {root}"
    clear(cli_in_namespace(workspace, mount, "run", "--once"), "read-only", "writable")
    clear(cli_in_namespace(workspace, mount, "status"), "read-only")
    assert "Drafted outreach" in workspace.ok("run", "--once", now=NOW).out  # writable again
