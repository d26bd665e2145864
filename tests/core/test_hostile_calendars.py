"""busy_ics files that used to stop or swamp every pass: each is refused with its fix, and the
other files still count."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.core import icsbusy
from automation.core.icsbusy import busy_from_files
from automation.core.models import Interval

WINDOW = Interval(datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 21, tzinfo=UTC))
NY = ZoneInfo("America/New_York")
GOOD = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:ok@x\r\nDTSTART:20261208T150000Z\r\n"
        "DTEND:20261208T160000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
SECONDLY = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:sec@x\r\nDTSTART:20261201T000000Z\r\n"
            "DTEND:20261201T000001Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.ics"
    path.write_text(GOOD)
    return path


def test_a_secondly_rule_with_no_end_is_left_out_with_its_fix(tmp_path: Path) -> None:
    """208 bytes that cost 3 minutes and 3.6 GB a pass: the expansion is never attempted."""
    rule = tmp_path / "secondly.ics"
    rule.write_text(SECONDLY.replace("END:VCALENDAR", GOOD.split("BEGIN:VCALENDAR\r\n")[1]
                                     .rsplit("END:VCALENDAR", 1)[0] + "END:VCALENDAR"))
    assert len(rule.read_bytes()) < 400
    busy, problems = busy_from_files([rule], WINDOW, NY)
    assert [b.start.hour for b in busy] == [15]  # the ordinary event in the same file counts
    assert len(problems) == 1 and "sec@x repeats too often" in problems[0]
    assert "UNTIL or COUNT" in problems[0]


def test_a_device_or_fifo_as_busy_ics_is_refused(tmp_path: Path) -> None:
    """/dev/zero as busy_ics was read until memory ran out; a FIFO blocks for ever."""
    fifo = tmp_path / "pipe.ics"
    os.mkfifo(fifo)
    busy, problems = busy_from_files([Path("/dev/zero"), fifo, good(tmp_path)], WINDOW, NY)
    assert len(busy) == 1
    assert len(problems) == 2 and all("not a regular file" in p for p in problems)


def test_a_huge_busy_ics_is_refused_with_its_fix(tmp_path: Path, monkeypatch) -> None:
    """A 200 MB export cost 5.1 GB per pass; the limit is read, never more."""
    monkeypatch.setattr(icsbusy, "MAX_ICS_BYTES", 4096)
    big = tmp_path / "big.ics"
    big.write_text(GOOD.replace("END:VEVENT", "DESCRIPTION:" + "x" * 70 + "\r\nEND:VEVENT") * 60)
    busy, problems = busy_from_files([big, good(tmp_path)], WINDOW, NY)
    assert len(busy) == 1
    assert len(problems) == 1 and "export a shorter range" in problems[0]
