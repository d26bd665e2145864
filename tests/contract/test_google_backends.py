"""The Google backend against the loopback fake: drafts, sync, faults, quota, calendar.

Everything runs the package's own adapters through the real google-api-python-client over
HTTP (``[google] api_endpoint``); the fake plays the user and the world.
"""

from __future__ import annotations

import types
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import googleapiclient.http
import pytest

from automation.adapters.clock import fixed_clock
from automation.adapters.google import gmail_history
from automation.adapters.google.gcal import event_id
from automation.adapters.google.gmail import FULL_SYNC_CAP, GmailMailbox
from automation.adapters.google.gmail_drafts import LISTING_SECONDS
from automation.adapters.google.pacing import Pacer
from automation.app.drafting import DraftRequest, draft_once, intent_key, reconcile
from automation.app.ports import DraftRef, Watch
from automation.bootstrap import open_services
from automation.core.compose import build_message
from automation.core.models import Interval, Status
from automation.core.records import ContactRecord, EventSpec
from automation.errors import AuthError, BackendError
from tests.support.fakegoogle import FakeGoogle
from tests.support.googlekit import google_config, open_on_fake, write_token

NOW = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
ADA = "ada@example.org"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # The client sleeps rand() * 2**n between retries; a zero rand keeps the suite fast while
    # the retries themselves still happen (and are counted by the fake).
    monkeypatch.setattr(googleapiclient.http, "random", types.SimpleNamespace(random=lambda: 0.0))


@pytest.fixture
def fake():
    with FakeGoogle(email="alex@example.org") as running:
        yield running
    assert running.internal_errors == []
    assert running.validation_errors == []
    assert running.send_attempts == 0


@pytest.fixture
def google(fake: FakeGoogle, tmp_path: Path):
    return open_on_fake(fake, tmp_path / "ws")


@pytest.fixture
def mailbox(google) -> GmailMailbox:
    return google[0]


@pytest.fixture
def calendar(google):
    return google[1]


def message(n: int = 1, subject: str = "Ten minutes to learn about your work?",
            in_reply_to: str | None = None, references: tuple[str, ...] = ()) -> EmailMessage:
    return build_message(sender_name="Alex Rivera", sender="alex@example.org", to_name="Ada",
                         to=ADA, subject=subject, body="Could I ask you a few questions?\n",
                         now=NOW, message_id=f"<outreach-{n}-abc{n:04d}@example.org>",
                         in_reply_to=in_reply_to, references=references)


def seeded(mailbox: GmailMailbox) -> str:
    result = mailbox.sync(None, Watch())
    assert result.items == [] and result.cursor
    return result.cursor


# -- drafts -----------------------------------------------------------------------------------

def test_draft_create_find_list_delete(fake: FakeGoogle, mailbox: GmailMailbox) -> None:
    ref = mailbox.create_draft(message())
    assert ref.message_id == "<outreach-1-abc0001@example.org>" and ref.thread_id
    (stored,) = fake.drafts()
    assert stored.id == ref.draft_id
    assert fake.message(stored.message_id).header("Message-ID") == ref.message_id
    assert mailbox.find_draft(ref.message_id) == ref
    assert mailbox.find_draft("<nobody@example.org>") is None
    assert mailbox.draft_message_ids() == {ref.message_id}
    mailbox.delete_draft(ref)
    assert fake.drafts() == []
    mailbox.delete_draft(ref)  # already gone: not an error
    assert mailbox.draft_message_ids() == set()


def test_reply_draft_joins_the_thread(fake: FakeGoogle, mailbox: GmailMailbox) -> None:
    first = mailbox.create_draft(message())
    sent_id = fake.send_draft(first.draft_id)
    parent = fake.message(sent_id).header("Message-ID")
    follow = message(2, "Re: Ten minutes to learn about your work?", in_reply_to=parent)
    ref = mailbox.create_draft(follow, thread_id=first.thread_id)
    assert ref.thread_id == first.thread_id
    thread = fake.thread(first.thread_id)
    assert [m.id for m in thread][0] == sent_id and "DRAFT" in thread[1].label_ids
    assert thread[1].header("In-Reply-To") == parent


def test_draft_for_a_vanished_thread_starts_a_new_one(fake: FakeGoogle,
                                                      mailbox: GmailMailbox) -> None:
    ref = mailbox.create_draft(message(), thread_id="18f0000000ffffff")
    assert ref.thread_id and ref.thread_id != "18f0000000ffffff"
    assert len(fake.drafts()) == 1


