"""The SQLite store gives back what it was given: Hypothesis round trips per table group.

Each property writes generated values, closes the database, opens it again and reads them
back. Times are stored as whole UTC seconds (``adapters/store/db.py``), so generated times
have no microseconds and come back as the same instant in UTC. Text is any Unicode the
email package can hand us: it decodes undecodable bytes to U+FFFD, never to lone surrogates
(which UTF-8, and so SQLite, cannot hold).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from automation.adapters.store import Store
from automation.core.models import Slot, Status
from automation.core.records import ContactRecord

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 12, 7, 13, 30, tzinfo=UTC)

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
SHORT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
ZONES = st.sampled_from([UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"),
                         ZoneInfo("Pacific/Chatham")])
#: Whole seconds between 2000 and 2100, shown in one of a few zones.
TIMES = st.builds(lambda s, zone: datetime.fromtimestamp(s, zone),
                  st.integers(946_684_800, 4_102_444_800), ZONES)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**53, 2**53) | TEXT
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
DETAIL = st.dictionaries(TEXT, JSON, max_size=4)
LOCAL = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,10}", fullmatch=True)
EMAILS = st.builds(lambda local, domain: f"{local}@{domain}.example", LOCAL,
                   st.sampled_from(["a", "b", "mail"]))
IDS = st.builds(lambda s: f"<{s}@example.org>", st.from_regex(r"[A-Za-z0-9.$-]{1,20}",
                                                              fullmatch=True))


@contextmanager
def reopened() -> Iterator[tuple[Store, callable]]:
    """A fresh store, and a function that closes it and opens the same file again."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "automation.db"
        state = {"store": Store.open(path)}

        def reopen() -> Store:
            state["store"].close()
            state["store"] = Store.open(path)
            return state["store"]

        try:
            yield state["store"], reopen
        finally:
            state["store"].close()


CONTACT_FIELDS = st.fixed_dictionaries({
    "name": TEXT, "first_name": TEXT, "last_name": TEXT, "company": TEXT, "role": TEXT,
    "timezone": st.none() | st.sampled_from(["America/New_York", "Europe/Berlin", "Mars/X"]),
    "notes": TEXT, "phone": TEXT, "location": TEXT,
})


@given(email=EMAILS, fields=CONTACT_FIELDS, aliases=st.lists(EMAILS, max_size=4),
       tags=st.lists(SHORT, max_size=5), extra=DETAIL, note=TEXT, thread=st.none() | SHORT,
       snooze=st.none() | TIMES)
@SETTINGS
def test_a_contact_comes_back_with_its_aliases_tags_and_extra(
        email, fields, aliases, tags, extra, note, thread, snooze) -> None:
    with reopened() as (store, reopen):
        record = ContactRecord(email=email, line=1, extra_emails=tuple(aliases), **fields)
        written, created = store.upsert_contact(record, NOW, tags=tags)
        assert created
        store.update_contact(written.id, NOW, extra=extra, user_note=note, thread_id=thread,
                             snoozed_until=snooze)
        store = reopen()
        back = store.get_contact(written.id)
        for name, value in fields.items():
            assert getattr(back, name) == value, name
        assert back.email == email and back.status == Status.NEW
        assert back.aliases == tuple(sorted(set(aliases) - {email}))
        assert back.tags == tuple(sorted(set(tags)))
        assert back.extra == extra
        assert (back.user_note, back.thread_id, back.snoozed_until) == (note, thread, snooze)
        assert back.created_at == back.status_changed_at == NOW
        for alias in back.aliases:
            assert store.find_contact(alias.upper()) == back
        assert store.list_contacts() == [back]


@given(steps=st.lists(st.tuples(st.sampled_from(list(Status)), TEXT, DETAIL, TIMES),
                      min_size=1, max_size=6))
@SETTINGS
def test_the_timeline_keeps_every_status_change_in_order(steps) -> None:
    with reopened() as (store, reopen):
        contact, _ = store.upsert_contact(ContactRecord(email="a@example.com", line=3), NOW)
        for status, cause, detail, at in steps:
            store.set_status(contact.id, status, at, cause=cause, detail=detail)
        store = reopen()
        entries = store.timeline(contact.id)
        assert (entries[0].event, entries[0].new_status, entries[0].detail) == \
            ("created", "new", {"line": 3})
        olds = ["new"] + [str(s) for s, _, _, _ in steps[:-1]]
        assert [(e.event, e.old_status, e.new_status, e.cause, e.detail, e.at)
                for e in entries[1:]] == [
            ("status", old, str(s), cause, detail, at)
            for old, (s, cause, detail, at) in zip(olds, steps, strict=True)]
        assert store.get_contact(contact.id).status == steps[-1][0]


MESSAGES = st.fixed_dictionaries({
    "kind": st.sampled_from(["outreach", "follow_up", "reply", "confirmation", "manual"]),
    "direction": st.sampled_from(["draft", "sent", "inbound"]),
    "state": st.sampled_from(["drafted", "sent", "received", "discarded", "withdrawn"]),
    "message_id": IDS, "thread_id": st.none() | SHORT, "draft_id": st.none() | SHORT,
    "subject": TEXT, "in_reply_to": st.none() | IDS, "sent_at": st.none() | TIMES,
    "classification": st.none() | st.sampled_from(["human", "auto_reply", "bounce"]),
    "detail": DETAIL,
})


@given(messages=st.lists(MESSAGES, min_size=1, max_size=5, unique_by=lambda m: m["message_id"]),
       created=TIMES)
