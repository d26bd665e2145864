"""The rows of ``make bench``: each measures one thing with its peer or floor in the same run.

Commands run as the user runs them (``automation ...`` in a fresh process, ``AUTOMATION_NOW``
pinned), so start-up, imports and the real Maildir/vdir/SQLite are all counted.
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.gmail import gmail_drafting, gmail_pending, reply_tracking
from benchmarks.harness import Row, Run, measure, repeat_process, run_process
from benchmarks.pages import dashboard_pages
from benchmarks.workloads import (
    NOW,
    NY,
    big_workspace,
    linkedin_csv,
    recurring_busy_ics,
    write_config,
)

BIN = Path(sys.executable).parent
AUTOMATION = str(BIN / "automation")
Case = Callable[[Path, int], list[Row]]


def _env(config: Path) -> dict[str, str]:
    return {**os.environ, "AUTOMATION_NOW": NOW.isoformat(), "AUTOMATION_CONFIG": str(config)}


def _cli(config: Path, *args: str) -> list[str]:
    return [AUTOMATION, "--config", str(config), *args]


def _settled(config: Path) -> Path:
    """Run passes until one changes nothing, so the measured pass is idle."""
    for _ in range(3):
        run_process(_cli(config, "run", "--once"), env=_env(config))
    return config


def idle_pass(tmp: Path, repeat: int) -> list[Row]:
    big = _settled(big_workspace(tmp / "big"))
    empty = _settled(write_config(tmp / "empty"))
    runs = repeat_process(_cli(big, "run", "--once"), repeat, env=_env(big))
    floor = repeat_process(_cli(empty, "run", "--once"), repeat, env=_env(empty))
    return [
        Row("idle run --once, 10,000 contacts (CPU)", runs, "cpu", target=0.3, peer=floor,
            peer_label="empty workspace"),
        Row("idle run --once, 10,000 contacts (peak RSS)", runs, "rss", unit="MiB",
            target=80, peer=floor, peer_label="empty workspace"),
    ]


def busy_ics_pass(tmp: Path, repeat: int) -> list[Row]:
    busy = recurring_busy_ics(tmp / "busy.ics")
    with_busy = _settled(write_config(tmp / "busy", busy_ics=busy))
    without = _settled(write_config(tmp / "nobusy"))
    runs = repeat_process(_cli(with_busy, "run", "--once"), repeat, env=_env(with_busy))
    floor = repeat_process(_cli(without, "run", "--once"), repeat, env=_env(without))
    base = sorted(r.cpu for r in floor)[len(floor) // 2]
    extra = [Run(r.wall, max(0.0, r.cpu - base)) for r in runs]
    return [Row(f"unchanged {busy.stat().st_size / 1e6:.1f} MB busy_ics: extra CPU per pass",
                extra, "cpu", target=0.05, peer=floor, peer_label="pass without it")]


def startup(tmp: Path, repeat: int) -> list[Row]:
    empty = write_config(tmp / "start")
    rows = []
    khal = shutil.which("khal", path=str(BIN))
    peer = repeat_process([khal, "--help"], repeat) if khal else []
    for label, args in (("automation --help", ["--help"]),
                        ("contacts --json, empty workspace", ["contacts", "--json"])):
        runs = repeat_process(_cli(empty, *args), repeat, env=_env(empty))
        rows.append(Row(f"start-up: {label} (wall)", runs, "wall", target=0.2, peer=peer,
                        peer_label="khal --help", max_ratio=1.0))
    return rows


def contacts_json(tmp: Path, repeat: int) -> list[Row]:
    big = tmp / "big" / "automation.toml"
    if not big.exists():
        big = big_workspace(tmp / "big")
    runs = repeat_process(_cli(big, "contacts", "--json"), repeat, env=_env(big))
    return [Row("contacts --json, 10,000 contacts (wall)", runs, "wall", target=0.4)]


def _floor_import(source: Path, db: Path) -> None:
    """The floor: plain csv + SQLite executemany in one transaction."""
    with source.open(newline="", encoding="utf-8") as fh:
        for _ in range(3):
            next(fh)
        rows = [(r["Email Address"], r["First Name"], r["Last Name"], r["Company"],
                 r["Position"]) for r in csv.DictReader(fh)]
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE c (email TEXT UNIQUE, first TEXT, last TEXT, company TEXT, "
                 "role TEXT)")
    with conn:
        conn.executemany("INSERT INTO c VALUES (?,?,?,?,?)", rows)
    conn.close()


def import_rate(tmp: Path, repeat: int) -> list[Row]:
    n = 100_000
    source = linkedin_csv(tmp / "connections.csv", n)
    runs, floor = [], []
    for i in range(repeat):
        config = write_config(tmp / f"import{i}")
        runs.append(run_process(_cli(config, "import", str(source)), env=_env(config)))
        floor += measure(lambda i=i: _floor_import(source, tmp / f"floor{i}.db"), 1)
    return [Row("import a 100,000-row LinkedIn CSV", runs, "rate", unit="rows/s",
                target=50_000, peer=floor, peer_label="csv + executemany", max_ratio=2.0,
                work=n)]


MAILMERGE_TEMPLATE = """TO: {{email}}
SUBJECT: Ten minutes to learn about your work at {{company}}?
FROM: Alex Rivera <alex@example.org>

Hi {{first}},

I'm exploring {{company}}'s field and would love ten minutes of your time.

