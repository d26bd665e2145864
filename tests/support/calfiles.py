"""Calendar files for the cache tests: events as text, rewrites that keep size and mtime,
a past and an upcoming interview, and a fresh adapter as a new ``run --once`` opens it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.adapters.local.vdir import VdirCalendar
from automation.adapters.store import Store
from automation.core.models import Interval
from automation.core.records import EventSpec

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
WINDOW = Interval(NOW, NOW + timedelta(days=22))


def event(uid: str, start: datetime, minutes: int = 30, extra: str = "") -> str:
    utc = "%Y%m%dT%H%M%SZ"
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART:{start.astimezone(UTC).strftime(utc)}\r\n"
            f"DTEND:{(start + timedelta(minutes=minutes)).astimezone(UTC).strftime(utc)}\r\n"
            f"{extra}SUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def calendar(tmp_path: Path, store: Store | None, *busy_ics: Path) -> VdirCalendar:
    """A fresh adapter, as a new ``run --once`` process opens it."""
    return VdirCalendar(tmp_path / "calendar", tuple(busy_ics), NY, cache=store)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


def rewrite_in_place(path: Path, text: str) -> None:
    """Rewrite ``path`` (same inode) with ``text`` and put its mtime back: only the content
    (and the ctime, which no program can set) tells the change."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    while True:  # wait for the filesystem's clock to tick, so the ctime really differs
        with path.open("rb+") as fh:
            fh.write(text.encode())
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = path.stat()
        if after.st_ctime_ns != before.st_ctime_ns:
            break
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == \
        (before.st_size, before.st_mtime_ns, before.st_ino)


def folder(tmp_path: Path) -> tuple[Path, Path]:
    """A past interview and an upcoming one."""
    past = write(tmp_path / "calendar" / "past.ics", event("past", NOW - timedelta(days=90)))
    soon = write(tmp_path / "calendar" / "soon.ics", event("soon", NOW + timedelta(days=2)))
    return past, soon


def interview(cal: VdirCalendar, uid: str = "meet1") -> Path:
    cal.put_event(EventSpec(uid=uid, start=NOW + timedelta(days=2),
                            end=NOW + timedelta(days=2, minutes=10), summary="call",
                            description="", location="", organizer_name="A",
                            organizer_email="a@example.org", attendee_name="B",
                            attendee_email="b@example.com", timezone="America/New_York"))
    return cal.path_for(uid)


def set_partstat(path: Path, old: str, new: str) -> None:
    """What the attendee's synced client writes back; same-size answers keep the mtime."""
    text = path.read_bytes().decode()
    assert f"PARTSTAT={old}" in text
    text = text.replace(f"PARTSTAT={old}", f"PARTSTAT={new}")
    if len(old) == len(new):
        rewrite_in_place(path, text)
    else:
        path.write_bytes(text.encode())
