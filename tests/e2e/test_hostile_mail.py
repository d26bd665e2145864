"""Hostile mail through the real pass on the local backend: no poison pill, no stranger acts.

Each test delivers one hostile message next to ordinary ones and checks that the pass exits 0,
the hostile one is recorded, and no contact is changed by a message that is not theirs.
"""

from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest

from automation.adapters.local.maildir import MaildirMailbox
from automation.adapters.store import Store
from automation.app.ports import Watch
from tests.support import play
from tests.support.workspace import REPO, Workspace

MONDAY = "2026-12-07T08:30:00-05:00"
TUESDAY = "2026-12-08T09:00:00-05:00"
PRIYA, DANA = "priya.raman@example.com", "dana.lee@example.net"


class Sent:
    """Five contacts whose outreach the user has sent (Monday); replies come on Tuesday."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        ws.ok("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
        ws.ok("run", "--once", now=MONDAY)
        self.drafts = {d["To"].addresses[0].addr_spec: d for d in ws.drafts()}
        for draft in self.drafts.values():
            play.send(ws.maildir, str(draft["Message-ID"]),
                      date=datetime.fromisoformat(MONDAY) + timedelta(hours=1))
        ws.ok("run", "--once", now=MONDAY)

    def reply(self, to: str, body: str, *, sender: str | None = None,
              headers: dict[str, str] | None = None) -> EmailMessage:
        draft = self.drafts[to]
        msg = EmailMessage()
        msg["From"] = sender or to
        msg["To"] = "alex@example.org"
        msg["Subject"] = "Re: " + str(draft["Subject"])
        msg["Date"] = format_datetime(datetime.fromisoformat(TUESDAY) - timedelta(hours=1))
        msg["Message-ID"] = make_msgid(domain="example.com")
        msg["In-Reply-To"] = str(draft["Message-ID"])
        msg["References"] = str(draft["Message-ID"])
        for name, value in (headers or {}).items():
            del msg[name]
            msg[name] = value
        msg.set_content(body)
        return msg

    def run(self) -> str:
        result = self.ws.run("run", "--once", now=TUESDAY)
        assert result.code == 0, result.err
        assert "Traceback" not in result.err and "internal error" not in result.err
        return result.out + result.err

    def contact(self, email: str) -> dict:
        return self.ws.contact(email)


@pytest.fixture
def sent(workspace: Workspace) -> Sent:
    return Sent(workspace)


def deliver_raw(folder: Path, data: bytes) -> None:
    """Write ``data`` into ``folder/new`` as a mail server would (``mailbox`` would parse it)."""
    path = folder / "new" / f"{uuid.uuid4().hex}.hostile"
    path.write_bytes(data)


def deep_mime(depth: int, head: str) -> bytes:
    opening = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
                      for i in range(depth))
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    return (head + "MIME-Version: 1.0\r\n" + opening + "Content-Type: text/plain\r\n\r\n"
            "Option 1 works.\r\n" + closing).encode()


def test_deeply_nested_mime_is_read_headers_only_and_the_pass_goes_on(sent: Sent) -> None:
    """3,000 nested multiparts raised RecursionError in the reader and failed every pass."""
    draft = sent.drafts[DANA]
    head = (f"From: {DANA}\r\nTo: alex@example.org\r\nSubject: Re: x\r\n"
            f"Message-ID: <deep@example.net>\r\nIn-Reply-To: {draft['Message-ID']}\r\n")
    deliver_raw(sent.ws.maildir / "INBOX", deep_mime(3000, head))
    play.deliver(sent.ws.maildir, sent.reply(PRIYA, "Option 2 works for me."))
    out = sent.run()
    assert "Booked priya.raman@example.com" in out
    assert "MIME structure is too deep" in out
    dana = sent.contact(DANA)
    assert dana["status"] == "replied" and dana["needs_attention"]  # recorded, for the user
    assert "MIME structure" not in sent.run()  # recorded once, not retried every pass


def test_crlf_inside_a_message_id_is_never_stored_or_copied(sent: Sent) -> None:
    """An RFC 2047 encoded CR/LF in a reply's Message-ID broke the confirmation every pass."""
    evil = "=?utf-8?q?=3Cx=0D=0ABcc=3A_victim=40evil=2Etest=0D=0A=40example=2Ecom=3E?="
    reply = sent.reply(PRIYA, "Option 2 works for me.")
    raw = reply.as_bytes().replace(str(reply["Message-ID"]).encode(), evil.encode())
    play.deliver(sent.ws.maildir, raw)
    out = sent.run()
    assert "Booked priya.raman@example.com" in out, out
    (confirmation,) = [d for d in sent.ws.drafts() if PRIYA in str(d["To"])]
    assert confirmation.get_all("Bcc") is None
    assert "victim" not in str(confirmation["In-Reply-To"]) + str(confirmation["References"])
    with Store.open(sent.ws.root / "automation.db") as store:
        ids = [m.message_id for m in store.messages_for(store.require_contact(PRIYA).id or 0)]
    assert not [i for i in ids if i and ("\r" in i or "\n" in i)]


