"""One contract for the Mailbox port, run against every backend.

To add a backend, add a factory to ``MAILBOXES``: it gets pytest's ``tmp_path`` and returns a
``MailboxUnderTest`` — the port, plus two ways to play the world the way that backend would
see it: ``send(message_id, new_message_id=None)`` (the user presses Send on our draft; some
clients give the sent copy a new Message-ID) and ``deliver(message)`` (mail arrives).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.local.maildir import MaildirMailbox
from automation.adapters.local.maildirwrite import filesystem_sync
from automation.adapters.memory import MemoryMailbox
from automation.app.ports import DraftRef, Mailbox, MailItem, SyncResult, Watch
from automation.core.compose import build_message
from automation.errors import BackendError
from tests.support import play
from tests.support.fakegoogle import FakeGoogle
from tests.support.googlekit import open_on_fake

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=NY)


@dataclass
class MailboxUnderTest:
    mailbox: Mailbox
    send: Callable[..., None]  # (message_id, new_message_id=None)
    deliver: Callable[[EmailMessage], None]
    #: A thread id the backend accepts for a reply draft (Gmail: only a thread that exists).
    thread: Callable[[], str] = lambda: "thread-42"
    close: Callable[[], None] = lambda: None
    #: Whether mail outside the watch comes with its body. Gmail fetches only headers for
    #: it (format=metadata, one quota unit less per message); local files are read whole.
    untracked_bodies: bool = True


def memory_mailbox(tmp_path: Path) -> MailboxUnderTest:
    box = MemoryMailbox()

    def send(message_id: str, new_message_id: str | None = None) -> None:
        item = box.send(message_id)
        if new_message_id is not None:
            del item.message["Message-ID"]
            item.message["Message-ID"] = new_message_id

    return MailboxUnderTest(box, send, lambda message: box.deliver(message) and None)


def maildir_mailbox(tmp_path: Path) -> MailboxUnderTest:
    root = tmp_path / "mail"
    box = MaildirMailbox(root)

    def send(message_id: str, new_message_id: str | None = None) -> None:
        play.send(root, message_id, new_message_id=new_message_id)

    return MailboxUnderTest(box, send, lambda message: play.deliver(root, message) and None)


def gmail_mailbox(tmp_path: Path) -> MailboxUnderTest:
    # The package's Gmail adapter over HTTP against a fresh loopback fake of the Gmail API.
    fake = FakeGoogle(email="alex@example.org").start()
    box, _ = open_on_fake(fake, tmp_path / "google")

    def send(message_id: str, new_message_id: str | None = None) -> None:
        (draft_id,) = [d.id for d in fake.drafts()
                       if fake.message(d.message_id).header("Message-ID") == message_id]
        fake.send_draft(draft_id, message_id_header=new_message_id or message_id)

    def thread() -> str:  # Gmail keeps a draft in a thread only if it exists, same subject
        return fake.message(fake.deliver(reply(0, in_reply_to="<earlier@example.org>"))).thread_id

    return MailboxUnderTest(box, send, lambda message: fake.deliver(message) and None,
                            thread=thread, close=fake.stop, untracked_bodies=False)


MAILBOXES: dict[str, Callable[[Path], MailboxUnderTest]] = {
    "memory": memory_mailbox,
    "maildir": maildir_mailbox,
    "gmail": gmail_mailbox,
}


@pytest.fixture(params=sorted(MAILBOXES))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxUnderTest]:
    under_test = MAILBOXES[request.param](tmp_path)
    yield under_test
    under_test.close()


def answer_draft() -> EmailMessage:
    """Our answer in a contact's thread: Gmail wants all three of threadId,
    In-Reply-To/References and the subject answered."""
    return build_message(sender_name="Alex Rivera", sender="alex@example.org",
                         to_name="Priya Raman", to="priya.raman@example.com",
                         subject="Re: Ten minutes to learn about your work?",
                         body="Hi Priya\n", now=NOW, message_id="<answer-1@example.org>",
                         in_reply_to="<reply-0@mail.example.com>",
                         references=("<reply-0@mail.example.com>",))


def draft(n: int = 1, subject: str = "Ten minutes to learn about your work?") -> EmailMessage:
    return build_message(sender_name="Alex Rivera", sender="alex@example.org",
                         to_name="Priya Raman", to="priya.raman@example.com", subject=subject,
                         body=f"Hi Priya, draft {n}. Grüße — ☕\n", now=NOW,
                         message_id=f"<outreach-{n}-c0ffee@example.org>")


def reply(n: int, in_reply_to: str = "<outreach-1-c0ffee@example.org>") -> EmailMessage:
    return build_message(sender_name="Priya Raman", sender="priya.raman@example.com",
                         to_name="Alex Rivera", to="alex@example.org",
                         subject="Re: Ten minutes to learn about your work?",
                         body=f"Option {n} works.\n", now=NOW,
                         message_id=f"<reply-{n}@mail.example.com>", in_reply_to=in_reply_to)


def mid(item: MailItem) -> str:
    return str(item.message["Message-ID"]).strip()


#: What the tick watches once Priya has had outreach (Gmail fetches only such bodies).
WATCH = Watch(addresses=frozenset({"priya.raman@example.com"}))


class Seen:
    """What the tick does with ``known``: remember each processed key."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.cursor: str | None = None

    def sync(self, box: Mailbox, *, commit: bool = True) -> SyncResult:
        result = box.sync(self.cursor, WATCH, known=self.keys.__contains__)
        if commit:
            self.keys |= {i.key for i in result.items}
            self.cursor = result.cursor
        return result


