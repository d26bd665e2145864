"""Use cases over the in-memory adapters: a workspace, a movable clock, the user and the world.

``open_world`` builds the ``Services`` a use case receives from the SQLite store in a folder
and the in-memory Mailbox and Calendar (``automation.adapters.memory``). The helpers play the
user (send or discard a draft) and the contacts (reply in the thread), as a mail client would,
through the memory adapters' own helpers.

``FaultyMailbox`` and ``FaultyCalendar`` inject ``BackendError`` on the calls ``Faults`` arms:
``before`` the call (nothing happened) or ``after`` it (it happened, the caller never heard: a
timeout); production code sees only the Mailbox and Calendar ports.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.adapters.store import Store
from automation.app.ports import Calendar, DraftRef, Mailbox, MailItem
from automation.app.services import InProcessLocks, Services
from automation.app.tick import tick
from automation.config import parse_config
from automation.core.compose import template_env
from automation.core.models import Contact, Interval
from automation.core.records import ContactRecord, EventSpec
from automation.errors import BackendError

ME = {"name": "Alex Rivera", "email": "alex@example.org", "timezone": "America/New_York"}


class Clock:
    """The tests' clock: a use case reads it; the test moves it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


def open_world(folder: Path, now: datetime, *, mailbox: Mailbox | None = None,
               calendar: Calendar | None = None, **sections: dict[str, Any]) -> Services:
    """Services over a fresh store in ``folder`` and the given (else new) memory ports.

    ``sections`` are config sections (``cadence={"follow_up_days": 3}``) over a minimal config.
    """
    folder.mkdir(parents=True, exist_ok=True)
    config = parse_config({"me": dict(ME), **sections}, folder / "automation.toml")
    return Services(config=config, store=Store.open(config.database),
                    mailbox=mailbox or MemoryMailbox(), calendar=calendar or MemoryCalendar(),
                    clock=Clock(now), templates=template_env(config.templates_dir),
                    locks=InProcessLocks())


def add_contact(svc: Services, email: str, name: str = "", **fields: Any) -> Contact:
    record = ContactRecord(email=email, line=1, name=name or email.split("@")[0].title(),
                           **fields)
    contact, _ = svc.store.upsert_contact(record, svc.clock())
    return contact


def contact(svc: Services, email: str) -> Contact:
    return svc.store.require_contact(email)


def drafts(svc: Services, email: str | None = None,
           kind: str | None = None) -> list[EmailMessage]:
    """The messages in Drafts (to ``email``, of ``kind``), oldest first."""
    box: MemoryMailbox = svc.mailbox  # type: ignore[assignment]
    found = [m for m, _ in box.drafts.values()]
    if email is not None:
        found = [m for m in found if email in str(m["To"])]
    if kind is not None:
        found = [m for m in found if kind_of(svc, m) == kind]
    return found


def kind_of(svc: Services, message: EmailMessage) -> str:
    """outreach, follow_up, confirmation, ...: as the database records it (our Message-IDs
    are opaque, and no header of ours says it)."""
    row = svc.store.message_by_id(str(message["Message-ID"]))
    return row.kind if row is not None else "?"


def send(svc: Services, message: EmailMessage) -> MailItem:
    """The user presses Send on this draft."""
    return svc.mailbox.send(str(message["Message-ID"]))  # type: ignore[attr-defined]


def discard(svc: Services, message: EmailMessage) -> None:
    """The user deletes this draft."""
    box: MemoryMailbox = svc.mailbox  # type: ignore[assignment]
    ref = MemoryMailbox.find_draft(box, str(message["Message-ID"]))  # the user's client: no faults
    assert ref is not None, f"no draft {message['Message-ID']}"
    del box.drafts[ref.draft_id]


def reply(svc: Services, email: str, text: str, *, to: EmailMessage | None = None,
          sender: str | None = None, headers: dict[str, str] | None = None) -> MailItem:
    """``email`` answers ``to`` (default: the newest message sent to them) in its thread."""
    box: MemoryMailbox = svc.mailbox  # type: ignore[assignment]
    sent = [i for i in box.items if i.folder == "sent" and email in str(i.message["To"])]
    if to is None:
        assert sent, f"nothing was sent to {email}"
        item = sent[-1]
    else:
        item = next(i for i in sent if i.message["Message-ID"] == to["Message-ID"])
    msg = EmailMessage()
    msg["From"] = sender or email
    msg["To"] = ME["email"]
    msg["Subject"] = "Re: " + str(item.message["Subject"]).removeprefix("Re: ")
    msg["Date"] = format_datetime(svc.clock())
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg["In-Reply-To"] = str(item.message["Message-ID"])
    msg["References"] = str(item.message["Message-ID"])
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    return box.deliver(msg, thread_id=item.thread_id)


