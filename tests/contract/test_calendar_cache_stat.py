"""The calendar file cache when ``stat`` vouches for a file (adapters/local/filecache.py).

A file hashed well after its last change is not read again while its size, mtime, ctime and
inode stay the same: not the past interviews, not the upcoming ones, not a ``busy_ics``
export, not for the invitation answers either. These tests pin what that must still catch
(a rewrite in place of the same size and mtime, a replacing rename, a deletion, a corrupt
row) and that a pass finds what parsing every file finds.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.adapters.local import filecache
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
    set_partstat,
    write,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ics"


@pytest.fixture(autouse=True)
def hashed_long_after_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as hashed long after its last change, so stat may vouch for it."""
    monkeypatch.setattr(filecache, "RACY_SECONDS", -3600)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calendar files whose content is read, for busy time or for an answer."""
    seen: list[str] = []
    real_read, real_open = filecache.read_calendar_stat, Path.open

    def counting_read(path: Path, limit: int | None = None) -> object:
        seen.append(Path(path).name)
        return real_read(path, limit)

    def counting_open(self: Path, *args: object, **kwargs: object) -> object:
        if self.suffix == ".ics":
            seen.append(self.name)
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(filecache, "read_calendar_stat", counting_read)
    monkeypatch.setattr(Path, "open", counting_open)
    return seen


def starts(busy: tuple[list[Interval], list[str]]) -> list[datetime]:
    return [i.start for i in busy[0]]


def at(days: float) -> datetime:
    return (NOW + timedelta(days=days)).astimezone(UTC)


def test_an_upcoming_interview_rewritten_in_place_is_read_again(
        tmp_path: Path, store: Store) -> None:
    """Same size, same mtime, same inode: only the ctime tells, and it is enough."""
    _, soon = folder(tmp_path)
    assert starts(calendar(tmp_path, store).busy(WINDOW)) == [at(2)]
    rewrite_in_place(soon, event("soon", NOW + timedelta(days=2, hours=1)))
    assert starts(calendar(tmp_path, store).busy(WINDOW)) == [at(2 + 1 / 24)]


def test_an_upcoming_interview_replaced_by_rename_is_read_again(
        tmp_path: Path, store: Store) -> None:
    _, soon = folder(tmp_path)
    calendar(tmp_path, store).busy(WINDOW)
    info = soon.stat()
    tmp = write(tmp_path / "calendar" / ".tmp", event("soon", NOW + timedelta(days=2, hours=1)))
    os.utime(tmp, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(tmp, soon)
    assert starts(calendar(tmp_path, store).busy(WINDOW)) == [at(2 + 1 / 24)]


@pytest.mark.parametrize("keep", ["store", "daemon"])
def test_nothing_unchanged_is_read_and_the_busy_time_stays(
        tmp_path: Path, store: Store, reads: list[str], keep: str) -> None:
    """Across processes (the store) and within the daemon (one adapter, in memory); a
    ``busy_ics`` export that repeats is not read again either while its expansion covers."""
    folder(tmp_path)
    export = write(tmp_path / "weekly.ics", event("w", NOW - timedelta(days=30),
                                                  extra="RRULE:FREQ=WEEKLY\r\n"))
    kept = calendar(tmp_path, None, export)

    def fresh() -> VdirCalendar:
        return calendar(tmp_path, store, export) if keep == "store" else kept

    first = fresh().busy(WINDOW)
    paths = [*sorted((tmp_path / "calendar").glob("*.ics")), export]
    assert first == busy_from_files(paths, WINDOW, NY) and len(first[0]) == 4
    reads.clear()
    assert fresh().busy(WINDOW) == first and reads == []
    later = Interval(WINDOW.start + timedelta(days=14), WINDOW.end + timedelta(days=14))
    assert fresh().busy(later) == busy_from_files(paths, later, NY)
    assert reads == ["weekly.ics"]  # expanded a week past the window only: read again


def test_a_broken_past_file_is_reported_on_every_pass_unread(
        tmp_path: Path, store: Store, reads: list[str]) -> None:
    """Nothing in it can be busy, but its problem is still the user's to fix."""
    write(tmp_path / "calendar" / "broken.ics", "BEGIN:VCALENDAR\r\nthis is not ical\r\n")
    first = calendar(tmp_path, store).busy(WINDOW)
    assert first[0] == [] and len(first[1]) == 1
    reads.clear()
    for _ in range(2):
        assert calendar(tmp_path, store).busy(WINDOW) == first
    assert reads == []


def test_a_zero_length_event_at_the_window_start_still_counts(
        tmp_path: Path, store: Store) -> None:
    """It ends as the window starts, yet ``busy_from_ics`` counts it: not settled."""
    write(tmp_path / "calendar" / "edge.ics", event("edge", NOW, minutes=0))
    expected = busy_from_files([tmp_path / "calendar" / "edge.ics"], WINDOW, NY)
    assert len(expected[0]) == 1
    for _ in range(3):
        assert calendar(tmp_path, store).busy(WINDOW) == expected


def answer_of_a_pass(tmp_path: Path, store: Store, uid: str = "meet1") -> str | None:
    """The answer a new process reads, saving what it learnt as a pass does."""
    cal = calendar(tmp_path, store)
    found = cal.attendee_status(uid)
    cal.busy(WINDOW)
    return found


