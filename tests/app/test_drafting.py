"""The intent journal: a crash around a draft's creation never yields two drafts or none."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.clock import fixed_clock
from automation.adapters.local.maildir import MaildirMailbox
from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.app.drafting import DraftRequest, draft_many, draft_once, intent_key, reconcile
from automation.bootstrap import open_services
from automation.config import parse_config
from automation.core.compose import build_message
from automation.core.models import Status
from automation.core.records import ContactRecord
from automation.errors import BackendError

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
MINIMAL = {"me": {"name": "Alex Rivera", "email": "alex@example.org",
                  "timezone": "America/New_York"}}


def config(tmp_path: Path, **sections):
    raw = {**MINIMAL, **sections}
    return parse_config(raw, tmp_path / "automation.toml")


class CrashAfterCreate(MemoryMailbox):
    """Creates the draft, then dies before the service can record it (a crash or timeout)."""

    crashes = 1

    def create_draft(self, message, *, thread_id=None):
        ref = super().create_draft(message, thread_id=thread_id)
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("killed")
        return ref


def services(tmp_path: Path, mailbox) -> object:
    return open_services(config(tmp_path), fixed_clock(NOW), mailbox=mailbox,
                         calendar=MemoryCalendar())


def test_crash_between_create_and_record_yields_exactly_one_draft(tmp_path: Path) -> None:
    mailbox = CrashAfterCreate()
    svc = services(tmp_path, mailbox)
    contact, _ = svc.store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)
    msg = build_message(sender_name="Alex", sender="alex@example.org", to_name="A",
                        to="a@example.com", subject="Hi", body="b", now=NOW,
                        message_id="<outreach-1-abc@example.org>")
    request = DraftRequest(contact_id=contact.id, kind="outreach", message=msg,
                           new_status=Status.DRAFTED, cause="outreach drafted")
    key = intent_key(svc.store, contact.id, "outreach")
    with pytest.raises(RuntimeError):
        draft_once(svc, request, key)
    assert len(mailbox.drafts) == 1
    assert svc.store.get_contact(contact.id).status == Status.NEW
    assert reconcile(svc) == []
    assert len(mailbox.drafts) == 1  # looked up, not created again
    assert svc.store.get_contact(contact.id).status == Status.DRAFTED
    assert draft_once(svc, request, key) is None  # done: nothing more
    assert len(mailbox.drafts) == 1
    assert svc.store.pending_intents() == []
    svc.close()


def test_crash_before_create_recreates_on_reconcile(tmp_path: Path) -> None:
    class CrashBeforeCreate(MemoryMailbox):
        def create_draft(self, message, *, thread_id=None):
            raise RuntimeError("killed before the draft existed")

    failing = CrashBeforeCreate()
    svc = services(tmp_path, failing)
    contact, _ = svc.store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)
    msg = build_message(sender_name="Alex", sender="alex@example.org", to_name="A",
                        to="a@example.com", subject="Hi", body="b", now=NOW,
                        message_id="<outreach-1-def@example.org>")
    request = DraftRequest(contact_id=contact.id, kind="outreach", message=msg,
                           new_status=Status.DRAFTED, cause="outreach drafted")
    with pytest.raises(RuntimeError):
        draft_once(svc, request, intent_key(svc.store, contact.id, "outreach"))
    healthy = MemoryMailbox()
    svc.mailbox = healthy
    reconcile(svc)
    assert [str(m["Message-ID"]) for m, _ in healthy.drafts.values()] == \
        ["<outreach-1-def@example.org>"]
    assert svc.store.get_contact(contact.id).status == Status.DRAFTED
    svc.close()


class FailsAt(MemoryMailbox):
    """Creates drafts until the ``n``-th, which fails before it exists (a full disk, a
    timeout); counts the look-ups by Message-ID."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n, self.lookups = n, 0

    def create_draft(self, message, *, thread_id=None):
        self.n -= 1
        if self.n == 0:
            raise BackendError("the disk is full")
        return super().create_draft(message, thread_id=thread_id)

    def find_draft(self, message_id):
        self.lookups += 1
        return super().find_draft(message_id)

    def find_drafts(self, message_ids):
        self.lookups += 1
        found = (MemoryMailbox.find_draft(self, m) for m in message_ids)
        return {r.message_id: r for r in found if r is not None}


