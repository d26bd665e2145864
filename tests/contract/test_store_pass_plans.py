"""The pass's reads: the correlated ones go through the index of the contact they are about,
and the employer gate reads only the colleagues it can need.

An index added for a page (``messages_state``: every drafted message) must not become the way
the pass looks at one contact's messages: SQLite would walk every drafted message for each of
thousands of contacts (at 10,000 contacts, an idle pass's follow-up check went from about 10
to 80 ms that way).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.adapters.store import Store
from automation.adapters.store.migrations import MIGRATIONS
from tests.support.sqltrace import query_plan, traced

NOW = datetime(2026, 12, 7, 8, 30, tzinfo=ZoneInfo("America/New_York"))


def test_the_follow_up_check_reads_each_contacts_messages_by_contact(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        with traced(store.conn) as seen:
            store.timed_candidates(["reply"], sent_before=NOW, exchanged_before=NOW,
                                   ended_before=NOW)
        (sql,) = [s for s in seen if "FROM contacts c" in s]  # its arguments written in
        plan = query_plan(store.conn, sql)
        assert "messages_contact" in plan, plan
        assert "messages_state" not in plan, plan


def test_the_awaiting_colleagues_can_be_read_for_some_company_names(tmp_path: Path) -> None:
    """``companies_of`` lists each stored spelling once; ``awaiting`` with names reads the
    rows of exactly those spellings (the employer gate asks only for its new contacts'
    employers), in id order, as the unfiltered read gives them."""
    from automation.core.models import Status
    from automation.core.records import ContactRecord

    with Store.open(tmp_path / "db.sqlite") as store:
        spellings = ["Acme", "ACME, Inc.", "Beta", "", "Acme"]
        for i, company in enumerate(spellings):
            c = store.upsert_contact(ContactRecord(email=f"p{i}@example.com", line=i + 2,
                                                   company=company), NOW)[0]
            store.set_status(c.id or 0, Status.SENT if i % 2 else Status.DRAFTED, NOW,
                             cause="test")
        statuses = ["drafted", "sent"]
        assert sorted(store.companies_of(statuses)) == ["", "ACME, Inc.", "Acme", "Beta"]
        every = store.awaiting(statuses, "outreach")
        for names in (["Acme"], ["ACME, Inc.", ""], [], ["Gamma"]):
            assert store.awaiting(statuses, "outreach", names) == \
                [r for r in every if r.company in names], names


def _old_database(path: Path, upto: str) -> sqlite3.Connection:
    """A database as the version whose last migration was ``upto`` wrote it."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER)")
    for name, statements in MIGRATIONS:
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO migrations VALUES (?, 0)", (name,))
        if name == upto:
            return conn
    raise AssertionError(f"no migration {upto}")


def test_the_daily_cap_counts_todays_drafts_off_an_index_old_databases_gain(
        tmp_path: Path) -> None:
    """An idle pass counts today's outreach drafts (the daily cap): a database written before
    the index opens, gains it, and counts as it did, without reading every message."""
    path = tmp_path / "old.sqlite"
    conn = _old_database(path, "0010_held_index")
    day = int(NOW.replace(hour=0, minute=0).timestamp())
    rows = [("outreach", "draft", day - 60), ("outreach", "draft", day),
            ("outreach", "draft", day + 3600), ("follow_up", "draft", day + 60),
            ("outreach", "sent", day + 120), ("outreach", "draft", day + 7200)]
    conn.executemany("INSERT INTO messages (kind, direction, state, created_at) "
                     "VALUES (?, ?, 'drafted', ?)", rows)
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        names = {r[0] for r in store.conn.execute("SELECT name FROM migrations")}
        assert "0011_drafts_by_day" in names
        since = NOW.replace(hour=0, minute=0)
        assert store.count_drafts_since("outreach", since) == 3
        assert store.count_drafts_since("outreach", since + timedelta(hours=2)) == 1
        assert store.count_drafts_since("follow_up", since) == 1
        with traced(store.conn) as seen:
            store.count_drafts_since("outreach", since)
        plan = query_plan(store.conn, seen[0])
        assert "COVERING INDEX messages_created" in plan, plan


def test_the_employer_gates_first_sent_read_goes_by_contact(tmp_path: Path) -> None:
    """``awaiting`` reads each contact's first sent outreach off messages_contact: an index led
    by (kind, direction) would have it walk every sent outreach message for each contact."""
    with Store.open(tmp_path / "db.sqlite") as store:
        with traced(store.conn) as seen:
            store.awaiting(["drafted", "sent"], "outreach")
        (sql,) = [s for s in seen if "FROM contacts c" in s]
        plan = query_plan(store.conn, sql)
        assert "messages_contact" in plan, plan
