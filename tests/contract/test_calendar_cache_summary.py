"""The calendar file cache's summary of settled files (adapters/local/filecache.py).

Past interviews (trusted, no problems, nothing repeating, ended before the window) share one
row (``filecache.SUMMARY``) holding only their identity, hash and last end; everything else
keeps a row per file. These tests pin that the summary is used (one row, nothing read, nothing
written by an idle pass) and that it is exactly as strict as the rows it replaces: a changed
file is read again, a gone one forgotten, a window starting before a file's last end parses
it, a damaged summary is ignored and rebuilt, a dry run writes nothing, and whatever happens
the busy time is what parsing every file finds.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.local import filecache
from automation.adapters.local.filerows import Entry, Rows
from automation.adapters.local.vdir import VdirCalendar
from automation.adapters.store import Store
from automation.core.icsbusy import busy_from_files
from automation.core.models import Interval
from tests.support.calfiles import (
    NOW,
    NY,
    WINDOW,
    calendar,
    event,
    folder,
    interview,
    rewrite_in_place,
    write,
)

SUMMARY = filecache.SUMMARY


@pytest.fixture(autouse=True)
def hashed_long_after_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as hashed long after its last change, so stat may vouch for it."""
    monkeypatch.setattr(filecache, "RACY_SECONDS", -3600)


@pytest.fixture
def writes(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], list[str]]]:
    """Each write of the calendar cache: (the paths written, the paths deleted)."""
    seen: list[tuple[list[str], list[str]]] = []
    real = store.save_file_cache

    def recording(kind: str, rows: dict[str, str], gone: list[str]) -> None:
        if kind == filecache.KIND:
            seen.append((sorted(rows), sorted(gone)))
        real(kind, rows, gone)

    monkeypatch.setattr(store, "save_file_cache", recording)
    return seen


def summary(store: Store) -> dict[str, str]:
    """The summary's lines by path ({} without one)."""
    row = store.file_cache(filecache.KIND).get(SUMMARY)
    return {} if row is None else json.loads(row)["files"]


def expected(tmp_path: Path, window: Interval, *exports: Path) -> tuple[list[Interval], list[str]]:
    paths = sorted((tmp_path / "calendar").glob("*.ics")) + list(exports)
    return busy_from_files(paths, window, NY)


def before(days: float) -> Interval:
    """A window starting ``days`` before WINDOW's."""
    return Interval(WINDOW.start - timedelta(days=days), WINDOW.end - timedelta(days=days))


def test_settled_files_share_one_row_and_an_idle_pass_writes_nothing(
        tmp_path: Path, store: Store, reads: list[str],
        writes: list[tuple[list[str], list[str]]]) -> None:
    past, soon = folder(tmp_path)
    first = calendar(tmp_path, store).busy(WINDOW)
    assert set(store.file_cache(filecache.KIND)) == {SUMMARY, str(soon)}
    assert list(summary(store)) == [str(past)]
    reads.clear()
    writes.clear()
    for _ in range(2):
        assert calendar(tmp_path, store).busy(WINDOW) == first
    assert reads == [] and writes == []


def test_rows_of_settled_files_move_to_the_summary_once(
        tmp_path: Path, store: Store, reads: list[str],
        writes: list[tuple[list[str], list[str]]]) -> None:
    """Rows written before the summary existed (or of an interview that has just ended) are
    moved into it without reading the file, and their own rows deleted, in one write."""
    past, soon = folder(tmp_path)
    first = calendar(tmp_path, None).busy(WINDOW)  # parsed, not stored
    cal = calendar(tmp_path, None)
    cal.busy(before(200))  # the past interview is inside this window: not settled
    rows, entries = cal.cache.rows, cal.cache.entries or {}
    store.save_file_cache(filecache.KIND, {k: rows.encode(e) for k, e in entries.items()
                                           if isinstance(e, Entry)}, [])
    assert set(store.file_cache(filecache.KIND)) == {str(past), str(soon)}
    reads.clear()
    writes.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == first
    assert reads == [] and writes == [([SUMMARY], [str(past)])]
    assert set(store.file_cache(filecache.KIND)) == {SUMMARY, str(soon)}
    writes.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == first and writes == []