def test_a_draft_edited_in_the_ui_keeps_its_id(fake: FakeGoogle, mailbox: GmailMailbox) -> None:
    ref = mailbox.create_draft(message())
    same = fake.edit_draft(ref.draft_id, body="Could I ask three questions?",
                           rewrite_message_id=True)
    assert same == ref.draft_id  # Draft.id: "The immutable ID of the draft"
    fake.reset_quota()
    present = mailbox.drafts_present([ref])
    assert present[ref.message_id].draft_id == ref.draft_id
    assert fake.quota_by_method == {"gmail.users.drafts.list": 5}  # no messages.get at all
    mailbox.delete_draft(ref)
    assert fake.drafts() == []


def test_drafts_present_falls_back_to_the_message_id(fake: FakeGoogle,
                                                    mailbox: GmailMailbox) -> None:
    cursor = seeded(mailbox)
    ref = mailbox.create_draft(message())
    legacy = DraftRef("", ref.message_id, None)  # a record without a draft id
    assert mailbox.drafts_present([legacy])[ref.message_id].draft_id == ref.draft_id
    fake.discard_draft(ref.draft_id)
    mailbox.sync(cursor, Watch())  # the next pass
    assert mailbox.drafts_present([ref, legacy]) == {}


def test_one_drafts_list_serves_a_pass(fake: FakeGoogle, mailbox: GmailMailbox,
                                      tmp_path: Path) -> None:
    """The pass after drafting: the sync's sweep lists Drafts once (the new DRAFT messages
    are ours by draft id, so no Message-ID is read), and the pass's look-ups reuse it."""
    cursor = seeded(mailbox)
    refs = [mailbox.create_draft(message(n)) for n in range(1, 11)]
    fresh, _ = open_on_fake(fake, tmp_path / "fresh")
    watch = Watch(message_ids=frozenset(r.message_id for r in refs),
                  draft_ids=frozenset(r.draft_id for r in refs))
    fake.reset_quota()
    result = fresh.sync(cursor, watch)  # a fresh process: no Message-ID cached
    assert {r.thread_id for r in refs} <= result.changed_threads
    assert set(fresh.drafts_present(refs)) == {r.message_id for r in refs}
    fresh.drafts_present(refs[:3])
    assert fake.quota_by_method == {"gmail.users.history.list": 2, "gmail.users.drafts.list": 5}
    fake.discard_draft(refs[0].draft_id)
    fresh.sync(result.cursor, watch)  # the next pass lists again
    assert refs[0].message_id not in fresh.drafts_present(refs)


def test_a_listing_is_not_kept_past_its_pass(fake: FakeGoogle, tmp_path: Path) -> None:
    """Without a sync in between (a caller outside a pass), a listing older than a pass is
    read again; our own changes make it stale at once."""
    now = [0.0]
    mailbox, _ = open_on_fake(fake, tmp_path / "clocked",
                              pacer=Pacer(6000, clock=lambda: now[0], sleep=lambda s: None))
    ref = mailbox.create_draft(message())
    fake.reset_quota()
    mailbox.drafts_present([ref])
    now[0] = 30.0
    mailbox.drafts_present([ref])
    assert fake.quota_by_method == {"gmail.users.drafts.list": 5}  # the same pass
    now[0] = 30.0 + LISTING_SECONDS + 1
    fake.discard_draft(ref.draft_id)
    assert mailbox.drafts_present([ref]) == {}
    other = mailbox.create_draft(message(2))
    assert set(mailbox.drafts_present([ref, other])) == {other.message_id}
    assert fake.quota_by_method["gmail.users.drafts.list"] == 15


def test_sent_in_thread_sees_scheduled_and_unsynced_sent(fake: FakeGoogle,
                                                       mailbox: GmailMailbox) -> None:
    first = mailbox.create_draft(message())
    assert not mailbox.sent_in_thread(first.thread_id or "", lambda key: False)
    fake.schedule_send(first.draft_id, datetime.now(UTC) + timedelta(hours=2))
    assert mailbox.sent_in_thread(first.thread_id or "", lambda key: False)
    second = mailbox.create_draft(message(2))
    sent = fake.send_draft(second.draft_id)
    assert mailbox.sent_in_thread(second.thread_id or "", lambda key: False)
    assert not mailbox.sent_in_thread(second.thread_id or "", lambda key: key == f"sent:{sent}")
    third = mailbox.create_draft(message(3))
    fake.discard_draft(third.draft_id)
    assert not mailbox.sent_in_thread(third.thread_id or "", lambda key: False)  # 404


