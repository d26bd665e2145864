"""The crash-safety workload: a user, their contacts and the clock, on either backend.

A *world* is the user's mail and calendar as the user and the contacts see them: the Maildir
tree and calendar folder (``LocalWorld``) or Gmail and Google Calendar on the loopback fake
(``GoogleWorld``). ``Scenario`` plays the same deterministic user on any world, round by round:
it sends drafts, has contacts answer (pick a slot, decline, or stay silent), and advances the
clock. ``audit`` then checks what must hold whatever happened in between: no duplicate draft or
event, no lost draft or status change, a consistent timeline and an intact database.
"""

from __future__ import annotations

import mailbox
import os
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from tests.support import play

CONTACT_RE = re.compile(r"^c(\d{3})@")
USER = "alex@example.org"

#: The workspace settings of the workload: room for 200 people, offers far enough ahead that
#: a reply two rounds later still finds its slot free, and holds that outlive the wait.
WORKLOAD_CONFIG = {
    ("cadence", "daily_outreach_cap"): "60",
    ("cadence", "hold_days"): "30",
    ("availability", "days"): '["mon","tue","wed","thu","fri","sat","sun"]',
    ("availability", "hours"): '["07:00-21:00"]',
    ("availability", "max_per_day"): "200",
    ("availability", "horizon_days"): "30",
    ("availability", "min_notice_hours"): "200",
}


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]


#: Phrases of the shipped templates that tell our drafts apart. Our messages carry no header
#: or Message-ID naming their kind (the contact would see it), so a test reads the text.
KIND_MARKERS = (
    ("follow_up", "floating my note back up"),
    ("confirmation", "call is set for"),
    ("confirmation", "Our call has moved"),
    ("cancellation", "cancel our call"),
    ("cancellation", "off the calendar"),
    ("thank_you", "Thank you for talking with me"),
    ("check_in", "It's been a while since we talked"),
    ("outreach", "Would you have ten minutes"),
)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def kind_of(message: EmailMessage) -> str:
    """The kind of one of our messages, read off the default templates' wording."""
    text = " ".join(text_of(message).split())
    return next((kind for kind, marker in KIND_MARKERS if marker in text), "?")


def contact_of(message: EmailMessage) -> int | None:
    to = message["To"]
    addresses = getattr(to, "addresses", ()) if to is not None else ()
    for address in addresses:
        match = CONTACT_RE.match(address.addr_spec)
        if match:
            return int(match.group(1))
    return None


@dataclass(frozen=True)
class Mail:
    """One of our messages as the user sees it: a draft (``handle`` to send it) or sent."""

    handle: str
    message: EmailMessage
    thread: str | None = None

    @property
    def kind(self) -> str:
        return kind_of(self.message)

    @property
    def contact(self) -> int | None:
        return contact_of(self.message)


class World(Protocol):
    def drafts(self) -> list[Mail]: ...
    def sent(self) -> list[Mail]: ...
    def send(self, mail: Mail, when: datetime) -> None: ...
    def reply(self, to: Mail, sender: str, body: str, when: datetime) -> None: ...
    def event_attendees(self) -> list[str]: ...


