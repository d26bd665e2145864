"""The whole pipeline end to end, playing the user and the people they write to.

Part 1 runs every message of the fixture corpus (tests/fixtures/mail + expected.json) through
the real tick — sync, matching, classification, decision, booking — on the in-memory ports,
rewriting each fixture's In-Reply-To/References/From/Date to the Message-IDs and addresses of
the scenario, and checks the contact ends where expected.json says.

Part 2 runs scenarios through the command line on a real workspace (Maildir + calendar
folder): it moves drafts from ``mail/Drafts`` to ``mail/Sent`` (sometimes with a new
Message-ID, as some clients do), drops replies into ``mail/INBOX/new``, deletes drafts and
advances ``AUTOMATION_NOW``: from import to ``nurturing``, and every side exit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.app.drafting import DraftRequest, draft_once, intent_key
from automation.app.services import Services
from automation.app.tick import tick
from automation.bootstrap import open_services
from automation.config import load_config
from automation.core.compose import build_message, new_message_id, reply_subject
from automation.core.models import Slot, Status
from automation.core.records import ContactRecord
from automation.core.replies import classify
from automation.interfaces.cli.setup_cmds import CONFIG_TEMPLATE
from tests.support import play
from tests.support.crashkit import kind_of
from tests.support.workspace import Workspace, write_csv

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
CORPUS_TZ = ZoneInfo(EXPECTED["timezone"])
CORPUS_NOW = datetime.fromisoformat(EXPECTED["now"])
OUTREACH_AT = datetime.fromisoformat(EXPECTED["outreach"]["date"])
OFFERED = [Slot(datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"]))
           for o in EXPECTED["offered"]]
NY = ZoneInfo("America/New_York")


# -- rewriting a fixture for a scenario -----------------------------------------------------


def rewrite(raw: bytes, headers: dict[str, str | None]) -> bytes:
    """``raw`` with the named headers replaced (None: removed); the body is left untouched."""
    eol = b"\r\n" if b"\r\n" in raw.split(b"\n", 1)[0] + b"\n" else b"\n"
    head, _, body = raw.partition(eol + eol)
    fields: list[bytes] = []
    for line in head.split(eol):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += eol + line
        else:
            fields.append(line)
    names = {n.lower() for n in headers}
    kept = [f for f in fields if f.split(b":", 1)[0].strip().lower().decode() not in names]
    added = [f"{n}: {v}".encode() for n, v in headers.items() if v is not None]
    return eol.join(kept + added) + eol + eol + body


def thread_headers(raw: bytes, ids: dict[str, str]) -> dict[str, str | None]:
    """In-Reply-To/References of a fixture, its placeholder ids swapped for the real ones."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)

    def swap(value: str | None) -> str | None:
        if not value:
            return None
        return re.sub(r"<(outreach|follow_up)-[^>]*>", lambda m: ids[m.group(1)], " ".join(
            value.split()))

    return {"In-Reply-To": swap(message["In-Reply-To"]), "References": swap(message["References"])}


def fixture_reply(name: str, ids: dict[str, str], *, date: datetime,
                  sender: str | None = None) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    headers = {**thread_headers(raw, ids), "Date": format_datetime(date)}
    if sender is not None:
        headers["From"] = sender
    return rewrite(raw, headers)


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]


# -- part 1: the corpus through the pipeline -------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def memory_services(tmp_path: Path) -> Iterator[tuple[Services, Clock]]:
    config = tmp_path / "automation.toml"
    config.write_text(CONFIG_TEMPLATE.format(name="Alex Rivera", email="alex@example.org",
                                             timezone="America/New_York"))
    clock = Clock(OUTREACH_AT)
    svc = open_services(load_config(config), clock, mailbox=MemoryMailbox(),
                        calendar=MemoryCalendar())
    yield svc, clock
    svc.close()