def test_an_interview_that_ends_joins_the_summary(tmp_path: Path, store: Store,
                                                  writes: list[tuple[list[str], list[str]]]
                                                  ) -> None:
    _, soon = folder(tmp_path)
    calendar(tmp_path, store).busy(WINDOW)
    later = Interval(WINDOW.start + timedelta(days=3), WINDOW.end + timedelta(days=3))
    assert calendar(tmp_path, store).busy(later) == expected(tmp_path, later) == ([], [])
    assert set(summary(store)) == {str(p) for p in (tmp_path / "calendar").glob("*.ics")}
    assert set(store.file_cache(filecache.KIND)) == {SUMMARY}
    writes.clear()
    calendar(tmp_path, store).busy(later)
    assert writes == []


@pytest.mark.parametrize("keep", ["store", "daemon"])
def test_a_window_that_moves_back_parses_what_it_covers(
        tmp_path: Path, store: Store, parses: list[str], keep: str) -> None:
    """A settled file is settled only for windows after its last end: a window that starts
    before it (the clock set back) finds the file's busy time again, and once the window
    moves on the file is back in the summary."""
    past, _ = folder(tmp_path)
    kept = calendar(tmp_path, None)

    def fresh() -> VdirCalendar:
        return calendar(tmp_path, store) if keep == "store" else kept

    fresh().busy(WINDOW)
    parses.clear()
    back = before(100)
    found = fresh().busy(back)
    assert found == expected(tmp_path, back) and len(found[0]) == 1  # the past interview
    assert "past.ics" in parses
    assert fresh().busy(WINDOW) == expected(tmp_path, WINDOW)
    if keep == "store":
        assert list(summary(store)) == [str(past)]
    assert fresh().busy(back) == expected(tmp_path, back)


def test_a_settled_file_with_a_new_stat_and_the_same_content_is_hashed_not_parsed(
        tmp_path: Path, store: Store, reads: list[str], parses: list[str]) -> None:
    """A chmod (or a copy back) changes the ctime: the file is read and hashed again, its
    content is the one that was settled, so it is not parsed; the summary takes the new
    identity and the next pass reads nothing."""
    past, _ = folder(tmp_path)
    calendar(tmp_path, store).busy(WINDOW)
    line = summary(store)[str(past)]
    os.chmod(past, 0o600)
    os.chmod(past, 0o644)
    while os.stat(past).st_ctime_ns == int(line.split()[2]):
        os.chmod(past, 0o644)  # the filesystem's clock has not ticked yet
    reads.clear()
    parses.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == expected(tmp_path, WINDOW)
    assert reads == ["past.ics"] and parses == []
    assert summary(store)[str(past)] != line
    reads.clear()
    calendar(tmp_path, store).busy(WINDOW)
    assert reads == []