Alex
"""


def _mailmerge(tmp: Path, rows: int) -> list[str] | None:
    exe = shutil.which("mailmerge", path=str(BIN))
    if exe is None:
        return None
    folder = tmp / "mailmerge"
    folder.mkdir(exist_ok=True)
    (folder / "t.txt").write_text(MAILMERGE_TEMPLATE)
    with (folder / "d.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "first", "company"])
        for i in range(rows):
            writer.writerow([f"person{i}@example.com", f"First{i}", f"Company {i % 97}"])
    (folder / "c.conf").write_text("[smtp_server]\nhost = localhost\nport = 25\n"
                                   "security = Never\nusername = alex\n")
    return [exe, "--template", str(folder / "t.txt"), "--database", str(folder / "d.csv"),
            "--config", str(folder / "c.conf"), "--dry-run", "--no-limit", "--output-format",
            "raw"]


def outreach_pass(tmp: Path, repeat: int) -> list[Row]:
    n = 1000
    source = tmp / "outreach.csv"
    with source.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["First Name", "Last Name", "Email", "Company", "Title", "Timezone"])
        for i in range(n):
            writer.writerow([f"First{i}", f"Last{i}", f"person{i}@example.com",
                             f"Company {i % 97}", "Engineer", "America/Chicago"])
    runs = []
    for i in range(repeat):
        config = write_config(tmp / f"outreach{i}", cap=n)
        # Room for 3,000 offers inside both people's hours (Chicago 08:30-18:00 is 09:30-19:00
        # here: 51 ten-minute slots a day over ~80 business days), and no 3B wait at one
        # employer, so the one pass really drafts all 1,000.
        text = config.read_text().replace("horizon_days = 21",
                                          "horizon_days = 120\nbuffer_minutes = 0")
        text = text.replace("max_per_day = 40", "max_per_day = 80")
        config.write_text(text + "max_awaiting_per_employer = 0\n")
        run_process(_cli(config, "import", str(source)), env=_env(config))
        runs.append(run_process(_cli(config, "run", "--once"), env=_env(config)))
        drafts = sum(1 for _ in (config.parent / "mail" / "Drafts" / "cur").iterdir())
        if drafts != n:
            raise RuntimeError(f"the outreach pass drafted {drafts} of {n}")
    mm = _mailmerge(tmp, n)
    peer = repeat_process(mm, repeat) if mm else []
    return [Row("1,000 outreach drafts in one pass (CPU)", runs, "cpu", target=2.0,
                peer=peer, peer_label="mailmerge --dry-run", max_ratio=3.0)]


def slot_search(tmp: Path, repeat: int) -> list[Row]:
    """One contact's offer within a pass (``SlotSearch.find``, then ``hold`` of what it
    offered, as an outreach pass does) against 10,000 busy intervals (mornings packed with
    overlapping meetings, afternoons open) and 3,000 holds; the peer is the same offer
    computed from scratch (``find_slots``), as every offer was before. Building the search,
    once per pass, is its own row."""
    from datetime import datetime
    from datetime import time as dtime

    from automation.core.contacthours import ContactHours
    from automation.core.models import Availability, Interval
    from automation.core.slots import find_slots
    from automation.core.slotsearch import SlotSearch

    avail = Availability(timezone=NY, hours=((dtime(8), dtime(18)),), horizon_days=60,
                         max_per_day=40)
    first = datetime.combine(NOW.date(), dtime(8), tzinfo=NY)
    busy = []
    for i in range(10_000):
        start = first + timedelta(days=i % 60, minutes=37 * i % 240)
        busy.append(Interval(start, start + timedelta(minutes=25)))
    held = []
    for i in range(3_000):
        start = NOW + timedelta(minutes=10 * ((i * 7919) % (6 * 24 * 60 * 6)))
        held.append((i, Interval(start, start + timedelta(minutes=10))))
    builds = measure(lambda: SlotSearch(avail, NOW, busy, held), repeat)
    search = SlotSearch(avail, NOW, busy, held)
    contact = ContactHours.for_contact(avail, ZoneInfo("America/Chicago"))
    holders = iter(range(10_000, 10**9))

    def one_contact() -> None:
        holder = next(holders)
        slots = search.find(exclude_holder=holder, contact=contact, seed=f"p{holder}@x.org")
        if len(slots) != avail.offer_count:
            raise RuntimeError(f"the slot bench offered {len(slots)} slots, not 3")
        search.hold(holder, [s.interval for s in slots])

    def from_scratch() -> None:
        holder = next(holders)
        find_slots(avail, NOW, busy, held, exclude_holder=holder, contact=contact,
                   seed=f"p{holder}@x.org")

    one_contact()  # the first offer of a pass lists each day's candidates once
    runs = measure(one_contact, repeat * 20)
    peer = measure(from_scratch, repeat)
    return [Row("slot offer in a pass, 10,000 busy + 3,000 holds (wall)", runs, "wall",
                target=0.002, peer=peer, peer_label="find_slots from scratch"),
            Row("slot search built once per pass, same calendar (wall)", builds, "wall")]


CASES: dict[str, Case] = {
    "idle": idle_pass, "busy_ics": busy_ics_pass, "startup": startup,
    "contacts": contacts_json, "import": import_rate, "outreach": outreach_pass,
    "slots": slot_search, "pages": dashboard_pages,
    "gmail_drafting": gmail_drafting, "gmail_pending": gmail_pending,
    "gmail_replies": reply_tracking,
}