def outreach_sent(svc: Services, clock: Clock, email: str, *, follow_up: bool) -> dict[str, str]:
    """A contact whose outreach offering OFFERED (and maybe a follow-up) the user sent."""
    store, me = svc.store, svc.config.me
    contact, _ = store.upsert_contact(ContactRecord(email=email, line=1, name="Pat Doe",
                                                    first_name="Pat", timezone=CORPUS_TZ.key),
                                      clock())
    cid = contact.id or 0
    # Message-IDs of the old scheme (kind and contact in the id): still recognised.
    ids = {"outreach": f"<outreach-{cid}-0a1b2c3d4e5f@example.org>"}
    message = build_message(sender_name=me.name, sender=me.email, to_name="Pat Doe", to=email,
                            subject="Ten minutes to learn about your work?", body="Hi Pat\n",
                            now=clock(), message_id=ids["outreach"])
    message["X-Automation-Kind"] = "outreach"  # as the old scheme wrote it
    draft_once(svc, DraftRequest(cid, "outreach", message, new_status=Status.DRAFTED,
                                 cause="outreach drafted", holds=OFFERED),
               intent_key(svc.store, cid, "outreach"))
    svc.mailbox.send(ids["outreach"])  # type: ignore[attr-defined]
    if follow_up:
        clock.now += timedelta(hours=2)
        ids["follow_up"] = new_message_id(me.email)
        message = build_message(sender_name=me.name, sender=me.email, to_name="Pat Doe",
                                to=email, subject=reply_subject(str(message["Subject"])),
                                body="Floating this up\n", now=clock(),
                                message_id=ids["follow_up"], in_reply_to=ids["outreach"])
        draft_once(svc, DraftRequest(cid, "follow_up", message, cause="follow-up drafted"),
                   intent_key(svc.store, cid, "follow_up"))
        svc.mailbox.send(ids["follow_up"])  # type: ignore[attr-defined]
    tick(svc)
    assert store.get_contact(cid).status == Status.SENT
    return ids


MATCHED_BY = {"in_reply_to": "headers", "references": "headers", "sender": "sender",
              "alias": "sender", "failed_address": "failed_address"}


def outcome_problems(svc: Services, case: dict) -> list[str]:
    """How the contact's end state differs from what expected.json implies (empty: right)."""
    contact = svc.store.require_contact(case["contact"])
    got, kind, pick = contact.status, case["kind"], case["pick"] or {}
    attention = contact.needs_attention or ""
    problems = []

    def want(condition: bool, what: str) -> None:
        if not condition:
            problems.append(f"{what} (status {got}, needs_attention {attention!r})")

    inbound = [m for m in svc.store.messages_for(contact.id or 0) if m.direction == "inbound"]
    want(len(inbound) == 1 and inbound[0].detail.get("matched_by") ==
         MATCHED_BY[case["matching"]], f"matched by {case['matching']}")
    interview = svc.store.interview_for(contact.id or 0)
    if kind == "human" and pick.get("kind") in ("option", "time"):
        start = (OFFERED[pick["index"]].start if pick["kind"] == "option"
                 else datetime.fromisoformat(pick["start"]))
        want(got == Status.SCHEDULED and interview is not None and interview.start == start,
             f"booked at {start}")
    elif kind in ("human", "redirect"):
        want(got == Status.REPLIED, "replied")
        want(attention.startswith("reply needs you" if kind == "human" else "redirect:"),
             "flagged for the user")
    elif kind == "auto_reply":
        want(got == Status.SENT, "still sent")
        snooze = contact.snoozed_until.astimezone(CORPUS_TZ).date().isoformat() \
            if contact.snoozed_until else None
        want(snooze == case["snooze_until"], f"snoozed until {case['snooze_until']}")
    else:
        want(got == {"bounce": Status.BOUNCED, "opt_out": Status.OPTED_OUT,
                     "decline": Status.DECLINED}[kind], kind)
    if case["redirect_to"]:
        want(case["redirect_to"][1] in attention, "referral offered")
    if kind == "bounce":
        causes = [e.detail.get("failed_address") for e in svc.store.timeline(contact.id or 0)]
        want(case["failed_addresses"][0] in causes, "failed address recorded")
    return problems


def run_corpus_case(svc: Services, clock: Clock, case: dict) -> None:
    raw = (FIXTURES / case["file"]).read_bytes()
    sender = None
    ids = outreach_sent(svc, clock, case["contact"], follow_up=case["matching"] == "references")
    if case["matching"] == "alias":  # the user linked the other address to the contact
        other = parse(raw)["From"].addresses[0].addr_spec
        contact = svc.store.require_contact(case["contact"])
        svc.store.add_alias(contact.id or 0, other)
    clock.now = CORPUS_NOW
    svc.mailbox.deliver(parse(fixture_reply(case["file"], ids, date=CORPUS_NOW - timedelta(  # type: ignore[attr-defined]
        hours=1), sender=sender)))
    tick(svc)


