"""Hardening: private files, no token in any log, and a corpus of bad inputs.

- File modes: the database and its WAL/SHM journals, drafts, events, lock files and the token
  are 0600; the data folder is 0700.
- Logs: a whole scenario on the Google backend (loopback fake) runs with ``--log-level debug``
  while every log record (caplog, on the loggers of the package and of the Google libraries)
  and everything written to stderr is kept; no token, refresh token or client secret appears,
  and no message body appears at INFO or above.
- Bad inputs: each gives a clear message and loses nothing else. Every input a test names
  with ``corpus.bad`` must be followed by a ``corpus.intact()`` check before the test ends
  (the fixture fails the test otherwise); the run's summary counts the inputs checked.
"""

from __future__ import annotations

import logging
import stat
import types
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import googleapiclient.http
import pytest

from automation.adapters import logsafe
from automation.adapters.lock import daemon_lock_path, tick_lock_path
from automation.adapters.store import Store
from automation.interfaces.cli import configure_logging
from tests.support import play
from tests.support.crashkit import WORKLOAD_CONFIG, MovableNow
from tests.support.fakegoogle import FakeGoogle
from tests.support.fakegoogle.fake import CLIENT_SECRET
from tests.support.googlekit import write_token
from tests.support.tally import tally
from tests.support.workspace import REPO, Workspace, write_csv

MONDAY = "2026-12-07T08:30:00-05:00"
TUESDAY = "2026-12-08T09:00:00-05:00"
GOOD = ("priya.raman@example.com", "dana.lee@example.net", "sofia.gutierrez@example.org",
        "wei.zhang@example.edu", "jordan.okafor@example.com")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def maildir_files(root: Path) -> list[Path]:
    return [p for sub in ("cur", "new") for p in (root / sub).iterdir()]


# -- file modes -----------------------------------------------------------------------------

