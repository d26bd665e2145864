"""Workloads the benchmarks generate for themselves, so ``make bench`` needs nothing from outside.

- ``big_workspace``: 10,000 contacts spread over every status, with the messages, timeline,
  referrals and a year of interviews (about 1,700 event files, most of them in the past) that a
  year of real use leaves behind, written through the real store and the real vdir/Maildir
  adapters, then settled by one real pass so that the next pass is idle.
- ``recurring_busy_ics``: a ~1.5 MB calendar of recurring and one-off busy events.
- ``linkedin_csv``: a LinkedIn "Connections" export of any size.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.adapters.local.maildir import MaildirMailbox
from automation.adapters.local.vdir import VdirCalendar
from automation.adapters.store import Store
from automation.core.models import Status
from automation.core.records import ContactRecord, EventSpec

NY = ZoneInfo("America/New_York")
#: The benchmarks' "now": a Monday morning in the user's zone (as the demo's).
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/Berlin", "")

CONFIG = """[me]
name = "Alex Rivera"
email = "alex@example.org"
timezone = "America/New_York"

[backend]
kind = "local"

[availability]
hours = ["08:00-18:00"]
horizon_days = 21
max_per_day = 40
busy_ics = [{busy}]

[cadence]
daily_outreach_cap = {cap}
"""

# How 10,000 contacts spread over the pipeline after a year of use (side exits included).
SPREAD = {
    Status.NEW: 300, Status.DRAFTED: 200, Status.SENT: 1500, Status.REPLIED: 100,
    Status.SCHEDULED: 300, Status.INTERVIEWED: 50, Status.THANKED: 400,
    Status.NURTURING: 1600, Status.DECLINED: 900, Status.NO_RESPONSE: 3850,
    Status.BOUNCED: 500, Status.OPTED_OUT: 300,
}


def write_config(root: Path, *, busy_ics: Path | None = None, cap: int = 10) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "automation.toml"
    path.write_text(CONFIG.format(busy=f'"{busy_ics}"' if busy_ics else "", cap=cap))
    return path


def linkedin_csv(path: Path, rows: int) -> Path:
    """A LinkedIn Connections export (its three preamble lines, then the header)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write("Notes:\n\"When exporting your connection data, you may notice...\"\n\n")
        writer = csv.writer(fh)
        writer.writerow(["First Name", "Last Name", "URL", "Email Address", "Company",
                         "Position", "Connected On"])
        for i in range(rows):
            writer.writerow([f"First{i}", f"Last{i}", f"https://www.linkedin.com/in/p{i}",
                             f"person{i}@example.com", f"Company {i % 997}", "Engineer",
                             "07 Mar 2025"])
    return path


def recurring_busy_ics(path: Path, target_bytes: int = 1_500_000) -> Path:
    """A busy calendar of weekly recurring meetings and one-off events, about ``target_bytes``."""
    rng = random.Random(7)
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"]
    size, i = len(parts[0]), 0
    start0 = NOW - timedelta(days=365)
    while size < target_bytes:
        start = start0 + timedelta(days=rng.randrange(430), hours=rng.randrange(8, 18))
        rule = "RRULE:FREQ=WEEKLY;COUNT=20\r\n" if i % 10 == 0 else ""
        event = (f"BEGIN:VEVENT\r\nUID:busy-{i}@bench\r\n"
                 f"DTSTAMP:20260101T000000Z\r\n"
                 f"DTSTART:{start.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}\r\n"
                 f"DTEND:{(start + timedelta(minutes=30)).astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}\r\n"
                 f"SUMMARY:Busy block {i}\r\nDESCRIPTION:{'x' * 60}\r\n{rule}END:VEVENT\r\n")
        parts.append(event)
        size += len(event)
        i += 1
    parts.append("END:VCALENDAR\r\n")
    path.write_text("".join(parts))
    return path


