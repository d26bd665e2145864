"""The hostile corpus: contact files, mail, .ics, config and templates through full passes.

On both backends (the local Maildir/vdir, and Google on the loopback fake), through the real
command line. Ten contacts have had their outreach sent: five *good* ones answer normally
(each reply travels with a batch of hostile mail), five *victims* only ever get mail from
someone else (strangers in their thread, forged bounces). The test asserts:

- every pass exits 0, with no traceback and no "internal error";
- every good contact progresses (their pick is booked);
- no victim is changed by a message that is not theirs (status, snooze, interview);
- each hostile message is processed once (seen; at most one record; a problem line in at
  most one pass), each bad file or setting gives a clear message;
- no pass over the corpus costs more than a few times a normal pass (measured against the
  pass that read the ten Sent copies; the figures are printed).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from tests.support import play
from tests.support.fakegoogle import FakeGoogle
from tests.support.googlekit import write_token
from tests.support.workspace import REPO, Workspace, write_csv

MONDAY = "2026-12-07T08:30:00-05:00"
TUESDAY = "2026-12-08T09:00:00-05:00"
GOOD = ("priya.raman@example.com", "dana.lee@example.net", "sofia.gutierrez@example.org",
        "wei.zhang@example.edu", "jordan.okafor@example.com")
VICTIMS = tuple(f"victim{i}@victim.example" for i in range(1, 6))
ME = "alex@example.org"
WHEN = format_datetime(datetime.fromisoformat(TUESDAY) - timedelta(hours=2))
RESULTS: dict[str, dict] = {}


@dataclass
class Mail:
    """A hostile message: ``build(drafts)`` gives its bytes; ``victim`` must stay unchanged."""

    name: str
    build: Callable[[dict[str, EmailMessage]], bytes]
    #: Local only: a file no mail server delivers (FIFO, device), or a message the loopback
    #: fake cannot serve (it parses with the email package's structured headers and takes
    #: over 8 s, or raises, where Gmail answers at once): those run on the local backend.
    local_only: bool = False
    raw_file: Callable[[Path], None] | None = None  # writes something odd into INBOX/new


def _head(sender: str, to_draft: EmailMessage | None, extra: str = "", mid: str = "") -> str:
    thread = (f"In-Reply-To: {to_draft['Message-ID']}\r\nReferences: {to_draft['Message-ID']}"
              f"\r\nSubject: Re: {to_draft['Subject']}\r\n") if to_draft is not None else \
        "Subject: hello\r\n"
    return (f"From: {sender}\r\nTo: {ME}\r\nDate: {WHEN}\r\n"
            f"Message-ID: {mid or make_msgid(domain='evil.test')}\r\n{thread}{extra}")


def plain(sender: str, victim: int | None, body: str, extra: str = "", mid: str = ""
          ) -> Callable[[dict[str, EmailMessage]], bytes]:
    def build(drafts: dict[str, EmailMessage]) -> bytes:
        draft = drafts[VICTIMS[victim]] if victim is not None else None
        return (_head(sender, draft, extra, mid) + "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n").encode() + body.encode()
    return build


def raw(victim: int | None, head_extra: str, body: bytes, sender: str = "x@evil.test"
        ) -> Callable[[dict[str, EmailMessage]], bytes]:
    def build(drafts: dict[str, EmailMessage]) -> bytes:
        draft = drafts[VICTIMS[victim]] if victim is not None else None
        return _head(sender, draft, head_extra).encode() + b"\r\n" + body
    return build


def nested(depth: int, kind: str) -> bytes:
    if kind == "multipart":
        opening = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
                          for i in range(depth))
        closing = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
        return (opening + "Content-Type: text/plain\r\n\r\nremove me\r\n" + closing).encode()
    return ("Content-Type: message/rfc822\r\n\r\n" * depth + "Subject: x\r\n\r\nremove me"
            ).encode()


def fake_dsn(failed: str, sender: str, return_path: str = "") -> Callable[..., bytes]:
    def build(drafts: dict[str, EmailMessage]) -> bytes:
        rp = f"Return-Path: {return_path}\r\n" if return_path else ""
        return (f"{rp}From: {sender}\r\nTo: {ME}\r\nDate: {WHEN}\r\nSubject: Undeliverable\r\n"
                f"Message-ID: {make_msgid(domain='evil.test')}\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n"
                "\r\n--R\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--R\r\n"
                "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; evil.test"
                f"\r\n\r\nFinal-Recipient: rfc822; {failed}\r\nAction: failed\r\n"
                "Status: 5.1.1\r\n\r\n--R--\r\n").encode()
    return build


def hostile_mail() -> list[Mail]:
    v1, v2, v3, v4, v5 = VICTIMS
    big_from = ", ".join(f"u{i}@x{i}.example" for i in range(20000))
    crlf_mid = "=?utf-8?q?=3Cx=0D=0ABcc=3A_victim=40evil=2Etest=0D=0A=40evil=2Etest=3E?="
    mails = [
        Mail("3,000 nested multiparts", raw(0, "MIME-Version: 1.0\r\n", nested(3000, "multipart"))),
        Mail("2,000 nested message/rfc822", raw(1, "MIME-Version: 1.0\r\n", nested(2000, "rfc822"))),
        Mail("5,000 flat parts", raw(2, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                                     "boundary=f\r\n", b"".join(
                                         b"--f\r\nContent-Type: text/plain\r\n\r\nx\r\n"
                                         for _ in range(5000)) + b"--f--\r\n"), local_only=True),
        Mail("encoded CR/LF in Message-ID", plain("x@evil.test", 0, "option 1 works",
                                                  mid=crlf_mid)),
        Mail("Message-ID with spaces and NUL", plain("x@evil.test", 1, "hello",
                                                     mid="<a b\x00c@evil.test>")),
        Mail("In-Reply-To of 100 kB", raw(None, "In-Reply-To: <" + "a" * 100_000 + "@x>\r\n",
                                          b"hi")),
        Mail("References with 10,000 ids", raw(None, "References: " + " ".join(
            f"<r{i}@evil.test>" for i in range(10000)) + "\r\n", b"hi")),
        Mail("From with 20,000 addresses", raw(2, "", b"option 1 works", sender=big_from), local_only=True),
        Mail("100 kB word with no spaces", plain("x@evil.test", 3, "a" * 100_000)),
        Mail("1.5 MB one-line body", plain("x@evil.test", 4, "colleague " + "b" * 1_500_000)),
        Mail("8 MB body", plain("x@evil.test", 0, "x" * 8_000_000)),
        Mail("stranger says remove me", plain("Mallory <mallory@evil.test>", 0,
                                              "Please remove me from your list.")),
        Mail("stranger picks option 1", plain("Assistant <pa@victim.example>", 1,
                                              "Option 1 works for her.")),
        Mail("stranger declines", plain("boss@victim.example", 2, "No thanks, not interested.")),
        Mail("stranger redirects", plain("x@evil.test", 3,
                                         "Talk to my colleague Eve <eve@evil.test>.")),
        Mail("X-Failed-Recipients from an ordinary sender",
             plain("someone@evil.test", None, "hi", extra=f"X-Failed-Recipients: {v1}\r\n")),
        Mail("forged DSN from a stranger", fake_dsn(v2, "MAILER-DAEMON@evil.test", "<>")),
        Mail("daemon sender with a person's return path",
             fake_dsn(v3, "postmaster@evil.test", "<mallory@evil.test>")),
        Mail("DSN naming every victim", fake_dsn(", ".join(VICTIMS), "x@evil.test")),
        Mail("display name spoofing a victim", plain(f'"{v4}" <mallory@evil.test>', 4,
                                                     "please remove me")),
        Mail("Reply-To a victim, From a stranger", plain("x@evil.test", 0, "option 2",
                                                         extra=f"Reply-To: {v1}\r\n")),
        Mail("victim 2 answers in victim 1's thread", plain(v2, 0, "Please remove me.")),
        Mail("out of office until 2100 from a stranger",
             plain("x@evil.test", 1, "Back on 1 January 2100.",
                   extra="Auto-Submitted: auto-replied\r\n")),
        Mail("undecodable charset", raw(2, "MIME-Version: 1.0\r\nContent-Type: text/plain; "
                                        "charset=x-nope\r\n", b"\x81\xfe\xff remove me"), local_only=True),
        Mail("broken boundary", raw(3, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n",
                                    b"--nope\r\n\r\nhalf")),
        Mail("base64 garbage", raw(4, "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
                                   "Content-Transfer-Encoding: base64\r\n", b"!!!***" * 1000)),
        Mail("NUL bytes in headers", raw(None, "X-Null: a\x00b\r\nSubject: \x00\x00\r\n", b"x")),
        Mail("1 MB Subject", raw(None, "X-Long: " + "s" * 1_000_000 + "\r\n", b"x")),
        Mail("10,000 headers", raw(None, "".join(f"X-H{i}: v\r\n" for i in range(10000)), b"x")),
        Mail("RFC 2047 bomb", raw(None, "X-Subject: " + "=?utf-8?q?a?= " * 20000 + "\r\n", b"x"), local_only=True),
        Mail("HTML nested 50,000 deep", raw(0, "MIME-Version: 1.0\r\nContent-Type: text/html\r\n",
                                            b"<div>" * 50000 + b"remove me")),
        Mail("absurd Date", raw(None, "Date: Fri, 31 Dec 9999 23:59:59 +9999\r\n", b"x")),
        Mail("mail from the user to themselves", plain(ME, 2, "remove me")),
        Mail("binary junk", lambda d: bytes(range(256)) * 64),
        Mail("no headers at all", lambda d: b"\r\n\r\njust a body\r\n"),
        Mail("empty file", lambda d: b""),
        Mail("2 MB of one header line", lambda d: b"X: " + b"y" * 2_100_000, local_only=True),
        Mail("FIFO in INBOX/new", lambda d: b"", local_only=True,
             raw_file=lambda folder: os.mkfifo(folder / f"{uuid.uuid4().hex}.fifo")),
        Mail("symlink to /dev/zero", lambda d: b"", local_only=True,
             raw_file=lambda folder: (folder / f"{uuid.uuid4().hex}.zero").symlink_to(
                 "/dev/zero")),
        Mail("directory in INBOX/new", lambda d: b"", local_only=True,
             raw_file=lambda folder: (folder / f"{uuid.uuid4().hex}.dir").mkdir()),
    ]
    return mails


# -- the two backends ---------------------------------------------------------------------------


@dataclass
class Backend:
    ws: Workspace
    fake: FakeGoogle | None = None
    keys: dict[str, str] = field(default_factory=dict)  # input name -> mailbox item key

    def drafts(self) -> dict[str, EmailMessage]:
        if self.fake is None:
            return {d["To"].addresses[0].addr_spec: d for d in self.ws.drafts()}
        found = {}
        for draft in self.fake.drafts():
            message = self.fake.message(draft.message_id).email
            found[message["To"].addresses[0].addr_spec] = message
        return found

    def send_all(self) -> None:
        when = datetime.fromisoformat(MONDAY) + timedelta(hours=1)
        if self.fake is None:
            for draft in self.ws.drafts():
                play.send(self.ws.maildir, str(draft["Message-ID"]), date=when)
            return
        for draft in self.fake.drafts():
            self.fake.send_draft(draft.id)

    def deliver(self, mail: Mail, drafts: dict[str, EmailMessage]) -> None:
        if self.fake is None:
            folder = self.ws.maildir / "INBOX" / "new"
            if mail.raw_file is not None:
                mail.raw_file(folder)
                return
            name = f"{uuid.uuid4().hex}.hostile"
            (folder / name).write_bytes(mail.build(drafts))
            self.keys[mail.name] = f"inbox:{name}"
            return
        self.keys[mail.name] = f"inbox:{self.fake.deliver(mail.build(drafts))}"

    def good_reply(self, email: str, drafts: dict[str, EmailMessage]) -> None:
        draft = drafts[email]
        message = EmailMessage()
        message["From"], message["To"] = email, ME
        message["Subject"] = "Re: " + str(draft["Subject"])
        message["Date"] = WHEN
        message["Message-ID"] = make_msgid(domain="example.com")
        message["In-Reply-To"] = message["References"] = str(draft["Message-ID"])
        message.set_content("Hi Alex, option 2 works for me.")
        if self.fake is None:
            play.deliver(self.ws.maildir, message)
        else:
            self.fake.deliver(message)  # threaded as Gmail does, by its headers


def setup(ws: Workspace) -> None:
    for section, key, value in (("cadence", "daily_outreach_cap", "60"),
                                ("availability", "max_per_day", "200"),
                                ("availability", "days", '["mon","tue","wed","thu","fri"]'),
                                ("availability", "hours", '["07:00-21:00"]')):
        ws.set_config(section, key, value)
    rows = [f"Vic,Tim{i},{v},Victim Co {i},Role,America/New_York," for i, v in enumerate(VICTIMS)]
    ws.ok("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
    ws.ok("import", str(write_csv(ws.root.parent / "victims.csv", rows)), now=MONDAY)


class Passes:
    def __init__(self, ws: Workspace) -> None:
        self.ws, self.times, self.outputs = ws, [], []

    def run(self, at: str = TUESDAY) -> str:
        start = time.perf_counter()
        result = self.ws.run("run", "--once", now=at)
        self.times.append(time.perf_counter() - start)
        text = result.out + result.err
        assert result.code == 0, text[-3000:]
        assert "Traceback" not in text and "internal error" not in text, text[-3000:]
        self.outputs.append(text)
        return text


def state(ws: Workspace) -> dict[str, dict]:
    return {c["email"]: c for c in ws.ok("contacts", "--json", now=TUESDAY).json()}


def records(ws: Workspace) -> tuple[set[str], dict[str, int]]:
    with sqlite3.connect(ws.root / "automation.db") as db:
        seen = {r[0] for r in db.execute("SELECT key FROM seen")}
        rows: dict[str, int] = {}
        for (detail,) in db.execute("SELECT detail FROM messages WHERE direction = 'inbound'"):
            key = json.loads(detail or "{}").get("key")
            if key:
                rows[key] = rows.get(key, 0) + 1
    return seen, rows


def run_corpus(backend: Backend, label: str) -> dict:
    ws = backend.ws
    setup(ws)
    passes = Passes(ws)
    passes.run(MONDAY)
    drafts = backend.drafts()
    assert set(drafts) == set(GOOD) | set(VICTIMS), sorted(drafts)
    backend.send_all()
    for i in range(8):  # as many ordinary messages as a corpus pass gets hostile ones
        backend.deliver(Mail(f"ordinary {i}", plain(f"news{i}@shop.example", None,
                                                   "Our weekly news. " * 200)), drafts)
    passes.run(MONDAY)  # the normal pass: ten Sent copies and eight ordinary messages
    normal = passes.times[-1]
    before = state(ws)
    mails = [m for m in hostile_mail() if backend.fake is None or not m.local_only]
    batches = [mails[i::len(GOOD)] for i in range(len(GOOD))]
    for good, batch in zip(GOOD, batches, strict=True):
        for mail in batch:
            backend.deliver(mail, drafts)
        backend.good_reply(good, drafts)
        passes.run()
    passes.run()  # a quiet pass after the corpus: nothing is retried
    after = state(ws)
    for email in GOOD:
        assert after[email]["status"] == "scheduled", (email, after[email])
    wrong = [v for v in VICTIMS
             if (after[v]["status"], after[v]["snoozed_until"]) !=
             (before[v]["status"], before[v]["snoozed_until"])]
    assert wrong == [], {v: after[v] for v in wrong}
    seen, rows = records(ws)
    for mail in mails:
        key = backend.keys.get(mail.name)
        if key is None:
            continue  # a file no reader may open (FIFO, device, directory): reported instead
        assert key in seen, f"{mail.name} was never processed"
        assert rows.get(key, 0) <= 1, f"{mail.name} recorded {rows[key]} times"
        ident = key.split(":", 1)[1]
        mentioned = [i for i, text in enumerate(passes.outputs) if ident in text]
        assert len(mentioned) <= 1, f"{mail.name} reported in passes {mentioned}"
    result = {"inputs": len(mails), "crashes": 0, "wrong_contact_effects": len(wrong),
              "normal_pass_s": round(normal, 2), "slowest_pass_s": round(max(passes.times), 2),
              "recorded": sum(1 for m in mails if rows.get(backend.keys.get(m.name, ""), 0))}
    RESULTS[label] = result
    print(f"\n[hostile corpus, {label}] {result}")
    # Generous: the machine is shared; the old code took 30 s to minutes on single inputs.
    assert max(passes.times) <= max(10 * normal, 45.0), passes.times
    return result


def test_hostile_mail_corpus_on_the_local_backend(workspace: Workspace) -> None:
    run_corpus(Backend(workspace), "local")


def test_hostile_mail_corpus_on_the_google_backend(workspace: Workspace) -> None:
    with FakeGoogle(email=ME) as fake:
        workspace.set_config("backend", "kind", '"google"')
        workspace.set_config("google", "api_endpoint", f'"{fake.base_url}"')
        write_token(fake, workspace.root / "token.json")
        run_corpus(Backend(workspace, fake), "google")
        assert fake.internal_errors == []


# -- files, calendars, config and templates -----------------------------------------------------


def test_hostile_files_calendars_config_and_templates(workspace: Workspace) -> None:
    ws = workspace
    setup(ws)
    ws.ok("run", "--once", now=MONDAY)
    out = ws.root.parent
    count = 0

    def clear(result, *needles: str) -> None:
        text = result.out + result.err
        assert "Traceback" not in text and "internal error" not in text, text[-2000:]
        for needle in needles:
            assert needle in text, (needle, text[-2000:])

    contact_files = [
        ("junk.csv", bytes(range(256)) * 40, "looks like a binary file"),
        ("empty.csv", b"", "is empty"),
        ("noemail.csv", b"Name,Company\nBob,X\n", "no email column"),
        ("cut.vcf", b"BEGIN:VCARD\nVERSION:3.0\nFN:Half\nEMAIL;TY", "cut.vcf"),
        ("nul.csv", b"Email,Name\nn@example.com,A\x00B\n", ""),
        ("wide.csv", ("Email," + ",".join(f"c{i}" for i in range(5000)) + "\nw@example.com\n"
                      ).encode(), ""),
        ("inject.csv", b'Email,First Name\n"i@example.com\r\nBcc: x@evil.test",I\n', "invalid"),
        ("bad-addresses.csv", b"Email\na@-x.com\n.a@x.com\na..b@x.com\na@x_y.com\n", ""),
        ("utf16.csv", "Email,Name\nu@example.com,Ü\n".encode("utf-16"), ""),
    ]
    for name, data, needle in contact_files:
        path = out / name
        path.write_bytes(data)
        result = ws.run("import", str(path), now=MONDAY)
        assert result.code in (0, 1), result
        clear(result, needle)
        count += 1
    # .ics in busy_ics
    secondly = out / "secondly.ics"
    secondly.write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:sec@x\r\nDTSTART:20261201T000000Z"
                        "\r\nDTEND:20261201T000001Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\n"
                        "END:VCALENDAR\r\n")
    huge = out / "huge.ics"
    with huge.open("wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    fifo = out / "pipe.ics"
    os.mkfifo(fifo)
    junk = out / "junk.ics"
    junk.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\n\x00\xff")
    folder = out / "folder.ics"
    folder.mkdir()
    calendars = [secondly, Path("/dev/zero"), huge, fifo, junk, folder, out / "missing.ics"]
    ws.set_config("availability", "busy_ics", json.dumps([str(p) for p in calendars]))
    write_csv(out / "more.csv", ["New,One,new1@example.com,Calendar Co,Role,,"])
    ws.ok("import", str(out / "more.csv"), now=MONDAY)
    start = time.perf_counter()
    result = ws.run("run", "--once", now=MONDAY)
    elapsed = time.perf_counter() - start
    assert result.code == 0, result.err
    clear(result, "Drafted outreach to new1@example.com", "repeats too often",
          "not a regular file", "export a shorter range")
    for path in calendars:
        assert path.name in result.err, path
    count += len(calendars)
    assert elapsed < 120, elapsed  # 3 minutes and 3.6 GB for the SECONDLY rule alone before
    ws.set_config("availability", "busy_ics", "[]")
    # config
    good = ws.config.read_text()
    for key, value, needle in (("horizon_days", "100000000", "at most 366"),
                               ("horizon_days", "-1", "greater than 0"),
                               ("max_per_day", '"lots"', "max_per_day")):
        ws.set_config("availability", key, value)
        result = ws.run("run", "--once", now=MONDAY)
        assert result.code == 1, result
        clear(result, needle)
        ws.config.write_text(good)
        count += 1
    ws.config.write_text(good + "\n[oops\n")
    result = ws.run("run", "--once", now=MONDAY)
    assert result.code == 1
    clear(result, "not valid TOML")
    ws.config.write_text(good)
    count += 1
    # templates
    templates = out / "templates"
    templates.mkdir()
    ws.set_config("templates", "dir", json.dumps(str(templates)))
    for i, (body, needle) in enumerate((
            ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "not allowed"),
            ("{% for i in range(10**12) %}x{% endfor %}", "runs away"),
            ("{% for i in range(90000) %}{% for j in range(90000) %}xxxx{% endfor %}"
             "{% endfor %}", "runs away"),
            ("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}"
             "{% endfor %}", "runs away"),  # prints nothing: the loop steps are counted
            ("{{ 'x'|center(10**9) }}", "too large"),
            ('{% include "nope.txt.j2" %}', "includes 'nope.txt.j2'"),
            ("{% if %}", "syntax error"))):
        (templates / "outreach.txt.j2").write_text("Subject: Hi\n\n" + body + "\n")
        write_csv(out / f"t{i}.csv", [f"Tem,Plate{i},t{i}@example.com,Template Co {i},Role,,"])
        ws.ok("import", str(out / f"t{i}.csv"), now=MONDAY)
        result = ws.run("run", "--once", now=MONDAY)
        assert result.code in (0, 1), result
        clear(result, needle)
        count += 1
    print(f"\n[hostile corpus, files] {count} inputs; the pass with 7 bad calendars took "
          f"{elapsed:.2f}s")
    assert count >= 20