@SETTINGS
def test_messages_come_back_field_for_field(messages, created) -> None:
    with reopened() as (store, reopen):
        contact, _ = store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)
        ids = [store.add_message(contact_id=contact.id, now=created, **m) for m in messages]
        store = reopen()
        rows = store.messages_for(contact.id)
        assert [r.id for r in rows] == ids
        for row, m in zip(rows, messages, strict=True):
            assert {k: getattr(row, k) for k in m} == m
            assert row.created_at == created and row.contact_id == contact.id
            assert store.message_by_id(m["message_id"]) == row
            assert row in store.messages_in_state(m["direction"], m["state"])


@given(key=SHORT, kind=st.sampled_from(["draft", "book", "event"]), payload=DETAIL,
       again=DETAIL, result=DETAIL, with_contact=st.booleans())
@SETTINGS
def test_an_intent_keeps_its_first_payload_until_it_is_finished(
        key, kind, payload, again, result, with_contact) -> None:
    with reopened() as (store, reopen):
        cid = None
        if with_contact:
            cid = store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)[0].id
        assert store.intent_state(key) is None
        first = store.begin_intent(key, kind, cid, payload, NOW)
        assert first == store.get_intent(key)  # what it returns is what is stored
        assert store.begin_intent(key, "other", None, again, NOW) == first  # once per key
        assert store.intent_state(key) == "pending"
        store = reopen()
        back = store.get_intent(key)
        assert (back.key, back.kind, back.contact_id, back.payload, back.state) == \
            (key, kind, cid, payload, "pending")
        assert store.pending_intents() == [back]
        store.finish_intent(key, NOW, result)
        store = reopen()
        assert store.get_intent(key).state == "done" and store.pending_intents() == []
        assert store.intent_state(key) == "done"


@given(start=TIMES, minutes=st.integers(1, 240), sequence=st.integers(0, 50),
       status=st.sampled_from(["confirmed", "cancelled"]), ref=st.none() | SHORT,
       later=st.none() | st.tuples(TIMES, st.integers(1, 60)), answer=st.none() | SHORT)
@SETTINGS
def test_an_interview_comes_back_and_an_update_keeps_its_event_ref(
        start, minutes, sequence, status, ref, later, answer) -> None:
    with reopened() as (store, reopen):
        cid = store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)[0].id
        end = start + timedelta(minutes=minutes)
        saved = store.save_interview(cid, "uid1", start, end, sequence, status, NOW,
                                     event_ref=ref)
        if later is not None:
            start, end = later[0], later[0] + timedelta(minutes=later[1])
            saved = store.save_interview(cid, "uid1", start, end, sequence + 1, status, NOW)
            sequence += 1
        if answer is not None:
            store.set_attendee_status("uid1", answer)
        store = reopen()
        back = store.interview_for(cid)
        # Compared in UTC: an aware time in a repeated hour (a clocks-back night) is never
        # equal to a time in another zone (PEP 495), and the store answers in UTC.
        assert back == saved.__class__(saved.id, cid, "uid1", start.astimezone(UTC),
                                       end.astimezone(UTC), sequence, status, answer, ref)
        assert store.interviews(status) == [back]


def _utc(start: datetime, minutes: int) -> Slot:
    """The slot as the store answers it: in UTC, where equal instants compare equal."""
    start = start.astimezone(UTC)
    return Slot(start, start + timedelta(minutes=minutes))


@given(offers=st.lists(st.lists(st.tuples(TIMES, st.integers(1, 90)), min_size=1, max_size=3),
                       min_size=1, max_size=3), days=st.integers(1, 30))
@SETTINGS
# An offer in Chatham's repeated hour (clocks back at 03:45 on 3 April 2039: 14:30 UTC is the
# second 03:15), where an aware time never equals one in another zone (PEP 495).
@example(offers=[[(datetime(2039, 4, 2, 14, 30, tzinfo=UTC).astimezone(ZoneInfo("Pacific/Chatham")),
                   84)]], days=30)
def test_holds_come_back_for_their_contact_and_the_latest_offer(offers, days) -> None:
    with reopened() as (store, reopen):
        cid = store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)[0].id
        expires = NOW + timedelta(days=days)
        written = []
        for n, offer in enumerate(offers):
            # Written in the offer's own zone, compared in UTC.
            slots = [Slot(s, s + timedelta(minutes=m)) for s, m in offer]
            store.add_holds(cid, slots, expires, f"<offer-{n}@example.org>")
            written += [_utc(s, m) for s, m in offer]
        store = reopen()
        held = store.holds_for(cid, NOW)
        assert sorted(held) == sorted(written)
        assert [s.start for s in held] == sorted(s.start for s in held)  # by start
        latest = store.offered_slots(cid)
        assert sorted(latest) == sorted(_utc(s, m) for s, m in offers[-1])
        assert [s.start for s in latest] == sorted(s.start for s in latest)
        assert store.holds_for(cid, expires) == []  # expired at its expiry
        assert sorted(i for c, i in store.active_holds(NOW) if c == cid) == \
            sorted(s.interval for s in written)


@given(writes=st.lists(st.tuples(st.sampled_from(["mailbox", "calendar", "digest"]),
                                 st.none() | TEXT), min_size=1, max_size=8))
@SETTINGS
def test_a_cursor_reads_back_its_last_write(writes) -> None:
    with reopened() as (store, reopen):
        for name, value in writes:
            store.set_cursor(name, value)
        store = reopen()
        last = dict(writes)
        for name in ("mailbox", "calendar", "digest"):
            assert store.get_cursor(name) == last.get(name)
