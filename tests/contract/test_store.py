"""The SQLite store: upserts keep status and history, file mode and WAL, holds."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.store import Store
from automation.app.ports import Watch
from automation.core.models import Slot, Status
from automation.core.records import ContactRecord
from automation.errors import UserError
from tests.support.sqltrace import query_plan, traced

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)


def test_store_upsert_keeps_status_and_history(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        contact, created = store.upsert_contact(
            ContactRecord(email="a@example.com", line=2, name="Ann", company="A"), NOW)
        assert created
        store.set_status(contact.id, Status.DRAFTED, NOW, cause="outreach drafted")
        again, created = store.upsert_contact(
            ContactRecord(email="a@example.com", line=3, company="", role="Chief"), NOW,
            tags=["x"])
        assert not created
        assert again.status == Status.DRAFTED
        assert again.company == "A" and again.role == "Chief" and again.tags == ("x",)
        events = store.timeline(contact.id)
        assert [e.event for e in events] == ["created", "status"]
        assert events[1].cause == "outreach drafted" and events[1].new_status == "drafted"


def test_status_of_is_the_contacts_status_now(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        contact, _ = store.upsert_contact(ContactRecord(email="a@example.com", line=2), NOW)
        assert store.status_of(contact.id) == Status.NEW == store.get_contact(contact.id).status
        store.set_status(contact.id, Status.OPTED_OUT, NOW, cause="marked")
        assert store.status_of(contact.id) == Status.OPTED_OUT
        with pytest.raises(UserError):
            store.status_of(contact.id + 1)


def test_store_file_mode_wal_and_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.schema_version() == Store.SCHEMA_VERSION
    assert path.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO migrations VALUES ('9999_future', 0)")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="newer version"):
        Store.open(path)


def test_store_holds_expire_and_release(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        contact, _ = store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)
        slot = Slot(NOW + timedelta(days=1), NOW + timedelta(days=1, minutes=10))
        store.add_holds(contact.id, [slot], NOW + timedelta(days=3), "<m@x>")
        assert store.holds_for(contact.id, NOW) == [slot]
        assert store.holds_for(contact.id, NOW + timedelta(days=3)) == []
        assert store.offered_slots(contact.id) == [slot]
        store.release_holds(contact.id, NOW)
        assert store.active_holds(NOW) == []


def _watch_contact_by_contact(store: Store) -> Watch:
    """What the mailbox watch was when built one contact at a time (the reference)."""
    contacts = [c for c in store.list_contacts() if c.status != Status.NEW]
    rows = [m for c in contacts for m in store.messages_for(c.id or 0)]
    return Watch(
        thread_ids=frozenset(filter(None, [c.thread_id for c in contacts]
                                    + [m.thread_id for m in rows])),
        addresses=frozenset(a for c in contacts for a in (c.email, *c.aliases)),
        message_ids=frozenset(filter(None, (m.message_id for m in rows))),
        draft_ids=frozenset(filter(None, (m.draft_id for m in rows if m.direction == "draft"))))


def test_the_watch_and_the_thread_lookup_are_set_queries_with_the_same_answer(
        tmp_path: Path) -> None:
    """New contacts, their messages and aliases are left out; empty values too; quarantined
    mail (no contact) is not watched; the first contact of a thread is the one found."""
    with Store.open(tmp_path / "db.sqlite") as store:
        ids = []
        for i, status in enumerate([Status.NEW, Status.DRAFTED, Status.SENT, Status.NURTURING]):
            c, _ = store.upsert_contact(ContactRecord(email=f"p{i}@example.com", line=i), NOW)
            ids.append(c.id or 0)
            store.add_alias(c.id or 0, f"alias{i}@example.net")
            if status != Status.NEW:
                store.set_status(c.id or 0, status, NOW, cause="test")
            store.add_message(contact_id=c.id, kind="outreach", direction="draft",
                              state="drafted", now=NOW, message_id=f"<d{i}@x>",
                              draft_id=f"draft{i}", thread_id=f"t{i}" if i % 2 else "")
            store.add_message(contact_id=c.id, kind="outreach", direction="sent", state="sent",
                              now=NOW, message_id=f"<s{i}@x>", draft_id=f"notadraft{i}")
        store.add_message(contact_id=None, kind="reply", direction="inbound",
                          state="quarantined", now=NOW, message_id="<q@x>", thread_id="tq")
        store.update_contact(ids[2], NOW, thread_id="t-shared")
        store.update_contact(ids[3], NOW, thread_id="t-shared")
        watch = store.watch()
        assert watch == _watch_contact_by_contact(store)
        assert "p0@example.com" not in watch.addresses and "<q@x>" not in watch.message_ids
        assert "alias2@example.net" in watch.addresses and "draft1" in watch.draft_ids
        assert "notadraft1" not in watch.draft_ids and "" not in watch.thread_ids
        found = store.contact_by_thread("t-shared")
        assert found is not None and found.id == ids[2] and found.aliases == ("alias2@example.net",)
        assert store.contact_by_thread("nope") is None


@pytest.mark.parametrize(("query", "index"), [
    ("SELECT * FROM interviews WHERE contact_id = 1 ORDER BY id DESC LIMIT 1",
     "interviews_contact"),
    ("SELECT * FROM messages WHERE direction = 'draft' AND state = 'drafted' ORDER BY id",
     "messages_state"),
])
def test_the_dashboards_per_page_lookups_use_an_index(
        tmp_path: Path, query: str, index: str) -> None:
    """A contact's latest interview (per card, per prep sheet) and the drafts waiting are
    found through an index, not by reading every interview or message."""
    with Store.open(tmp_path / "db.sqlite") as store:
        plan = query_plan(store.conn, query)
        assert index in plan and "SCAN" not in plan, plan


def test_drafts_waiting_are_the_oldest_drafted_ones_of_contacts_and_their_total(
        tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        cid = store.upsert_contact(ContactRecord(email="a@example.com", line=2), NOW)[0].id
        ids = [store.add_message(contact_id=cid, kind="outreach", direction="draft",
                                 state="drafted", now=NOW, subject=f"s{i}") for i in range(4)]
        store.add_message(contact_id=None, kind="outreach", direction="draft",
                          state="drafted", now=NOW)  # no contact: not shown
        store.add_message(contact_id=cid, kind="outreach", direction="draft", state="sent",
                          now=NOW)
        store.add_message(contact_id=cid, kind="reply", direction="inbound", state="drafted",
                          now=NOW)
        shown, total = store.drafts_waiting(3)
        assert [m.id for m in shown] == ids[:3] and total == 4
        assert [m.subject for m in shown] == ["s0", "s1", "s2"]
        assert store.drafts_waiting(10) == (store.drafts_waiting(4)[0], 4)


def test_the_company_list_is_read_off_its_index(tmp_path: Path) -> None:
    """The pipeline's company filter lists every company without sorting every contact."""
    with Store.open(tmp_path / "db.sqlite") as store:
        for i, company in enumerate(["Beta", "", "Alpha", "Beta"]):
            store.upsert_contact(ContactRecord(email=f"p{i}@example.com", line=i + 2,
                                               company=company), NOW)
        assert store.companies_and_tags()[0] == ["Alpha", "Beta"]
        plan = query_plan(store.conn, "SELECT DISTINCT company FROM contacts "
                          "WHERE company != '' ORDER BY company")
        assert "contacts_company" in plan and "TEMP B-TREE" not in plan, plan