def batch_of(svc, n: int) -> list:
    batch = []
    for i in range(n):
        contact, _ = svc.store.upsert_contact(
            ContactRecord(email=f"p{i}@example.com", line=i + 1), NOW)
        msg = build_message(sender_name="Alex", sender="alex@example.org", to_name=f"P {i}",
                            to=f"p{i}@example.com", subject="Hi", body="b", now=NOW,
                            message_id=f"<batch-{i}@example.org>")
        request = DraftRequest(contact_id=contact.id, kind="outreach", message=msg,
                               new_status=Status.DRAFTED, cause="outreach drafted")
        batch.append((request, intent_key(svc.store, contact.id, "outreach")))
    return batch


def commits_of(svc, work) -> int:
    commits = []
    svc.store.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT"
                                      else None)
    try:
        work()
    finally:
        svc.store.conn.set_trace_callback(None)
    return len(commits)


def test_a_failure_in_a_batch_loses_and_repeats_nothing(tmp_path: Path) -> None:
    """draft_many journals every intent in one transaction, then records each draft as its
    backend makes it durable (here one at a time, as Gmail does); the third create failing
    leaves two recorded and the rest pending, which one reconcile finishes with one look-up,
    one draft each."""
    mailbox = FailsAt(3)
    svc = services(tmp_path, mailbox)
    batch = batch_of(svc, 6)

    def fails() -> None:
        with pytest.raises(BackendError):
            draft_many(svc, batch)

    assert commits_of(svc, fails) == 3  # the six intents, then each draft made
    statuses = [svc.store.get_contact(r.contact_id).status for r, _ in batch]
    assert statuses == [Status.DRAFTED] * 2 + [Status.NEW] * 4
    assert len(svc.store.pending_intents()) == 4
    assert reconcile(svc) == []
    assert mailbox.lookups == 1
    assert sorted(str(m["Message-ID"]) for m, _ in mailbox.drafts.values()) == \
        sorted(f"<batch-{i}@example.org>" for i in range(6))
    assert all(svc.store.get_contact(r.contact_id).status == Status.DRAFTED for r, _ in batch)
    assert draft_many(svc, batch) == [None] * 6  # all done: nothing more
    assert len(mailbox.drafts) == 6 and svc.store.pending_intents() == []
    svc.close()


def test_a_maildir_batch_commits_twice(tmp_path: Path) -> None:
    """A Maildir makes a batch durable at once: its drafts are recorded in one transaction
    (two commits for the batch, not two a draft)."""
    box = MaildirMailbox(tmp_path / "mail")
    svc = services(tmp_path, box)
    batch = batch_of(svc, 6)
    refs = []
    assert commits_of(svc, lambda: refs.extend(draft_many(svc, batch))) == 2
    assert box.draft_message_ids() == {f"<batch-{i}@example.org>" for i in range(6)}
    assert [r.message_id for r in refs] == [f"<batch-{i}@example.org>" for i in range(6)]
    assert all(svc.store.get_contact(r.contact_id).status == Status.DRAFTED for r, _ in batch)
    svc.close()


def test_a_key_named_twice_in_a_batch_makes_one_draft(tmp_path: Path) -> None:
    mailbox = MemoryMailbox()
    svc = services(tmp_path, mailbox)
    (request, key), = batch_of(svc, 1)
    refs = draft_many(svc, [(request, key), (request, key)])
    assert refs[0] is not None and refs[1] is None
    assert len(mailbox.drafts) == 1
    svc.close()


def test_drafts_that_cannot_be_looked_up_fail_the_reconcile(tmp_path: Path) -> None:
    """A Drafts folder that cannot be read fails the pass (retried), instead of a warning
    the same pass may make stale by finishing those drafts later."""
    class Unreadable(FailsAt):
        def find_drafts(self, message_ids):
            raise BackendError("cannot read the drafts")

    mailbox = Unreadable(1)
    svc = services(tmp_path, mailbox)
    with pytest.raises(BackendError):
        draft_many(svc, batch_of(svc, 2))
    with pytest.raises(BackendError, match="cannot read the drafts"):
        reconcile(svc)
    assert len(svc.store.pending_intents()) == 2
    svc.close()