class LocalWorld:
    """The Maildir tree and the calendar folder of a local workspace."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.maildir = root / "mail"

    def _folder(self, name: str) -> list[Mail]:
        box = mailbox.Maildir(str(self.maildir / name), factory=None, create=False)
        found = []
        for key in sorted(box.iterkeys()):
            with box.get_file(key) as fh:
                message = parse(fh.read())
            found.append(Mail(str(message["Message-ID"]), message))
        return found

    def drafts(self) -> list[Mail]:
        return self._folder("Drafts")

    def sent(self) -> list[Mail]:
        return self._folder("Sent")

    def send(self, mail: Mail, when: datetime) -> None:
        play.send(self.maildir, mail.handle, date=when)

    def reply(self, to: Mail, sender: str, body: str, when: datetime) -> None:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = USER
        message["Subject"] = "Re: " + str(to.message["Subject"])
        message["Date"] = format_datetime(when)
        message["Message-ID"] = make_msgid(domain="example.com")
        message["In-Reply-To"] = str(to.message["Message-ID"])
        message["References"] = str(to.message["Message-ID"])
        message.set_content(body)
        play.deliver(self.maildir, message)

    def event_attendees(self) -> list[str]:
        attendees = []
        for path in sorted((self.root / "calendar").glob("*.ics")):
            match = re.search(r"(?im)^ATTENDEE[^\n]*?mailto:([^\s]+)", path.read_text())
            attendees.append(match.group(1).strip().lower() if match else f"?{path.name}")
        return attendees


#: What each contact does, by its number: the same on every backend and every run.
def policy_for(i: int) -> str:
    if i % 4 == 3:
        return "never sent"      # the user never sends this outreach: stays drafted
    if i % 4 == 0:
        return "picks a slot"    # answers the outreach: "option 2" → booked
    if i % 8 == 1:
        return "declines"
    if i % 8 == 5:
        return "silent"          # follow-ups, then no_response
    return "picks after follow-up"  # i % 4 == 2: answers the first follow-up


PICK = "Hi Alex, option 2 works for me. Talk then!\nBest"
PICK_FIRST = "Sorry for the slow answer. Option 1 works for me.\nBest"
DECLINE = "Thanks for reaching out, but I'll pass. Not a good time for me, sorry."


@dataclass
class Scenario:
    """The user of the workload, round after round (``act`` before each round's runs)."""

    world: World
    start: datetime
    round_days: int = 3
    answered: set[int] = field(default_factory=set)
    actions: Counter[str] = field(default_factory=Counter)

    def now(self, round_no: int) -> datetime:
        return self.start + timedelta(days=self.round_days * round_no)

    def act(self, round_no: int) -> None:
        """Contacts answer what was sent before this round; then the user sends drafts."""
        if round_no == 0:
            return
        now = self.now(round_no)
        for mail in self.world.sent():
            i = mail.contact
            if i is None or i in self.answered:
                continue
            plan = policy_for(i)
            body = {("picks a slot", "outreach"): PICK, ("declines", "outreach"): DECLINE,
                    ("picks after follow-up", "follow_up"): PICK_FIRST}.get((plan, mail.kind))
            if body is None:
                continue
            self.world.reply(mail, f"Person{i:03d} Tester <c{i:03d}@example.com>", body,
                             now - timedelta(minutes=30))
            self.answered.add(i)
            self.actions["reply"] += 1
        for mail in self.world.drafts():
            i = mail.contact
            if i is None or (mail.kind == "outreach" and policy_for(i) == "never sent"):
                continue
            self.world.send(mail, now - timedelta(hours=1))
            self.actions[f"send {mail.kind}"] += 1


# -- the audit ------------------------------------------------------------------------------

def db_rows(database: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def statuses(database: Path) -> dict[str, tuple[str, bool]]:
    """email → (status, flagged?) from the database."""
    rows = db_rows(database, "SELECT email, status, needs_attention FROM contacts")
    return {email: (status, bool(flag)) for email, status, flag in rows}


def audit(world: World, database: Path, *, max_follow_ups: int = 2) -> dict[str, int]:
    """Assert every guarantee; return counts for the report (duplicates must be zero)."""
    problems: list[str] = []
    mails = world.drafts() + world.sent()
    ours = [m for m in mails if m.contact is not None]
    ids = Counter(str(m.message["Message-ID"]) for m in mails)
    duplicate_ids = sum(n - 1 for n in ids.values() if n > 1)
    per_contact = Counter((m.contact, m.kind) for m in ours)
    limits = {"outreach": 1, "follow_up": max_follow_ups, "confirmation": 1, "thank_you": 1}
    duplicate_kinds = sum(n - limits.get(kind, n) for (_, kind), n in per_contact.items()
                          if n > limits.get(kind, n))
    if duplicate_ids or duplicate_kinds:
        problems.append(f"duplicates: {duplicate_ids} Message-IDs, {duplicate_kinds} drafts; "
                        f"{[k for k, n in per_contact.items() if n > limits.get(k[1], n)]}")

    attendees = Counter(world.event_attendees())
    duplicate_events = sum(n - 1 for n in attendees.values() if n > 1)
    booked = db_rows(database, "SELECT count(*) FROM interviews")[0][0]
    if duplicate_events or len(attendees) != booked:
        problems.append(f"events: {sum(attendees.values())} in the calendar for {booked} "
                        f"interviews, duplicated: {duplicate_events}")

    by_email = {row[0]: row for row in db_rows(
        database, "SELECT email, id, status FROM contacts")}
    for email, (_, cid, status) in by_email.items():
        match = CONTACT_RE.match(email)
        outreach = per_contact.get((int(match.group(1)), "outreach"), 0) if match else 0
        if status != "new" and outreach != 1:
            problems.append(f"{email} is {status} with {outreach} outreach draft(s)")
        if status == "new" and outreach:
            problems.append(f"{email} has an outreach draft but is still new (lost change)")
        chain = db_rows(database, "SELECT event, old_status, new_status, cause FROM timeline "
                                  f"WHERE contact_id = {cid} AND new_status IS NOT NULL "
                                  "ORDER BY id")
        # An imported contact's "created" event is a run of them (adapters/store/createdruns).
        [(imported,)] = db_rows(database, "SELECT count(*) FROM created_runs WHERE "
                                          f"first_id <= {cid} AND last_id >= {cid}")
        current = "new" if imported else None
        for event, old, new, cause in chain:
            if event != "created" and (old != current or not cause):
                problems.append(f"{email}: timeline {old}→{new} after {current} ({cause!r})")
            current = new
        if current != status:
            problems.append(f"{email}: status {status} but the timeline ends at {current}")

    recorded = {r[0] for r in db_rows(database, "SELECT message_id FROM messages WHERE "
                                                "direction = 'draft'")}
    orphans = [str(m.message["Message-ID"]) for m in world.drafts()
               if m.contact is not None and str(m.message["Message-ID"]) not in recorded]
    if orphans:
        problems.append(f"drafts the database does not know: {orphans[:5]}")
    pending = db_rows(database, "SELECT key FROM intents WHERE state = 'pending'")
    if pending:
        problems.append(f"unfinished intents: {pending[:5]}")
    integrity = db_rows(database, "PRAGMA integrity_check")
    if integrity != [("ok",)]:
        problems.append(f"integrity_check: {integrity}")
    if db_rows(database, "PRAGMA foreign_key_check"):
        problems.append("foreign_key_check failed")
    assert problems == [], "\n".join(problems)
    return {"messages": len(ours), "events": sum(attendees.values()),
            "duplicates": duplicate_ids + duplicate_kinds + duplicate_events}


class MovableNow:
    """The fake's clock: when the user sends or a contact replies, as the scenario says."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


class GoogleWorld:
    """Gmail and Google Calendar on the loopback fake (``tests.support.fakegoogle.FakeGoogle``)."""

    def __init__(self, fake, now: MovableNow) -> None:  # fake: FakeGoogle
        self.fake = fake
        self.now = now

    def drafts(self) -> list[Mail]:
        found = []
        for draft in self.fake.drafts():
            message = self.fake.message(draft.message_id)
            found.append(Mail(draft.id, message.email, message.thread_id))
        return found

    def sent(self) -> list[Mail]:
        return [Mail(m.id, m.email, m.thread_id) for m in self.fake.messages_in("SENT")]

    def send(self, mail: Mail, when: datetime) -> None:
        self.now.moment = when
        self.fake.send_draft(mail.handle)

    def reply(self, to: Mail, sender: str, body: str, when: datetime) -> None:
        self.now.moment = when
        self.fake.reply(to.thread, sender, body, received_at=when)

    def event_attendees(self) -> list[str]:
        return [a["email"].lower() for e in self.fake.events() if e.get("status") != "cancelled"
                for a in e.get("attendees", []) if not a.get("self")]


SLOW_DISK = '''\
"""Test-only start-up hook: a slow disk, so a SIGKILL lands inside a write's window.

Each draft or event written by the local backend waits a little *after* the file is in place
and before the caller records it: exactly the window the intent journal has to cover.
"""
import functools
import os
import time

_pause = float(os.environ.get("CRASHKIT_SLOW_WRITE_SECONDS", "0") or 0)
if _pause > 0:
    from automation.adapters.local.maildir import MaildirMailbox
    from automation.adapters.local.vdir import VdirCalendar

    def _slow(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            result = method(*args, **kwargs)
            time.sleep(_pause)
            return result
        return wrapper

    MaildirMailbox.create_draft = _slow(MaildirMailbox.create_draft)
    VdirCalendar.put_event = _slow(VdirCalendar.put_event)
'''


def slow_disk_env(folder: Path, seconds: float, base: dict[str, str]) -> dict[str, str]:
    """``base`` plus a ``sitecustomize`` (in ``folder``) that slows local writes down."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(SLOW_DISK)
    return {**base, "PYTHONPATH": f"{folder}{os.pathsep}{base.get('PYTHONPATH', '')}",
            "CRASHKIT_SLOW_WRITE_SECONDS": str(seconds)}