@pytest.mark.parametrize("case", EXPECTED["cases"], ids=[c["file"][:3] for c in EXPECTED["cases"]])
def test_corpus_end_to_end(memory_services: tuple[Services, Clock], case: dict) -> None:
    verdict = classify(parse((FIXTURES / case["file"]).read_bytes()), now=CORPUS_NOW,
                       tz=CORPUS_TZ)
    svc, clock = memory_services
    run_corpus_case(svc, clock, case)
    problems = outcome_problems(svc, case)
    # Both must hold: a misread message is a wrong outcome for the user, not an expected
    # failure; the first assertion says which layer is wrong when the second fails.
    assert verdict.kind == case["kind"], \
        f"the classifier reads {case['file']} as {verdict.kind}, not {case['kind']}: {problems}"
    assert problems == []
    again = tick(svc)
    assert not again.changed, again.events  # idempotent: a second tick changes nothing


# -- part 2: through the command line, on a real workspace ----------------------------------

MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)


def at(day: int, hour: int, minute: int = 0, zone: ZoneInfo = NY) -> datetime:
    """A time in December 2026 (Monday the 7th is day 7)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=zone)


class Story:
    """The user at their mail client, the people they wrote to, and the clock."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self, now: datetime) -> str:
        return self.ws.ok("run", "--once", now=now.isoformat()).out

    def quiet(self, now: datetime) -> None:
        out = self.run(now)
        assert "Nothing to do" in out, out

    def start(self, *rows: str, now: datetime = MONDAY) -> None:
        self.ws.ok("import", str(write_csv(self.ws.root.parent / "contacts.csv", list(rows))),
                   now=now.isoformat())
        assert "Drafted outreach" in self.run(now)

    def draft(self, email: str, kind: str = "outreach") -> EmailMessage:
        # What a draft is lives in the database only (the Message-ID is opaque).
        ours = {m["message_id"] for m in self.show(email)["messages"]
                if m["kind"] == kind and m["direction"] == "draft" and m["state"] == "drafted"}
        found = [d for d in self.ws.drafts() if d["To"].addresses[0].addr_spec == email
                 and str(d["Message-ID"]) in ours]
        assert len(found) == 1, [str(d["Message-ID"]) for d in self.ws.drafts()]
        return found[0]

    def send(self, email: str, kind: str, when: datetime, new_id: str | None = None) -> str:
        """Press Send; returns the Message-ID of the copy in Sent."""
        draft_id = str(self.draft(email, kind)["Message-ID"])
        play.send(self.ws.maildir, draft_id, new_message_id=new_id, date=when)
        return new_id or draft_id

    def reply(self, fixture: str, ids: dict[str, str], when: datetime,
              sender: str | None = None) -> EmailMessage:
        """Deliver ``fixture`` as an answer to ``ids``; a person's reply (h/d/o/r fixtures)
        comes from the contact the outreach went to, as a real one would: only the contact
        speaks for the contact."""
        if sender is None and ids.get("outreach") and fixture[0] in "hdor":
            sent = [m for m in self.ws.messages("Sent")
                    if str(m["Message-ID"]).strip() == ids["outreach"]]
            sender = str(sent[0]["To"]) if sent else None
        raw = fixture_reply(fixture, ids, date=when, sender=sender)
        play.deliver(self.ws.maildir, raw)
        return parse(raw)

    def show(self, email: str) -> dict:
        return self.ws.ok("show", email, "--json").json()

    def status(self, email: str) -> str:
        return self.show(email)["status"]


@pytest.fixture
def story(workspace: Workspace) -> Story:
    """These stories were written for a 4-business-day, two-follow-up cadence: the config
    sets those keys and keeps them (the defaults are now the method's 7 and 1)."""
    workspace.set_config("cadence", "follow_up_after_business_days", "4")
    workspace.set_config("cadence", "max_follow_ups", "2")
    return Story(workspace)


PRIYA = "Priya,Raman,priya.raman@example.com,County Health Department,Epidemiologist,America/New_York,"