def test_the_answer_is_not_read_while_stat_vouches_and_changes_are_caught(
        tmp_path: Path, store: Store, reads: list[str]) -> None:
    path = interview(calendar(tmp_path, store))
    assert answer_of_a_pass(tmp_path, store) == "needsAction"
    reads.clear()
    assert answer_of_a_pass(tmp_path, store) == "needsAction"
    assert reads == []
    set_partstat(path, "NEEDS-ACTION", "ACCEPTED")  # a synced client wrote the answer back
    assert answer_of_a_pass(tmp_path, store) == "accepted"
    set_partstat(path, "ACCEPTED", "DECLINED")  # same size, mtime put back: the ctime tells
    assert answer_of_a_pass(tmp_path, store) == "declined"
    info = path.stat()
    tmp = write(tmp_path / "calendar" / ".tmp", path.read_text().replace("DECLINED", "ACCEPTED"))
    os.utime(tmp, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(tmp, path)  # replaced under the same name, size and mtime
    assert answer_of_a_pass(tmp_path, store) == "accepted"
    assert answer_of_a_pass(tmp_path, store, "other") is None
    path.unlink()
    assert answer_of_a_pass(tmp_path, store) is None


@pytest.mark.parametrize("damage", [
    lambda row: row.rsplit("\t", 1)[0] + "\t{not json",
    lambda row: row.rsplit("\t", 1)[0] + '\t{"answer":null,"busy":{"i":[20,10],"span":null,'
                                        '"p":[]}}',
    lambda row: row.replace("\t", " "),
])
def test_a_row_whose_parsed_part_is_corrupt_is_rebuilt(
        tmp_path: Path, store: Store, reads: list[str], damage: Callable[[str], str]) -> None:
    """The header vouches for the file, the rest does not decode: the file is read and
    parsed again, and its row written anew."""
    _, soon = folder(tmp_path)
    expected = calendar(tmp_path, store).busy(WINDOW)
    calendar(tmp_path, store).busy(WINDOW)  # now trusted
    row = store.file_cache(filecache.KIND)[str(soon)]
    store.save_file_cache(filecache.KIND, {str(soon): damage(row)}, [])
    reads.clear()
    assert calendar(tmp_path, store).busy(WINDOW) == expected
    assert reads == ["soon.ics"]
    assert store.file_cache(filecache.KIND)[str(soon)] == row


def test_the_folder_lists_what_a_glob_lists(tmp_path: Path, store: Store) -> None:
    """Hidden ``.ics`` files count, ``.ICS`` and ``.ics.tmp`` do not, and a folder named
    ``x.ics`` is reported as not a regular file, as ``Path.glob("*.ics")`` found them."""
    cal = tmp_path / "calendar"
    for name, day in ((".hidden.ics", 1), ("UPPER.ICS", 2), ("half.ics.tmp", 3),
                      ("b.ics", 4), ("a.ics", 5)):
        write(cal / name, event(name, NOW + timedelta(days=day)))
    (cal / "dir.ics").mkdir()
    expected = busy_from_files(sorted(cal.glob("*.ics")), WINDOW, NY)
    assert len(expected[0]) == 3 and len(expected[1]) == 1
    for _ in range(2):
        assert calendar(tmp_path, store).busy(WINDOW) == expected


def test_a_missing_folder_has_no_busy_time(tmp_path: Path, store: Store) -> None:
    cal = calendar(tmp_path, store)
    cal.folder.rmdir()
    assert cal.busy(WINDOW) == ([], [])


def test_a_sliding_window_finds_what_parsing_finds(tmp_path: Path, store: Store) -> None:
    """Every fixture calendar as busy_ics plus interview files, all vouched for by stat,
    the window sliding a day at a time: the same intervals and problems as parsing."""
    exports = sorted(FIXTURES.glob("*.ics"))
    for day in range(-3, 40, 4):
        write(tmp_path / "calendar" / f"i{day}.ics", event(f"i{day}", NOW + timedelta(days=day)))
    daemon = calendar(tmp_path, None, *exports)
    for day in range(0, 45):
        now = NOW + timedelta(days=day, hours=day % 5)
        window = Interval(now, now + timedelta(days=22))
        paths = sorted((tmp_path / "calendar").glob("*.ics")) + exports
        parsed = busy_from_files(paths, window, NY)
        assert calendar(tmp_path, store, *exports).busy(window) == parsed, day
        assert daemon.busy(window) == parsed, day


@pytest.mark.parametrize("where", ["absolute", "relative", "current"])
def test_busy_time_and_answers_share_one_row_per_file(
        tmp_path: Path, store: Store, reads: list[str], where: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """However the folder is named (``[local] calendar = "."`` included), the pass's busy
    read and the answer check key a file alike: neither forgets what the other learnt."""
    (tmp_path / "calendar").mkdir()
    monkeypatch.chdir({"absolute": tmp_path, "relative": tmp_path,
                       "current": tmp_path / "calendar"}[where])
    folder = {"absolute": tmp_path / "calendar", "relative": Path("calendar"),
              "current": Path(".")}[where]

    def a_pass() -> str | None:
        cal = VdirCalendar(folder, (), NY, cache=store)
        found = cal.attendee_status("meet1")
        cal.busy(WINDOW)
        return found

    interview(VdirCalendar(folder, (), NY, cache=store))
    assert a_pass() == "needsAction"
    reads.clear()
    assert a_pass() == "needsAction" and reads == []
    assert len(store.file_cache(filecache.KIND)) == 1
