"""Set-based reads of the pass (the ``PassStore`` port): what a rule can act on, in a few
queries, without decoding every contact of the running pipeline into a ``Contact``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from automation.adapters.store.db import Database, dt, ts
from automation.app.ports.passes import Awaiting
from automation.core.models import Contact, Interview


class PassTables(Database):
    """Reads over contacts, messages and interviews (no table of its own)."""

    def _contact(self, row: sqlite3.Row, aliases: Any = ()) -> Contact:  # ContactTables'
        raise NotImplementedError

    def _interview(self, row: sqlite3.Row) -> Interview:  # CalendarTables'
        raise NotImplementedError

    def upcoming_interviews(self, now: datetime) -> list[Interview]:
        rows = self.conn.execute("SELECT * FROM interviews WHERE status = 'confirmed' AND "
                                 "end > ? ORDER BY start", (ts(now),))
        return [self._interview(r) for r in rows]

    def contacts_with_ids(self, ids: Sequence[int]) -> list[Contact]:
        rows = self.conn.execute("SELECT * FROM contacts WHERE id IN (SELECT value FROM "
                                 "json_each(?)) ORDER BY id", (json.dumps(list(ids)),))
        return [self._contact(r) for r in rows]

    def latest_interviews_of(self, ids: Sequence[int]) -> dict[int, Interview]:
        rows = self.conn.execute(
            "SELECT * FROM interviews WHERE id IN (SELECT max(id) FROM interviews WHERE "
            "contact_id IN (SELECT value FROM json_each(?)) GROUP BY contact_id)",
            (json.dumps(list(ids)),))
        return {r["contact_id"]: self._interview(r) for r in rows}

    def awaiting(self, statuses: Sequence[str], kind: str,
                 companies: Sequence[str] | None = None) -> list[Awaiting]:
        marks = ",".join("?" * len(statuses))
        among = "" if companies is None else \
            "AND c.company IN (SELECT value FROM json_each(?)) "
        rows = self.conn.execute(
            "SELECT c.id, c.email, c.status, c.company, c.timezone, (SELECT min(m.sent_at) "
            "FROM messages m WHERE m.contact_id = c.id AND m.direction = 'sent' AND "
            "m.kind = ? AND m.sent_at IS NOT NULL) FROM contacts c "
            f"WHERE c.status IN ({marks}) {among}ORDER BY c.id",
            [kind, *statuses, *([] if companies is None else [json.dumps(list(companies))])])
        return [Awaiting(r[0], r[1], r[2], r[3], r[4], dt(r[5])) for r in rows]

    def companies_of(self, statuses: Sequence[str]) -> list[str]:
        marks = ",".join("?" * len(statuses))
        rows = self.conn.execute(
            f"SELECT DISTINCT company FROM contacts WHERE status IN ({marks})", list(statuses))
        return [r[0] for r in rows]

    def timed_candidates(self, real_inbound: Sequence[str], *, sent_before: datetime,
                         exchanged_before: datetime, ended_before: datetime) -> list[int]:
        # ``core.timing.may_be_due`` in SQL, over what the messages show: a contact's latest
        # time read here is never later than the state's (which adds deleted drafts' times),
        # and a contact with none is let through, so no contact that may be due is missed.
        real = ",".join(f":r{i}" for i in range(len(real_inbound))) or "NULL"
        latest = "(SELECT max(m.sent_at) FROM messages m WHERE m.contact_id = c.id AND {})"
        outbound = latest.format("m.direction = 'sent' AND m.kind IN ('outreach', 'follow_up')")
        exchange = latest.format("(m.direction IN ('sent', 'logged') OR m.direction = "
                                 f"'inbound' AND m.classification IN ({real}))")
        # Per contact, through messages_contact: the unary + keeps SQLite off messages_state
        # (direction, state), which would walk every drafted message for each contact.
        pending = ("NOT EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND "
                   "+m.direction = 'draft' AND m.state = 'drafted' AND m.kind = '{}')")
        ended = ("c.id IN (SELECT contact_id FROM interviews WHERE status = 'confirmed' AND "
                 "end <= :ended)")
        thanked = ("EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND "
                   "m.direction = 'draft' AND m.kind = 'thank_you')")
        # A check-in is written only with an update the contact was not told yet
        # (``exchanges.fresh_update``: told = carried by a check-in draft not withdrawn).
        untold = ("EXISTS (SELECT 1 FROM updates u WHERE u.id NOT IN (SELECT "
                  "json_extract(m.detail, '$.update_id') FROM messages m WHERE m.contact_id "
                  "= c.id AND m.kind = 'check_in' AND m.direction = 'draft' AND m.state != "
                  "'withdrawn' AND json_extract(m.detail, '$.update_id') IS NOT NULL))")
        sql = (
            "SELECT c.id FROM contacts c WHERE "
            "(c.status = 'sent' AND (c.needs_attention IS NULL OR c.needs_attention = '') AND "
            f"{pending.format('follow_up')} AND ifnull({outbound}, :sent) <= :sent) OR "
            f"(c.status = 'scheduled' AND {ended}) OR "
            f"(c.status = 'interviewed' AND {ended} AND NOT {thanked}) OR "
            f"(c.status = 'nurturing' AND {untold} AND {pending.format('check_in')} AND "
            f"ifnull({exchange}, :exchanged) <= :exchanged) ORDER BY c.id")
        args = {"sent": ts(sent_before), "exchanged": ts(exchanged_before),
                "ended": ts(ended_before), **{f"r{i}": k for i, k in enumerate(real_inbound)}}
        return [r[0] for r in self.conn.execute(sql, args)]
