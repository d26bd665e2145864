"""Every message of the mail corpus (tests/fixtures/mail/INDEX.toml) through the real pass.

For each message: a contact is imported and an outreach offering three slots is drafted and
sent; then the message is delivered and the tick — sync, matching, classification, decision,
booking — runs. The contact's end state is checked against the index: status, the
needs-attention flag, the snooze day, the failed address a bounce recorded, the booked offer,
and the new text shown for the reply.

The fixtures are never edited: the contact is imported with the fixture's own address (a
bounce's failed address, a reply's sender) and the outreach is sent with the Message-ID the
fixture quotes (its returned headers or In-Reply-To), so the linkage is the fixture's own.
Messages the pass still gets wrong carry ``known`` (the reason) in the index and are strict
xfails: fixing one makes the test fail until its ``known`` is removed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.app.drafting import DraftRequest, draft_once, intent_key
from automation.app.services import Services
from automation.app.tick import tick
from automation.bootstrap import open_services
from automation.config import load_config
from automation.core.compose import build_message, new_message_id
from automation.core.models import Slot, Status
from automation.core.records import ContactRecord
from automation.interfaces.cli.setup_cmds import CONFIG_TEMPLATE

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
INDEX = tomllib.loads((FIXTURES / "INDEX.toml").read_text(encoding="utf-8"))["message"]
NY = ZoneInfo("America/New_York")
OUTREACH_AT = datetime(2026, 12, 7, 9, 15, tzinfo=NY)
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=NY)
OFFERED = [Slot(datetime(2026, 12, 9, 10, 0, tzinfo=NY), datetime(2026, 12, 9, 10, 10, tzinfo=NY)),
           Slot(datetime(2026, 12, 10, 14, 30, tzinfo=NY),
                datetime(2026, 12, 10, 14, 40, tzinfo=NY)),
           Slot(datetime(2026, 12, 14, 11, 0, tzinfo=NY), datetime(2026, 12, 14, 11, 10, tzinfo=NY))]
ME = "alex@example.org"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def services(tmp_path: Path) -> Iterator[tuple[Services, Clock]]:
    config = tmp_path / "automation.toml"
    config.write_text(CONFIG_TEMPLATE.format(name="Alex Rivera", email=ME,
                                             timezone="America/New_York"))
    clock = Clock(OUTREACH_AT)
    svc = open_services(load_config(config), clock, mailbox=MemoryMailbox(),
                        calendar=MemoryCalendar())
    yield svc, clock
    svc.close()


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]


def envelope(case: dict[str, Any], body: bytes, outreach_id: str, when: datetime) -> bytes:
    """A reply from the contact around a body-only fixture (its bytes are the whole body)."""
    head = (f"From: Pat Doe <{case['contact']}>\r\nTo: Alex Rivera <{ME}>\r\n"
            f"Subject: Re: Ten minutes to learn about your work?\r\n"
            f"Date: {format_datetime(when)}\r\nMessage-ID: <reply-{abs(hash(case['file']))}"
            f"@mail.example.com>\r\nIn-Reply-To: {outreach_id}\r\nReferences: {outreach_id}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n")
    return head.encode() + body


def times(raw: bytes, case: dict[str, Any]) -> tuple[datetime, datetime]:
    """When the outreach went out and when the pass runs."""
    if case.get("now") != "date":
        return OUTREACH_AT, NOW
    date = parsedate_to_datetime(str(parse(raw)["Date"]))
    return date - timedelta(days=1), date + timedelta(hours=1)


def run_case(svc: Services, clock: Clock, case: dict[str, Any]) -> int:
    """Import, send the outreach, deliver the fixture, tick; returns the contact's id."""
    raw = (FIXTURES / case["file"]).read_bytes()
    clock.now, run_at = times(raw, case)
    store, me = svc.store, svc.config.me
    contact, _ = store.upsert_contact(
        ContactRecord(email=case["contact"], line=1, name="Pat Doe", first_name="Pat",
                      timezone=case.get("zone", NY.key)), clock())
    cid = contact.id or 0
    outreach_id = case.get("outreach_id") or new_message_id(me.email)
    message = build_message(sender_name=me.name, sender=me.email, to_name="Pat Doe",
                            to=case["contact"], subject="Ten minutes to learn about your work?",
                            body="Hi Pat\n", now=clock(), message_id=outreach_id)
    draft_once(svc, DraftRequest(cid, "outreach", message, new_status=Status.DRAFTED,
                                 cause="outreach drafted", holds=OFFERED),
               intent_key(svc.store, cid, "outreach"))
    # The only draft (its Message-ID header may be folded when it is long).
    (draft, _), = svc.mailbox.drafts.values()  # type: ignore[attr-defined]
    svc.mailbox.send(str(draft["Message-ID"]))  # type: ignore[attr-defined]
    tick(svc)
    assert store.get_contact(cid).status == Status.SENT
    clock.now = run_at
    if case.get("wrap") == "body":
        raw = envelope(case, raw, outreach_id, run_at - timedelta(minutes=30))
    svc.mailbox.deliver(parse(raw))  # type: ignore[attr-defined]
    tick(svc)
    return cid


