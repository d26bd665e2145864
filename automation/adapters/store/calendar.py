"""Slot holds (offers that block time for others) and booked interviews."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from automation.adapters.store.db import Database, dt, ts
from automation.core.models import Interval, Interview, Slot


class CalendarTables(Database):
    """holds, interviews"""

    # -- holds ------------------------------------------------------------------------------

    def add_holds(self, contact_id: int, slots: Sequence[Slot], expires_at: datetime,
                  message_id: str | None) -> None:
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO holds (contact_id, start, end, expires_at, message_id) "
                "VALUES (?,?,?,?,?)",
                [(contact_id, ts(s.start), ts(s.end), ts(expires_at), message_id)
                 for s in slots])

    def active_holds(self, now: datetime) -> list[tuple[int, Interval]]:
        """Every unreleased, unexpired hold as (contact_id, interval)."""
        rows = self.conn.execute(
            "SELECT contact_id, start, end FROM holds WHERE released_at IS NULL "
            "AND expires_at > ? ORDER BY start", (ts(now),))
        return [(r[0], Interval(dt(r[1]), dt(r[2]))) for r in rows]  # type: ignore[arg-type]

    def live_holds_by_contact(self, now: datetime) -> dict[int, list[Slot]]:
        rows = self.conn.execute(
            "SELECT contact_id, start, end FROM holds WHERE released_at IS NULL "
            "AND expires_at > ? ORDER BY contact_id, start", (ts(now),))
        holds: dict[int, list[Slot]] = {}
        for r in rows:
            holds.setdefault(r[0], []).append(Slot(dt(r[1]), dt(r[2])))  # type: ignore[arg-type]
        return holds

    def holds_for(self, contact_id: int, now: datetime) -> list[Slot]:
        rows = self.conn.execute(
            "SELECT start, end FROM holds WHERE contact_id = ? AND released_at IS NULL "
            "AND expires_at > ? ORDER BY start", (contact_id, ts(now)))
        return [Slot(dt(r[0]), dt(r[1])) for r in rows]  # type: ignore[arg-type]

    def offered_slots(self, contact_id: int) -> list[Slot]:
        """The slots of the contact's latest offer, expired or not, in offer order."""
        row = self.conn.execute(
            "SELECT message_id FROM holds WHERE contact_id = ? ORDER BY id DESC LIMIT 1",
            (contact_id,)).fetchone()
        if row is None:
            return []
        rows = self.conn.execute(
            "SELECT start, end FROM holds WHERE contact_id = ? AND message_id IS ? ORDER BY start",
            (contact_id, row[0]))
        return [Slot(dt(r[0]), dt(r[1])) for r in rows]  # type: ignore[arg-type]

    def release_holds(self, contact_id: int, now: datetime) -> None:
        with self.transaction():
            self.conn.execute("UPDATE holds SET released_at = ? WHERE contact_id = ? "
                              "AND released_at IS NULL", (ts(now), contact_id))

    def drop_holds(self, message_id: str) -> None:
        """Forget the slots of a draft that was never sent (withdrawn or deleted): they were
        never offered, so they must not become the contact's latest offer."""
        self.conn.execute("DELETE FROM holds WHERE message_id = ?", (message_id,))

    # -- interviews ------------------------------------------------------------------------

    @staticmethod
    def _interview(r: sqlite3.Row) -> Interview:
        return Interview(r["id"], r["contact_id"], r["uid"], dt(r["start"]),  # type: ignore
                         dt(r["end"]), r["sequence"], r["status"],  # type: ignore[arg-type]
                         r["attendee_status"], r["event_ref"])

    def save_interview(self, contact_id: int, uid: str, start: datetime, end: datetime,
                       sequence: int, status: str, now: datetime,
                       event_ref: str | None = None) -> Interview:
        """Insert or update the interview ``uid``."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO interviews (contact_id, uid, start, end, sequence, status, "
                "event_ref, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(uid) DO UPDATE SET start = excluded.start, end = excluded.end, "
                "sequence = excluded.sequence, status = excluded.status, "
                "event_ref = COALESCE(excluded.event_ref, event_ref), "
                "updated_at = excluded.updated_at",
                (contact_id, uid, ts(start), ts(end), sequence, status, event_ref, ts(now),
                 ts(now)))
            row = self.conn.execute("SELECT * FROM interviews WHERE uid = ?", (uid,)).fetchone()
            return self._interview(row)

    def set_attendee_status(self, uid: str, status: str) -> None:
        self.conn.execute("UPDATE interviews SET attendee_status = ? WHERE uid = ?",
                          (status, uid))

    def interview_for(self, contact_id: int) -> Interview | None:
        row = self.conn.execute("SELECT * FROM interviews WHERE contact_id = ? ORDER BY id DESC "
                                "LIMIT 1", (contact_id,)).fetchone()
        return None if row is None else self._interview(row)

    def latest_interviews(self, statuses: Sequence[str]) -> dict[int, Interview]:
        marks = ",".join("?" * len(statuses))
        rows = self.conn.execute(
            "SELECT * FROM interviews WHERE id IN (SELECT max(id) FROM interviews WHERE "
            f"contact_id IN (SELECT id FROM contacts WHERE status IN ({marks})) "
            "GROUP BY contact_id)", list(statuses))
        return {r["contact_id"]: self._interview(r) for r in rows}

    def interviews(self, status: str = "confirmed") -> list[Interview]:
        rows = self.conn.execute("SELECT * FROM interviews WHERE status = ? ORDER BY start",
                                 (status,))
        return [self._interview(r) for r in rows]