def test_a_strangers_opt_out_in_the_thread_does_not_opt_the_contact_out(sent: Sent) -> None:
    play.deliver(sent.ws.maildir, sent.reply(PRIYA, "Please remove me from your list.",
                                             sender="Mallory <mallory@evil.test>"))
    sent.run()
    priya = sent.contact(PRIYA)
    assert priya["status"] == "sent"
    assert "mallory@evil.test" in priya["needs_attention"] and "not acted on" in \
        priya["needs_attention"]
    show = sent.ws.ok("show", PRIYA, "--json", now=TUESDAY).json()
    assert any("held_back" in str(e) for e in show["timeline"])  # recorded in the timeline


def test_a_strangers_pick_in_the_thread_books_nothing(sent: Sent) -> None:
    play.deliver(sent.ws.maildir, sent.reply(DANA, "Option 1 works.",
                                             sender="Assistant <pa@hospital.example>"))
    out = sent.run()
    assert "Booked" not in out
    assert sent.contact(DANA)["status"] == "sent"
    assert not list((sent.ws.root / "calendar").glob("*.ics"))


def test_x_failed_recipients_from_an_ordinary_sender_bounces_no_one(sent: Sent) -> None:
    play.deliver(sent.ws.maildir, sent.reply(
        PRIYA, "Hi", sender="Someone <someone@evil.test>",
        headers={"X-Failed-Recipients": PRIYA, "Subject": "Undeliverable: hello"}))
    sent.run()
    priya = sent.contact(PRIYA)
    assert priya["status"] == "sent"
    assert priya["needs_attention"].startswith("unverified bounce")


def test_a_real_delivery_report_still_bounces_the_contact(sent: Sent) -> None:
    draft = sent.drafts[PRIYA]
    report = (
        "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        "To: alex@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <r1@mx.example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
        "--R\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com"
        f"\r\n\r\nFinal-Recipient: rfc822; {PRIYA}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {draft['Message-ID']}"
        "\r\n\r\n--R--\r\n")
    play.deliver(sent.ws.maildir, report.encode())
    assert f"{PRIYA}: → bounced" in sent.run()


def test_a_fifo_in_the_inbox_is_skipped_not_waited_on(sent: Sent) -> None:
    """Opening a FIFO blocks until a writer comes: the pass would never end."""
    fifo = sent.ws.maildir / "INBOX" / "new" / "1.fifo.host"
    os.mkfifo(fifo)
    play.deliver(sent.ws.maildir, sent.reply(PRIYA, "Option 2 works for me."))
    box = MaildirMailbox(sent.ws.maildir)
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(box.sync(None, Watch())), daemon=True)
    worker.start()
    worker.join(timeout=120)
    if not done:  # unblock the old reader so the test process can end
        with open(fifo, "wb"):
            pass
    assert done, "the reader blocked on a FIFO"
    assert any("not a regular file" in p for p in done[0].problems)  # type: ignore[attr-defined]
    assert "Booked priya.raman@example.com" in sent.run()


def test_a_draft_renamed_by_a_mail_client_is_never_missing(sent: Sent, workspace: Workspace
                                                           ) -> None:
    """Flag changes rename files (``:2,S`` -> ``:2,FS``) between listing and reading."""
    root = workspace.maildir
    box = MaildirMailbox(root)
    for n in range(40):
        msg = EmailMessage()
        msg["Message-ID"] = f"<d{n}@example.org>"
        msg["Subject"] = "x"
        msg.set_content("x")
        box.create_draft(msg)
    expected = box.draft_message_ids()
    stop = threading.Event()

    def flip() -> None:
        cur = root / "Drafts" / "cur"
        while not stop.is_set():
            for path in list(cur.iterdir()):
                flags = path.name.rsplit(":2,", 1)
                other = "DFS" if flags[-1] != "DFS" else "DS"
                try:
                    path.rename(cur / f"{flags[0]}:2,{other}")
                except FileNotFoundError:
                    pass

    flipper = threading.Thread(target=flip, daemon=True)
    flipper.start()
    try:
        missing = [expected - box.draft_message_ids() for _ in range(30)]
    finally:
        stop.set()
        flipper.join(timeout=60)
    assert [m for m in missing if m] == []


def test_an_auto_reply_back_in_2100_snoozes_at_most_60_days_and_status_shows_it(sent: Sent
                                                                                ) -> None:
    play.deliver(sent.ws.maildir, sent.reply(
        DANA, "I am out of the office and back on 1 January 2100.",
        headers={"Auto-Submitted": "auto-replied", "Subject": "Out of Office"}))
    sent.run()
    until = datetime.fromisoformat(sent.contact(DANA)["snoozed_until"])
    assert until <= datetime.fromisoformat(TUESDAY) + timedelta(days=60)
    status = sent.ws.ok("status", "--json", now=TUESDAY).json()
    assert [s["email"] for s in status["snoozed"]] == [DANA]
    assert f"snoozed until {until:%Y-%m-%d}: {DANA}" in sent.ws.ok("status", now=TUESDAY).out
