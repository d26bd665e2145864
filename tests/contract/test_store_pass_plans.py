"""The pass's reads: the correlated ones go through the index of the contact they are about,
and the employer gate reads only the colleagues it can need.

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
    from automation.core.models import ContactRecord, Status

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
