"""Drafts made together are Maildir files as ``mailbox.Maildir.add`` makes them.

``RawFolder.stage`` does ``add``'s steps on one descriptor (a unique name in tmp/, the bytes,
the message's date as mtime, then fsync, or one syncfs for all the files where Linux has it);
these tests hold it to ``add``'s results.
"""

from __future__ import annotations

import errno
import mailbox
import os
import re
from datetime import datetime
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.local.maildir import MaildirMailbox
from automation.adapters.local.maildirwrite import Raw, filesystem_sync
from automation.core.compose import build_message
from automation.errors import BackendError

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("America/New_York"))
#: Maildir's unique name as ``mailbox.Maildir._create_tmp`` writes it.
UNIQUE = re.compile(r"\d+\.M\d+P(\d+)Q(\d+)\.[^/:]+")


def draft(n: int):
    return build_message(sender_name="Alex Rivera", sender="alex@example.org",
                         to_name=f"Person {n}", to=f"p{n}@example.com", subject=f"Hello {n}",
                         body=f"Hi {n},\n\nTen minutes?\n", now=NOW,
                         message_id=f"<m{n}-c0ffee@example.org>")


def test_staged_drafts_get_names_dates_and_flags_as_maildir_add_gives_them(
        tmp_path: Path) -> None:
    """Keys of drafts made together and of drafts made one by one (``Maildir.add``) share
    one counter and one form, so none can clash; each file's mtime is the message's date
    (as ``add`` sets it) and its name carries the draft flags."""
    box = MaildirMailbox(tmp_path / "mail")
    before = box.create_draft(draft(1)).draft_id
    (made,) = box.create_drafts([(draft(n), None) for n in (2, 3)])
    after = box.create_draft(draft(4)).draft_id
    keys = [before, *(r.draft_id for r in made), after]
    assert len(set(keys)) == 4
    counters = []
    for key in keys:
        match = UNIQUE.fullmatch(key)
        assert match is not None, key
        assert int(match.group(1)) == os.getpid()
        counters.append(int(match.group(2)))
    assert counters == sorted(counters) and len(set(counters)) == 4
    cur = tmp_path / "mail" / "Drafts" / "cur"
    for ref in made:
        path = cur / f"{ref.draft_id}:2,DS"
        assert path.read_bytes() == draft(int(ref.message_id[2])).as_bytes(
            policy=policy.default)
    reference = Raw(b"x")  # what add would give the file as its mtime: the message's date
    stat = (cur / f"{made[0].draft_id}:2,DS").stat()
    assert abs(stat.st_mtime - reference.get_date()) < 60


def test_a_write_failing_inside_a_staged_file_leaves_nothing_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk that fills up while a draft's bytes are written (or synced, file by file where
    there is no syncfs) leaves no file in tmp/ or cur/ for it; the drafts staged before it
    are made."""
    monkeypatch.setattr("automation.adapters.local.maildirwrite.filesystem_sync", lambda: None)
    box = MaildirMailbox(tmp_path / "mail")
    real_fsync = os.fsync
    calls = iter(range(10))

    def fsync(fd: int) -> None:
        if next(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    made = []
    with pytest.raises(BackendError, match="No space left"):
        for group in box.create_drafts([(draft(n), None) for n in (1, 2, 3)]):
            made += group
    assert [r.message_id for r in made] == ["<m1-c0ffee@example.org>"]
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert box.draft_message_ids() == {"<m1-c0ffee@example.org>"}
    assert list((tmp_path / "mail" / "Drafts" / "tmp").iterdir()) == []


@pytest.mark.skipif(filesystem_sync() is None, reason="syncfs is Linux's")
def test_a_failed_filesystem_sync_names_no_draft_and_leaves_nothing_in_tmp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """syncfs reports a write-back error (EIO, a full thin-provisioned disk): none of the
    files is known to be on disk, so none is linked into cur/, tmp/ is emptied, and the error
    names the folder; the next batch, synced, is made."""
    box = MaildirMailbox(tmp_path / "mail")
    real = filesystem_sync()
    assert real is not None

    def failing(path: Path) -> None:
        raise OSError(errno.EIO, "Input/output error", str(path))

    monkeypatch.setattr("automation.adapters.local.maildirwrite.filesystem_sync", lambda: failing)
    with pytest.raises(BackendError, match="Input/output error") as raised:
        for _ in box.create_drafts([(draft(n), None) for n in (1, 2)]):
            raise AssertionError("no draft may be reported made")
    assert "Drafts" in str(raised.value)
    assert box.draft_message_ids() == set()
    assert list((tmp_path / "mail" / "Drafts" / "tmp").iterdir()) == []
    monkeypatch.setattr("automation.adapters.local.maildirwrite.filesystem_sync", lambda: real)
    (made,) = box.create_drafts([(draft(3), None)])
    assert box.draft_message_ids() == {"<m3-c0ffee@example.org>"} == {made[0].message_id}


@pytest.mark.skipif(filesystem_sync() is None, reason="syncfs is Linux's")
def test_the_filesystem_sync_is_a_real_syncfs_that_reports_a_missing_folder(
        tmp_path: Path) -> None:
    """The syncfs in use is the C library's: it syncs the filesystem of a folder that exists
    and raises OSError, as every other write error, for one that does not."""
    sync = filesystem_sync()
    assert sync is not None
    sync(tmp_path)
    with pytest.raises(OSError):
        sync(tmp_path / "gone")


def test_a_name_taken_in_tmp_is_refused_as_add_refuses_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two writers that picked the same unique name: the second gets ``add``'s clash
    error, and the first one's file is left alone."""
    box = MaildirMailbox(tmp_path / "mail")
    monkeypatch.setattr("time.time", lambda: 1_800_000_000.25)
    count = vars(mailbox.Maildir)["_count"]
    path, _ = box.drafts._tmp_name()  # the name the next staged draft will take...
    monkeypatch.setattr(mailbox.Maildir, "_count", count)  # ...as another writer took it
    taken = Path(path)
    taken.write_bytes(b"someone else's")
    raw = Raw(b"ours")
    raw.set_subdir("cur")
    with pytest.raises(mailbox.ExternalClashError):
        box.drafts.stage(raw)
    assert taken.read_bytes() == b"someone else's"
