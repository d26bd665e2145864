"""Rows of ``make bench`` for the Google backend's cost, on the loopback fake of Gmail.

The real backend (google-api-python-client over HTTP) talks to ``tests/support/fakegoogle``,
which counts every call's quota units from Google's published table
(developers.google.com/gmail/api/reference/quota) and refuses what goes over the per-user
window with 429, as Google does: units are counted, never estimated.

- drafting rate under a 6,000 units/min budget: the window is 12 s of 1,200 units (the same
  100 units a second, so the same 600 drafts.create a minute at most), so a sustained rate is
  reached in seconds instead of minutes; the window is filled first, then drafts are timed.
  A shorter window is harsher than Google's: each call's latency delays the window's end
  (the pacer counts a call from its answer), and that weighs five times more in 12 s than
  in 60 s.
- the Gmail units of a pass in a fresh process (``automation run --once``, as the timer runs
  it) with 50 of our drafts pending: the pass right after drafting them, and an idle pass.
- reply tracking at 10,000 tracked threads and 10 new messages; the floor is what any
  history-based client pays to see them (history.list 2 + 10 messages.get × 5 = 52); a
  per-thread poller would pay threads.get 10 × 10,000 = 100,000.
"""

from __future__ import annotations

import csv
import itertools
import os
import sys
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from automation.adapters.google.pacing import Pacer, Spend
from automation.adapters.store import Store
from automation.app.observe import CURSOR
from automation.core.compose import build_message
from automation.core.models import Status
from automation.core.records import ContactRecord
from benchmarks.harness import Row, Run, run_process
from benchmarks.workloads import NOW
from tests.support.fakegoogle import FakeGoogle
from tests.support.googlekit import open_on_fake, write_token

ME = "alex@example.org"
BIN = Path(sys.executable).parent
#: Google's per-user budget this service is configured for, and the bench's window on it.
BUDGET_PER_MINUTE = 6000
WINDOW = 12.0
QUOTA = int(BUDGET_PER_MINUTE * WINDOW / 60)  # 1,200 units per 12 s
CREATE_UNITS = 10
LIMIT_PER_MINUTE = BUDGET_PER_MINUTE // CREATE_UNITS  # 600 drafts.create a minute
TRACKED, NEW_REPLIES = 10_000, 10

GOOGLE_CONFIG = """[me]
name = "Alex Rivera"
email = "{me}"
timezone = "America/New_York"

[backend]
kind = "google"

[google]
api_endpoint = "{endpoint}"

[availability]
hours = ["08:00-18:00"]
horizon_days = 21
max_per_day = 80

[cadence]
daily_outreach_cap = {cap}
"""