def test_interviewed_ids_come_by_first_end_and_keep_to_the_statuses(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        a, b, c = (store.upsert_contact(ContactRecord(email=f"{n}@example.com", line=2),
                                        NOW)[0].id or 0 for n in "abc")
        for cid in (a, b):
            store.set_status(cid, Status.SCHEDULED, NOW, cause="booked")
        hour = timedelta(hours=1)
        for cid, uid, ends in ((a, "a2", 3), (b, "b1", 2), (c, "c1", 0), (a, "a1", 1),
                               (b, "b-gone", 0)):
            store.save_interview(cid, uid, NOW + ends * hour - hour, NOW + ends * hour, 0,
                                 "cancelled" if uid == "b-gone" else "confirmed", NOW)
        assert store.interviewed_ids(NOW + 4 * hour) == [c, a, b]
        assert store.interviewed_ids(NOW + 4 * hour, ["scheduled"]) == [a, b]
        assert store.interviewed_ids(NOW + 2 * hour, ["scheduled", "new"]) == [c, a, b]
        assert store.interviewed_ids(NOW + 1 * hour, ["scheduled"]) == [a]


def test_the_tag_list_reads_only_the_tagged_contacts(tmp_path: Path) -> None:
    """The pipeline's tag filter lists every tag in use without reading every contact."""
    with Store.open(tmp_path / "db.sqlite") as store:
        for i, tags in enumerate([["b", "a"], [], ["c"], []]):
            store.upsert_contact(ContactRecord(email=f"p{i}@example.com", line=i + 2), NOW,
                                 tags=tags)
        assert store.companies_and_tags()[1] == ["a", "b", "c"]
        with traced(store.conn) as seen:
            store.companies_and_tags()
        (sql,) = [s for s in seen if "json_each" in s]
        plan = query_plan(store.conn, sql)
        assert "contacts_tagged" in plan, plan


def test_status_delays_run_from_each_contacts_first_status_to_its_first_next_one(
        tmp_path: Path) -> None:
    """Days from a contact's earliest ``sent`` to its earliest ``replied``: a contact that
    replied before any outreach went out, or never got one, has no delay."""
    day = timedelta(days=1)
    with Store.open(tmp_path / "db.sqlite") as store:
        ids = [store.upsert_contact(ContactRecord(email=f"p{i}@example.com", line=i + 2),
                                    NOW)[0].id for i in range(4)]
        steps = [(ids[0], Status.SENT, 0), (ids[0], Status.REPLIED, 2),  # 2 days
                 (ids[0], Status.SENT, 3), (ids[0], Status.REPLIED, 9),  # later: not counted
                 (ids[1], Status.SENT, 1), (ids[1], Status.REPLIED, 1.5),  # 0.5 day
                 (ids[2], Status.REPLIED, 1), (ids[2], Status.SENT, 2),  # replied first
                 (ids[3], Status.REPLIED, 4)]  # never sent
        for cid, status, days in steps:
            store.set_status(cid, status, NOW + days * day, cause="test")
        assert sorted(store.status_delays("sent", "replied")) == [0.5, 2.0]
        assert store.status_delays("sent", "scheduled") == []


def test_the_reply_delays_are_read_off_an_index_in_order(tmp_path: Path) -> None:
    """The Insights page's median reply time groups each contact's timeline rows as the index
    holds them, without sorting every sent and replied row into a temporary b-tree."""
    with Store.open(tmp_path / "db.sqlite") as store:
        with traced(store.conn) as ran:
            store.status_delays("sent", "replied")
        (query,) = [q for q in ran if "timeline" in q]
        plan = query_plan(store.conn, query)
        assert "timeline_status_contact" in plan, plan
        assert "TEMP B-TREE" not in plan and "SCAN timeline" not in plan, plan


def test_stage_counts_count_each_contact_once_in_the_statuses_asked_for(
        tmp_path: Path) -> None:
    """The funnel's counts: contacts that ever entered each named status, once each however
    often they did; other statuses (every contact's "new") are not counted."""
    with Store.open(tmp_path / "db.sqlite") as store:
        ids = [store.upsert_contact(ContactRecord(email=f"p{i}@example.com", line=i + 2),
                                    NOW)[0].id for i in range(3)]
        for hours, (cid, status) in enumerate([(ids[0], Status.SENT), (ids[0], Status.REPLIED),
                                               (ids[0], Status.SENT), (ids[1], Status.SENT),
                                               (ids[2], Status.DECLINED)]):
            store.set_status(cid, status, NOW + timedelta(hours=hours), cause="test")
        assert store.stage_counts(["sent", "replied", "thanked"]) == {"sent": 2, "replied": 1}


def test_the_interviews_held_are_read_off_an_index_alone(tmp_path: Path) -> None:
    """The interviewees counted by the referral yield come from a covering index, not from a
    lookup of every held interview's row."""
    with Store.open(tmp_path / "db.sqlite") as store:
        with traced(store.conn) as ran:
            store.interviewed_ids(NOW)
        (query,) = [q for q in ran if "interviews" in q]
        plan = query_plan(store.conn, query)
        assert "COVERING INDEX interviews_status_end_contact" in plan, plan