def test_private_files_are_0600_and_the_data_folder_0700(workspace: Workspace) -> None:
    ws = workspace
    ws.ok("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
    ws.ok("run", "--once", now=MONDAY)
    (draft,) = [d for d in ws.drafts() if "priya" in str(d["To"])]
    play.send(ws.maildir, str(draft["Message-ID"]), date=datetime.fromisoformat(TUESDAY))
    play.deliver(ws.maildir, reply(draft, "Priya Raman <priya.raman@example.com>",
                                   "Option 2 works for me.", TUESDAY))
    out = ws.ok("run", "--once", now=TUESDAY).out
    assert "Booked priya.raman@example.com" in out
    db = ws.root / "automation.db"
    with Store.open(db) as store:  # the journals exist while a connection writes (and vanish)
        store.set_cursor("probe", "1")
        files = [db, db.with_name("automation.db-wal"), db.with_name("automation.db-shm"),
                 tick_lock_path(db), *maildir_files(ws.maildir / "Drafts"),
                 *(ws.root / "calendar").glob("*.ics")]
        assert len([f for f in files if f.suffix == ".ics"]) == 1
        modes = {str(f.relative_to(ws.root)): oct(mode(f)) for f in files if f.exists()}
    assert set(modes.values()) == {"0o600"}, modes
    assert len(modes) == len(files) >= 9, modes
    for folder in (ws.root, ws.maildir):
        assert mode(folder) == 0o700, folder
    assert not daemon_lock_path(db).exists()  # only a daemon takes that one


def test_google_token_is_rewritten_0600(workspace: Workspace) -> None:
    with FakeGoogle(email="alex@example.org") as fake:
        google_workspace(workspace, fake)
        token = workspace.root / "token.json"
        token.chmod(0o644)  # e.g. copied from a laptop with a loose umask
        workspace.ok("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
        workspace.ok("run", "--once", now=MONDAY)  # refreshes the token and saves it back
        assert mode(token) == 0o600
        assert mode(workspace.root / "automation.db") == 0o600


# -- no token in the logs ---------------------------------------------------------------------

LOGGERS = ("automation", "googleapiclient", "google", "google_auth_httplib2", "httplib2",
           "oauthlib", "requests_oauthlib", "urllib3")
BODY_SENTINEL = "Quokka-7731 works for me"


def google_workspace(ws: Workspace, fake: FakeGoogle) -> str:
    ws.set_config("backend", "kind", '"google"')
    ws.set_config("google", "api_endpoint", f'"{fake.base_url}"')
    return write_token(fake, ws.root / "token.json")


def reply(to: EmailMessage, sender: str, body: str, when: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "alex@example.org"
    message["Subject"] = "Re: " + str(to["Subject"])
    message["Date"] = format_datetime(datetime.fromisoformat(when))
    message["Message-ID"] = make_msgid(domain="example.com")
    message["In-Reply-To"] = str(to["Message-ID"])
    message["References"] = str(to["Message-ID"])
    message.set_content(body)
    return message


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog on the package's and the libraries' loggers (the CLI resets the root logger)."""
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    yield caplog
    for logger in loggers:
        logger.removeHandler(caplog.handler)


def test_no_token_secret_or_body_in_any_log(workspace: Workspace,
                                            all_logs: pytest.LogCaptureFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(googleapiclient.http, "random", types.SimpleNamespace(random=lambda: 0))
    ws, stderr = workspace, []
    now = MovableNow(datetime.fromisoformat(MONDAY))
    with FakeGoogle(email="alex@example.org", now=now) as fake:
        refresh = google_workspace(ws, fake)
        secrets = {refresh, CLIENT_SECRET}

        def run(*args: str, at: str, code: int = 0) -> str:
            result = ws.run("--log-level", "debug", *args, now=at)
            assert result.code == code, result.err
            stderr.append(result.err + result.out)
            secrets.update(fake.tokens.access)  # every access token issued so far
            secrets.update(fake.tokens.refresh)
            return result.out

        run("import", str(REPO / "config" / "example_contacts.csv"), at=MONDAY)
        run("run", "--once", at=MONDAY)
        (draft,) = [d for d in fake.drafts()
                    if "priya" in str(fake.message(d.message_id).header("To"))]
        thread = fake.message(draft.message_id).thread_id
        now.moment = datetime.fromisoformat(TUESDAY) - timedelta(hours=1)
        fake.send_draft(draft.id)
        fake.reply(thread, "Priya Raman <priya.raman@example.com>",
                   f"Hi Alex, option 2. {BODY_SENTINEL}. Priya")
        assert "Booked priya.raman@example.com" in run("run", "--once", at=TUESDAY)
        run("status", at=TUESDAY)
        run("show", "priya.raman@example.com", at=TUESDAY)
        fake.expire_access_tokens()  # an hour later: the client refreshes by itself
        run("run", "--once", at=TUESDAY)
        fake.revoke_refresh_token(refresh)  # then the user revokes access
        fake.expire_access_tokens()
        run("run", "--once", at=TUESDAY, code=1)
        status = run("status", at=TUESDAY)
        assert "invalid_grant" in status and "automation auth" in status
        assert fake.internal_errors == []

    records = all_logs.records
    assert len(records) > 30  # the libraries' debug lines were captured too
    assert any(r.name.startswith("googleapiclient") for r in records)
    lines = [r.getMessage() + (r.exc_text or "") for r in records] + stderr
    assert len(secrets) >= 4
    for secret in secrets:
        leaks = [line for line in lines if secret in line]
        assert leaks == [], f"{secret[:12]}… leaked: {leaks[:2]}"
    loud = [r.getMessage() for r in records if r.levelno >= logging.INFO]
    assert not [line for line in loud if BODY_SENTINEL in line]
    assert not [line for line in loud if "I'd love to hear how you got where you are" in line]


def test_the_redacting_filter_masks_what_slips_through(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("debug")
    log = logging.getLogger("automation.test")
    log.info("Authorization: Bearer ya29.a0AfH6SMBleaky-token_123")
    log.info("saved %s", '{"refresh_token": "1//0gLeakyRefresh-Token", "client_secret": "s3"}')
    log.warning("redirect http://localhost:8080/?state=x&code=4/0AleakyCode&scope=y")
    try:
        raise ValueError("refresh_token=1//0gInTraceback-xyz")
    except ValueError:
        log.exception("boom")
    err = capsys.readouterr().err
    for leak in ("ya29.a0AfH6", "1//0gLeaky", "s3\"", "4/0Aleaky", "1//0gInTraceback"):
        assert leak not in err
    assert err.count(logsafe.MASK) >= 5 and "Bearer [redacted]" in err


# -- the bad-input corpus ---------------------------------------------------------------------

class Corpus:
    """A workspace whose five good contacts must come through every bad input untouched."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.unchecked: list[str] = []  # named bad inputs not yet followed by intact()
        self.checked: list[str] = []
        for (section, key), value in WORKLOAD_CONFIG.items():  # room for every contact
            ws.set_config(section, key, value)
        ws.ok("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
        ws.ok("run", "--once", now=MONDAY)
        self.drafts = {str(d["Message-ID"]) for d in ws.drafts()}
        assert len(self.drafts) == 5

    def bad(self, name: str) -> None:
        """Name the bad input about to be tried; ``intact`` must vouch for it afterwards."""
        assert name not in self.checked + self.unchecked, f"{name!r} named twice"
        self.unchecked.append(name)

    def intact(self, at: str = MONDAY) -> dict[str, dict]:
        """The five good contacts and their drafts are all still there."""
        contacts = {c["email"]: c for c in self.ws.ok("contacts", "--json", now=at).json()}
        for email in GOOD:
            assert contacts[email]["status"] in ("drafted", "sent", "replied", "scheduled")
        mail = {str(m["Message-ID"]) for m in self.ws.drafts() + self.ws.messages("Sent")}
        assert self.drafts <= mail
        self.checked += self.unchecked
        self.unchecked = []
        return contacts

    def csv(self, name: str, data: bytes) -> Path:
        path = self.ws.root.parent / name
        path.write_bytes(data)
        return path


@pytest.fixture
def corpus(workspace: Workspace, request: pytest.FixtureRequest) -> Iterator[Corpus]:
    corpus = Corpus(workspace)
    yield corpus
    # A bad input with no check that the good contacts survived it proves nothing.
    assert not corpus.unchecked, f"bad inputs never followed by intact(): {corpus.unchecked}"
    assert corpus.checked, "a corpus test that tried no bad input"
    tally(request.config).setdefault("hardening bad inputs", []).extend(corpus.checked)


def test_bad_contact_files(corpus: Corpus) -> None:
    ws = corpus.ws
    result = ws.ok("import", str(REPO / "tests" / "fixtures" / "contacts" / "broken.csv"),
                   now=MONDAY)
    corpus.bad("broken CSV rows (bad emails, no email, unknown zone, injected company, duplicate)")
    for expected in ("line 3: invalid email", "line 4: no email address",
                     "line 11: invalid email", "unknown time zone 'Mars/Olympus'"):
        assert expected in result.err
    cases = [
        ("binary junk as CSV", "junk.csv", bytes(range(256)) * 40, "looks like a binary file"),
        ("empty CSV", "empty.csv", b"", "is empty"),
        ("CSV without an email column", "noemail.csv", b"Name,Company\nBob,X\n",
         "no email column found"),
        ("truncated vCard", "cut.vcf", b"BEGIN:VCARD\nVERSION:3.0\nFN:Half Card\nEMAIL;TY",
         "cut.vcf"),
    ]
    for label, name, data, message in cases:
        corpus.bad(label)
        result = ws.run("import", str(corpus.csv(name, data)), now=MONDAY)
        assert message in result.err, (label, result.err)
        assert "Traceback" not in result.err and "internal error" not in result.err
    corpus.bad("CSV in an undeclared legacy encoding")
    result = ws.ok("import", str(corpus.csv("legacy.csv", "Email,First Name,Company\n"
                                            "l@example.com,Léa,Café Ü\n".encode("cp1252"))),
                   now=MONDAY)
    assert "1 imported" in result.out
    contacts = corpus.intact()
    assert contacts["l@example.com"]["name"].startswith("Léa")
    assert contacts["olivia.brown@example.com"]["role"] == "Producer"  # the good rows came in


INJECTION = "\r\nBcc: victim@evil.test\r\nX-Injected: yes"


def test_header_injection_in_every_contact_field(corpus: Corpus) -> None:
    ws = corpus.ws
    fields = ["First Name", "Last Name", "Company", "Title", "Notes", "Timezone"]
    rows = []
    for i, target in enumerate(fields):
        values = {"First Name": "Inj", "Last Name": f"Field{i}", "Company": "Acme",
                  "Title": "Role", "Notes": "", "Timezone": ""}
        values[target] = values[target] + INJECTION
        rows.append(",".join([f"inj{i}@example.com"] + [f'"{values[f]}"' for f in fields]))
        corpus.bad(f"header injection in {target}")
    rows.append(f'"email{i}@example.com{INJECTION}",Inj,Mail,Acme,Role,,')
    corpus.bad("header injection in Email")
    path = write_csv(ws.root.parent / "inject.csv", rows,
                     header="Email," + ",".join(fields))
    result = ws.ok("import", str(path), now=MONDAY)
    assert "6 imported" in result.out and "invalid email" in result.err
    ws.set_config("cadence", "max_awaiting_per_employer", "0")  # all six at Acme at once
    ws.ok("run", "--once", now=MONDAY)
    injected = [d for d in ws.drafts() if "inj" in str(d["To"])]
    assert len(injected) == 6
    for draft in injected:
        assert draft.get_all("Bcc") is None and draft.get_all("X-Injected") is None
        assert len(draft.get_all("To")) == 1 and len(draft["To"].addresses) == 1
        assert draft["To"].addresses[0].addr_spec.startswith("inj")
        assert "\n" not in str(draft["Subject"]) and "\r" not in str(draft["Subject"])
    corpus.intact()


def test_unknown_time_zones(corpus: Corpus) -> None:
    ws = corpus.ws
    corpus.bad("unknown time zone in a contact row")
    path = write_csv(ws.root.parent / "tz.csv", ["Zed,Zone,zed@example.com,Nowhere Inc,Boss,"
                                                 "Mars/Olympus,"])
    result = ws.ok("import", str(path), now=MONDAY)
    assert "unknown time zone 'Mars/Olympus'" in result.err
    ws.ok("run", "--once", now=MONDAY)
    (draft,) = [d for d in ws.drafts() if "zed@" in str(d["To"])]
    assert " EST" in draft.get_content()  # offered in the user's zone instead
    corpus.bad("unknown time zone in the config")
    good = ws.config.read_text()
    ws.set_config("me", "timezone", '"Mars/Base"')
    for command in (["run", "--once"], ["contacts"], ["status"]):
        result = ws.run(*command, now=MONDAY)
        assert result.code == 1 and "unknown time zone 'Mars/Base'" in result.err
    ws.config.write_text(good)
    corpus.bad("config that is not TOML")
    ws.config.write_text(good + "\n[oops\n")
    result = ws.run("run", "--once", now=MONDAY)
    assert result.code == 1 and "not valid TOML" in result.err
    ws.config.write_text(good)
    corpus.bad("AUTOMATION_NOW that is not a time")
    result = ws.run("run", "--once", now="next tuesday")
    assert result.code == 1 and "is not an ISO 8601 time" in result.err
    corpus.intact()


def test_bad_busy_calendars(corpus: Corpus) -> None:
    ws = corpus.ws
    junk = ws.root / "junk.ics"
    junk.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\n\x00\xff")
    rrule = ws.root / "rrule.ics"
    rrule.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x@y\r\n"
                     "DTSTART:20261208T100000Z\r\nDTEND:20261208T110000Z\r\n"
                     "RRULE:FREQ=SOMETIMES;COUNT=banana\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    missing = ws.root / "missing.ics"
    ws.set_config("availability", "busy_ics", f'["{junk}", "{rrule}", "{missing}"]')
    corpus.bad("malformed .ics in busy_ics")
    corpus.bad(".ics with a broken RRULE in busy_ics")
    corpus.bad("busy_ics file that does not exist")
    path = write_csv(ws.root.parent / "more.csv", ["New,One,new1@example.com,Co,Role,,"])
    ws.ok("import", str(path), now=MONDAY)
    result = ws.ok("run", "--once", now=MONDAY)
    assert "Drafted outreach to new1@example.com" in result.out
    for name in ("junk.ics", "missing.ics"):
        assert name in result.err, result.err
    failing = ws.ok("status", "--json", now=MONDAY).json()["failing"]
    assert any("junk.ics" in f["error"] for f in failing)
    corpus.intact()


def inbound(sender: str, to_draft: EmailMessage, raw_body: bytes, headers: str = "") -> bytes:
    head = (f"From: {sender}\r\nTo: alex@example.org\r\nSubject: Re: {to_draft['Subject']}\r\n"
            f"Date: {format_datetime(datetime.fromisoformat(TUESDAY) - timedelta(hours=2))}\r\n"
            f"Message-ID: {make_msgid(domain='example.com')}\r\n"
            f"In-Reply-To: {to_draft['Message-ID']}\r\n{headers}")
    return head.encode() + b"\r\n" + raw_body


def test_bad_mail_in_the_inbox(corpus: Corpus) -> None:
    ws = corpus.ws
    drafts = {d["To"].addresses[0].addr_spec: d for d in ws.drafts()}
    for draft in drafts.values():
        play.send(ws.maildir, str(draft["Message-ID"]),
                  date=datetime.fromisoformat(MONDAY) + timedelta(hours=1))
    ws.ok("run", "--once", now=TUESDAY)
    priya, dana, sofia, wei, jordan = (drafts[e] for e in GOOD)
    huge = b"x" * 80 + b"\r\n"
    corpus.bad("5 MB email")
    play.deliver(ws.maildir, inbound(
        "Dana Lee <dana.lee@example.net>", dana,
        b"--b1\r\nContent-Type: text/plain\r\n\r\nOption 1 works, slides attached.\r\n"
        b"--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64"
        b"\r\n\r\n" + huge * (5 * 1024 * 1024 // len(huge)) + b"--b1--\r\n",
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n"))
    corpus.bad("broken MIME structure")
    play.deliver(ws.maildir, inbound(
        "Sofia <sofia.gutierrez@example.org>", sofia,
        b"--nope\r\nContent-Type: text/plain\r\n\r\nhalf a part with no end",
        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative\r\n"))
    corpus.bad("undecodable charset")
    play.deliver(ws.maildir, inbound(
        "Wei Zhang <wei.zhang@example.edu>", wei, b"Opci\xf3n \x81\xfe\xff 2 \xe4\xb8",
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"))
    corpus.bad("binary junk file in INBOX")
    (ws.maildir / "INBOX" / "new" / "1.junk.host").write_bytes(bytes(range(256)) * 8)
    corpus.bad("message without any header")
    (ws.maildir / "INBOX" / "new" / "2.headless.host").write_bytes(b"\r\n\r\njust a body\r\n")
    # ...and one good reply among them, which must be handled as if nothing else had come.
    play.deliver(ws.maildir, reply(priya, "Priya Raman <priya.raman@example.com>",
                                   "Hi Alex, option 2 works for me.", TUESDAY))
    result = ws.run("run", "--once", now=TUESDAY)
    assert result.code == 0, result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert "Booked priya.raman@example.com" in result.out
    contacts = corpus.intact(TUESDAY)
    assert contacts["priya.raman@example.com"]["status"] == "scheduled"
    for email in ("dana.lee@example.net", "sofia.gutierrez@example.org", "wei.zhang@example.edu"):
        # A person answered: never silently dropped; either understood or flagged for the user.
        assert contacts[email]["status"] in ("replied", "scheduled"), contacts[email]
        assert contacts[email]["status"] == "scheduled" or contacts[email]["needs_attention"]
    assert contacts["jordan.okafor@example.com"]["status"] == "sent"
    again = ws.ok("run", "--once", now=TUESDAY)
    assert "Nothing to do" in again.out  # the bad files are not re-read as new every tick


def test_templates_that_fail(corpus: Corpus) -> None:
    ws = corpus.ws
    template = ws.root / "templates" / "outreach.txt.j2"
    good = template.read_text()
    path = write_csv(ws.root.parent / "more.csv", [f"T{i},X,t{i}@example.com,Co,Role,,"
                                                   for i in range(3)])
    ws.ok("import", str(path), now=MONDAY)
    ws.set_config("cadence", "max_awaiting_per_employer", "0")  # all three at Co at once
    for label, text, message in [
        ("template that raises", good.replace("Thank you,", "{{ 1 // 0 }}Thank you,"),
         "ZeroDivisionError"),
        ("template with a syntax error", good + "\n{% if %}\n", "syntax error"),
        ("template without a Subject line", good.split("\n", 2)[2], "Subject"),
        ("template with a missing field", good.replace("{{ me.signature }}",
                                                       "{{ me.shoe_size }}"), "missing field"),
    ]:
        corpus.bad(label)
        template.write_text(text)
        result = ws.run("run", "--once", now=MONDAY)
        assert result.code == 0, result.err
        contacts = {c["email"]: c for c in ws.contacts()}
        for i in range(3):
            flagged = contacts[f"t{i}@example.com"]
            assert flagged["status"] == "new"
            assert "outreach.txt.j2" in flagged["needs_attention"], flagged
            assert message in flagged["needs_attention"], flagged
        checked = ws.run("templates", "check", now=MONDAY)
        assert checked.code == 1 and "outreach.txt.j2" in checked.out
        failing = ws.ok("status", "--json", now=MONDAY).json()["failing"]
        (entry,) = [f for f in failing if f["source"] == "template"]
        assert "3 contact(s)" in entry["error"] and "templates check" in entry["fix"]
        corpus.intact()
    template.write_text(good)
    result = ws.ok("run", "--once", now=MONDAY)
    assert result.out.count("Drafted outreach to t") == 3  # nothing was lost meanwhile
    assert all(c["needs_attention"] is None for c in ws.contacts())
    assert ws.ok("status", "--json", now=MONDAY).json()["failing"] == []


# -- the systemd units ----------------------------------------------------------------------

def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as {section: {key: [values]}} (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in (REPO / "config" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


SANDBOX = {"User": ["automation"], "NoNewPrivileges": ["yes"], "ProtectSystem": ["strict"],
           "ProtectHome": ["read-only"], "ReadWritePaths": ["/var/lib/automation"],
           "PrivateTmp": ["yes"], "UMask": ["0077"], "StateDirectoryMode": ["0700"]}


@pytest.mark.parametrize("name", ["automation.service", "automation-once.service"])
def test_systemd_services_are_sandboxed(name: str) -> None:
    service = unit(name)["Service"]
    for key, value in SANDBOX.items():
        assert service.get(key) == value, (name, key)
    assert "AUTOMATION_CONFIG=/var/lib/automation/automation.toml" in service["Environment"]
    command = service["ExecStart"][0]
    assert command.startswith("/opt/automation/.venv/bin/automation ")


def test_systemd_daemon_and_timer() -> None:
    daemon = unit("automation.service")["Service"]
    assert daemon["Type"] == ["simple"] and daemon["Restart"] == ["on-failure"]
    assert daemon["ExecStart"] == ["/opt/automation/.venv/bin/automation daemon"]
    assert daemon["RestartSec"] and daemon["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    once = unit("automation-once.service")["Service"]
    assert once["Type"] == ["oneshot"] and once["ExecStart"][0].endswith(" run --once")
    timer = unit("automation.timer")
    assert timer["Timer"]["Unit"] == ["automation-once.service"]
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == ["timers.target"]
