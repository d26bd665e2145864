"""Every draft, sent and received message we track, and the mailbox items already processed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from automation.adapters.store.db import Database, dt, ts
from automation.app.ports.mail import Watch
from automation.app.ports.store import MessageFacts
from automation.core.models import MessageRow


class MessageTables(Database):
    """messages, seen"""

    # -- messages ---------------------------------------------------------------------------

    @staticmethod
    def _message(r: sqlite3.Row) -> MessageRow:
        return MessageRow(r["id"], r["contact_id"], r["kind"], r["direction"], r["message_id"],
                          r["thread_id"], r["draft_id"], r["state"], r["subject"],
                          r["in_reply_to"], dt(r["created_at"]),  # type: ignore[arg-type]
                          dt(r["sent_at"]), r["classification"], json.loads(r["detail"]))

    def add_message(self, *, contact_id: int | None, kind: str, direction: str, state: str,
                    now: datetime, message_id: str | None = None, thread_id: str | None = None,
                    draft_id: str | None = None, subject: str = "",
                    in_reply_to: str | None = None, sent_at: datetime | None = None,
                    classification: str | None = None,
                    detail: dict[str, Any] | None = None) -> int:
        cur = self.conn.execute(
            "INSERT INTO messages (contact_id, kind, direction, message_id, thread_id, draft_id,"
            " state, subject, in_reply_to, created_at, sent_at, classification, detail) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (contact_id, kind, direction, message_id, thread_id, draft_id, state, subject,
             in_reply_to, ts(now), sent_at and ts(sent_at), classification,
             json.dumps(detail or {}, default=str)))
        return int(cur.lastrowid or 0)

    def update_message(self, row_id: int, **fields: Any) -> None:
        conv = {k: (ts(v) if isinstance(v, datetime) else v) for k, v in fields.items()}
        if "detail" in conv and not isinstance(conv["detail"], str):
            conv["detail"] = json.dumps(conv["detail"], default=str)
        sets = ", ".join(f"{k} = ?" for k in conv)
        self.conn.execute(f"UPDATE messages SET {sets} WHERE id = ?", (*conv.values(), row_id))

    def messages_for(self, contact_id: int) -> list[MessageRow]:
        rows = self.conn.execute("SELECT * FROM messages WHERE contact_id = ? ORDER BY id",
                                 (contact_id,))
        return [self._message(r) for r in rows]

    def message_by_id(self, message_id: str) -> MessageRow | None:
        row = self.conn.execute("SELECT * FROM messages WHERE message_id = ? ORDER BY id LIMIT 1",
                                (message_id,)).fetchone()
        return None if row is None else self._message(row)

    def messages_in_state(self, direction: str, state: str) -> list[MessageRow]:
        rows = self.conn.execute("SELECT * FROM messages WHERE direction = ? AND state = ? "
                                 "ORDER BY id", (direction, state))
        return [self._message(r) for r in rows]

    def drafts_waiting(self, limit: int) -> tuple[list[MessageRow], int]:
        # Counted in SQL and only the shown ones decoded (Today lists 15 of the hundreds).
        where = "direction = 'draft' AND state = 'drafted' AND contact_id IS NOT NULL"
        rows = self.conn.execute(f"SELECT * FROM messages WHERE {where} ORDER BY id LIMIT ?",
                                 (limit,))
        shown = [self._message(r) for r in rows]
        total = self.conn.execute(f"SELECT count(*) FROM messages WHERE {where}").fetchone()[0]
        return shown, total

    def watch(self) -> Watch:
        # Four set queries instead of one per contact: an idle pass at 10,000 contacts read
        # every contact's messages one query at a time just to build these sets.
        past_new = "SELECT id FROM contacts WHERE status != 'new'"
        threads = self.conn.execute(
            f"SELECT thread_id FROM contacts WHERE id IN ({past_new}) UNION "
            f"SELECT thread_id FROM messages WHERE contact_id IN ({past_new})")
        addresses = self.conn.execute(
            f"SELECT email FROM contacts WHERE id IN ({past_new}) UNION "
            f"SELECT email FROM aliases WHERE contact_id IN ({past_new})")
        ids = self.conn.execute(
            f"SELECT message_id, draft_id, direction FROM messages WHERE contact_id IN "
            f"({past_new})").fetchall()
        return Watch(
            thread_ids=frozenset(r[0] for r in threads if r[0]),
            addresses=frozenset(r[0] for r in addresses if r[0]),
            message_ids=frozenset(r[0] for r in ids if r[0]),
            draft_ids=frozenset(r[1] for r in ids if r[1] and r[2] == "draft"))

    def _of(self, statuses: Sequence[str], contact_id: int | None,
            contact_ids: Sequence[int] | None = None) -> tuple[str, list[Any]]:
        if contact_id is not None:
            return "contact_id = ?", [contact_id]
        if contact_ids is not None:  # one parameter, however many ids
            return "contact_id IN (SELECT value FROM json_each(?))", [json.dumps(contact_ids)]
        marks = ",".join("?" * len(statuses))
        return f"contact_id IN (SELECT id FROM contacts WHERE status IN ({marks}))", \
            list(statuses)

    def message_facts(self, real_inbound: Sequence[str], *, statuses: Sequence[str] = (),
                      contact_id: int | None = None,
                      contact_ids: Sequence[int] | None = None) -> dict[int, MessageFacts]:
        # Aggregated by SQLite: the idle pass reads these for thousands of contacts, and
        # decoding every message row of each (its JSON detail, its times) was most of it.
        where, args = self._of(statuses, contact_id, contact_ids)
        real = ",".join("?" * len(real_inbound)) or "NULL"
        agg = {r[0]: r[1:] for r in self.conn.execute(
            "SELECT contact_id, max(CASE WHEN direction = 'sent' AND kind IN ('outreach', "
            "'follow_up') THEN sent_at END), max(CASE WHEN direction IN ('sent', 'logged') OR "
            f"direction = 'inbound' AND classification IN ({real}) THEN sent_at END), "
            "sum(direction = 'draft' AND kind = 'follow_up'), "
            "max(direction = 'draft' AND kind = 'thank_you') "
            f"FROM messages WHERE {where} GROUP BY contact_id", [*real_inbound, *args])}
        pending: dict[int, list[tuple[str, str]]] = {}
        discarded: dict[int, list[tuple[str, datetime]]] = {}
        for r in self.conn.execute(
                "SELECT contact_id, kind, message_id, state, detail FROM messages WHERE "
                f"direction = 'draft' AND state IN ('drafted', 'discarded') AND {where} "
                "ORDER BY id", args):
            if r[3] == "drafted":
                pending.setdefault(r[0], []).append((r[1], r[2] or ""))
            elif "discarded_at" in (detail := json.loads(r[4])):
                discarded.setdefault(r[0], []).append(
                    (r[1], datetime.fromisoformat(detail["discarded_at"])))
        return {cid: MessageFacts(dt(out), dt(ex), int(ups or 0), bool(thanked),
                                  tuple(pending.get(cid, ())), tuple(discarded.get(cid, ())))
                for cid, (out, ex, ups, thanked) in agg.items()}

    def first_sent(self, kind: str, statuses: Sequence[str]) -> dict[int, datetime]:
        where, args = self._of(statuses, None)
        rows = self.conn.execute(
            "SELECT contact_id, min(sent_at) FROM messages WHERE direction = 'sent' AND kind = ? "
            f"AND sent_at IS NOT NULL AND {where} GROUP BY contact_id", [kind, *args])
        return {r[0]: dt(r[1]) for r in rows}  # type: ignore[misc]

    def count_drafts_since(self, kind: str, since: datetime) -> int:
        # Named: left to itself SQLite walks every draft through messages_state (direction,
        # state), thousands of rows, rather than today's few off the time-led index.
        return self.conn.execute(
            "SELECT count(*) FROM messages INDEXED BY messages_created WHERE kind = ? "
            "AND direction = 'draft' AND created_at >= ?", (kind, ts(since))).fetchone()[0]

    # -- processed mailbox items ------------------------------------------------------------

    def has_history(self) -> bool:
        return self.conn.execute("SELECT EXISTS(SELECT 1 FROM messages) OR "
                                 "EXISTS(SELECT 1 FROM seen)").fetchone()[0] == 1

    def is_seen(self, key: str) -> bool:
        return self.conn.execute("SELECT 1 FROM seen WHERE key = ?", (key,)).fetchone() is not None

    def mark_seen(self, key: str, now: datetime) -> None:
        self.conn.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (key, ts(now)))