class TestMailboxContract:
    def test_create_then_find_the_draft(self, backend: MailboxUnderTest) -> None:
        message = draft()
        ref = backend.mailbox.create_draft(message)
        assert isinstance(ref, DraftRef) and ref.draft_id
        assert ref.message_id == "<outreach-1-c0ffee@example.org>"
        found = backend.mailbox.find_draft(ref.message_id)
        assert found is not None and found.message_id == ref.message_id
        assert backend.mailbox.find_draft("<nope@example.org>") is None
        assert backend.mailbox.draft_message_ids() == {ref.message_id}

    def test_create_drafts_makes_each_as_create_draft_does(
            self, backend: MailboxUnderTest) -> None:
        thread_id = backend.thread()
        answer = answer_draft()
        made = backend.mailbox.create_drafts([(draft(1), None), (draft(2), None),
                                              (answer, thread_id)])
        refs = [ref for group in made for ref in group]
        assert [r.message_id for r in refs] == [f"<outreach-{n}-c0ffee@example.org>"
                                                for n in (1, 2)] + ["<answer-1@example.org>"]
        assert refs[2].thread_id == thread_id
        assert backend.mailbox.draft_message_ids() == {r.message_id for r in refs}
        for ref in refs:
            assert backend.mailbox.find_draft(ref.message_id).draft_id == ref.draft_id
        assert list(backend.mailbox.create_drafts([])) == []

    def test_find_drafts_finds_several_at_once(self, backend: MailboxUnderTest) -> None:
        refs = [backend.mailbox.create_draft(draft(n)) for n in (1, 2, 3)]
        wanted = [refs[0].message_id, "<nope@example.org>", refs[2].message_id]
        found = backend.mailbox.find_drafts(wanted)
        assert set(found) == {refs[0].message_id, refs[2].message_id}
        for ref in (refs[0], refs[2]):
            assert found[ref.message_id].message_id == ref.message_id
            assert found[ref.message_id] == backend.mailbox.find_draft(ref.message_id)
        assert backend.mailbox.find_drafts([]) == {}

    def test_a_thread_id_given_is_kept(self, backend: MailboxUnderTest) -> None:
        thread_id = backend.thread()
        answer = answer_draft()
        ref = backend.mailbox.create_draft(answer, thread_id=thread_id)
        assert ref.thread_id == thread_id

    def test_drafts_are_independent(self, backend: MailboxUnderTest) -> None:
        first = backend.mailbox.create_draft(draft(1))
        second = backend.mailbox.create_draft(draft(2))
        assert first.draft_id != second.draft_id
        assert backend.mailbox.draft_message_ids() == {first.message_id, second.message_id}
        backend.mailbox.delete_draft(first)
        assert backend.mailbox.draft_message_ids() == {second.message_id}

    def test_delete_draft_is_idempotent(self, backend: MailboxUnderTest) -> None:
        ref = backend.mailbox.create_draft(draft())
        backend.mailbox.delete_draft(ref)
        backend.mailbox.delete_draft(ref)  # already gone: not an error
        assert backend.mailbox.find_draft(ref.message_id) is None
        assert backend.mailbox.draft_message_ids() == set()

    def test_delete_finds_the_draft_by_message_id(self, backend: MailboxUnderTest) -> None:
        # A client may rename or re-id a draft; the Message-ID still names it.
        ref = backend.mailbox.create_draft(draft())
        backend.mailbox.delete_draft(DraftRef("stale-draft-id", ref.message_id))
        assert backend.mailbox.draft_message_ids() == set()

    def test_addressed_names_the_recipients_in_sent_and_drafts(
            self, backend: MailboxUnderTest) -> None:
        assert backend.mailbox.addressed() == set()
        sent = backend.mailbox.create_draft(draft(1))
        backend.send(sent.message_id)
        other = build_message(sender_name="Alex Rivera", sender="alex@example.org",
                              to_name="Sam Lee", to="Sam.Lee@Example.com", subject="Hello",
                              body="Hi Sam\n", now=NOW, message_id="<other-1@example.org>")
        backend.mailbox.create_draft(other)
        backend.deliver(reply(1))  # the inbox is not whom the user wrote to
        assert backend.mailbox.addressed() == {"priya.raman@example.com", "sam.lee@example.com"}

    def test_sent_draft_leaves_drafts_and_shows_up_once(self, backend: MailboxUnderTest) -> None:
        ref = backend.mailbox.create_draft(draft())
        backend.send(ref.message_id)
        assert backend.mailbox.draft_message_ids() == set()
        seen = Seen()
        (item,) = seen.sync(backend.mailbox).items
        assert item.folder == "sent" and mid(item) == ref.message_id
        assert item.message["To"].addresses[0].addr_spec == "priya.raman@example.com"
        assert str(item.message["Subject"]) == "Ten minutes to learn about your work?"
        # The watch names Priya's address, not this thread: the copy is untracked mail.
        assert item.has_body is backend.untracked_bodies
        assert seen.sync(backend.mailbox).items == []

    def test_a_sent_copy_in_a_watched_thread_comes_with_its_body(
            self, backend: MailboxUnderTest) -> None:
        ref = backend.mailbox.create_draft(draft())
        backend.send(ref.message_id)
        watch = Watch(addresses=WATCH.addresses,
                      thread_ids=frozenset(filter(None, [ref.thread_id])),
                      message_ids=frozenset({ref.message_id}))
        (item,) = backend.mailbox.sync(None, watch).items
        assert item.has_body
        assert "Hi Priya, draft 1. Grüße — ☕" in item.message.get_content()

    def test_sent_copy_may_carry_a_new_message_id(self, backend: MailboxUnderTest) -> None:
        ref = backend.mailbox.create_draft(draft())
        backend.send(ref.message_id, new_message_id="<client-minted@example.org>")
        (item,) = Seen().sync(backend.mailbox).items
        assert mid(item) == "<client-minted@example.org>"
        assert str(item.message["Subject"]) == "Ten minutes to learn about your work?"

    def test_inbox_items_come_once_with_known(self, backend: MailboxUnderTest) -> None:
        seen = Seen()
        assert seen.sync(backend.mailbox).items == []
        backend.deliver(reply(1))
        (first,) = seen.sync(backend.mailbox).items
        assert first.folder == "inbox" and mid(first) == "<reply-1@mail.example.com>"
        assert str(first.message["In-Reply-To"]) == "<outreach-1-c0ffee@example.org>"
        assert first.has_body and "Option 1 works." in first.message.get_content()
        backend.deliver(reply(2))
        (second,) = seen.sync(backend.mailbox).items
        assert mid(second) == "<reply-2@mail.example.com>" and second.key != first.key
        assert seen.sync(backend.mailbox).items == []

    def test_sent_and_inbox_in_one_sync(self, backend: MailboxUnderTest) -> None:
        ref = backend.mailbox.create_draft(draft())
        backend.send(ref.message_id)
        backend.deliver(reply(2))
        items = Seen().sync(backend.mailbox).items
        assert sorted((i.folder, mid(i)) for i in items) == [
            ("inbox", "<reply-2@mail.example.com>"), ("sent", ref.message_id)]
        assert len({i.key for i in items}) == 2

    def test_an_uncommitted_sync_loses_nothing(self, backend: MailboxUnderTest) -> None:
        # A tick that crashed before recording what it saw passes the old cursor again.
        seen = Seen()
        backend.deliver(reply(1))
        backend.deliver(reply(2))
        first = seen.sync(backend.mailbox, commit=False).items
        assert sorted(mid(i) for i in first) == ["<reply-1@mail.example.com>",
                                                 "<reply-2@mail.example.com>"]
        # Half of it was processed (marked seen) before the crash.
        seen.keys.add(first[0].key)
        again = seen.sync(backend.mailbox).items
        assert [i.key for i in again] == [first[1].key]
        assert mid(again[0]) == mid(first[1])
        assert seen.sync(backend.mailbox).items == []

    def test_known_items_are_skipped(self, backend: MailboxUnderTest) -> None:
        backend.deliver(reply(1))
        backend.deliver(reply(2))
        everything = backend.mailbox.sync(None, Watch())
        keys = {i.key for i in everything.items}
        assert len(keys) == 2
        assert backend.mailbox.sync(None, Watch(), known=keys.__contains__).items == []

    def test_many_deliveries_between_syncs_are_all_reported(self,
                                                          backend: MailboxUnderTest) -> None:
        seen, reported = Seen(), []
        for batch in range(4):
            for n in range(batch):
                backend.deliver(reply(10 * batch + n))
            reported += [mid(i) for i in seen.sync(backend.mailbox).items]
        expected = [f"<reply-{10 * b + n}@mail.example.com>" for b in range(4) for n in range(b)]
        assert sorted(reported) == sorted(expected)

    def test_a_draft_is_read_back_and_replaced_in_place(self,
                                                        backend: MailboxUnderTest) -> None:
        """``replace_draft`` keeps one draft, where it was, with the new content; repeating
        it changes nothing; a draft that is gone reads and replaces as None."""
        ref = backend.mailbox.create_draft(draft(1))
        read = backend.mailbox.read_draft(ref)
        assert read is not None and "draft 1" in read.get_body(("plain",)).get_content()
        fresh = draft(1)
        fresh.set_content("Hi Priya, fresh times.\n")
        new = backend.mailbox.replace_draft(ref, fresh)
        assert new is not None and new.message_id == ref.message_id
        again = backend.mailbox.replace_draft(new, fresh)  # a replay after a crash
        assert again is not None
        assert backend.mailbox.draft_message_ids() == {ref.message_id}
        now = backend.mailbox.read_draft(again)
        assert now is not None and now.get_body(("plain",)).get_content().rstrip() == \
            "Hi Priya, fresh times."
        backend.mailbox.delete_draft(again)
        assert backend.mailbox.read_draft(again) is None
        assert backend.mailbox.replace_draft(again, fresh) is None