def test_from_import_to_nurturing(story: Story) -> None:
    story.start(PRIYA)
    outreach = story.send("priya.raman@example.com", "outreach", at(7, 9))
    out = story.run(at(7, 9, 5))
    assert "priya.raman@example.com: → sent (outreach sent)" in out
    shown = story.show("priya.raman@example.com")
    sent_event = [e for e in shown["timeline"] if e["new_status"] == "sent"][-1]
    assert datetime.fromisoformat(sent_event["at"]) == at(7, 9)  # the time it was sent
    offered = [datetime.fromisoformat(o["start"]) for o in shown["offered"]]
    assert len(offered) == 3

    reply = story.reply("h01_gmail_option_2.eml", {"outreach": outreach}, at(7, 16))
    out = story.run(at(7, 16, 5))
    assert "→ replied" in out and "Booked priya.raman@example.com" in out
    shown = story.show("priya.raman@example.com")
    assert shown["status"] == "scheduled"
    assert datetime.fromisoformat(shown["interview"]["start"]) == offered[1]
    confirmation = story.draft("priya.raman@example.com", "confirmation")
    assert confirmation["In-Reply-To"] == reply["Message-ID"]
    assert outreach in str(confirmation["References"])
    # "Re: " + the subject of the message answered (her reply), as Gmail's threading wants.
    assert str(confirmation["Subject"]) == str(reply["Subject"])
    story.quiet(at(7, 16, 6))  # idempotent

    story.send("priya.raman@example.com", "confirmation", at(7, 16, 30))
    assert "confirmation sent" in story.run(at(7, 16, 35))
    story.ws.ok("note", "priya.raman@example.com", "the advice on portfolios",
                now=at(7, 17).isoformat())
    end = datetime.fromisoformat(shown["interview"]["end"])
    story.quiet(end - timedelta(minutes=1))
    out = story.run(end + timedelta(minutes=1))
    assert "→ interviewed" in out and "Drafted thank-you to priya.raman@example.com" in out
    thanks = story.draft("priya.raman@example.com", "thank_you")
    body = thanks.get_content()
    assert "the advice on portfolios" in body and "up to five" in body
    assert "mention your name" in body
    assert str(thanks["Subject"]) == str(reply["Subject"])  # the thread's latest subject
    assert thanks["In-Reply-To"] is not None and outreach in str(thanks["References"])

    story.send("priya.raman@example.com", "thank_you", end + timedelta(hours=2))
    out = story.run(end + timedelta(hours=2, minutes=5))
    assert "→ thanked" in out and "→ nurturing" in out
    shown = story.show("priya.raman@example.com")
    changes = [(e["old_status"], e["new_status"]) for e in shown["timeline"] if e["new_status"]]
    assert changes == [(None, "new"), ("new", "drafted"), ("drafted", "sent"),
                       ("sent", "replied"), ("replied", "scheduled"),
                       ("scheduled", "interviewed"), ("interviewed", "thanked"),
                       ("thanked", "nurturing")]
    assert all(e["cause"] for e in shown["timeline"] if e["new_status"])
    drafted = {m["message_id"] for m in shown["messages"] if m["direction"] == "draft"}
    assert len(drafted) == 3 and drafted <= {e["message_id"] for e in shown["timeline"]}

    # Check-ins every 90 days after the last exchange (the thank-you).
    sent_thanks = end + timedelta(hours=2)
    story.quiet(sent_thanks + timedelta(days=89))
    story.ws.ok("update", "I finished the epidemiology course",
                now=(sent_thanks + timedelta(days=89)).isoformat())
    assert "Drafted check-in to priya.raman@example.com" in \
        story.run(sent_thanks + timedelta(days=90, minutes=1))

    # Referral yield, and the referral's outreach names Priya.
    before = story.ws.ok("status", "--json").json()["referrals"]
    assert before == {"interviews": 1, "referrals": 0, "per_interview": 0.0, "target": 5}
    story.ws.ok("refer", "priya.raman@example.com", "--name", "Sam Lee", "--email",
                "sam.lee@example.com", "--company", "Bright Comms")
    after = story.ws.ok("status", "--json").json()["referrals"]
    assert after == {"interviews": 1, "referrals": 1, "per_interview": 1.0, "target": 5}
    assert "Referrals: 1 from 1 interview(s)" in story.ws.ok("status").out
    story.run(sent_thanks + timedelta(days=91))
    assert "Priya Raman suggested I contact you" in story.draft("sam.lee@example.com").get_content()
    assert story.show("sam.lee@example.com")["referrals"]["referred_by"] == \
        "priya.raman@example.com"
    assert story.show("priya.raman@example.com")["referrals"]["introduced"] == \
        ["sam.lee@example.com"]


