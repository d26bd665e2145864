"""The "created" events of imported contacts are kept as runs (``adapters/store/createdruns``),
not as one timeline row per contact as before: every reader of the timeline tells the same
story either way. The same history is written twice, the second time with the store writing
those events as it did before (one timeline row each); on a database that starts with such
rows (an older one) and goes on with runs, every contact's timeline and ``show`` story, the
Insights page and the status counts, delays and weekly counts for every status (new included)
are those of the database that never had a run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.store import Store, createdruns, freshrows, streamwrite
from automation.app.insights import insights
from automation.app.queries import contact_story, referral_yield
from automation.core.models import Status
from automation.core.records import ContactRecord

NY = ZoneInfo("America/New_York")
START = datetime(2026, 9, 7, 8, 30, tzinfo=NY)
#: How the store wrote an imported contact's "created" event before the runs: a timeline row.
_LEGACY = ("INSERT INTO timeline (contact_id, at, event, old_status, new_status, cause, detail)"
           " VALUES (?, ?, 'created', NULL, 'new', 'imported', ?)")


def _as_rows(made: Sequence[createdruns.Run], at: int,
             limit: int) -> list[tuple[str, Sequence[object]]]:
    """``createdruns.statements`` as the store wrote those events before: a row per contact."""
    return [(_LEGACY, (i, at, f'{{"line": {line + i - first}}}'))
            for first, last, line in made for i in range(first, last + 1)]


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams from a few rows on, several batches and statements each."""
    monkeypatch.setattr(streamwrite, "STREAM_AT", 12)
    monkeypatch.setattr(streamwrite, "BATCH", 7)
    monkeypatch.setattr(freshrows, "BATCH", 7)
    monkeypatch.setattr(freshrows, "ROWS", 3)