def _workspace(root: Path, fake: FakeGoogle, cap: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    config = root / "automation.toml"
    config.write_text(GOOGLE_CONFIG.format(me=ME, endpoint=fake.base_url, cap=cap))
    write_token(fake, root / "token.json")
    return config


def _run_once(config: Path) -> Run:
    env = {**os.environ, "AUTOMATION_NOW": NOW.isoformat(), "AUTOMATION_CONFIG": str(config)}
    return run_process([str(BIN / "automation"), "--config", str(config), "run", "--once"],
                       env=env)


def _gmail_units(fake: FakeGoogle) -> int:
    return sum(u for m, u in fake.quota_by_method.items() if m.startswith("gmail."))


def _units_run(fake: FakeGoogle, config: Path) -> Run:
    """One fresh-process pass; ``count`` is the Gmail units the fake counted for it."""
    fake.reset_quota()
    run = _run_once(config)
    return Run(run.wall, run.cpu, run.rss_mib, count=_gmail_units(fake))


def _message(n: int) -> EmailMessage:
    return build_message(sender_name="Alex Rivera", sender=ME, to_name=f"Person {n}",
                         to=f"p{n}@example.com", subject="Ten minutes to learn about your work?",
                         body="Could I ask you a few questions about your work?\n", now=NOW,
                         message_id=f"<bench-{n}@example.org>")


class _LoggedPacer(Pacer):
    """The backend's pacer, noting when each call got through it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.passed: list[float] = []

    def spend(self, units: int) -> Spend:
        record = super().spend(units)
        self.passed.append(self.clock())
        return record


def gmail_drafting(tmp: Path, repeat: int) -> list[Row]:
    """Sustained drafts/min through the real backend's pacer, and the 429s it earned.

    A run is one window's worth of creates, from the moment its first create got through
    the pacer to the moment the next run's first did: the same point of two bursts, so the
    time is what the quota (and the machine, if it is slower) allows, not how evenly one
    burst happened to spread on a loaded machine."""
    with FakeGoogle(email=ME, quota_per_minute=QUOTA, quota_window=WINDOW) as fake:
        pacer = _LoggedPacer(QUOTA, window=WINDOW)
        mailbox, _ = open_on_fake(fake, tmp / "gmail-drafting", pacer=pacer)
        per_window = pacer.limit // CREATE_UNITS
        total = per_window * (1 + max(1, min(repeat, 3))) + 1  # the first window fills it
        for n in range(total):
            mailbox.create_draft(_message(n))
        refused = fake.quota_refusals
        assert len(fake.drafts()) == total and fake.call_count("drafts.create") == total
    starts = pacer.passed[per_window::per_window]
    runs = [Run(later - first, 0.0) for first, later in itertools.pairwise(starts)]
    # The quota's limit, as a run: a window's worth of creates at 600 a minute.
    limit = [Run(per_window * 60 / LIMIT_PER_MINUTE, 0.0)]
    label = f"{BUDGET_PER_MINUTE:,} units/min, counted per {WINDOW:g} s window of {QUOTA:,}"
    return [
        Row(f"Gmail drafting rate ({label})", runs, "rate", unit="drafts/min", target=540,
            peer=limit, peer_label="quota's limit, 600/min", work=per_window * 60),
        Row(f"Gmail drafting: HTTP 429s in {total} drafts", [Run(0.0, 0.0, count=refused)],
            "count", unit="429s", target=0),
    ]


def _contacts_csv(path: Path, count: int) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["First Name", "Last Name", "Email", "Company", "Title", "Timezone"])
        for i in range(count):
            writer.writerow([f"First{i}", f"Last{i}", f"person{i}@example.com",
                             f"Company {i % 97}", "Engineer", "America/Chicago"])
    return path


def _history_floor(fake: FakeGoogle, start: int, fetch: bool) -> int:
    """The least a history-based client pays: one history.list from ``start`` and, with
    ``fetch``, one messages.get per message added since (the raw client, no backend)."""
    service = fake.build("gmail")
    fake.reset_quota()
    answer = service.users().history().list(userId="me", startHistoryId=str(start),
                                            historyTypes=["messageAdded"]).execute()
    if fetch:
        for record in answer.get("history", []):
            for added in record.get("messagesAdded", []):
                service.users().messages().get(userId="me", id=added["message"]["id"],
                                               format="metadata").execute()
    return _gmail_units(fake)


def gmail_pending(tmp: Path, repeat: int) -> list[Row]:
    """Gmail units of a fresh-process pass with 50 of our drafts pending."""
    with FakeGoogle(email=ME, now=lambda: NOW) as fake:
        config = _workspace(tmp / "gmail-pending", fake, cap=50)
        env = {**os.environ, "AUTOMATION_NOW": NOW.isoformat()}
        run_process([str(BIN / "automation"), "--config", str(config), "import",
                     str(_contacts_csv(tmp / "pending.csv", 50))], env=env)
        _run_once(config)  # drafts the 50
        assert len(fake.drafts()) == 50, len(fake.drafts())
        store = Store.open(config.parent / "automation.db")
        cursor = store.get_cursor(CURSOR)  # read before the drafts were made
        assert cursor is not None
        after = []
        for _ in range(repeat):  # the pass right after drafting, again and again
            with store.transaction():
                store.set_cursor(CURSOR, cursor)
            after.append(_units_run(fake, config))
        store.close()
        idle = [_units_run(fake, config) for _ in range(repeat)]
        floor = [Run(0.0, 0.0, count=_history_floor(fake, fake.history_id, fetch=False))]
    return [
        Row("Gmail units, fresh-process pass after drafting 50", after, "count",
            unit="units", target=7, peer=floor, peer_label="one history.list"),
        Row("Gmail units, idle fresh-process pass, 50 drafts pending", idle, "count",
            unit="units", target=7, peer=floor, peer_label="one history.list"),
    ]


def _seed_tracked(fake: FakeGoogle, config: Path) -> list[tuple[str, str]]:
    """``TRACKED`` contacts whose outreach was sent, each with its Gmail thread."""
    threads = []
    sent_at = NOW - timedelta(hours=1)
    with fake.lock:  # the fake's state directly: 10,000 threads through HTTP is slow
        for n in range(TRACKED):
            msg = EmailMessage()
            msg["From"], msg["To"] = f"Alex Rivera <{ME}>", f"p{n}@example.com"
            msg["Subject"] = "Ten minutes to learn about your work?"
            msg["Message-ID"] = f"<seed-{n}@example.org>"
            msg.set_content("Hi, could I ask you a few questions?")
            sent = fake.mailbox._add(msg.as_bytes(), None, ["SENT"], sent_at)
            threads.append((f"p{n}@example.com", sent.thread_id))
    store = Store.open(config.parent / "automation.db")
    with store.transaction():
        for n, (email, thread) in enumerate(threads):
            contact, _ = store.upsert_contact(ContactRecord(email=email, line=n + 1,
                                                            name=f"Person {n}"), NOW)
            cid = contact.id or 0
            store.add_message(contact_id=cid, kind="outreach", direction="sent", state="sent",
                              now=NOW, message_id=f"<seed-{n}@example.org>", thread_id=thread,
                              subject="Ten minutes to learn about your work?", sent_at=sent_at)
            store.update_contact(cid, NOW, thread_id=thread)
            store.set_status(cid, Status.SENT, NOW, cause="seeded")
        store.set_cursor(CURSOR, str(fake.history_id))
    store.close()
    return threads


def reply_tracking(tmp: Path, repeat: int) -> list[Row]:
    """Gmail units of a fresh-process pass that sees 10 replies among 10,000 threads."""
    with FakeGoogle(email=ME, now=lambda: NOW) as fake:
        config = _workspace(tmp / "gmail-replies", fake, cap=1)
        threads = iter(_seed_tracked(fake, config))
        _run_once(config)  # settle
        runs, floor = [], []
        for _ in range(max(1, min(repeat, 3))):  # each pass reads 10,000 contacts
            start = fake.history_id
            for email, thread in itertools.islice(threads, NEW_REPLIES):
                fake.reply(thread, email, "Thanks for reaching out; let me check my calendar.")
            floor.append(Run(0.0, 0.0, count=_history_floor(fake, start, fetch=True)))
            runs.append(_units_run(fake, config))
    return [Row(f"Gmail reply tracking: {TRACKED:,} threads, {NEW_REPLIES} new (units)", runs,
                "count", unit="units", target=52, peer=floor,
                peer_label="history.list + a get each (poller: 100,000)", max_ratio=1.0)]
