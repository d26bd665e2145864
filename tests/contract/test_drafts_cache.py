"""The Maildir's cache of each draft file's Message-ID (adapters/local/draftcache.py).

Every pass asks which of our drafts are still in Drafts. The cache keeps each file's
Message-ID by its Maildir key, checked against the file's size, mtime and inode: every rule
has a test here -- an unchanged or merely flagged (renamed) file is not parsed again, a file
rewritten or replaced under the same name is, a deleted, sent or re-saved draft is forgotten
(in memory and in the store), a corrupt row is ignored, a dry run writes no row -- and over
any sequence of what a user and a mail client do, the answers are those of parsing every file.
"""

from __future__ import annotations

import email.parser
import mailbox
import os
import random
from email.message import EmailMessage
from pathlib import Path

import pytest

from automation.adapters.local import draftcache, maildir, maildirfolders
from automation.adapters.local.maildir import MaildirMailbox
from automation.adapters.store import Store
from automation.app.ports import DraftRef


def message(mid: str, body: str = "Hello.\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Alex <alex@example.org>"
    msg["To"] = "priya@example.com"
    msg["Subject"] = "Ten minutes?"
    msg["Message-ID"] = mid
    msg.set_content(body)
    return msg


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Message-IDs whose headers the Maildir parses, in order (the real parser runs)."""
    seen: list[str] = []

    class Counting(email.parser.BytesHeaderParser):
        def parsebytes(self, text: bytes, headersonly: bool = True) -> EmailMessage:  # type: ignore[override]
            headers = super().parsebytes(text, headersonly)
            seen.append(str(headers.get("Message-ID", "")))
            return headers  # type: ignore[return-value]

    # The Maildir imports the parser where it reads headers (an idle pass reads none).
    monkeypatch.setattr(email.parser, "BytesHeaderParser", Counting)
    return seen


def refs(*mids: str) -> list[DraftRef]:
    return [DraftRef("", mid) for mid in mids]


def path_of(box: MaildirMailbox, key: str) -> Path:
    return maildir._file_of(box.drafts, key)


def present(root: Path, store: Store | None, *mids: str) -> dict[str, str]:
    """``drafts_present`` of a fresh process (a new adapter over the same store)."""
    box = MaildirMailbox(root, store)
    return {mid: ref.draft_id for mid, ref in box.drafts_present(refs(*mids)).items()}


def test_an_unchanged_or_flagged_draft_is_not_parsed_again(tmp_path: Path, store: Store,
                                                           parsed: list[str]) -> None:
    root = tmp_path / "mail"
    box = MaildirMailbox(root, store)
    a = box.create_draft(message("<a@x>")).draft_id
    box.create_draft(message("<b@x>"))
    assert present(root, store, "<a@x>", "<b@x>", "<c@x>").keys() == {"<a@x>", "<b@x>"}
    assert sorted(parsed) == ["<a@x>", "<b@x>"]
    parsed.clear()
    # A mail client flags it: renamed from uniq:2,DS to uniq:2,DFS, the same message.
    old = path_of(box, a)
    old.rename(old.with_name(old.name.replace(":2,DS", ":2,DFS")))
    assert present(root, store, "<a@x>", "<b@x>") == present(root, None, "<a@x>", "<b@x>")
    parsed.remove("<a@x>"), parsed.remove("<b@x>")  # the uncached reference parsed both
    assert parsed == []
    assert len(store.file_cache(draftcache.KIND)) == 2


def test_a_draft_rewritten_or_replaced_under_its_name_is_read_again(
        tmp_path: Path, store: Store) -> None:
    root = tmp_path / "mail"
    box = MaildirMailbox(root, store)
    key = box.create_draft(message("<a@x>")).draft_id
    assert present(root, store, "<a@x>") == {"<a@x>": key}
    path = path_of(box, key)
    info = path.stat()
    # Rewritten in place, size and mtime set back as they were: the inode alone is left.
    replacement = path.with_name("swap")
    replacement.write_bytes(path.read_bytes().replace(b"<a@x>", b"<z@x>"))
    os.utime(replacement, ns=(info.st_atime_ns, info.st_mtime_ns))
    replacement.replace(path)
    assert path.stat().st_size == info.st_size and path.stat().st_mtime_ns == info.st_mtime_ns
    assert present(root, store, "<a@x>", "<z@x>") == {"<z@x>": key}
    # Rewritten in place (same inode), a longer body.
    path.write_bytes(path.read_bytes().replace(b"<z@x>", b"<y@x>") + b"more\n")
    assert present(root, store, "<z@x>", "<y@x>") == {"<y@x>": key}


def test_a_sent_deleted_or_resaved_draft_is_forgotten(tmp_path: Path, store: Store) -> None:
    root = tmp_path / "mail"
    box = MaildirMailbox(root, store)
    sent = box.create_draft(message("<sent@x>")).draft_id
    gone = box.create_draft(message("<gone@x>")).draft_id
    edited = box.create_draft(message("<edited@x>")).draft_id
    everyone = ("<sent@x>", "<gone@x>", "<edited@x>")
    assert present(root, store, *everyone).keys() == set(everyone)
    path_of(box, sent).rename(root / "Sent" / "cur" / path_of(box, sent).name)  # sent
    path_of(box, gone).unlink()  # deleted
    # A client saves the edited draft as a new message (a new key) and removes the old one.
    new_key = box.create_draft(message("<edited@x>", "Hello, edited.\n")).draft_id
    path_of(box, edited).unlink()
    assert present(root, store, *everyone) == {"<edited@x>": new_key}
    rows = store.file_cache(draftcache.KIND)
    assert sorted(Path(p).name for p in rows) == [new_key]


def test_a_corrupt_row_is_ignored_and_rebuilt(tmp_path: Path, store: Store,
                                              parsed: list[str]) -> None:
    root = tmp_path / "mail"
    box = MaildirMailbox(root, store)
    key = box.create_draft(message("<a@x>")).draft_id
    present(root, store, "<a@x>")
    [path] = store.file_cache(draftcache.KIND)
    store.save_file_cache(draftcache.KIND, {path: '{"v": 1, "stamp": "oops"}'}, [])
    parsed.clear()
    assert present(root, store, "<a@x>") == {"<a@x>": key}
    assert parsed == ["<a@x>"]
    assert present(root, store, "<a@x>") == {"<a@x>": key} and parsed == ["<a@x>"]


def test_a_dry_run_reads_the_cache_and_writes_no_row(tmp_path: Path, store: Store) -> None:
    root = tmp_path / "mail"
    box = MaildirMailbox(root, store)
    box.create_draft(message("<a@x>"))
    with store.cache_read_only():
        assert present(root, store, "<a@x>").keys() == {"<a@x>"}
    assert store.file_cache(draftcache.KIND) == {}
    present(root, store, "<a@x>")
    assert len(store.file_cache(draftcache.KIND)) == 1


def test_any_sequence_of_changes_answers_as_parsing_every_file(tmp_path: Path,
                                                              store: Store) -> None:
    """Drafts created, flagged, rewritten, replaced, sent, deleted and re-saved at random,
    asked after each step by the daemon's long-lived adapter, by a fresh process over the
    store, and by one with no cache at all: the three always agree."""
    rng = random.Random(7)
    root = tmp_path / "mail"
    daemon = MaildirMailbox(root, store)
    ids = [f"<d{i}@x>" for i in range(12)]
    for step in range(160):
        keys = list(daemon.drafts.iterkeys())
        action = rng.choice(["create", "create", "flag", "rewrite", "replace", "send",
                             "delete", "resave"])
        if action == "create" or not keys:
            daemon.create_draft(message(rng.choice(ids), f"step {step}\n"))
            continue
        key = rng.choice(keys)
        path = path_of(daemon, key)
        if action == "flag":
            flags = "".join(sorted(rng.sample("DFRS", rng.randint(1, 4))))
            path.rename(path.with_name(f"{key}:2,{flags}"))
        elif action == "rewrite":
            path.write_bytes(message(rng.choice(ids), f"rewritten {step}\n").as_bytes())
        elif action == "replace":
            info = path.stat()
            swap = path.with_name("swap")
            swap.write_bytes(path.read_bytes().replace(b"<d", b"<e", 1))
            os.utime(swap, ns=(info.st_atime_ns, info.st_mtime_ns))
            swap.replace(path)
        elif action == "send":
            path.rename(root / "Sent" / "cur" / path.name)
        elif action == "delete":
            path.unlink()
        else:
            daemon.create_draft(message(rng.choice(ids), f"resaved {step}\n"))
            path.unlink()
        asked = [*ids, *(m.replace("<d", "<e") for m in ids)]
        reference = present(root, None, *asked)
        assert present(root, store, *asked) == reference, (step, action)
        assert {m: r.draft_id for m, r in daemon.drafts_present(refs(*asked)).items()} == \
            reference, (step, action)


def test_the_listing_is_the_keys_and_files_mailbox_gives(tmp_path: Path) -> None:
    """``maildirfolders.listed`` (one scandir per subfolder) answers as ``mailbox.Maildir`` does:
    the same keys in the same order and the same file for each, with flagged names, a
    message still in new/, a folder inside cur/ (no message), and one key in both."""
    box = MaildirMailbox(tmp_path / "mail")
    drafts = [box.create_draft(message(f"<d{i}@example.org>")).draft_id for i in range(4)]
    cur = tmp_path / "mail" / "Drafts" / "cur"
    os.rename(path_of(box, drafts[1]), cur / f"{drafts[1]}:2,DFS")  # flagged by a client
    new = tmp_path / "mail" / "Drafts" / "new"
    os.rename(path_of(box, drafts[2]), new / drafts[2])  # delivered, not yet seen
    (new / f"{drafts[3]}:2,S").write_bytes(b"Message-ID: <twin@example.org>\n\n")
    (cur / "a-folder").mkdir()
    (new / "x:y:z").write_bytes(b"Message-ID: <colons@example.org>\n\n")
    fresh = mailbox.Maildir(str(tmp_path / "mail" / "Drafts"), create=False)
    expected = {key: str(maildir._file_of(fresh, key)) for key in fresh.iterkeys()}
    found = maildirfolders.listed(tmp_path / "mail" / "Drafts")
    assert list(found.items()) == list(expected.items())
    assert "a-folder" not in found and found["x"].endswith("x:y:z")
    assert found[drafts[3]].startswith(str(new))  # the copy in new/, as mailbox keeps it
