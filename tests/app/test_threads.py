"""Replying in a contact's thread (app/threads.py): which message a draft answers, its
References, its subject and thread id, read from what the store recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.app.services import Services
from automation.app.threads import MAX_REFERENCES, reply_context, thread_messages
from automation.app.tick import tick
from tests.support.memworld import add_contact, contact, drafts, open_world, reply, send

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
ADA = "ada@example.com"


@pytest.fixture
def svc(tmp_path: Path) -> Services:
    services = open_world(tmp_path, MONDAY)
    add_contact(services, ADA, "Ada Lovelace", company="Engines")
    tick(services)
    yield services
    services.close()


def test_before_anything_is_sent_the_drafted_outreach_stands_in(svc: Services) -> None:
    (outreach,) = drafts(svc, ADA, "outreach")
    cid = contact(svc, ADA).id
    ctx = reply_context(svc.store, cid)
    assert ctx.in_reply_to == outreach["Message-ID"]
    assert ctx.references == (outreach["Message-ID"],)
    assert ctx.subject == "Re: " + outreach["Subject"]
    assert ctx.thread_id == contact(svc, ADA).thread_id is not None


def test_the_newest_exchanged_message_is_answered_and_machines_mail_is_left_out(
        svc: Services) -> None:
    outreach = send(svc, drafts(svc, ADA, "outreach")[0]).message
    tick(svc)
    svc.clock.advance(hours=1)
    human = reply(svc, ADA, "Could we find a time next month instead?").message
    svc.clock.advance(hours=1)
    reply(svc, ADA, "I am out of the office until Monday.",
          headers={"Auto-Submitted": "auto-replied"})
    tick(svc)
    cid = contact(svc, ADA).id
    kinds = [(m.direction, m.classification) for m in thread_messages(svc.store, cid)]
    assert kinds == [("sent", None), ("inbound", "human")]
    ctx = reply_context(svc.store, cid)
    assert ctx.in_reply_to == human["Message-ID"]
    assert ctx.references == (outreach["Message-ID"], human["Message-ID"])
    assert ctx.subject == "Re: " + outreach["Subject"], "Re: Re: or the reply's subject"
    assert ctx.thread_id == svc.mailbox.items[0].thread_id


def test_references_keep_the_newest_ten(svc: Services) -> None:
    send(svc, drafts(svc, ADA, "outreach")[0])
    tick(svc)
    cid = contact(svc, ADA).id
    ids = []
    for n in range(MAX_REFERENCES + 4):
        svc.clock.advance(minutes=5)
        ids.append(f"<r{n}@example.com>")
        svc.store.add_message(contact_id=cid, kind="reply", direction="inbound",
                              state="received", now=svc.clock(), message_id=ids[-1],
                              subject="Re: x", sent_at=svc.clock(), classification="human")
    ctx = reply_context(svc.store, cid)
    assert ctx.references == tuple(ids[-MAX_REFERENCES:])
    assert ctx.in_reply_to == ids[-1]


def test_order_is_by_when_written_not_when_recorded(svc: Services) -> None:
    send(svc, drafts(svc, ADA, "outreach")[0])
    tick(svc)
    cid = contact(svc, ADA).id
    earlier = svc.clock() - timedelta(minutes=30)  # recorded late (a slow sync), written first
    svc.store.add_message(contact_id=cid, kind="reply", direction="inbound", state="received",
                          now=svc.clock() + timedelta(hours=1), message_id="<late@example.com>",
                          subject="Re: x", sent_at=earlier + timedelta(minutes=40),
                          classification="human")
    svc.store.add_message(contact_id=cid, kind="reply", direction="inbound", state="received",
                          now=svc.clock() + timedelta(hours=2), message_id="<first@example.com>",
                          subject="Re: x", sent_at=earlier, classification="human")
    assert reply_context(svc.store, cid).in_reply_to == "<late@example.com>"


def test_a_contact_without_messages_gets_the_fallback_subject(svc: Services) -> None:
    bob = add_contact(svc, "bob@example.com")
    ctx = reply_context(svc.store, bob.id, fallback_subject="Checking in")
    assert ctx == type(ctx)(in_reply_to=None, references=(), subject="Re: Checking in",
                            thread_id=None)
