"""The calendar file cache (adapters/local/filecache.py) over real files and the real store.

Every rule of its policy has a test here (the rules where stat vouches for a file also in
test_calendar_cache_stat.py): an unchanged file is not parsed again (nor even read once stat
may vouch for it), a changed one is, even when its size and mtime are the same; a
deleted file is forgotten, a new one read; a corrupt row is ignored and rebuilt; and a cached
pass finds exactly what parsing every file finds, and offers the same slots.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from automation.adapters.local import filecache, vdir
from automation.adapters.local.vdir import VdirCalendar
from automation.adapters.store import Store
from automation.core import icsbusy
from automation.core.icsbusy import busy_from_files, busy_from_ics
from automation.core.models import Availability, Interval
from automation.core.records import EventSpec
from automation.core.slots import find_slots
from tests.support.calfiles import (
    NOW,
    NY,
    WINDOW,
    calendar,
    event,
    folder,
    interview,
    rewrite_in_place,
    set_partstat,
    write,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ics"


def test_an_unchanged_folder_is_parsed_once_across_processes(
        tmp_path: Path, store: Store, parses: list[str]) -> None:
    """The second process finds every parse in the store and parses nothing."""
    folder(tmp_path)
    first = calendar(tmp_path, store).busy(WINDOW)
    assert sorted(parses) == ["past.ics", "soon.ics"]
    parses.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == first
    assert parses == []
    assert [i.start for i in first[0]] == [(NOW + timedelta(days=2)).astimezone(UTC)]


def test_the_daemon_keeps_them_in_memory(tmp_path: Path, parses: list[str]) -> None:
    """Without a store (and so in the daemon between ticks) the same adapter parses once."""
    folder(tmp_path)
    cal = calendar(tmp_path, None)
    first = cal.busy(WINDOW)
    parses.clear()
    assert cal.busy(WINDOW) == first and parses == []


def test_an_unchanged_file_is_not_even_read(tmp_path: Path, store: Store, reads: list[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are vouched for by stat alone, once their ctime was old enough when they were
    hashed: neither the past interview nor the upcoming one is read, and the upcoming one's
    busy time is still there."""
    folder(tmp_path)
    first = calendar(tmp_path, store).busy(WINDOW)
    reads.clear()
    monkeypatch.setattr(filecache, "RACY_SECONDS", -3600)  # as if hashed long after writing
    calendar(tmp_path, store).busy(WINDOW)  # hashed again, now trusted
    reads.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == first
    assert reads == []


def test_a_file_just_written_is_read_until_its_ctime_is_old(
        tmp_path: Path, store: Store, reads: list[str]) -> None:
    """The racy case: a file hashed in the second it was written may change again with the
    same stat, so stat alone does not vouch for it yet."""
    folder(tmp_path)
    calendar(tmp_path, store).busy(WINDOW)
    reads.clear()
    calendar(tmp_path, store).busy(WINDOW)
    assert sorted(reads) == ["past.ics", "soon.ics"]


def test_a_same_size_same_mtime_rewrite_is_read_again(tmp_path: Path, store: Store) -> None:
    """The content hash catches it: the event moved by an hour, nothing else changed."""
    _, soon = folder(tmp_path)
    before = calendar(tmp_path, store).busy(WINDOW)[0]
    moved = event("soon", NOW + timedelta(days=2, hours=1))
    rewrite_in_place(soon, moved)
    after = calendar(tmp_path, store).busy(WINDOW)[0]
    assert [i.start for i in after] == [(NOW + timedelta(days=2, hours=1)).astimezone(UTC)]
    assert after != before