def test_a_maildir_draft_is_its_message_and_a_replayed_replace_keeps_its_file(
        tmp_path: Path) -> None:
    """The draft's file in ``Drafts/cur`` (flagged Draft, Seen) holds the message as
    generated, LF line ends; replaying a replace with the same message (after a crash) finds
    that file already written and keeps it, instead of writing another and removing it."""
    drafts = tmp_path / "mail" / "Drafts" / "cur"
    box = MaildirMailbox(tmp_path / "mail")
    message = draft(1)
    ref = box.create_draft(message)
    assert (drafts / f"{ref.draft_id}:2,DS").read_bytes() == message.as_bytes(
        policy=policy.default)
    fresh = draft(1)
    fresh.set_content("Hi Priya, fresh times.\n")
    new = box.replace_draft(ref, fresh)
    assert new is not None
    again = box.replace_draft(new, fresh)
    assert again is not None and again.draft_id == new.draft_id
    assert [p.name for p in drafts.iterdir()] == [f"{new.draft_id}:2,DS"]


def test_maildir_drafts_made_together_are_whole_in_cur_and_a_failure_keeps_those_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``create_drafts`` writes every file into tmp/, syncs them, then renames each into
    cur/ and yields them together: the files hold the messages as generated and nothing is
    left in tmp/. A write
    failing at the second of the next three returns the one made before it and the error,
    with no half draft anywhere."""
    root = tmp_path / "mail"
    box = MaildirMailbox(root)
    messages = [draft(n) for n in range(1, 5)]
    groups = list(box.create_drafts([(m, None) for m in messages[:2]]))
    assert len(groups) == 1 and len(groups[0]) == 2  # durable together, yielded together
    refs = groups[0]
    for ref, message in zip(refs, messages[:2], strict=True):
        assert (root / "Drafts" / "cur" / f"{ref.draft_id}:2,DS").read_bytes() == \
            message.as_bytes(policy=policy.default)
    assert list((root / "Drafts" / "tmp").iterdir()) == []
    stage = type(box.drafts).stage
    calls = iter(range(10))

    def full_disk(folder, message, **how):
        if next(calls) == 1:
            raise OSError(28, "No space left on device")
        return stage(folder, message, **how)

    monkeypatch.setattr(type(box.drafts), "stage", full_disk)
    made = []
    with pytest.raises(BackendError, match="No space left"):
        for group in box.create_drafts([(m, None) for m in messages[2:]] + [(draft(9), None)]):
            made += group
    assert [r.message_id for r in made] == ["<outreach-3-c0ffee@example.org>"]
    assert box.draft_message_ids() == {r.message_id for r in refs + made}
    assert list((root / "Drafts" / "tmp").iterdir()) == []



def _sync_events(box, monkeypatch, syncfs):
    """The fsyncs, syncfs calls and links ``create_drafts`` makes for three drafts."""
    events: list[tuple[str, str]] = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def link(src: str, dst: str) -> None:
        events.append(("link", dst))
        real_link(src, dst)

    def machine_wide() -> None:
        raise AssertionError("os.sync() flushes every filesystem of the machine")

    def recorded(path) -> None:
        events.append(("syncfs", str(path)))
        syncfs(path)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(os, "sync", machine_wide)
    monkeypatch.setattr("automation.adapters.local.maildirwrite.filesystem_sync",
                        lambda: recorded if syncfs else None)
    (refs,) = box.create_drafts([(draft(n), None) for n in range(1, 4)])
    assert len(refs) == 3
    return events


def test_maildir_drafts_made_together_sync_each_file_before_any_rename_and_nothing_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without syncfs, durability without a machine-wide ``sync`` (which waits on every
    other disk and mount, a stalled network share included): each staged file is fsynced
    before any draft is linked into cur/, and cur/ is fsynced after."""
    events = _sync_events(MaildirMailbox(tmp_path / "mail"), monkeypatch, None)
    kinds = [kind for kind, _ in events]
    assert kinds == ["fsync"] * 3 + ["link"] * 3 + ["fsync"]
    assert all("/Drafts/tmp/" in path for _, path in events[:3])
    assert events[-1][1].endswith("/Drafts/cur")