def test_a_settled_file_changed_or_gone_is_read_again_or_forgotten(
        tmp_path: Path, store: Store) -> None:
    past, soon = folder(tmp_path)
    calendar(tmp_path, store).busy(WINDOW)
    info = past.stat()
    tmp = write(tmp_path / "calendar" / ".tmp", event("past", NOW + timedelta(days=5)))
    os.utime(tmp, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(tmp, past)  # moved into the window, same name, size and mtime
    assert calendar(tmp_path, store).busy(WINDOW) == expected(tmp_path, WINDOW)
    assert len(expected(tmp_path, WINDOW)[0]) == 2 and summary(store) == {}
    assert set(store.file_cache(filecache.KIND)) == {str(past), str(soon)}
    write(tmp_path / "calendar" / "old.ics", event("old", NOW - timedelta(days=9)))
    calendar(tmp_path, store).busy(WINDOW)
    calendar(tmp_path, store).busy(WINDOW)
    old = tmp_path / "calendar" / "old.ics"
    assert list(summary(store)) == [str(old)]
    old.unlink()
    assert calendar(tmp_path, store).busy(WINDOW) == expected(tmp_path, WINDOW)
    assert set(store.file_cache(filecache.KIND)) == {str(past), str(soon)}


@pytest.mark.parametrize("damage", [
    lambda doc: "not json",
    lambda doc: "[]",
    lambda doc: json.dumps({**json.loads(doc), "v": filecache.VERSION - 1}),
    lambda doc: json.dumps({**json.loads(doc), "v": str(filecache.VERSION)}),
    lambda doc: json.dumps({**json.loads(doc), "zone": "Europe/Paris"}),
    lambda doc: json.dumps({**json.loads(doc), "upto": "soon"}),
    lambda doc: json.dumps({**json.loads(doc), "files": []}),
    lambda doc: json.dumps({**json.loads(doc), "files": {k: 7 for k in
                                                         json.loads(doc)["files"]}}),
    lambda doc: json.dumps({**json.loads(doc), "files": {k: "1 2 x" for k in
                                                         json.loads(doc)["files"]}}),
])
def test_a_damaged_summary_is_ignored_and_rebuilt(
        tmp_path: Path, store: Store, reads: list[str],
        damage: Callable[[str], str]) -> None:
    past, _ = folder(tmp_path)
    write(tmp_path / "calendar" / "old.ics", event("old", NOW - timedelta(days=30)))
    first = calendar(tmp_path, store).busy(WINDOW)
    doc = store.file_cache(filecache.KIND)[SUMMARY]
    store.save_file_cache(filecache.KIND, {SUMMARY: damage(doc)}, [])
    reads.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == first
    assert sorted(reads) == ["old.ics", "past.ics"]
    assert json.loads(store.file_cache(filecache.KIND)[SUMMARY]) == json.loads(doc)
    reads.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == first and reads == []


def test_a_line_damaged_past_its_identity_is_rebuilt_once_used(
        tmp_path: Path, store: Store, reads: list[str], parses: list[str]) -> None:
    """A pass decodes a line only as far as its file's stat: the rest of a damaged line is
    found out when its file changes (it is read and parsed again, as a file never seen), or
    when the summary is rewritten (the line is dropped, and its file read again)."""
    past, _ = folder(tmp_path)
    old = write(tmp_path / "calendar" / "old.ics", event("old", NOW - timedelta(days=30)))
    first = calendar(tmp_path, store).busy(WINDOW)
    doc = json.loads(store.file_cache(filecache.KIND)[SUMMARY])
    good = dict(doc["files"])
    for key in (str(past), str(old)):
        doc["files"][key] = " ".join(doc["files"][key].split()[:4]) + " x "
    store.save_file_cache(filecache.KIND, {SUMMARY: json.dumps(doc)}, [])
    os.chmod(past, 0o600)
    while os.stat(past).st_ctime_ns == int(good[str(past)].split()[2]):
        os.chmod(past, 0o644)
    reads.clear()
    parses.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == first
    assert reads == parses == ["past.ics"]  # changed: read, and parsed (no hash to match)
    assert summary(store)[str(past)] != good[str(past)]
    assert str(old) not in summary(store)  # the summary was rewritten: the line dropped
    reads.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == first and reads == ["old.ics"]
    assert summary(store)[str(old)] == good[str(old)]


def test_a_summary_of_another_zone_is_ignored(tmp_path: Path, store: Store,
                                              reads: list[str]) -> None:
    folder(tmp_path)
    calendar(tmp_path, store).busy(WINDOW)
    paris = ZoneInfo("Europe/Paris")
    reads.clear()
    found = VdirCalendar(tmp_path / "calendar", (), paris, cache=store).busy(WINDOW)
    paths = sorted((tmp_path / "calendar").glob("*.ics"))
    assert found == busy_from_files(paths, WINDOW, paris)
    assert sorted(reads) == ["past.ics", "soon.ics"]


def test_a_dry_run_writes_no_summary(tmp_path: Path, store: Store) -> None:
    folder(tmp_path)
    with store.cache_read_only():
        calendar(tmp_path, store).busy(WINDOW)
    assert store.file_cache(filecache.KIND) == {}
    calendar(tmp_path, store).busy(WINDOW)
    assert SUMMARY in store.file_cache(filecache.KIND)


def test_an_answer_asked_of_a_settled_file_is_read_and_written_nowhere(
        tmp_path: Path, store: Store, writes: list[tuple[list[str], list[str]]]) -> None:
    """The summary keeps no answers: an upcoming interview whose file says it has ended is
    read for its answer on every pass, and the summary is not rewritten for it."""
    cal = calendar(tmp_path, store)
    path = interview(cal)
    calendar(tmp_path, store).busy(WINDOW)
    later = Interval(WINDOW.start + timedelta(days=3), WINDOW.end + timedelta(days=3))
    calendar(tmp_path, store).busy(later)
    assert list(summary(store)) == [str(path)]
    writes.clear()
    for _ in range(2):
        cal = calendar(tmp_path, store)
        assert cal.attendee_status("meet1") == "needsAction"
        assert cal.busy(later) == ([], [])
    assert writes == [] and list(summary(store)) == [str(path)]


def test_the_summary_row_round_trips() -> None:
    rows = Rows("America/New_York", filecache.VERSION)
    lines = {"/a.ics": "1 2 3 4 5 ab", "b.ics": "9 8 7 6 -5 cd"}
    assert rows.summary(rows.encode_summary(lines, 5)) == (lines, 5)
    assert Rows("Europe/Paris", filecache.VERSION).summary(rows.encode_summary(lines, 5)) is None


def test_any_sequence_of_changes_finds_what_parsing_finds(tmp_path: Path, store: Store) -> None:
    """Interviews written, moved, rewritten in place, replaced, chmod-ed and deleted at
    random while the window moves forward and back, asked after each step by the daemon's
    long-lived adapter and by a fresh process over the store: both find what parsing every
    file finds. (Stat vouches for every file here, so each write sets a new mtime, as a
    write a clock tick later would; a rewrite in place keeps it, and its ctime tells.)"""
    rng = random.Random(11)
    cal = tmp_path / "calendar"
    daemon = calendar(tmp_path, None)
    start = 0.0
    for step in range(150):
        action = rng.choice(["write", "write", "move", "inplace", "replace", "chmod", "delete",
                             "forward", "forward", "back"])
        names = sorted(p.name for p in cal.glob("*.ics")) if cal.exists() else []
        if action in ("move", "inplace", "replace", "chmod", "delete") and not names:
            action = "write"
        name = rng.choice(names) if action not in ("write", "forward", "back") \
            else f"e{step}.ics"
        text = event(name, NOW + timedelta(days=rng.uniform(-40, 40)))
        stamp = 1_700_000_000_000_000_000 + step * 1_000_000_000
        if action in ("write", "move"):
            os.utime(write(cal / name, text), ns=(stamp, stamp))
        elif action == "inplace":
            rewrite_in_place(cal / name, text)
        elif action == "replace":
            os.utime(write(cal / ".tmp", text), ns=(stamp, stamp))
            os.replace(cal / ".tmp", cal / name)
        elif action == "chmod":
            os.chmod(cal / name, 0o600 if step % 2 else 0o644)
        elif action == "delete":
            (cal / name).unlink()
        else:
            start += rng.uniform(0, 10) if action == "forward" else -rng.uniform(0, 30)
        window = Interval(WINDOW.start + timedelta(days=start),
                          WINDOW.end + timedelta(days=start))
        want = expected(tmp_path, window)
        assert calendar(tmp_path, store).busy(window) == want, (step, action)
        assert daemon.busy(window) == want, (step, action)
    assert summary(store)  # the summary was in use
