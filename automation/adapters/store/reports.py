"""Aggregate reads for the dashboard: counted and filtered in SQL, so a page stays fast at
10,000 contacts with a year of history (building every ``Contact`` takes a quarter second)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from automation.adapters.store import createdruns
from automation.adapters.store.db import ts
from automation.app.ports.listing import ContactDetails, ContactListing, FirstAnswer
from automation.core.models import Contact, Interview, Status

# The contact table (app/ports/listing.py) in three reads of one snapshot, joined here by
# contact id. Every column of every row costs a conversion (and a release of the GIL) out of
# SQLite: the dense read has the seven columns every contact fills, and the columns most leave
# empty are read only for the contacts that fill one. The answers come latest first, so that a
# dict keeps each contact's earliest (the lower row id on a tie), each with its contact's first
# Sent outreach looked up through messages_contact (a grouped pass over every Sent copy cost
# twice as much). One statement joining message aggregates to the contacts cost half as much
# again as the whole at 10,000 contacts (an automatic index over the materialised aggregate,
# then a correlated lookup of each answer's kind).
_CONTACTS = "SELECT id, email, name, company, role, status, timezone FROM contacts{where} ORDER BY id"
_DETAILS = """
SELECT c.id, c.first_name, c.last_name, c.needs_attention, c.snoozed_until, r.email, c.tags
FROM contacts c LEFT JOIN contacts r ON r.id = c.referred_by
WHERE (c.name = '' OR c.needs_attention IS NOT NULL OR c.snoozed_until IS NOT NULL
       OR c.referred_by IS NOT NULL OR c.tags != '[]'){also}
"""
_ANSWERED = """
SELECT m.contact_id, coalesce(m.sent_at, m.created_at) AS at, m.classification,
       (SELECT min(s.sent_at) FROM messages s WHERE s.contact_id = m.contact_id
          AND s.direction = 'sent' AND s.kind = 'outreach')