class _History:
    """A random history of imports and status changes, replayed the same on any store."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.made = 0  # addresses handed out so far

    def _new(self, rng: random.Random, count: int, line: int) -> list[ContactRecord]:
        records = []
        for _ in range(count):
            line += rng.choice((1, 1, 1, 2, 5))  # blank lines and multi-line cells between
            records.append(ContactRecord(email=f"c{self.made}@example.com", line=line,
                                         name=f"C{self.made}", company=rng.choice(("A", ""))))
            self.made += 1
        return records

    def replay(self, store: Store, legacy: Iterator[bool]) -> datetime:
        """Replay the history; ``next(legacy)`` before each import says whether it writes its
        events as before. Returns the time the history ends."""
        rng, self.made = random.Random(self.seed), 0
        now = START
        for step in range(8):
            now += timedelta(days=rng.randrange(0, 9), hours=rng.randrange(0, 5))
            with pytest.MonkeyPatch.context() as patch:
                if next(legacy):
                    patch.setattr(createdruns, "statements", _as_rows)
                self._import(store, rng, now, step)
            self._changes(store, rng, now)
        return now

    def _import(self, store: Store, rng: random.Random, now: datetime, step: int) -> None:
        kind = rng.choice(("fresh", "general", "stream", "one"))
        first_line = rng.randrange(1, 30)
        if kind == "one":  # a referral or a single contact added by hand
            store.upsert_contact(self._new(rng, 1, first_line)[0], now, tags=("ref",))
            return
        records = self._new(rng, rng.randrange(1, 30), first_line)
        if kind == "general" and self.made > len(records):  # a stored address among new ones
            at = rng.randrange(len(records))
            records[at] = replace(records[at], email=f"c{rng.randrange(self.made - len(records))}"
                                                     "@example.com", company="Again")
        if kind == "stream":
            with store.transaction():
                with store.import_stream(now, tags=("s",)) as stream:
                    for end in range(3, len(records) + 3, 3):
                        stream.take(records[:end], len(records))
                    got = stream.finish(records)
                if got is None:
                    store.upsert_contacts(records, now, tags=("s",))
            return
        store.upsert_contacts(records, now, tags=("t",) * (step % 2))

    @staticmethod
    def _changes(store: Store, rng: random.Random, now: datetime) -> None:
        contacts = store.list_contacts()
        for contact in rng.sample(contacts, min(len(contacts), rng.randrange(0, 6))):
            at = now + timedelta(hours=rng.randrange(1, 30))
            status = rng.choice((Status.DRAFTED, Status.SENT, Status.REPLIED, Status.NEW,
                                 Status.SCHEDULED))
            store.set_status(contact.id or 0, status, at, cause="by hand")
            if rng.random() < 0.3:
                store.add_event(contact.id or 0, at, "note", cause="a note")


def _read(store: Store, now: datetime) -> dict[str, Any]:
    """What every reader of the timeline says."""
    statuses = [str(s) for s in Status]
    contacts = store.list_contacts()
    return {
        "stories": [contact_story(store, c.email, now, NY) for c in contacts],
        "timelines": [store.timeline(c.id or 0) for c in contacts],
        "insights": insights(store, now, NY, referral_yield(store, now)),
        "stages": store.stage_counts(statuses),
        "stage_new": store.stage_counts(["new"]),
        "delays": {(a, b): sorted(store.status_delays(a, b))
                   for a in ("new", "drafted", "sent") for b in ("new", "sent", "replied")},
        "weekly": store.weekly_status_counts(START - timedelta(days=7), 20, statuses),
    }


@pytest.mark.parametrize("seed", range(10))
def test_an_old_database_going_on_with_runs_reads_as_if_it_never_had_one(
        tmp_path: Path, seed: int) -> None:
    history = _History(seed)
    with Store.open(tmp_path / "before.db") as before, Store.open(tmp_path / "now.db") as mixed:
        end = history.replay(before, iter(lambda: True, None))  # the store as it was
        old_imports = random.Random(seed).randrange(0, 5)  # then the code that writes runs
        mixed_end = history.replay(mixed, (i < old_imports for i in range(10**6)))
        assert mixed_end == end
        (runs,) = mixed.conn.execute("SELECT count(*) FROM created_runs").fetchone()
        (rows,) = mixed.conn.execute("SELECT count(*) FROM timeline WHERE event = 'created'"
                                     ).fetchone()
        assert runs and (rows or not old_imports)  # both kinds are there to read
        assert _read(mixed, end) == _read(before, end)
        assert mixed.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_file_in_one_run_is_one_row_and_reads_each_line(tmp_path: Path) -> None:
    records = [ContactRecord(email=f"p{i}@example.com", line=4 + i) for i in range(40)]
    records[30] = replace(records[30], line=records[29].line + 3)  # a multi-line cell before it
    records[31:] = [replace(r, line=records[30].line + 1 + k) for k, r in enumerate(records[31:])]
    with Store.open(tmp_path / "db.sqlite") as store:
        store.upsert_contacts(records, START)
        runs = store.conn.execute("SELECT * FROM created_runs ORDER BY 1").fetchall()
        assert [tuple(r) for r in runs] == [(1, 30, int(START.timestamp()), 4),
                                            (31, 40, int(START.timestamp()), records[30].line)]
        assert store.conn.execute("SELECT count(*) FROM timeline").fetchone()[0] == 0
        for cid, record in enumerate(records, 1):
            [created] = store.timeline(cid)
            assert (created.event, created.new_status, created.cause, created.detail,
                    created.at) == ("created", "new", "imported", {"line": record.line}, START)
        # The next import at the same time, from the lines after, continues the last run.
        more = [ContactRecord(email=f"q{i}@example.com", line=records[-1].line + 1 + i)
                for i in range(3)]
        store.upsert_contacts(more, START)
        assert store.conn.execute("SELECT count(*), max(last_id) FROM created_runs"
                                  ).fetchone()[:] == (2, 43)
        store.upsert_contacts([ContactRecord(email="later@example.com", line=2)],
                              START + timedelta(days=1))
        assert store.conn.execute("SELECT count(*) FROM created_runs").fetchone()[0] == 3
        assert store.timeline(44)[0].at == START + timedelta(days=1)
        assert store.timeline(45) == []  # no such contact


def test_runs_split_where_ids_or_lines_do_not_follow() -> None:
    assert createdruns.runs(5, []) == []
    assert createdruns.runs(5, [2, 3, 4]) == [(5, 7, 2)]
    assert createdruns.runs(5, [2, 4, 5, 9]) == [(5, 5, 2), (6, 7, 4), (8, 8, 9)]
    assert createdruns.runs_of([(1, 2), (2, 3), (4, 4), (5, 5), (6, 7)]) == [
        (1, 2, 2), (4, 5, 4), (6, 6, 7)]
