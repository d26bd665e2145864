"""A dry run writes nothing, not even the caches of what parsing files found.

``run --once --dry-run`` reads the calendar files' and the drafts' caches like any pass (so it
is as fast), but leaves their rows in the database as they were; the next real pass writes
them.
"""

from __future__ import annotations

import sqlite3

from tests.support.workspace import REPO, Workspace

MONDAY = "2026-12-07T08:30:00-05:00"


def _rows(ws: Workspace) -> dict[str, int]:
    with sqlite3.connect(ws.root / "automation.db") as conn:
        return dict(conn.execute("SELECT kind, count(*) FROM file_cache GROUP BY kind"))


def test_a_dry_run_leaves_the_file_caches_as_they_were(workspace: Workspace) -> None:
    workspace.ok("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
    assert workspace.ok("run", "--once", now=MONDAY).out.count("Drafted outreach") == 5
    (workspace.root / "calendar" / "busy.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:b1\r\n"
        "DTSTAMP:20260101T000000Z\r\nDTSTART:20261208T150000Z\r\nDTEND:20261208T160000Z\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n")
    before = _rows(workspace)
    workspace.ok("run", "--once", "--dry-run", now="2026-12-07T09:00:00-05:00")
    assert _rows(workspace) == before  # the new calendar file and the 5 drafts: no row
    workspace.ok("run", "--once", now="2026-12-07T09:00:00-05:00")
    after = _rows(workspace)
    assert after["maildir-drafts"] == 5
    assert after["calendar"] == before.get("calendar", 0) + 1