def test_decline_ends_it_and_frees_the_slots(story: Story) -> None:
    story.start("Will,Turner,will.turner@example.com,Acme,,America/New_York,")
    outreach = story.send("will.turner@example.com", "outreach", at(7, 9))
    story.reply("d01_not_a_good_time.eml", {"outreach": outreach}, at(7, 12))
    out = story.run(at(7, 12, 5))
    assert "→ sent" in out and "→ declined" in out
    assert story.ws.contact("will.turner@example.com")["offered_slots"] == []
    story.quiet(at(7, 12) + timedelta(days=40))
    assert story.ws.drafts() == []


def test_no_response_after_follow_ups_on_business_days(story: Story) -> None:
    email = "grace.kim@example.com"
    story.start(f"Grace,Kim,{email},,,America/New_York,")
    outreach = story.send(email, "outreach", at(7, 9))
    assert "→ sent" in story.run(at(7, 9, 5))
    story.quiet(at(10, 9))  # Thursday: three business days
    out = story.run(at(11, 9))  # Friday 09:00: four
    assert f"Drafted follow-up to {email}" in out and "3 fresh slots offered" in out
    first = story.draft(email, "follow_up")
    assert first["In-Reply-To"] == outreach
    assert str(first["Subject"]) == "Re: A question about your path"
    assert "1. " in first.get_content()
    story.send(email, "follow_up", at(11, 10))
    assert f"{email}: follow-up sent" in story.run(at(11, 10, 5))
    story.quiet(at(12, 12))  # the weekend does not count
    story.quiet(at(17, 9, 59))  # Friday 10:00 + 4 business days = Thursday 10:00
    assert f"Drafted follow-up to {email}" in story.run(at(17, 10))
    second = story.draft(email, "follow_up")
    assert outreach in str(second["References"])
    story.send(email, "follow_up", at(17, 11))
    assert f"{email}: follow-up sent" in story.run(at(17, 11, 5))
    story.quiet(at(24, 10, 59))  # max_follow_ups = 2: then no_response after 7 days
    assert f"{email}: → no_response" in story.run(at(24, 11))
    story.quiet(at(24, 11) + timedelta(days=60))
    assert story.status(email) == "no_response"


def test_bounce_without_threading_headers(story: Story) -> None:
    email = "kim.nguyen@example.net"
    story.start(f"Kim,Nguyen,{email},,,America/New_York,")
    outreach = story.send(email, "outreach", at(7, 9))
    story.reply("b03_postfix_bounce.eml", {"outreach": outreach}, at(7, 9, 15))
    assert f"{email}: → bounced" in story.run(at(7, 9, 20))
    shown = story.show(email)
    assert any(e["detail"].get("failed_address") == email for e in shown["timeline"])
    assert [m["classification"] for m in shown["messages"]
            if m["direction"] == "inbound"] == ["bounce"]
    story.quiet(at(7, 9) + timedelta(days=30))


def test_opt_out_withdraws_the_unsent_follow_up(story: Story) -> None:
    email = "greg.hall@example.com"
    story.start(f"Greg,Hall,{email},,,America/New_York,")
    outreach = story.send(email, "outreach", at(7, 9))
    assert "Drafted follow-up" in story.run(at(11, 9))
    follow_up = str(story.draft(email, "follow_up")["Message-ID"])
    story.reply("o02_gmail_stop_emailing.eml", {"outreach": outreach}, at(11, 12))
    out = story.run(at(11, 12, 5))
    assert f"Withdrew follow-up draft to {email}" in out and "→ opted_out" in out
    assert story.ws.drafts() == []
    states = {m["message_id"]: m["state"] for m in story.show(email)["messages"]}
    assert states[follow_up] == "withdrawn"
    story.quiet(at(11, 12) + timedelta(days=200))