# -- exactly one draft, whatever the wire does -------------------------------------------------

def test_503_after_commit_on_create_yields_the_one_draft(fake: FakeGoogle,
                                                         mailbox: GmailMailbox) -> None:
    fake.inject(503, method_contains="drafts.create", after_commit=True)
    ref = mailbox.create_draft(message())
    assert [d.id for d in fake.drafts()] == [ref.draft_id]
    assert fake.call_count("drafts.create") == 1  # never created blindly a second time


def test_503_before_commit_is_not_retried_and_raises_retryable(fake: FakeGoogle,
                                                               mailbox: GmailMailbox) -> None:
    fake.inject(503, method_contains="drafts.create")
    with pytest.raises(BackendError) as failed:
        mailbox.create_draft(message())
    assert failed.value.retryable
    assert fake.call_count("drafts.create") == 1 and fake.drafts() == []


def test_dropped_connection_resend_leaves_one_draft(fake: FakeGoogle,
                                                    mailbox: GmailMailbox) -> None:
    # httplib2 re-sends the committed POST once: Gmail briefly holds two drafts.
    fake.inject("drop", method_contains="drafts.create", after_commit=True)
    ref = mailbox.create_draft(message())
    assert fake.call_count("drafts.create") == 2
    assert [d.id for d in fake.drafts()] == [ref.draft_id]
    # The transport saw its re-send: the pacer charged both copies, as Google did.
    assert mailbox.api.pacer.used() == fake.quota_used


def test_a_copy_search_cannot_see_yet_is_removed(tmp_path: Path) -> None:
    """Case 10: Gmail search has no read-after-write promise. The copy httplib2's silent
    re-POST left is found from the history and drafts.list, at once or on the next sync."""
    with FakeGoogle(email="alex@example.org", search_lag=50) as lagging:
        mailbox, _ = open_on_fake(lagging, tmp_path / "ws")
        cursor = seeded(mailbox)
        lagging.inject("drop", method_contains="drafts.create", after_commit=True)
        ref = mailbox.create_draft(message())
        assert lagging.call_count("drafts.create") == 2
        assert [d.id for d in lagging.drafts()] == [ref.draft_id]
        # The check right after the create failed: the next sync finds the copy all the same.
        lagging.inject("drop", method_contains="drafts.create", after_commit=True)
        lagging.inject(503, times=10, method_contains="history.list")
        other = mailbox.create_draft(message(2))
        lagging.clear_faults()
        assert len(lagging.drafts()) == 3
        watch = Watch(message_ids=frozenset({ref.message_id, other.message_id}),
                      draft_ids=frozenset({ref.draft_id, other.draft_id}))
        mailbox.sync(cursor, watch)
        assert sorted(d.id for d in lagging.drafts()) == sorted([ref.draft_id, other.draft_id])
        assert lagging.internal_errors == [] and lagging.send_attempts == 0


def test_find_draft_removes_a_duplicate(fake: FakeGoogle, mailbox: GmailMailbox,
                                        tmp_path: Path) -> None:
    other, _ = open_on_fake(fake, tmp_path / "other")
    fake.inject("drop", method_contains="drafts.create", after_commit=True)
    fake.inject(503, times=10, method_contains="drafts.list")  # the check after create fails
    other.create_draft(message())
    fake.clear_faults()
    assert len(fake.drafts()) == 2
    ref = mailbox.find_draft("<outreach-1-abc0001@example.org>")
    assert ref is not None and [d.id for d in fake.drafts()] == [ref.draft_id]