def answered_outreach(svc: Services, email: str, name: str, text: str) -> None:
    """The contact's outreach is drafted and sent, and they reply ``text`` (not yet read)."""
    add_contact(svc, email, name)
    tick(svc)
    send(svc, drafts(svc, email, "outreach")[0])
    tick(svc)
    reply(svc, email, text)


def statuses(svc: Services) -> dict[str, str]:
    return {c.email: str(c.status) for c in svc.store.list_contacts()}


# -- fault injection ---------------------------------------------------------------------------


@dataclass
class Faults:
    """One-shot faults armed per operation: ``arm("create_draft", "after")`` makes the next
    ``create_draft`` happen and then raise, as a timeout would."""

    armed: dict[str, list[str]] = field(default_factory=dict)
    fired: Counter[str] = field(default_factory=Counter)
    suspended: bool = False  # while the test plays the user or the world
    down: set[str] = field(default_factory=set)  # ops that fail (before the call) until removed

    def arm(self, op: str, when: str = "before") -> None:
        self.armed.setdefault(op, []).append(when)

    def disarm(self) -> None:
        self.armed.clear()
        self.down.clear()

    def check(self, op: str, when: str) -> None:
        if self.suspended:
            return
        if op in self.down and when == "before":
            self.fired[op] += 1
            raise BackendError(f"injected fault: {op} (down)")
        queue = self.armed.get(op)
        if queue and queue[0] == when:
            queue.pop(0)
            self.fired[op] += 1
            raise BackendError(f"injected fault: {op} ({when})")


class FaultyMailbox(MemoryMailbox):
    """The memory Mailbox; armed calls fail. Every draft created is logged in ``created``."""

    OPS = ("create_draft", "find_draft", "draft_message_ids", "delete_draft", "sync")

    def __init__(self, faults: Faults) -> None:
        super().__init__()
        self.faults = faults
        self.created: list[str] = []  # Message-IDs, one per create_draft that happened

    def _call(self, op: str, *args: Any, **kwargs: Any) -> Any:
        self.faults.check(op, "before")
        result = getattr(super(), op)(*args, **kwargs)
        self.faults.check(op, "after")
        return result

    def create_draft(self, message: EmailMessage, *, thread_id: str | None = None) -> DraftRef:
        self.faults.check("create_draft", "before")
        ref = super().create_draft(message, thread_id=thread_id)
        self.created.append(str(message["Message-ID"]))
        self.faults.check("create_draft", "after")
        return ref

    def find_draft(self, message_id: str) -> DraftRef | None:
        return self._call("find_draft", message_id)

    def draft_message_ids(self) -> set[str]:
        return self._call("draft_message_ids")

    def delete_draft(self, ref: DraftRef) -> None:
        self._call("delete_draft", ref)

    def sync(self, cursor, watch, known=lambda key: False):  # type: ignore[no-untyped-def]
        return self._call("sync", cursor, watch, known)

    def send(self, message_id: str) -> MailItem:
        """The user's Send (the user's client does not fail with the service's backend)."""
        self.faults.suspended = True
        try:
            return super().send(message_id)
        finally:
            self.faults.suspended = False


class FaultyCalendar(MemoryCalendar):
    """The memory Calendar; armed calls fail. Every new event UID is logged in ``uids``."""

    OPS = ("busy", "put_event", "get_event", "attendee_status")

    def __init__(self, faults: Faults, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.faults = faults

    def busy(self, window: Interval) -> tuple[list[Interval], list[str]]:
        self.faults.check("busy", "before")
        return super().busy(window)

    def put_event(self, event: EventSpec) -> str:
        self.faults.check("put_event", "before")
        uid = super().put_event(event)
        self.faults.check("put_event", "after")
        return uid

    def get_event(self, uid: str) -> EventSpec | None:
        self.faults.check("get_event", "before")
        return super().get_event(uid)

    def attendee_status(self, uid: str) -> str | None:
        self.faults.check("attendee_status", "before")
        return super().attendee_status(uid)


_serial = itertools.count(1)


def fresh_folder(root: Path) -> Path:
    """A new empty folder under ``root`` (one per Hypothesis example)."""
    folder = root / f"w{next(_serial)}"
    folder.mkdir(parents=True)
    return folder