def test_out_of_office_snoozes_follow_ups(story: Story) -> None:
    chicago = ZoneInfo("America/Chicago")
    email = "dana.lee@example.net"
    story.start(f"Dana,Lee,{email},City Hospital,,America/Chicago,")
    outreach = story.send(email, "outreach", at(7, 9, zone=chicago))
    story.reply("a01_exchange_ooo_return_date.eml", {"outreach": outreach}, at(7, 9, 30, chicago))
    out = story.run(at(7, 10, zone=chicago))
    assert "snooze until 2026-12-14" in out
    shown = story.show(email)
    assert shown["status"] == "sent"
    assert datetime.fromisoformat(shown["snoozed_until"]) == at(14, 0, zone=chicago)
    story.quiet(at(11, 12, zone=chicago))  # the follow-up was due on Friday 09:00: it waits
    story.quiet(at(13, 23, 59, chicago))
    assert f"Drafted follow-up to {email}" in story.run(at(14, 0, 1, chicago))


def test_redirect_offers_the_referral(story: Story) -> None:
    email = "chris.young@example.com"
    story.start(f"Chris,Young,{email},,,America/New_York,")
    outreach = story.send(email, "outreach", at(7, 9))
    story.reply("r01_colleague_angle_address.eml", {"outreach": outreach}, at(7, 15))
    out = story.run(at(7, 15, 5))
    assert "→ replied" in out
    reason = story.ws.contact(email)["needs_attention"]
    command = f"automation refer {email} --name 'Sam Patel' --email sam.patel@example.com"
    assert command in reason
    story.ws.ok("refer", email, "--name", "Sam Patel", "--email", "sam.patel@example.com",
                now=at(7, 16).isoformat())
    assert story.ws.contact(email)["needs_attention"] is None
    assert "Drafted outreach to sam.patel@example.com" in story.run(at(7, 17))
    assert "Chris Young suggested I contact you" in \
        story.draft("sam.patel@example.com").get_content()


def test_reply_from_another_address_of_the_contact(story: Story) -> None:
    story.start('Jordan,Okafor,"jordan.okafor@example.com; jordan.okafor.home@mail.example.net",'
                "Food & Beverage Co,,America/New_York,")
    assert story.show("jordan.okafor@example.com")["aliases"] == [
        "jordan.okafor.home@mail.example.net"]
    story.send("jordan.okafor@example.com", "outreach", at(7, 9))
    offered = story.show("jordan.okafor@example.com")["offered"]
    story.reply("h10_other_address_option_1.eml", {}, at(7, 14))
    out = story.run(at(7, 14, 5))
    assert "Booked jordan.okafor@example.com" in out
    interview = story.show("jordan.okafor@example.com")["interview"]
    assert interview["start"] == offered[0]["start"]


def test_reply_in_a_new_thread(story: Story) -> None:
    story.ws.set_config("availability", "hours", '["10:00-11:00"]')
    # "Tomorrow at 10" is the first slot offered only earliest-first; a time not offered
    # would have to clear min_notice_hours, which tomorrow morning does not.
    story.ws.set_config("availability", "vary_time_of_day", "false")
    story.start("Ruth,Adler,ruth.adler@example.org,,,America/New_York,")
    story.send("ruth.adler@example.org", "outreach", at(7, 9))
    story.reply("h09_new_thread_tomorrow_at_10.eml", {}, at(7, 16))  # "Tomorrow at 10 works"
    assert "Booked ruth.adler@example.org" in story.run(at(7, 16, 5))
    shown = story.show("ruth.adler@example.org")
    assert datetime.fromisoformat(shown["interview"]["start"]) == at(8, 10)
    inbound = [e for e in shown["timeline"] if e["event"] == "inbound"]
    assert inbound[0]["detail"]["matched_by"] == "sender"


def test_reply_to_a_follow_up_books_from_the_fresh_offer(story: Story) -> None:
    story.ws.set_config("availability", "hours", '["11:00-12:00"]')
    email = "kai.mensah@example.com"
    story.start(f"Kai,Mensah,{email},,,America/New_York,")
    outreach = story.send(email, "outreach", at(7, 9))
    story.run(at(11, 9))
    follow_up = story.send(email, "follow_up", at(11, 9, 30))
    story.reply("h11_reply_to_follow_up.eml", {"outreach": outreach, "follow_up": follow_up},
                at(11, 15))  # "Monday at 11 works"
    assert f"Booked {email}" in story.run(at(11, 15, 5))
    assert datetime.fromisoformat(story.show(email)["interview"]["start"]) == at(14, 11)