def test_the_intent_journal_finishes_an_ambiguous_create(fake: FakeGoogle,
                                                         tmp_path: Path) -> None:
    # drafts.create commits, then answers 503, and the look-up by Message-ID fails too: the
    # draft stays a pending intent; the next reconcile finds it instead of creating a copy.
    config = google_config(fake, tmp_path)
    write_token(fake, config.google.token)
    svc = open_services(config, fixed_clock(NOW))
    try:
        contact, _ = svc.store.upsert_contact(ContactRecord(email=ADA, line=1, name="Ada"), NOW)
        request = DraftRequest(contact.id or 0, "outreach", message(), new_status=Status.DRAFTED,
                               cause="outreach drafted")
        key = intent_key(svc.store, contact.id or 0, "outreach")
        fake.inject(503, method_contains="drafts.create", after_commit=True)
        fake.inject(503, times=4, method_contains="drafts.list")  # 1 call + 3 retries
        with pytest.raises(BackendError) as failed:
            draft_once(svc, request, key)
        assert failed.value.retryable and len(fake.drafts()) == 1
        assert svc.store.get_intent(key).state == "pending"
        assert reconcile(svc) == []
        assert svc.store.get_intent(key).state == "done"
        assert len(fake.drafts()) == 1 and fake.call_count("drafts.create") == 1
        assert svc.store.get_contact(contact.id or 0).status == Status.DRAFTED
        assert draft_once(svc, request, key) is None  # done: never drafted again
    finally:
        svc.close()


# -- sync -------------------------------------------------------------------------------------

def test_sync_reports_sent_and_replies_by_thread(fake: FakeGoogle,
                                                 mailbox: GmailMailbox) -> None:
    cursor = seeded(mailbox)
    ref = mailbox.create_draft(message())
    fake.send_draft(ref.draft_id)
    reply_id = fake.reply(ref.thread_id, ADA, "Option 2 works for me.")
    bounce_id = fake.bounce(ref.thread_id, ADA)
    result = mailbox.sync(cursor, Watch(thread_ids=frozenset({ref.thread_id})))
    assert [(i.folder, i.thread_id, i.has_body) for i in result.items] == [
        ("sent", ref.thread_id, True), ("inbox", ref.thread_id, True),
        ("inbox", ref.thread_id, True)]
    sent, reply, bounce = result.items
    assert sent.message["Subject"] == "Ten minutes to learn about your work?"
    # Gmail stamps its own Message-ID on send: the thread is what ties it to the draft.
    assert sent.message["Message-ID"] != ref.message_id
    assert reply.key == f"inbox:{reply_id}" and "Option 2" in reply.message.get_body(
        ("plain",)).get_content()
    assert bounce.key == f"inbox:{bounce_id}"
    assert bounce.message.get_content_type() == "multipart/report"
    assert result.problems == [] and int(result.cursor) > int(cursor)

    fake.reset_quota()
    again = mailbox.sync(result.cursor, Watch(thread_ids=frozenset({ref.thread_id})))
    assert again.items == [] and again.cursor == result.cursor
    assert fake.quota_by_method == {"gmail.users.history.list": 2}


def test_sync_fetches_metadata_unless_tracked_or_watched(fake: FakeGoogle,
                                                         mailbox: GmailMailbox) -> None:
    cursor = seeded(mailbox)
    stranger = EmailMessage()
    stranger["From"], stranger["To"], stranger["Subject"] = "news@shop.example", \
        "alex@example.org", "Sale!"
    stranger.set_content("50% off")
    contact = EmailMessage()
    contact["From"], contact["To"], contact["Subject"] = f"Ada <{ADA}>", \
        "alex@example.org", "Another thing"
    contact.set_content("Hi Alex, a new thread from me.")
    news_id, ada_id = fake.deliver(stranger), fake.deliver(contact)
    fake.reset_quota()
    result = mailbox.sync(cursor, Watch(addresses=frozenset({ADA})))
    by_key = {i.key: i for i in result.items}
    assert by_key[f"inbox:{news_id}"].has_body is False
    assert by_key[f"inbox:{news_id}"].message["Subject"] == "Sale!"
    assert by_key[f"inbox:{ada_id}"].has_body is True
    assert "new thread" in by_key[f"inbox:{ada_id}"].message.get_content()
    # history 2 + two metadata gets 10 + one raw get for the watched sender 5
    assert fake.quota_used == 17


def test_sync_skips_drafts_and_known_items(fake: FakeGoogle, mailbox: GmailMailbox) -> None:
    cursor = seeded(mailbox)
    ref = mailbox.create_draft(message())
    sent_id = fake.send_draft(ref.draft_id)
    fake.reset_quota()
    result = mailbox.sync(cursor, Watch(), known=lambda key: key == f"sent:{sent_id}")
    assert result.items == []
    assert fake.quota_by_method == {"gmail.users.history.list": 2}  # nothing fetched