def _message(contact_email: str, subject: str, at: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Alex Rivera <alex@example.org>"
    msg["To"] = contact_email
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = make_msgid(domain="example.org")
    msg.set_content("Hi,\n\nTen minutes?\n\nAlex\n")
    return msg


def big_workspace(root: Path, contacts: int = 10_000, *, seed: int = 1) -> Path:
    """A workspace with ``contacts`` contacts after a year of use; returns its config path.

    Written through the real store and adapters; drafts really sit in ``Drafts/`` and sent mail
    in ``Sent/``, interviews are real ``.ics`` files, so a pass reads what a real one reads.
    """
    rng = random.Random(seed)
    config = write_config(root)
    store = Store.open(root / "automation.db")
    mailbox = MaildirMailbox(root / "mail")
    calendar = VdirCalendar(root / "calendar", (), NY)
    scale = contacts / sum(SPREAD.values())
    statuses = [s for s, n in SPREAD.items() for _ in range(max(1, round(n * scale)))]
    interviewed = {Status.INTERVIEWED, Status.THANKED, Status.NURTURING}
    with store.transaction():
        for i, status in enumerate(statuses[:contacts]):
            _one_contact(store, mailbox, calendar, rng, i, status, interviewed)
    store.close()
    return config


def _one_contact(store: Store, mailbox: MaildirMailbox, calendar: VdirCalendar,
                 rng: random.Random, i: int, status: Status, interviewed: set[Status]) -> None:
    email = f"person{i}@example.com"
    record = ContactRecord(email=email, name=f"First{i} Last{i}", first_name=f"First{i}",
                           last_name=f"Last{i}", company=f"Company {i % 997}", role="Engineer",
                           timezone=ZONES[i % len(ZONES)] or None, line=i + 2)
    oldest = 30 if status in interviewed else 2  # interviews of the past happened in the past
    created = NOW - timedelta(days=rng.randrange(oldest, 365))
    contact, _ = store.upsert_contact(record, created)
    cid = int(contact.id or 0)
    if status is Status.NEW:
        return
    subject = f"Ten minutes to learn about your work at Company {i % 997}?"
    sent_at = created + timedelta(hours=2)
    if status is Status.DRAFTED:
        # A recent draft still waiting in Drafts (its holds lapse on their own).
        msg = _message(email, subject, NOW - timedelta(hours=3))
        ref = mailbox.create_draft(msg)
        store.add_message(contact_id=cid, kind="outreach", direction="draft", state="drafted",
                          now=NOW - timedelta(hours=3), message_id=ref.message_id,
                          draft_id=ref.draft_id, subject=subject)
        store.set_status(cid, Status.DRAFTED, NOW - timedelta(hours=3), cause="outreach drafted")
        return
    if status is Status.SENT:
        sent_at = NOW - timedelta(hours=rng.randrange(1, 40))  # not yet due a follow-up
    msg = _message(email, subject, sent_at)
    mid = str(msg["Message-ID"])
    store.add_message(contact_id=cid, kind="outreach", direction="draft", state="sent",
                      now=sent_at, message_id=mid, draft_id=mid, subject=subject,
                      sent_at=sent_at)
    store.add_message(contact_id=cid, kind="outreach", direction="sent", state="sent",
                      now=sent_at, message_id=mid, subject=subject, sent_at=sent_at)
    store.set_status(cid, Status.DRAFTED, sent_at, cause="outreach drafted")
    store.set_status(cid, Status.SENT, sent_at, cause="sent by the user")
    if status in (Status.SENT, Status.NO_RESPONSE, Status.BOUNCED):
        if status is not Status.SENT:
            store.set_status(cid, status, sent_at + timedelta(days=9), cause="bench history")
        return
    reply_at = sent_at + timedelta(days=rng.randrange(1, 4))
    store.add_message(contact_id=cid, kind="reply", direction="inbound", state="received",
                      now=reply_at, message_id=make_msgid(domain="example.com"),
                      subject="Re: " + subject, in_reply_to=mid, classification="human")
    store.set_status(cid, Status.REPLIED, reply_at, cause="reply")
    if status in (Status.REPLIED, Status.DECLINED, Status.OPTED_OUT):
        if status is not Status.REPLIED:
            store.set_status(cid, status, reply_at, cause="reply")
        return
    if status is Status.SCHEDULED:
        start = NOW + timedelta(days=1 + i % 20, hours=i % 8)
    else:
        start = reply_at + timedelta(days=3)
    start = start.replace(minute=(i % 5) * 10, second=0, microsecond=0)
    uid = f"{i:08x}bench{cid:08x}"
    spec = EventSpec(uid=uid, start=start, end=start + timedelta(minutes=10),
                     summary=f"10-minute call: Alex Rivera & First{i} Last{i}",
                     description="An informational interview.", location="Phone call",
                     organizer_name="Alex Rivera", organizer_email="alex@example.org",
                     attendee_name=f"First{i} Last{i}", attendee_email=email,
                     timezone="America/New_York")
    ref = calendar.put_event(spec)
    store.save_interview(cid, uid, spec.start, spec.end, 0, "confirmed", reply_at, event_ref=ref)
    store.set_status(cid, Status.SCHEDULED, reply_at, cause="booked")
    if status in interviewed:
        store.set_status(cid, Status.INTERVIEWED, spec.end, cause="event ended")
    if status in (Status.THANKED, Status.NURTURING):
        store.set_status(cid, Status.THANKED, spec.end + timedelta(hours=3), cause="thanked")
        if status is Status.NURTURING:
            store.set_status(cid, Status.NURTURING, spec.end + timedelta(days=7),
                             cause="thank-you sent")
            if i % 7 == 0 and cid > 10:
                store.add_referral(cid, cid - 10, spec.end + timedelta(days=7))
