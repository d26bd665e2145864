"""A real calendar client reads the calendar folder: khal sees each interview at the right time.

khal (on PyPI, in the test extras) gets a config pointing one calendar at the workspace's vdir
and its own XDG data dir, so its SQLite cache is private to the test. Bookings straddle the
2026 DST changes: Europe falls back on Sun Oct 25, the US on Sun Nov 1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.workspace import Workspace, write_csv

MONDAY_BEFORE = "2026-10-26T08:00:00-04:00"
KHAL = Path(sys.executable).with_name("khal")


def khal_list(ws: Workspace, tmp_path: Path, zone: str, start: str, end: str) -> list[str]:
    """``khal list`` over the workspace calendar, viewed from ``zone``: one line per event."""
    khal = str(KHAL) if KHAL.exists() else shutil.which("khal")
    if khal is None:
        pytest.skip("khal is not installed (pip install -e '.[test]')")
    home = tmp_path / f"khal-{zone.replace('/', '_')}"
    home.mkdir(exist_ok=True)
    config = home / "config"
    config.write_text(f"""\
[calendars]
[[interviews]]
path = {ws.root / 'calendar'}
type = calendar

[locale]
local_timezone = {zone}
default_timezone = {zone}
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
""")
    env = {**os.environ, "XDG_DATA_HOME": str(home / "data"),
           "XDG_CONFIG_HOME": str(home / "cfg"), "TZ": zone}
    result = subprocess.run(
        [khal, "-c", str(config), "list", "--day-format", "",
         "--format", "{cancelled}{start} {end} {title}", start, end],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line.strip()]


def book_two(ws: Workspace, tmp_path: Path, contact_zone: str, friday: str,
             monday: str) -> None:
    csv = write_csv(tmp_path / "people.csv", [
        f"Fran,Friday,fran@example.com,Fri Co,Lead,{contact_zone},",
        f"Mo,Monday,mo@example.com,Mon Co,Lead,{contact_zone},",
    ])
    ws.ok("import", str(csv), now=MONDAY_BEFORE)
    ws.ok("book", "fran@example.com", "--at", friday, now=MONDAY_BEFORE)
    ws.ok("book", "mo@example.com", "--at", monday, now=MONDAY_BEFORE)


def test_khal_shows_interviews_at_local_time_across_the_us_dst_change(
        workspace: Workspace, tmp_path: Path) -> None:
    book_two(workspace, tmp_path, "America/New_York", "2026-10-30 10:00", "2026-11-02 10:00")
    assert len(list((workspace.root / "calendar").glob("*.ics"))) == 2
    local = khal_list(workspace, tmp_path, "America/New_York", "2026-10-29", "2026-11-04")
    assert local == [
        "2026-10-30 10:00 2026-10-30 10:10 10-minute call: Alex Rivera & Fran Friday",
        "2026-11-02 10:00 2026-11-02 10:10 10-minute call: Alex Rivera & Mo Monday",
    ]
    # The same wall time is a different UTC hour on each side of the change.
    utc = khal_list(workspace, tmp_path, "UTC", "2026-10-29", "2026-11-04")
    assert [line[:33] for line in utc] == ["2026-10-30 14:00 2026-10-30 14:10",
                                           "2026-11-02 15:00 2026-11-02 15:10"]


def test_khal_berlin_user_new_york_contact(workspace: Workspace, tmp_path: Path) -> None:
    workspace.set_config("me", "timezone", '"Europe/Berlin"')
    book_two(workspace, tmp_path, "America/New_York", "2026-10-30 15:00", "2026-11-02 15:00")
    berlin = khal_list(workspace, tmp_path, "Europe/Berlin", "2026-10-29", "2026-11-04")
    assert [line[:33] for line in berlin] == ["2026-10-30 15:00 2026-10-30 15:10",
                                              "2026-11-02 15:00 2026-11-02 15:10"]
    # Between the two changes New York is 5 hours behind Berlin, after them 6.
    new_york = khal_list(workspace, tmp_path, "America/New_York", "2026-10-29", "2026-11-04")
    assert [line[:33] for line in new_york] == ["2026-10-30 10:00 2026-10-30 10:10",
                                                "2026-11-02 09:00 2026-11-02 09:10"]
    # The confirmations tell each contact their own time.
    bodies = {d["To"].addresses[0].addr_spec: d.get_body(("plain",)).get_content()
              for d in workspace.drafts()}
    assert "10:00\u201310:10 AM EDT" in bodies["fran@example.com"]
    assert "9:00\u20139:10 AM EST" in bodies["mo@example.com"]


def test_khal_sees_a_rescheduled_event_once_and_a_cancelled_one_as_cancelled(
        workspace: Workspace, tmp_path: Path) -> None:
    book_two(workspace, tmp_path, "America/New_York", "2026-10-30 10:00", "2026-11-02 10:00")
    workspace.ok("reschedule", "fran@example.com", "--at", "2026-11-03 14:00",
                 now=MONDAY_BEFORE)
    workspace.ok("cancel", "mo@example.com", now=MONDAY_BEFORE)
    lines = khal_list(workspace, tmp_path, "America/New_York", "2026-10-29", "2026-11-05")
    fran = [line for line in lines if "Fran" in line]
    assert fran == ["2026-11-03 14:00 2026-11-03 14:10 10-minute call: Alex Rivera & "
                    "Fran Friday"]
    mo = [line for line in lines if "Mo Monday" in line]
    assert mo == ["CANCELLED 2026-11-02 10:00 2026-11-02 10:10 10-minute call: Alex Rivera & "
                  "Mo Monday"]