@pytest.mark.skipif(filesystem_sync() is None, reason="syncfs is Linux's")
def test_maildir_drafts_made_together_are_synced_by_one_syncfs_before_any_rename(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With syncfs, the staged files are made durable by one syncfs of the Drafts folder's
    filesystem (not a fsync per file, not a machine-wide ``sync``) before any draft is linked
    into cur/, and cur/ is fsynced after; the files hold the messages."""
    root = tmp_path / "mail"
    events = _sync_events(MaildirMailbox(root), monkeypatch, filesystem_sync())
    assert [kind for kind, _ in events] == ["syncfs"] + ["link"] * 3 + ["fsync"]
    assert events[0][1] == str(root / "Drafts" / "tmp")
    assert events[-1][1].endswith("/Drafts/cur")
    assert len(list((root / "Drafts" / "cur").iterdir())) == 3


def test_maildir_folders_removed_under_a_running_mailbox_are_backend_errors(
        tmp_path: Path) -> None:
    """A folder removed after the mailbox made them (a sync tool resetting the tree): the
    pass fails with a message naming it and the next one tries again, never a crash."""
    import shutil

    root = tmp_path / "mail"
    box = MaildirMailbox(root)
    shutil.rmtree(root / "INBOX")
    with pytest.raises(BackendError, match="INBOX") as caught:
        box.sync(None, Watch())
    assert caught.value.retryable
    shutil.rmtree(root / "Drafts")
    with pytest.raises(BackendError, match="Drafts"):
        box.create_draft(draft())
    (root / "INBOX").mkdir()  # mended: the same mailbox works again
    for sub in ("cur", "new", "tmp"):
        (root / "INBOX" / sub).mkdir()
    assert box.sync(None, Watch()).items == []