def test_history_404_falls_back_to_a_bounded_full_sync(fake: FakeGoogle,
                                                       mailbox: GmailMailbox) -> None:
    cursor = seeded(mailbox)
    ref = mailbox.create_draft(message())
    sent_id = fake.send_draft(ref.draft_id)
    reply_id = fake.reply(ref.thread_id, ADA, "Sure, option 1.")
    fake.expire_history()
    fake.reset_quota()
    result = mailbox.sync(cursor, Watch(thread_ids=frozenset({ref.thread_id})),
                          known=lambda key: key == f"sent:{sent_id}")
    assert [i.key for i in result.items] == [f"inbox:{reply_id}"]
    assert "re-read the last 30 days" in result.problems[0]
    assert result.cursor == str(fake.history_id)
    assert fake.quota_by_method["gmail.users.getProfile"] == 1
    assert fake.quota_by_method["gmail.users.messages.list"] == 10  # Sent and Inbox, once each
    assert fake.quota_by_method["gmail.users.messages.get"] == 5  # the known one is not fetched
    assert mailbox.sync(result.cursor, Watch()).items == []  # a usable cursor again


def test_full_sync_is_bounded(fake: FakeGoogle, mailbox: GmailMailbox) -> None:
    for n in range(FULL_SYNC_CAP + 30):
        note = EmailMessage()
        note["From"], note["Subject"] = f"n{n}@lists.example", f"Digest {n}"
        note.set_content("...")
        fake.deliver(note, received_at=NOW - timedelta(minutes=n))
    result = mailbox.sync(None, Watch())
    assert len(result.items) == FULL_SYNC_CAP
    assert result.items[-1].message["Subject"] == "Digest 0"  # the newest are kept, in order


def test_a_long_pause_is_caught_up_over_several_syncs(fake: FakeGoogle, mailbox: GmailMailbox,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gmail_history, "MAX_NEW_PER_SYNC", 2)
    cursor = seeded(mailbox)
    delivered = []
    for n in range(5):
        note = EmailMessage()
        note["From"], note["Subject"] = f"n{n}@lists.example", f"Note {n}"
        note.set_content("...")
        delivered.append(f"inbox:{fake.deliver(note)}")
    seen = []
    for _ in range(3):  # at most two new messages a sync, none lost, in order
        result = mailbox.sync(cursor, Watch())
        assert len(result.items) <= 2
        seen += [i.key for i in result.items]
        cursor = result.cursor
    assert seen == delivered
    assert mailbox.sync(cursor, Watch()).items == []


def test_idempotent_calls_are_retried_through_429_and_503(fake: FakeGoogle,
                                                          mailbox: GmailMailbox) -> None:
    cursor = seeded(mailbox)
    note = EmailMessage()
    note["From"], note["Subject"] = f"Ada <{ADA}>", "hello"
    note.set_content("hi")
    fake.deliver(note)
    fake.inject(429, method_contains="history.list")
    fake.inject(503, method_contains="history.list")
    fake.inject(503, method_contains="messages.get")  # one part of the batch fails once
    result = mailbox.sync(cursor, Watch(addresses=frozenset({ADA})))
    assert len(result.items) == 1 and result.problems == []
    assert fake.call_count("history.list") == 3
    assert fake.faults_served == [("gmail.users.history.list", 429),
                                  ("gmail.users.history.list", 503),
                                  ("gmail.users.messages.get", 503)]


def test_failed_fetch_keeps_the_cursor(fake: FakeGoogle, mailbox: GmailMailbox) -> None:
    cursor = seeded(mailbox)
    note = EmailMessage()
    note["From"], note["Subject"] = "x@example.net", "hello"
    note.set_content("hi")
    fake.deliver(note)
    fake.inject(500, times=3, method_contains="messages.get")
    result = mailbox.sync(cursor, Watch())
    assert result.items == [] and result.cursor == cursor  # nothing is lost
    assert "500" in result.problems[0]
    assert len(mailbox.sync(cursor, Watch()).items) == 1


def test_revoked_token_is_an_auth_error_naming_the_fix(fake: FakeGoogle,
                                                       mailbox: GmailMailbox) -> None:
    for refresh_token in list(fake.tokens.refresh):
        fake.revoke_refresh_token(refresh_token)
    fake.expire_access_tokens()
    with pytest.raises(AuthError) as refused:
        mailbox.draft_message_ids()
    text = str(refused.value)
    assert "invalid_grant" in text and "Testing" in text and "7 days" in text
    assert "automation auth" in text