def test_a_reply_withdraws_the_unsent_follow_up(story: Story) -> None:
    # A follow-up after one business day, and holds that lapse at once, so the follow-up
    # carries a fresh offer that differs from the outreach's.
    story.ws.set_config("cadence", "follow_up_after_business_days", "1")
    story.ws.set_config("cadence", "hold_days", "0")
    story.start(PRIYA)
    outreach = story.send("priya.raman@example.com", "outreach", at(7, 9))
    offered = story.show("priya.raman@example.com")["offered"]
    out = story.run(at(8, 9))
    assert "Drafted follow-up" in out and "3 fresh slots offered" in out
    assert story.show("priya.raman@example.com")["offered"] != offered
    story.reply("h01_gmail_option_2.eml", {"outreach": outreach}, at(8, 10))  # "Option 2"
    out = story.run(at(8, 10, 5))
    assert "Withdrew follow-up draft to priya.raman@example.com: a reply arrived" in out, out
    kinds = sorted(kind_of(d) for d in story.ws.drafts())
    assert kinds == ["confirmation"]  # the follow-up is gone; the confirmation is there
    # "Option 2" is the outreach's option 2: the withdrawn follow-up offered nothing.
    interview = story.show("priya.raman@example.com")["interview"]
    assert interview["start"] == offered[1]["start"]


def test_deleted_outreach_is_flagged_not_redrafted(story: Story) -> None:
    story.start(PRIYA)
    play.discard(story.ws.maildir, str(story.draft("priya.raman@example.com")["Message-ID"]))
    # Gone on one pass only is no verdict yet (a scheduled send or undo-send looks the same).
    assert "discarded" not in story.run(at(7, 9))
    out = story.run(at(7, 9, 5))
    assert "Needs attention priya.raman@example.com: outreach draft discarded" in out
    assert story.status("priya.raman@example.com") == "drafted"
    story.quiet(at(8, 9))
    assert story.ws.drafts() == []


def test_sent_copy_with_a_new_message_id(story: Story) -> None:
    story.start(PRIYA)
    minted = story.send("priya.raman@example.com", "outreach", at(7, 9),
                        new_id="<CAK=client-minted-1@mail.example.org>")
    assert "→ sent" in story.run(at(7, 9, 5))
    shown = story.show("priya.raman@example.com")
    assert [m["message_id"] for m in shown["messages"] if m["direction"] == "sent"] == [minted]
    story.reply("h01_gmail_option_2.eml", {"outreach": minted}, at(7, 12))
    assert "Booked priya.raman@example.com" in story.run(at(7, 12, 5))


def test_mark_note_and_show(story: Story) -> None:
    story.start(PRIYA)
    story.send("priya.raman@example.com", "outreach", at(7, 9))
    story.run(at(11, 9))  # a follow-up waits in Drafts
    result = story.ws.ok("mark", "priya.raman@example.com", "declined", "--reason",
                         "said no at the career fair", now=at(11, 10).isoformat())
    assert "1 unsent draft(s) withdrawn" in result.out
    assert story.ws.drafts() == []
    story.ws.ok("note", "priya.raman@example.com", "  the advice  on portfolios ")
    shown = story.show("priya.raman@example.com")
    assert shown["status"] == "declined" and shown["note"] == "the advice on portfolios"
    last = [e for e in shown["timeline"] if e["new_status"]][-1]
    assert last["cause"] == "marked by hand: said no at the career fair"
    text = story.ws.ok("show", "priya.raman@example.com").out
    assert "declined" in text and "marked by hand" in text
    missing = story.ws.run("show", "nobody@example.com")
    assert missing.code == 1 and "no contact" in missing.err
    assert story.ws.run("mark", "priya.raman@example.com", "bogus").code == 2


