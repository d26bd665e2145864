"""Gmail as real users use it: edited drafts, scheduled send, undo-send, fixed addresses.

Cases 1-4 and 6 of the real-Google issue, through the command line. The fake keeps Gmail's
documented behaviour (a draft id that never changes, Message-IDs the UI may rewrite, strict
threading), and the test plays the user in Gmail's web UI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections.abc import Iterator
from datetime import datetime, timedelta

import googleapiclient.http
import pytest

from tests.e2e import test_pipeline_cli as pipeline
from tests.e2e.test_google_e2e import GmailStory, Now, google_workspace
from tests.e2e.test_pipeline_cli import PRIYA, at
from tests.support.fakegoogle import FakeGoogle
from tests.support.workspace import Workspace

EMAIL = "priya.raman@example.com"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(googleapiclient.http, "random", types.SimpleNamespace(random=lambda: 0.0))


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    now = Now(pipeline.MONDAY)
    # Deleted events as Google may answer them: a 403 to a patch, a stub to a get.
    with FakeGoogle(email="alex@example.org", now=now, patch_deleted_403=True,
                    deleted_event_stubs=True) as running:
        running.clock_now = now  # type: ignore[attr-defined]
        yield running
    assert running.internal_errors == [] and running.validation_errors == []
    assert running.send_attempts == 0


@pytest.fixture
def story(workspace: Workspace, fake: FakeGoogle) -> GmailStory:
    return GmailStory(google_workspace(workspace, fake), fake, fake.clock_now)  # type: ignore[attr-defined]


def only_draft(fake: FakeGoogle) -> str:
    (draft,) = fake.drafts()
    return draft.id


def flagged(story: GmailStory) -> str:
    return story.show(EMAIL)["needs_attention"] or ""


# -- case 1: draft identity --------------------------------------------------------------------

def test_a_draft_the_gmail_ui_rewrote_is_not_discarded(story: GmailStory,
                                                       fake: FakeGoogle) -> None:
    """The user edits the subject and Gmail saves the draft with a Message-ID of its own: the
    draft id is the same, so it is still our pending outreach, and its sending is seen."""
    story.start(PRIYA)
    draft = only_draft(fake)
    fake.edit_draft(draft, subject="A quick question about epidemiology",
                    rewrite_message_id=True)
    for minute in (0, 5, 10):
        out = story.run(at(7, 9, minute))
        assert "discarded" not in out and "discarded" not in flagged(story)
    assert story.status(EMAIL) == "drafted"
    story.now.moment = at(7, 10)
    fake.send_draft(draft)
    assert f"{EMAIL}: → sent (outreach sent)" in story.run(at(7, 10, 5))


def test_a_deleted_draft_is_discarded_on_the_second_pass(story: GmailStory,
                                                         fake: FakeGoogle) -> None:
    story.start(PRIYA)
    fake.discard_draft(only_draft(fake))
    assert "discarded" not in story.run(at(7, 9))
    assert "outreach draft discarded" in story.run(at(7, 9, 5))


def idle_units(ws: Workspace, fake: FakeGoogle, now: datetime) -> dict[str, int]:
    """The Gmail units of one ``run --once`` in a fresh process (the timer's way)."""
    fake.reset_quota()
    env = {**os.environ, "AUTOMATION_NOW": now.isoformat()}
    done = subprocess.run([sys.executable, "-m", "automation", "--config", str(ws.config),
                           "run", "--once"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return {m: u for m, u in fake.quota_by_method.items() if m.startswith("gmail.")}


def test_an_idle_pass_with_50_drafts_costs_about_2_units(story: GmailStory,
                                                         fake: FakeGoogle) -> None:
    """Case 1: 50 drafts in the mailbox (ours pending, and the user's own); an idle pass from
    the timer, in a fresh process, pays for history.list only."""
    rows = [f"P{n},Person,p{n}@example.com,Org {n},Role,America/New_York," for n in range(5)]
    story.start(*rows)
    ours = len(fake.drafts())
    for n in range(50 - ours):  # the user's own drafts
        fake.compose_draft(f"From: alex@example.org\nTo: x{n}@example.net\nSubject: note {n}\n"
                           f"Message-ID: <own-{n}@example.org>\n\nhello\n".encode())
    assert len(fake.drafts()) == 50 and ours == 5
    story.run(at(7, 8, 31))  # before any offered time lapses (a lapsed offer is redrafted)
    story.quiet(at(7, 8, 32))
    units = idle_units(story.ws, fake, at(7, 8, 33))
    with story.ws.capsys.disabled():
        print(f"\nIdle pass, fresh process, {len(fake.drafts())} drafts in Gmail: "
              f"{sum(units.values())} units {units}")
    assert sum(units.values()) <= 3, units
    assert "gmail.users.messages.get" not in units


def test_the_pass_after_drafting_50_costs_at_most_7_units(story: GmailStory,
                                                          fake: FakeGoogle) -> None:
    """The pass after a drafting pass, in a fresh process: its history shows 50 new DRAFT
    messages. They are ours by draft id (no Message-ID is read), and one drafts.list serves
    both the duplicate sweep and the look-up of the threads that changed: 2 + 5 units."""
    story.ws.set_config("cadence", "daily_outreach_cap", "50")
    story.ws.set_config("availability", "max_per_day", "80")
    rows = [f"P{n},Person,p{n}@example.com,Org {n},Role,America/New_York," for n in range(50)]
    story.start(*rows)
    assert len(fake.drafts()) == 50
    units = idle_units(story.ws, fake, at(7, 8, 31))
    with story.ws.capsys.disabled():
        print(f"\nPass after drafting 50, fresh process: {sum(units.values())} units {units}")
    assert units == {"gmail.users.history.list": 2, "gmail.users.drafts.list": 5}, units
    assert sum(idle_units(story.ws, fake, at(7, 8, 32)).values()) == 2  # then idle


# -- case 2: scheduled send and undo-send -------------------------------------------------------

def test_scheduled_send_is_neither_discarded_nor_skipped(story: GmailStory,
                                                         fake: FakeGoogle) -> None:
    story.start(PRIYA)
    offered = story.show(EMAIL)["offered"]
    fake.schedule_send(only_draft(fake), at(8, 8))  # tomorrow morning
    for hour in (9, 12, 15, 18):
        story.now.moment = at(7, hour)
        out = story.run(at(7, hour))
        assert "discarded" not in out and "skipped" not in out
        assert story.status(EMAIL) == "drafted" and not flagged(story)
    assert story.ws.contact(EMAIL)["offered_slots"] == [o["start"] for o in offered]
    story.now.moment = at(8, 8, 1)
    assert f"{EMAIL}: → sent (outreach sent)" in story.run(at(8, 8, 5))


def test_undo_send_is_no_verdict(story: GmailStory, fake: FakeGoogle) -> None:
    story.start(PRIYA)
    story.now.moment = at(7, 9)
    waiting = fake.send_with_undo(only_draft(fake), seconds=30)
    assert "discarded" not in story.run(at(7, 9))  # inside the 30 seconds
    fake.undo_send(waiting)  # the user pressed Undo: the same draft is back
    assert "discarded" not in story.run(at(7, 9, 5))
    story.now.moment = at(7, 9, 6)
    fake.send_with_undo(only_draft(fake), seconds=30)
    assert "discarded" not in story.run(at(7, 9, 6))
    story.now.moment = at(7, 9, 8)
    assert f"{EMAIL}: → sent (outreach sent)" in story.run(at(7, 9, 10))


# -- case 3: sent detection by thread -----------------------------------------------------------

def test_sent_after_fixing_the_address_and_subject(story: GmailStory, fake: FakeGoogle) -> None:
    """The user fixes the To address and the subject, and Gmail stamps its own Message-ID:
    the Sent copy is ours because it is in our draft's thread."""
    story.start(PRIYA)
    draft = only_draft(fake)
    fake.edit_draft(draft, to="Priya Raman <priya@countyhealth.example.gov>",
                    subject="Ten minutes about your work in epidemiology?")
    story.now.moment = at(7, 9)
    sent = fake.send_draft(draft)
    out = story.run(at(7, 9, 5))
    assert f"{EMAIL}: → sent (outreach sent)" in out
    assert "discarded" not in story.run(at(7, 9, 10))
    story.now.moment = at(7, 11)
    fake.reply(fake.message(sent).thread_id, "Priya Raman <priya@countyhealth.example.gov>",
               "Hi Alex, option 1 works. Priya")
    assert f"Booked {EMAIL}" in story.run(at(7, 11, 5))  # her real address is linked now


def test_an_idle_pass_costs_2_units(story: GmailStory, fake: FakeGoogle) -> None:
    story.start(PRIYA)
    story.run(at(7, 8, 31))
    fake.reset_quota()
    story.quiet(at(7, 8, 35))
    assert sum(u for m, u in fake.quota_by_method.items() if m.startswith("gmail.")) == 2


def test_follow_up_answers_the_latest_message_of_the_thread(story: GmailStory,
                                                            fake: FakeGoogle) -> None:
    """Case 4: the contact answered with another subject; our next draft takes "Re: " + that
    subject and joins the thread (strict threading: threadId, References and subject)."""
    story.start(PRIYA)
    story.now.moment = at(7, 9)
    sent = fake.send_draft(only_draft(fake))
    thread = fake.message(sent).thread_id
    story.run(at(7, 9, 5))
    story.now.moment = at(7, 12)
    answer = fake.reply(thread, f"Priya Raman <{EMAIL}>", "Happy to, but which week? Priya",
                        subject="Re: Ten minutes to learn about your work? (next week)")
    thread = fake.message(answer).thread_id  # Gmail files a new subject as a new conversation
    out = story.run(at(7, 12, 5))
    assert "→ replied" in out
    story.ws.ok("book", EMAIL, "--option", "1", now=at(7, 12, 10).isoformat())
    (confirmation,) = fake.drafts()
    msg = fake.message(confirmation.message_id)
    assert msg.header("Subject") == "Re: Ten minutes to learn about your work? (next week)"
    assert msg.thread_id == thread


def start_and_book(story: GmailStory, fake: FakeGoogle) -> str:
    story.start(PRIYA)
    story.now.moment = at(7, 9)
    sent = fake.send_draft(only_draft(fake))
    story.run(at(7, 9, 5))
    story.now.moment = at(7, 12)
    fake.reply(fake.message(sent).thread_id, f"Priya Raman <{EMAIL}>",
               "Hi Alex, option 2 works for me. Priya")
    assert f"Booked {EMAIL}" in story.run(at(7, 12, 5))
    return sent


def test_reschedule_withdraws_the_unsent_confirmation(story: GmailStory,
                                                      fake: FakeGoogle) -> None:
    """Case 6: the confirmation is still in Drafts when the interview moves: the stale one is
    withdrawn, and the new one does not say "moved from" a time she never heard of."""
    start_and_book(story, fake)
    (stale,) = fake.drafts()
    story.ws.ok("reschedule", EMAIL, "--option", "3", now=at(7, 13).isoformat())
    (fresh,) = fake.drafts()  # one confirmation in the thread, with the new time
    assert fresh.id != stale.id
    story.ws.ok("cancel", EMAIL, now=at(7, 14).isoformat())
    (notice,) = fake.drafts()  # the unsent confirmation is withdrawn before the notice
    assert notice.id != fresh.id
    timeline = story.show(EMAIL)["timeline"]
    assert sum(1 for e in timeline if e["event"] == "withdrawn") == 2, timeline


def test_rebook_after_a_cancel_gets_a_new_event(story: GmailStory, fake: FakeGoogle) -> None:
    """Case 5: the id of a deleted event is not reusable (insert answers 409); each booking
    generation has its own id, and the cancel is events.delete(sendUpdates="all")."""
    start_and_book(story, fake)
    story.now.moment = at(7, 12, 30)
    fake.send_draft(only_draft(fake))  # the confirmation goes out
    story.run(at(7, 12, 35))
    story.ws.ok("cancel", EMAIL, now=at(7, 13).isoformat())
    assert fake.call_count("events.delete") == 1
    story.run(at(7, 13, 5))  # the deleted event reads back as a stub: no crash
    story.ws.ok("cancel", EMAIL, now=at(7, 13, 6).isoformat())  # already cancelled: no-op
    assert [i["kind"] for i in fake.invitations] == ["invite", "cancel"]
    story.ws.ok("book", EMAIL, "--option", "1", now=at(7, 14).isoformat())
    events = fake.events()
    assert len(events) == 2 and len({e["id"] for e in events}) == 2
    live = [e for e in events if e["status"] == "confirmed"]
    assert len(live) == 1 and story.status(EMAIL) == "scheduled"
    assert [i["kind"] for i in fake.invitations] == ["invite", "cancel", "invite"]
    assert timedelta(0) < datetime.fromisoformat(live[0]["end"]["dateTime"]) - \
        datetime.fromisoformat(live[0]["start"]["dateTime"])
