"""Benchmarks: ``make bench``. Medians of repeated runs, measured in one process.

Targets (checked here, not in timed tests, which are flaky on shared machines):
- importing a 10,000-row CSV (parse + store) takes < 5 s;
- one outreach tick for 200 new contacts takes < 10 s;
- offering slots with 2,000 busy events over a 60-day horizon takes < 50 ms.
"""

from __future__ import annotations

import csv
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.adapters.clock import fixed_clock
from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.app.contacts import import_contacts
from automation.app.tick import tick
from automation.bootstrap import open_services
from automation.config import load_config
from automation.core.importers import read_contacts
from automation.core.models import Availability, Interval
from automation.core.slots import find_slots

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
CONFIG = """[me]\nname = "Alex Rivera"\nemail = "alex@example.org"\ntimezone = "America/New_York"
[availability]\nhorizon_days = 60\nmax_per_day = 40\nhours = ["08:00-18:00"]
[cadence]\ndaily_outreach_cap = 1000\n"""


def write_contacts(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["First Name", "Last Name", "Email", "Company", "Title", "Timezone"])
        for i in range(rows):
            writer.writerow([f"First{i}", f"Last{i}", f"person{i}@example.com", f"Company {i % 97}",
                             "Engineer", "America/Chicago" if i % 2 else ""])
    return path


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median seconds and peak MiB (tracemalloc, one extra run) of ``fn``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak


def workspace(root: Path):
    (root / "automation.toml").write_text(CONFIG)
    return load_config(root / "automation.toml")


def bench_import(tmp: Path) -> tuple[float, float]:
    source = write_contacts(tmp / "10k.csv", 10_000)
    runs = iter(range(100))

    def run() -> None:
        root = tmp / f"import{next(runs)}"
        root.mkdir()
        svc = open_services(workspace(root), fixed_clock(NOW), mailbox=MemoryMailbox(),
                            calendar=MemoryCalendar())
        import_contacts(svc, source)
        svc.close()
    return measure(run, 3)


def bench_parse(tmp: Path) -> tuple[float, float]:
    source = write_contacts(tmp / "10k-parse.csv", 10_000)
    return measure(lambda: read_contacts(source), 5)


def bench_tick(tmp: Path) -> tuple[float, float]:
    source = write_contacts(tmp / "200.csv", 200)
    runs = iter(range(100))

    def run() -> None:
        root = tmp / f"tick{next(runs)}"
        root.mkdir()
        config = workspace(root)
        svc = open_services(config, fixed_clock(NOW))  # the real Maildir + vdir backend
        import_contacts(svc, source)
        report = tick(svc)
        assert len(report.outreach.drafted) == 200, report.outreach
        svc.close()
    return measure(run, 3)


def bench_slots() -> tuple[float, float]:
    avail = Availability(timezone=NY, hours=((dtime(8), dtime(18)),), horizon_days=60,
                         max_per_day=10)
    busy = []
    for i in range(2000):
        start = NOW + timedelta(minutes=43 * i)
        busy.append(Interval(start, start + timedelta(minutes=25)))
    return measure(lambda: find_slots(avail, NOW, busy), 20)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        rows.append(("parse a 10,000-row CSV", *bench_parse(tmp), 2.0))
        rows.append(("import a 10,000-row CSV (parse + SQLite)", *bench_import(tmp), 5.0))
        rows.append(("outreach tick, 200 new contacts (Maildir)", *bench_tick(tmp), 10.0))
        rows.append(("offer slots, 2,000 busy events, 60 days", *bench_slots(), 0.05))
    failed = False
    print(f"{'benchmark':48} {'median':>10} {'peak MiB':>9} {'target':>8}")
    for label, median, peak, target in rows:
        mark = "ok" if median <= target else "SLOW"
        failed |= median > target
        print(f"{label:48} {median * 1000:8.1f}ms {peak:9.1f} {target * 1000:6.0f}ms {mark}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