# Pacing and quota: tests/contract/test_gmail_quota.py.


# -- calendar ---------------------------------------------------------------------------------

def interview(**changes) -> EventSpec:
    start = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    fields = dict(uid="0af3c29e4b7d4e5f8a9b0c1d2e3f4a5b", start=start,
                  end=start + timedelta(minutes=10), summary="Informational interview: Ada",
                  description="Questions to ask:\n- How did you get here?", location="Phone",
                  organizer_name="Alex Rivera", organizer_email="alex@example.org",
                  attendee_name="Ada Lovelace", attendee_email=ADA, reminder_minutes=10,
                  timezone="America/New_York")
    fields.update(changes)
    return EventSpec(**fields)


def test_event_invites_updates_and_cancels_through_google(fake: FakeGoogle, calendar) -> None:
    assert calendar.sends_invites is True
    ref = calendar.put_event(interview())
    (event,) = fake.events()
    assert ref == event["id"] == interview().uid
    assert event["attendees"][0]["email"] == ADA
    assert event["reminders"] == {"useDefault": False,
                                  "overrides": [{"method": "popup", "minutes": 10}]}
    assert "How did you get here?" in event["description"]
    assert fake.call_count("events.insert") == 1
    assert fake.calls[-1][1]["sendUpdates"] == "all"
    fake.respond_to_event(ref, ADA, "accepted")
    moved = interview(start=interview().start + timedelta(days=1),
                      end=interview().end + timedelta(days=1), sequence=1)
    calendar.put_event(moved)
    assert calendar.attendee_status(moved.uid) == "accepted"  # the answer survives a patch
    calendar.put_event(interview(status="CANCELLED", sequence=2, start=moved.start,
                                 end=moved.end))
    assert [(i["email"], i["kind"]) for i in fake.invitations] == [
        (ADA, "invite"), (ADA, "update"), (ADA, "cancel")]
    assert calendar.get_event(moved.uid).status == "CANCELLED"


def test_insert_after_an_ambiguous_failure_books_once(fake: FakeGoogle, calendar) -> None:
    fake.inject(503, method_contains="events.insert", after_commit=True)
    calendar.put_event(interview())
    assert len(fake.events()) == 1 and len(fake.invitations) == 1
    assert fake.call_count("events.insert") == 2  # the retry answered 409 duplicate
    assert fake.call_count("events.patch") == 0  # and the event was already right


def test_meet_link_when_configured(fake: FakeGoogle, tmp_path: Path) -> None:
    _, calendar = open_on_fake(fake, tmp_path, meet=True)
    calendar.put_event(interview())
    (event,) = fake.events()
    assert event["hangoutLink"].startswith("https://meet.google.com/")
    assert calendar.get_event(interview().uid).meet is True


def test_busy_reads_freebusy_in_windows_of_60_days(fake: FakeGoogle, tmp_path: Path) -> None:
    _, calendar = open_on_fake(fake, tmp_path, busy_calendars=["primary", "team@example.org"])
    fake.add_busy(datetime(2027, 2, 20, 15, tzinfo=UTC), datetime(2027, 2, 20, 16, tzinfo=UTC))
    calendar.put_event(interview())
    window = Interval(NOW, NOW + timedelta(days=100))
    busy, problems = calendar.busy(window)
    assert [(i.start, i.end) for i in busy] == [
        (interview().start, interview().end),
        (datetime(2027, 2, 20, 15, tzinfo=UTC), datetime(2027, 2, 20, 16, tzinfo=UTC))]
    assert fake.call_count("freebusy.query") == 2
    assert problems == ["busy calendar 'team@example.org': notFound; check [google] "
                        "busy_calendars"]


def test_event_id_is_base32hex_for_any_uid() -> None:
    assert event_id("0af3c29e4b7d4e5f8a9b0c1d2e3f4a5b") == "0af3c29e4b7d4e5f8a9b0c1d2e3f4a5b"
    for uid in ("x", "Interview-7@example.org", "0000000000unknown"):
        made = event_id(uid)
        assert made != uid and 5 <= len(made) <= 1024
        assert set(made) <= set("0123456789abcdefghijklmnopqrstuv")
    assert event_id("a@b") != event_id("a@c")