def test_a_settled_file_rewritten_in_place_is_read_again(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A past interview moved into next week, same size and mtime: the ctime tells."""
    past, _ = folder(tmp_path)
    monkeypatch.setattr(filecache, "RACY_SECONDS", -3600)
    calendar(tmp_path, store).busy(WINDOW)
    text = past.read_bytes().decode()
    future = event("past", NOW + timedelta(days=3))
    assert len(future) == len(text)
    rewrite_in_place(past, future)
    starts = {i.start for i in calendar(tmp_path, store).busy(WINDOW)[0]}
    assert (NOW + timedelta(days=3)).astimezone(UTC) in starts


def test_a_settled_file_replaced_by_rename_is_read_again(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """How vdirsyncer, khal and this program write: a new inode under the same name."""
    past, _ = folder(tmp_path)
    monkeypatch.setattr(filecache, "RACY_SECONDS", -3600)
    calendar(tmp_path, store).busy(WINDOW)
    info = past.stat()
    tmp = write(tmp_path / "calendar" / ".tmp", event("past", NOW + timedelta(days=3)))
    os.utime(tmp, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(tmp, past)
    starts = {i.start for i in calendar(tmp_path, store).busy(WINDOW)[0]}
    assert (NOW + timedelta(days=3)).astimezone(UTC) in starts


def test_a_deleted_file_is_forgotten_and_a_new_one_read(tmp_path: Path, store: Store) -> None:
    _, soon = folder(tmp_path)
    assert len(calendar(tmp_path, store).busy(WINDOW)[0]) == 1
    soon.unlink()
    assert calendar(tmp_path, store).busy(WINDOW) == ([], [])
    assert set(store.file_cache(filecache.KIND)) == {str(tmp_path / "calendar" / "past.ics")}
    write(tmp_path / "calendar" / "new.ics", event("new", NOW + timedelta(days=4)))
    busy = calendar(tmp_path, store).busy(WINDOW)[0]
    assert [i.start for i in busy] == [(NOW + timedelta(days=4)).astimezone(UTC)]


def test_a_busy_ics_that_goes_away_is_reported_and_forgotten(tmp_path: Path,
                                                             store: Store) -> None:
    export = write(tmp_path / "work.ics", event("w", NOW + timedelta(days=1)))
    assert len(calendar(tmp_path, store, export).busy(WINDOW)[0]) == 1
    export.unlink()
    busy, problems = calendar(tmp_path, store, export).busy(WINDOW)
    assert busy == [] and len(problems) == 1 and "cannot read it" in problems[0]
    assert store.file_cache(filecache.KIND) == {}


@pytest.mark.parametrize("payload", [
    "not json", "[]", '{"v": 1}', "null",
    # Decodes, but an interval that ends before it starts:
    '{"v":1,"zone":"America/New_York","ident":[1,2,3,4],"digest":"x","trusted":true,'
    '"answer":null,"busy":{"intervals":[[20,10]],"span":null,"problems":[]}}',
    '{"v":1,"zone":"America/New_York","ident":"abcd","digest":"x","trusted":true}',
])
def test_a_corrupt_row_is_ignored_and_rebuilt(tmp_path: Path, store: Store, payload: str,
                                              parses: list[str]) -> None:
    past, soon = folder(tmp_path)
    expected = calendar(tmp_path, None).busy(WINDOW)
    store.save_file_cache(filecache.KIND, {str(p): payload for p in (past, soon)}, [])
    parses.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == expected
    assert sorted(parses) == ["past.ics", "soon.ics"]
    parses.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == expected and parses == []  # rebuilt


def test_a_cached_pass_finds_what_parsing_finds(tmp_path: Path, store: Store) -> None:
    """Every fixture calendar (recurrences, DST, zones, all-day, cancelled, broken files) as
    busy_ics, plus interview files: the same intervals and problems as parsing every file
    over the window, pass after pass, with the window sliding a day at a time."""
    exports = sorted(FIXTURES.glob("*.ics"))
    folder(tmp_path)
    for day in range(0, 12):
        now = datetime(2026, 3, 1, 8, tzinfo=NY) + timedelta(days=day * 30)
        window = Interval(now, now + timedelta(days=22))
        cached = calendar(tmp_path, store, *exports).busy(window)
        paths = sorted((tmp_path / "calendar").glob("*.ics")) + exports
        assert cached == busy_from_files(paths, window, NY)
        assert calendar(tmp_path, store, *exports).busy(window) == cached


def test_busy_from_files_agrees_with_the_pure_parser(tmp_path: Path) -> None:
    """The cache's unit (a whole file, or a repeating one a week past the window) filtered to
    the window is what ``busy_from_ics`` finds for the window itself."""
    for path in sorted(FIXTURES.glob("*.ics")):
        for month in range(1, 13):
            now = datetime(2026, month, 3, 9, tzinfo=NY)
            window = Interval(now, now + timedelta(days=22))
            try:
                direct = busy_from_ics(path.read_bytes(), window, NY, source=str(path))
            except icsbusy.UserError:
                continue
            assert busy_from_files([path], window, NY)[0] == direct, (path.name, month)


def test_the_offers_are_the_same_with_the_cache(tmp_path: Path, store: Store) -> None:
    """A recurring busy_ics and a folder of interviews: the slots offered from a warm cache
    are the ones offered from parsing every file."""
    from benchmarks.workloads import recurring_busy_ics

    export = recurring_busy_ics(tmp_path / "busy.ics", target_bytes=60_000)
    cal = VdirCalendar(tmp_path / "calendar", (export,), NY, cache=store)
    for day in range(-30, 20, 7):
        cal.put_event(EventSpec(uid=f"i{day}", start=NOW + timedelta(days=day, hours=2),
                                end=NOW + timedelta(days=day, hours=2, minutes=10),
                                summary="call", description="", location="",
                                organizer_name="A", organizer_email="a@example.org",
                                attendee_name="B", attendee_email="b@example.com",
                                timezone="America/New_York"))
    avail = Availability(timezone=NY, hours=((time(8), time(18)),), horizon_days=21,
                         max_per_day=40)
    calendar(tmp_path, store, export).busy(WINDOW)  # warm
    warm = calendar(tmp_path, store, export).busy(WINDOW)
    paths = sorted((tmp_path / "calendar").glob("*.ics")) + [export]
    cold = busy_from_files(paths, WINDOW, NY)
    assert warm == cold and len(warm[0]) > 20
    assert find_slots(avail, NOW, warm[0], held=[]) == find_slots(avail, NOW, cold[0], held=[])


def test_refused_files_stay_refused_through_the_cache(tmp_path: Path, store: Store,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The [hostile] bounds hold on the cached path: a FIFO or a device is not read, a huge
    file is refused, a runaway rule is left out — on every pass, cached or not."""
    fifo = tmp_path / "pipe.ics"
    os.mkfifo(fifo)
    monkeypatch.setattr(icsbusy, "MAX_ICS_BYTES", 4096)
    big = write(tmp_path / "big.ics", event("big", NOW, extra="DESCRIPTION:" + "x" * 70
                                            + "\r\n") * 60)
    runaway = write(tmp_path / "sec.ics", event("sec", NOW - timedelta(days=1), minutes=0,
                                                extra="RRULE:FREQ=SECONDLY\r\n"))
    for _ in range(2):
        busy, problems = calendar(tmp_path, store, fifo, Path("/dev/zero"), big,
                                  runaway).busy(WINDOW)
        assert busy == []
        assert sum("not a regular file" in p for p in problems) == 2
        assert sum("export a shorter range" in p for p in problems) == 1
        assert sum("repeats too often" in p for p in problems) == 1


# -- invitation answers ----------------------------------------------------------------------


def test_an_answer_is_parsed_once_per_content(tmp_path: Path, store: Store,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Read on every pass, parsed only when the file changed — also when the attendee's
    client rewrote ACCEPTED as DECLINED (same size) and kept the mtime."""
    path = interview(calendar(tmp_path, store))
    parsed: list[bytes] = []
    real = vdir._answer_of

    def counting(data: bytes) -> object:
        parsed.append(data)
        return real(data)

    monkeypatch.setattr(vdir, "_answer_of", counting)
    assert calendar(tmp_path, store).attendee_status("meet1") == "needsAction"
    set_partstat(path, "NEEDS-ACTION", "ACCEPTED")
    cal = calendar(tmp_path, store)
    assert cal.attendee_status("meet1") == "accepted"
    cal.busy(WINDOW)  # the pass saves what it learnt
    parsed.clear()
    assert calendar(tmp_path, store).attendee_status("meet1") == "accepted"
    assert parsed == []
    set_partstat(path, "ACCEPTED", "DECLINED")
    assert calendar(tmp_path, store).attendee_status("meet1") == "declined"
    assert len(parsed) == 1
    assert calendar(tmp_path, store).attendee_status("other") is None
