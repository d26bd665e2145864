"""Aggregate reads for the dashboard: counted and filtered in SQL, so a page stays fast at
10,000 contacts with a year of history (building every ``Contact`` takes a quarter second)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from automation.adapters.store.db import dt, ts
from automation.core.models import Contact, Status

_FILTER = ("(? = '' OR instr(lower(company), lower(?)) > 0) AND "
           "(? = '' OR EXISTS (SELECT 1 FROM json_each(contacts.tags) WHERE value = ?))")


class ReportTables:
    """The ``ReportStore`` port (app/ports.py) over the SQLite tables."""

    conn: sqlite3.Connection

    def _contact(self, row: sqlite3.Row, aliases: Any = ()) -> Contact:  # ContactTables'
        raise NotImplementedError

    def flagged_contacts(self) -> list[Contact]:
        rows = self.conn.execute("SELECT * FROM contacts WHERE needs_attention IS NOT NULL "
                                 "ORDER BY id").fetchall()
        return [self._contact(r) for r in rows]

    def contacts_in(self, statuses: list[str]) -> list[Contact]:
        marks = ",".join("?" * len(statuses))
        rows = self.conn.execute(f"SELECT * FROM contacts WHERE status IN ({marks}) "
                                 "ORDER BY id", statuses).fetchall()
        return [self._contact(r) for r in rows]

    def board_counts(self, company: str = "", tag: str = "") -> dict[str, int]:
        rows = self.conn.execute(f"SELECT status, count(*) FROM contacts WHERE {_FILTER} "
                                 "GROUP BY status", (company, company, tag, tag))
        return {r[0]: r[1] for r in rows}

    def latest_in_status(self, status: Status | str, limit: int, company: str = "",
                         tag: str = "") -> list[Contact]:
        rows = self.conn.execute(
            f"SELECT * FROM contacts WHERE status = ? AND {_FILTER} "
            "ORDER BY status_changed_at DESC, id DESC LIMIT ?",
            (str(status), company, company, tag, tag, limit)).fetchall()
        return [self._contact(r) for r in rows]

    def companies_and_tags(self) -> tuple[list[str], list[str]]:
        companies = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT company FROM contacts WHERE company != '' ORDER BY company")]
        tags = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT j.value FROM contacts, json_each(contacts.tags) AS j ORDER BY 1")]
        return companies, tags

    def stage_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT new_status, count(DISTINCT contact_id) FROM timeline "
                                 "WHERE new_status IS NOT NULL GROUP BY new_status")
        return {r[0]: r[1] for r in rows}

    def status_delays(self, first: str, then: str) -> list[float]:
        rows = self.conn.execute(
            "SELECT b.at - a.at FROM (SELECT contact_id, min(at) AS at FROM timeline WHERE "
            "new_status = ? GROUP BY contact_id) a JOIN (SELECT contact_id, min(at) AS at FROM "
            "timeline WHERE new_status = ? GROUP BY contact_id) b USING (contact_id) "
            "WHERE b.at >= a.at", (first, then))
        return [r[0] / 86400 for r in rows]

    def status_changes_since(self, since: datetime) -> list[tuple[datetime, str]]:
        rows = self.conn.execute("SELECT at, new_status FROM timeline WHERE at >= ? AND "
                                 "new_status IS NOT NULL", (ts(since),))
        return [(dt(r[0]), r[1]) for r in rows]  # type: ignore[misc]

    def referral_pairs(self) -> list[tuple[str, str, str, str]]:
        rows = self.conn.execute(
            "SELECT a.email, a.name, b.email, b.name FROM referrals r JOIN contacts a ON "
            "a.id = r.referrer_id JOIN contacts b ON b.id = r.referred_id ORDER BY r.id")
        return [(r[0], r[1], r[2], r[3]) for r in rows]
