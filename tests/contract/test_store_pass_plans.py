"""The pass's correlated reads go through the index of the contact they are about.

An index added for a page (``messages_state``: every drafted message) must not become the way
the pass looks at one contact's messages: SQLite would walk every drafted message for each of
thousands of contacts (at 10,000 contacts, an idle pass's follow-up check went from about 10
to 80 ms that way).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.adapters.store import Store

NOW = datetime(2026, 12, 7, 8, 30, tzinfo=ZoneInfo("America/New_York"))


def test_the_follow_up_check_reads_each_contacts_messages_by_contact(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        seen: list[str] = []
        store.conn.set_trace_callback(seen.append)
        store.timed_candidates(["reply"], sent_before=NOW, exchanged_before=NOW,
                               ended_before=NOW)
        store.conn.set_trace_callback(None)
        (sql,) = [s for s in seen if "FROM contacts c" in s]  # its arguments written in
        plan = [str(r[-1]) for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]
        assert any("messages_contact" in step for step in plan), plan
        assert not any("messages_state" in step for step in plan), plan