def problems(svc: Services, cid: int, case: dict[str, Any]) -> list[str]:
    """How the contact's end state differs from the index (empty: right)."""
    contact = svc.store.get_contact(cid)
    flag = contact.needs_attention or ""
    timeline = svc.store.timeline(cid)
    found: list[str] = []

    def want(ok: bool, what: str) -> None:
        if not ok:
            found.append(f"{what} (status {contact.status}, needs_attention {flag!r})")

    if case.get("gate") == "unverified":  # a bounce the gate cannot tie to our message
        want(contact.status == Status.SENT and flag.startswith("unverified bounce"),
             "kept as an unverified bounce, flagged")
        return found
    want(str(contact.status) == case["status"], f"status {case['status']}")
    zone = ZoneInfo(case.get("zone", NY.key))
    snooze = contact.snoozed_until.astimezone(zone).date().isoformat() \
        if contact.snoozed_until else None
    if case["kind"] == "auto_reply":
        want(snooze == case.get("snooze"), f"snoozed until {case.get('snooze')} (got {snooze})")
    if case.get("failed"):
        recorded = [e.detail.get("failed_address") for e in timeline]
        want(case["failed"] in recorded, f"failed address {case['failed']} recorded")
    if case["kind"] == "delayed":
        want(any("delay" in (e.cause or "").lower() for e in timeline), "delay recorded")
    if case.get("flag"):
        want(flag.startswith(case["flag"]), f"flagged {case['flag']!r}")
    if case.get("referral"):
        want(case["referral"] in flag, f"referral {case['referral']} offered")
    if case.get("option"):
        interview = svc.store.interview_for(cid)
        start = OFFERED[case["option"] - 1].start
        want(interview is not None and interview.start == start, f"booked option {case['option']}")
    if case.get("text"):
        shown = [str(m.detail.get("summary", "")) for m in svc.store.messages_for(cid)
                 if m.direction == "inbound"]
        want(any(case["text"] in s for s in shown), f"text {case['text']!r} shown (got {shown})")
    return found


def case_id(case: dict[str, Any]) -> str:
    return f"{case['kind']}:{Path(case['file']).stem}"


@pytest.mark.parametrize("case", INDEX, ids=[case_id(c) for c in INDEX])
def test_corpus_message_end_to_end(services: tuple[Services, Clock], case: dict[str, Any]) -> None:
    svc, clock = services
    cid = run_case(svc, clock, case)
    found = problems(svc, cid, case)
    if case.get("known"):
        assert found, f"{case['file']} is right now: remove its 'known' from INDEX.toml"
        pytest.xfail(f"{case['known']}: {found}")
    if found:
        pytest.fail("; ".join(found), pytrace=False)
    again = tick(svc)
    assert not again.changed, again.events  # idempotent: a second tick changes nothing


def test_index_names_origin_and_license_of_every_real_message() -> None:
    """Each real fixture says where it came from; each file in the corpus is in the index."""
    for case in INDEX:
        assert (FIXTURES / case["file"]).is_file(), case["file"]
        if case["origin"] == "real":
            assert case["repo"] and case["path"] and len(case["commit"]) == 40, case["file"]
            assert case["license"] in ("BSD-2-Clause", "MIT", "Apache-2.0"), case["file"]
    listed = {c["file"] for c in INDEX}
    on_disk = {str(p.relative_to(FIXTURES)) for d in ("real", "written")
               for p in (FIXTURES / d).rglob("*") if p.is_file()}
    assert on_disk == listed


def test_corpus_covers_servers_languages_and_clients() -> None:
    """The corpus keeps its breadth: mostly real, 25+ mail systems, 8+ languages, 10+ clients."""
    real = [c for c in INDEX if c["origin"] == "real"]
    assert len(INDEX) >= 150 and len(real) > len(INDEX) / 2
    systems = {c["source"] for c in real if c["kind"] in ("bounce", "delayed")}
    assert len(systems) >= 25, sorted(systems)
    for kind in ("auto_reply", "opt_out", "decline"):
        languages = {c.get("language", "en") for c in INDEX if c["kind"] == kind}
        assert len(languages) >= 8, (kind, sorted(languages))
    clients = {c["source"].split(" (")[0] for c in real if c["kind"] == "human" and "source" in c}
    assert len(clients) >= 10, sorted(clients)