FROM messages m
WHERE m.direction = 'inbound' AND m.classification IN ({kinds}) AND m.contact_id IS NOT NULL{only}
ORDER BY at DESC, m.id DESC
"""
_ONLY = " AND m.contact_id IN (SELECT id FROM contacts WHERE status = ?)"


_utc = datetime.fromtimestamp  # ``dt``, without a call of its own per value


def _events(statuses: Sequence[str]) -> tuple[str, str]:
    """``(with, table)`` for a query over the timeline's changes into ``statuses``: the
    imported contacts' "created" events (status new) are runs of ``createdruns``, read
    with the timeline only when "new" is asked for (the dashboard never asks)."""
    if str(Status.NEW) in statuses:
        return createdruns.EVENTS, "events"
    return "", "timeline"


def _plain(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor of plain tuples, for reads of thousands of rows of one value each: a
    ``sqlite3.Row`` per row costs a sixth of such a read."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction around several reads (they see one state of the database), or
    the caller's transaction when it holds one."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def _details(r: tuple[Any, ...]) -> ContactDetails:
    snoozed, tags = r[4], r[6]
    return ContactDetails(r[1], r[2], r[3], None if snoozed is None else _utc(snoozed, UTC),
                          r[5], () if tags == "[]" else tuple(json.loads(tags)))


def _filter(company: str, tag: str) -> tuple[str, list[str]]:
    """The WHERE terms (each starting with AND) and arguments of the board's filters; no term
    for an empty filter, so the plain board keeps to its index."""
    sql, args = "", []
    if company:
        sql += " AND instr(lower(company), lower(?)) > 0"
        args.append(company)
    if tag:
        sql += " AND EXISTS (SELECT 1 FROM json_each(contacts.tags) WHERE value = ?)"
        args.append(tag)
    return sql, args


class ReportTables:
    """The ``ReportStore`` port (app/ports/store.py) over the SQLite tables."""

    conn: sqlite3.Connection

    def _contact(self, row: sqlite3.Row, aliases: Any = ()) -> Contact:  # ContactTables'
        raise NotImplementedError

    def _interview(self, row: sqlite3.Row) -> Interview:  # CalendarTables'
        raise NotImplementedError

    def flagged_contacts(self) -> list[Contact]:
        rows = self.conn.execute("SELECT * FROM contacts INDEXED BY contacts_flagged "
                                 "WHERE needs_attention IS NOT NULL ORDER BY id").fetchall()
        return [self._contact(r) for r in rows]

    def snoozed_contacts(self, now: datetime) -> list[Contact]:
        rows = self.conn.execute("SELECT * FROM contacts WHERE snoozed_until > ? ORDER BY id",
                                 (ts(now),)).fetchall()
        return [self._contact(r) for r in rows]

    def contacts_in(self, statuses: list[str]) -> list[Contact]:
        marks = ",".join("?" * len(statuses))
        rows = self.conn.execute(f"SELECT * FROM contacts WHERE status IN ({marks}) "
                                 "ORDER BY id", statuses).fetchall()
        return [self._contact(r) for r in rows]

    def ids_in(self, statuses: list[str]) -> list[int]:
        marks = ",".join("?" * len(statuses))
        return [r[0] for r in _plain(self.conn).execute(
            f"SELECT id FROM contacts WHERE status IN ({marks}) ORDER BY id", statuses)]

    def quiet_since(self, statuses: list[str], kinds: list[str], cutoff: datetime) -> list[int]:
        marks, kind_marks = ",".join("?" * len(statuses)), ",".join("?" * len(kinds))
        # Through contacts_status, each status's contacts come in id order, so the messages
        # are probed and grouped in order: a quarter less than through contacts_status_changed
        # (the planner's pick) at 10,000 contacts.
        rows = self.conn.execute(
            "SELECT c.id FROM contacts c INDEXED BY contacts_status LEFT JOIN messages m ON "
            "m.contact_id = c.id AND "
            f"(m.direction = 'sent' OR (m.direction = 'inbound' AND m.classification IN "
            f"({kind_marks}))) WHERE c.status IN ({marks}) GROUP BY c.id "
            "HAVING max(coalesce(m.sent_at, m.created_at)) IS NULL OR "
            "max(coalesce(m.sent_at, m.created_at)) <= ? "
            "ORDER BY max(coalesce(m.sent_at, m.created_at)), c.id",
            (*kinds, *statuses, ts(cutoff)))
        return [r[0] for r in rows]

    def board_counts(self, company: str = "", tag: str = "") -> dict[str, int]:
        terms, args = _filter(company, tag)
        rows = self.conn.execute(f"SELECT status, count(*) FROM contacts WHERE 1{terms} "
                                 "GROUP BY status", args)
        return {r[0]: r[1] for r in rows}

    def latest_in_status(self, status: Status | str, limit: int, company: str = "",
                         tag: str = "") -> list[Contact]:
        terms, args = _filter(company, tag)
        rows = self.conn.execute(
            f"SELECT * FROM contacts WHERE status = ?{terms} "
            "ORDER BY status_changed_at DESC, id DESC LIMIT ?",
            (str(status), *args, limit)).fetchall()
        return [self._contact(r) for r in rows]

    def companies_and_tags(self) -> tuple[list[str], list[str]]:
        companies = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT company FROM contacts WHERE company != '' ORDER BY company")]
        # Most contacts carry no tag: only the tagged are read (contacts_tagged).
        tags = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT j.value FROM contacts, json_each(contacts.tags) AS j "
            "WHERE contacts.tags != '[]' ORDER BY 1")]
        return companies, tags

    def stage_counts(self, statuses: list[str]) -> dict[str, int]:
        # Only the statuses asked for: counting every status's distinct contacts (the
        # created contacts' "new" among them) cost a quarter more at 10,000 contacts.
        marks = ",".join("?" * len(statuses))
        with_runs, events = _events(statuses)
        rows = self.conn.execute(f"{with_runs}SELECT new_status, count(DISTINCT contact_id) FROM "
                                 f"{events} WHERE new_status IN ({marks}) GROUP BY new_status",
                                 statuses)
        return {r[0]: r[1] for r in rows}

    def status_delays(self, first: str, then: str) -> list[float]:
        # Each contact's first ``then`` read off timeline_status_contact in contact order, and
        # its first ``first`` up to then looked up there (NULL when none): a grouping of both
        # statuses' rows sorted them into a temporary b-tree, a third more at 10,000 contacts.
        # Filtering the NULLs in SQL would evaluate the lookup twice.
        with_runs, events = _events((first, then))
        rows = _plain(self.conn).execute(
            f"{with_runs}SELECT (SELECT r.b - min(s.at) FROM {events} s WHERE s.new_status = ? "
            "AND s.contact_id = r.contact_id AND s.at <= r.b) / 86400.0 FROM (SELECT "
            f"contact_id, min(at) AS b FROM {events} WHERE new_status = ? GROUP BY contact_id) "
            "AS r", (first, then))
        return [r[0] for r in rows if r[0] is not None]

    def weekly_status_counts(self, since: datetime, weeks: int,
                             statuses: list[str]) -> dict[tuple[int, str], int]:
        marks = ",".join("?" * len(statuses))
        start = ts(since)
        with_runs, events = _events(statuses)
        rows = self.conn.execute(
            f"{with_runs}SELECT (at - ?) / 604800 AS week, new_status, count(*) FROM {events} "
            f"WHERE new_status IN ({marks}) AND at >= ? AND at < ? GROUP BY week, new_status",
            (start, *statuses, start, start + weeks * 604800))
        return {(r[0], r[1]): r[2] for r in rows}

    def interviewed_ids(self, now: datetime, statuses: list[str] | None = None) -> list[int]:
        ended = "i.status = 'confirmed' AND i.end <= ?"
        if not statuses:
            return [r[0] for r in _plain(self.conn).execute(
                "SELECT DISTINCT i.contact_id FROM interviews i JOIN contacts c ON c.id = "
                f"i.contact_id WHERE {ended} ORDER BY i.end", (ts(now),))]
        # Checked against the set of the ids in ``statuses``, read off an index once, rather
        # than by looking up the contact of each interview (a year has thousands).
        marks = ",".join("?" * len(statuses))
        return [r[0] for r in _plain(self.conn).execute(
            f"SELECT DISTINCT i.contact_id FROM interviews i WHERE {ended} AND i.contact_id IN "
            f"(SELECT id FROM contacts WHERE status IN ({marks})) ORDER BY i.end",
            (ts(now), *statuses))]

    def interviews_between(self, start: datetime, end: datetime) -> list[Interview]:
        rows = self.conn.execute("SELECT * FROM interviews WHERE status = 'confirmed' AND "
                                 "end > ? AND start < ? ORDER BY start", (ts(start), ts(end)))
        return [self._interview(r) for r in rows]

    def referral_pairs(self) -> list[tuple[str, str, str, str]]:
        rows = self.conn.execute(
            "SELECT a.email, a.name, b.email, b.name FROM referrals r JOIN contacts a ON "
            "a.id = r.referrer_id JOIN contacts b ON b.id = r.referred_id ORDER BY r.id")
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def contact_listing(self, status: Status | str | None,
                        answer_kinds: Sequence[str]) -> ContactListing:
        only, args = ("", []) if status is None else (_ONLY, [str(status)])
        kinds = ",".join("?" * len(answer_kinds))
        cursor = self.conn.cursor()
        cursor.row_factory = None  # plain tuples: a sqlite3.Row per contact is not needed
        with _snapshot(self.conn):
            rows = cursor.execute(_CONTACTS.format(
                where="" if status is None else " WHERE status = ?"), args).fetchall()
            details = {r[0]: _details(r) for r in cursor.execute(_DETAILS.format(
                also="" if status is None else " AND c.status = ?"), args)}
            answered = cursor.execute(_ANSWERED.format(kinds=kinds, only=only),
                                      [*answer_kinds, *args]).fetchall()
        first = {r[0]: r for r in answered}  # latest first: each contact's earliest stays
        answers = {cid: FirstAnswer(_utc(at, UTC), kind, None if sent is None else _utc(sent, UTC))
                   for cid, at, kind, sent in first.values()}
        return ContactListing(rows, details, answers)