class FlakyCalendar(MemoryCalendar):
    """A calendar whose first ``failures`` writes fail as a network error would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def put_event(self, event):  # type: ignore[no-untyped-def]
        if self.failures:
            self.failures -= 1
            from automation.errors import BackendError

            raise BackendError("calendar unreachable")
        return super().put_event(event)


def test_a_booking_that_fails_midway_finishes_on_the_next_tick(
        memory_services: tuple[Services, Clock]) -> None:
    svc, clock = memory_services
    svc.calendar = FlakyCalendar(failures=1)
    case = next(c for c in EXPECTED["cases"] if c["file"].startswith("h01"))
    ids = outreach_sent(svc, clock, case["contact"], follow_up=False)
    clock.now = CORPUS_NOW
    svc.mailbox.deliver(parse(fixture_reply(case["file"], ids, date=CORPUS_NOW)))  # type: ignore[attr-defined]
    first = tick(svc)
    assert any("calendar unreachable" in p for p in first.problems)
    contact = svc.store.require_contact(case["contact"])
    assert contact.status == Status.REPLIED  # the reply is recorded; the booking is journaled
    second = tick(svc)
    assert second.problems == []
    contact = svc.store.require_contact(case["contact"])
    assert contact.status == Status.SCHEDULED and contact.needs_attention is None
    assert svc.store.interview_for(contact.id or 0).start == OFFERED[1].start  # type: ignore[union-attr]
    confirmations = [m for m in svc.store.messages_for(contact.id or 0)
                     if m.kind == "confirmation" and m.direction == "draft"]
    assert len(confirmations) == 1 and len(svc.mailbox.drafts) == 1  # type: ignore[attr-defined]
    assert not tick(svc).changed


def test_dry_run_tells_and_writes_nothing(memory_services: tuple[Services, Clock]) -> None:
    svc, clock = memory_services
    case = next(c for c in EXPECTED["cases"] if c["file"].startswith("h01"))
    ids = outreach_sent(svc, clock, case["contact"], follow_up=False)
    clock.now = CORPUS_NOW
    svc.mailbox.deliver(parse(fixture_reply(case["file"], ids, date=CORPUS_NOW)))  # type: ignore[attr-defined]
    before = svc.store.timeline(svc.store.require_contact(case["contact"]).id or 0)
    report = tick(svc, dry_run=True)
    assert any(line.startswith("Would: ") and "→ replied" in line for line in report.events)
    assert any("Booking" in line for line in report.events)
    contact = svc.store.require_contact(case["contact"])
    assert contact.status == Status.SENT and svc.store.timeline(contact.id or 0) == before
    assert tick(svc).pipeline["booked"] == 1  # the real tick still sees the reply


def test_dry_run_through_the_cli_writes_nothing(story: Story) -> None:
    story.start(PRIYA)
    story.send("priya.raman@example.com", "outreach", at(7, 9))
    out = story.ws.ok("run", "--once", "--dry-run", now=at(11, 10).isoformat()).out
    assert "Would: priya.raman@example.com: → sent (outreach sent)" in out
    assert "discarded" not in out and "nothing was written" in out
    assert story.status("priya.raman@example.com") == "drafted"
    assert "→ sent" in story.run(at(11, 10))


def test_a_mail_written_by_hand_is_not_taken_for_the_pending_draft(story: Story) -> None:
    email = "grace.kim@example.com"
    story.start(f"Grace,Kim,{email},,,America/New_York,")
    story.send(email, "outreach", at(7, 9))
    assert "Drafted follow-up" in story.run(at(11, 9))
    follow_up = story.draft(email, "follow_up")
    # The user writes to Grace from their client, same "Re:" subject; the follow-up stays.
    by_hand = build_message(sender_name="Alex Rivera", sender="alex@example.org",
                            to_name="Grace Kim", to=email, subject=str(follow_up["Subject"]),
                            body="Quick note: I'll be in town next week.\n", now=at(11, 10),
                            message_id="<by-hand-1@mail.example.org>")
    play.deliver(story.ws.maildir, by_hand, folder="Sent")
    out = story.run(at(11, 10, 5))
    assert f"{email}: mail you wrote sent" in out
    states = {m["message_id"]: (m["direction"], m["state"])
              for m in story.show(email)["messages"]}
    assert states[str(follow_up["Message-ID"])] == ("draft", "drafted")
    assert states["<by-hand-1@mail.example.org>"] == ("sent", "sent")
    story.draft(email, "follow_up")  # still in Drafts, still ours to track


def test_booking_by_hand_settles_an_unclear_reply(story: Story) -> None:
    story.start(PRIYA)
    outreach = story.send("priya.raman@example.com", "outreach", at(7, 9))
    story.reply("h07_base64_two_options.eml", {"outreach": outreach}, at(7, 15))
    story.run(at(7, 15, 5))
    assert story.ws.contact("priya.raman@example.com")["needs_attention"].startswith(
        "reply needs you")
    story.ws.ok("book", "priya.raman@example.com", "--option", "1", now=at(7, 16).isoformat())
    contact = story.ws.contact("priya.raman@example.com")
    assert contact["status"] == "scheduled"
    assert contact["needs_attention"] is None
