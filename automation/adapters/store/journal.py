"""The intent journal (written before every irreversible side effect), sync cursors and tick health."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from automation.adapters.store.db import Database, dt, ts

if TYPE_CHECKING:
    from automation.core.records import Intent


def _intent(*fields: Any) -> Intent:
    # Imported here: a pass with nothing pending builds no Intent (see core.records).
    from automation.core.records import Intent

    return Intent(*fields)


class JournalTables(Database):
    """intents, cursors, ticks"""

    # -- intents (write before an irreversible side effect) ---------------------------------

    def begin_intent(self, key: str, kind: str, contact_id: int | None,
                     payload: dict[str, Any], now: datetime) -> Intent:
        """Record the intent to do ``key`` once; returns the stored one if it already exists."""
        text = json.dumps(payload)
        with self.transaction():
            made = self.conn.execute(
                "INSERT OR IGNORE INTO intents (key, kind, contact_id, payload, created_at) "
                "VALUES (?,?,?,?,?) RETURNING id", (key, kind, contact_id, text, ts(now)),
            ).fetchone()
            if made is None:  # it was there already
                return self.get_intent(key)  # type: ignore[return-value]
            # What get_intent would read back (the payload as JSON gives it), without reading.
            return _intent(made[0], key, kind, contact_id, json.loads(text), "pending")

    def intent_state(self, key: str) -> str | None:
        """The state of intent ``key`` ("pending", "done", ...), or None if there is none."""
        row = self.conn.execute("SELECT state FROM intents WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def get_intent(self, key: str) -> Intent | None:
        r = self.conn.execute("SELECT * FROM intents WHERE key = ?", (key,)).fetchone()
        return None if r is None else _intent(r["id"], r["key"], r["kind"], r["contact_id"],
                                              json.loads(r["payload"]), r["state"])

    def finish_intent(self, key: str, now: datetime, result: dict[str, Any] | None = None,
                      state: str = "done") -> None:
        self.conn.execute("UPDATE intents SET state = ?, done_at = ?, result = ? WHERE key = ?",
                          (state, ts(now), json.dumps(result or {}), key))

    def pending_intents(self) -> list[Intent]:
        rows = self.conn.execute("SELECT * FROM intents WHERE state = 'pending' ORDER BY id")
        return [_intent(r["id"], r["key"], r["kind"], r["contact_id"], json.loads(r["payload"]),
                        r["state"]) for r in rows]

    # -- cursors and tick health -------------------------------------------------------------

    def get_cursor(self, name: str) -> str | None:
        row = self.conn.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_cursor(self, name: str, value: str | None) -> None:
        self.conn.execute("INSERT INTO cursors VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                          "value = excluded.value", (name, value))

    def start_tick(self, now: datetime) -> int:
        with self.transaction():
            cur = self.conn.execute("INSERT INTO ticks (started_at, pid) VALUES (?, ?)",
                                    (ts(now), os.getpid()))
            return int(cur.lastrowid or 0)

    def end_tick(self, tick_id: int, now: datetime, outcome: str, counts: dict[str, Any],
                 error: str | None = None) -> None:
        with self.transaction():
            self.conn.execute("UPDATE ticks SET ended_at = ?, outcome = ?, counts = ?, error = ? "
                              "WHERE id = ?", (ts(now), outcome, json.dumps(counts), error,
                                               tick_id))

    def last_tick(self) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM ticks ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return {"started_at": dt(row["started_at"]), "ended_at": dt(row["ended_at"]),
                "outcome": row["outcome"], "counts": json.loads(row["counts"]),
                "error": row["error"], "pid": row["pid"]}
