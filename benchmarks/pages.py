"""The dashboard's pages at 10,000 contacts with a year of history: server time per request.

Each page is rendered by the real app (``create_app`` over the benchmark workspace) through
Flask's test client, so the time is the server's own (routing, read models, SQLite, Jinja2),
without a network or a browser. The target: a median under 50 ms per page, and no request of
any page over 150 ms. CPU time is the measure (the wall time of a shared machine swings with
its load); the slowest request's wall time is shown beside it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import Row, Run
from benchmarks.workloads import NOW, big_workspace

PAGES = ("/", "/pipeline", "/contacts/{email}", "/import", "/insights", "/health",
         "/api/status")


def _timed(fn: Callable[[], object], times: int) -> list[Run]:
    """Wall and CPU seconds of each call; CPU from the process clock (nanoseconds, where
    ``os.times`` counts in 10 ms ticks, too coarse for a page)."""
    runs = []
    for _ in range(times):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        runs.append(Run(time.perf_counter() - t0, time.process_time() - c0))
    return runs


def _busiest_contact(database: Path) -> str:
    """The contact with the longest timeline (the heaviest contact page)."""
    with sqlite3.connect(database) as db:
        return str(db.execute(
            "SELECT c.email FROM contacts c JOIN timeline t ON t.contact_id = c.id "
            "GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1").fetchone()[0])


def dashboard_pages(tmp: Path, repeat: int) -> list[Row]:
    from automation.config import load_config
    from automation.interfaces.web import create_app

    config = tmp / "big" / "automation.toml"
    if not config.exists():
        config = big_workspace(tmp / "big")
    os.environ["AUTOMATION_NOW"] = NOW.isoformat()  # the app's clock reads it per request
    client = create_app(load_config(config)).test_client()
    email = _busiest_contact(config.parent / "automation.db")
    rows, every = [], []
    for page in PAGES:
        path = page.format(email=email)

        def get(path: str = path) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        get()  # warm: templates compiled, SQLite pages cached, as on a running server
        runs = _timed(get, repeat * 4)
        every += runs
        rows.append(Row(f"dashboard {page.split('{')[0] or '/'} page, 10,000 contacts (cpu)",
                        runs, "cpu", target=0.05))
    worst_cpu = max(every, key=lambda r: r.cpu)
    worst_wall = max(every, key=lambda r: r.wall)
    rows.append(Row("dashboard, slowest request of any page (cpu)", [worst_cpu], "cpu",
                    target=0.15))
    rows.append(Row("dashboard, slowest request of any page (wall)", [worst_wall], "wall"))
    return rows


__all__ = ["dashboard_pages"]
