"""SQLite persistence: contacts, timeline, holds, messages, intents, interviews, referrals.

Times are stored as UTC epoch seconds and come back as aware UTC datetimes. Migrations are named
and tracked in a table; a database newer than this code fails loudly. The connection runs in
autocommit mode and every write goes through ``transaction()`` (``BEGIN IMMEDIATE``), so a crash
leaves either all or nothing of a step. WAL lets read commands run while the daemon writes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from automation.errors import UserError
from automation.models import Contact, ContactRecord, Interval, Slot, Status, require_aware

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", """
    CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL DEFAULT '', first_name TEXT NOT NULL DEFAULT '',
        last_name TEXT NOT NULL DEFAULT '', company TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT '', timezone TEXT, notes TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '', location TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'new',
        needs_attention TEXT, snoozed_until INTEGER,
        referred_by INTEGER REFERENCES contacts(id),
        thread_id TEXT, user_note TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        status_changed_at INTEGER NOT NULL,
        extra TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX contacts_status ON contacts(status);
    CREATE TABLE aliases (
        email TEXT PRIMARY KEY, contact_id INTEGER NOT NULL REFERENCES contacts(id)
    );
    CREATE TABLE timeline (
        id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL REFERENCES contacts(id),
        at INTEGER NOT NULL, event TEXT NOT NULL, old_status TEXT, new_status TEXT,
        cause TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX timeline_contact ON timeline(contact_id, id);
    CREATE TABLE holds (
        id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL REFERENCES contacts(id),
        start INTEGER NOT NULL, end INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        message_id TEXT, released_at INTEGER
    );
    CREATE INDEX holds_active ON holds(released_at, expires_at);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY, contact_id INTEGER REFERENCES contacts(id),
        kind TEXT NOT NULL, direction TEXT NOT NULL, message_id TEXT, thread_id TEXT,
        draft_id TEXT, state TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '',
        in_reply_to TEXT, created_at INTEGER NOT NULL, sent_at INTEGER,
        classification TEXT, detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX messages_mid ON messages(message_id);
    CREATE INDEX messages_contact ON messages(contact_id, id);
    CREATE INDEX messages_thread ON messages(thread_id);
    CREATE TABLE seen (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
    CREATE TABLE intents (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
        contact_id INTEGER REFERENCES contacts(id), payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending', created_at INTEGER NOT NULL,
        done_at INTEGER, result TEXT
    );
    CREATE TABLE interviews (
        id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL REFERENCES contacts(id),
        uid TEXT NOT NULL UNIQUE, start INTEGER NOT NULL, end INTEGER NOT NULL,
        sequence INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'confirmed',
        attendee_status TEXT, event_ref TEXT,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
    );
    CREATE TABLE referrals (
        id INTEGER PRIMARY KEY, referrer_id INTEGER NOT NULL REFERENCES contacts(id),
        referred_id INTEGER NOT NULL REFERENCES contacts(id), created_at INTEGER NOT NULL,
        UNIQUE (referrer_id, referred_id)
    );
    CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE ticks (
        id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, ended_at INTEGER,
        outcome TEXT, counts TEXT NOT NULL DEFAULT '{}', error TEXT, pid INTEGER
    );
    """),
]


def ts(value: datetime) -> int:
    """Aware datetime → UTC epoch seconds."""
    return int(require_aware(value).timestamp())


def dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    event: str
    old_status: str | None
    new_status: str | None
    cause: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class MessageRow:
    id: int
    contact_id: int | None
    kind: str
    direction: str
    message_id: str | None
    thread_id: str | None
    draft_id: str | None
    state: str
    subject: str
    in_reply_to: str | None
    created_at: datetime
    sent_at: datetime | None
    classification: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Intent:
    id: int
    key: str
    kind: str
    contact_id: int | None
    payload: dict[str, Any]
    state: str


@dataclass(frozen=True)
class Interview:
    id: int
    contact_id: int
    uid: str
    start: datetime
    end: datetime
    sequence: int
    status: str
    attendee_status: str | None
    event_ref: str | None

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


_CONTACT_FIELDS = ("name", "first_name", "last_name", "company", "role", "timezone", "notes",
                   "phone", "location")


class Store:
    """The database. Open with ``Store.open(path)``; use as a context manager to close."""

    SCHEMA_VERSION = len(MIGRATIONS)

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._depth = 0

    # -- life cycle -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, busy_timeout_ms: int = 5000) -> Store:
        """Open (creating with mode 0600) and migrate the database at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=busy_timeout_ms / 1000)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise UserError(f"cannot open database {path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        store = cls(conn, path)
        store.migrate()
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work; nested calls join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def migrate(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at INTEGER)"
        )
        done = {r[0] for r in self.conn.execute("SELECT name FROM migrations")}
        known = {name for name, _ in MIGRATIONS}
        unknown = done - known
        if unknown:
            raise UserError(
                f"database {self.path} was written by a newer version (migrations "
                f"{sorted(unknown)}); upgrade this program before using it"
            )
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                for statement in filter(str.strip, sql.split(";")):
                    self.conn.execute(statement)
                self.conn.execute("INSERT INTO migrations VALUES (?, strftime('%s','now'))",
                                  (name,))

    def schema_version(self) -> int:
        return self.conn.execute("SELECT count(*) FROM migrations").fetchone()[0]

    # -- contacts ---------------------------------------------------------------------------

    @staticmethod
    def _contact(row: sqlite3.Row, aliases: Sequence[str] = ()) -> Contact:
        return Contact(
            id=row["id"], email=row["email"], name=row["name"], first_name=row["first_name"],
            last_name=row["last_name"], company=row["company"], role=row["role"],
            timezone=row["timezone"], notes=row["notes"], phone=row["phone"],
            location=row["location"], tags=tuple(json.loads(row["tags"])),
            aliases=tuple(aliases), status=Status(row["status"]),
            needs_attention=row["needs_attention"], snoozed_until=dt(row["snoozed_until"]),
            referred_by=row["referred_by"], thread_id=row["thread_id"],
            user_note=row["user_note"], created_at=dt(row["created_at"]),
            status_changed_at=dt(row["status_changed_at"]), extra=json.loads(row["extra"]),
        )

    def _aliases(self, contact_id: int) -> list[str]:
        rows = self.conn.execute("SELECT email FROM aliases WHERE contact_id = ? ORDER BY email",
                                 (contact_id,))
        return [r[0] for r in rows]

    def get_contact(self, contact_id: int) -> Contact:
        row = self.conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()
        if row is None:
            raise UserError(f"no contact with id {contact_id}")
        return self._contact(row, self._aliases(contact_id))

    def find_contact(self, email: str) -> Contact | None:
        """The contact whose address or linked alias is ``email`` (case-insensitive)."""
        email = email.strip().lower()
        row = self.conn.execute("SELECT * FROM contacts WHERE email = ?", (email,)).fetchone()
        if row is None:
            alias = self.conn.execute("SELECT contact_id FROM aliases WHERE email = ?",
                                      (email,)).fetchone()
            if alias is None:
                return None
            row = self.conn.execute("SELECT * FROM contacts WHERE id = ?",
                                    (alias[0],)).fetchone()
        return self._contact(row, self._aliases(row["id"]))

    def require_contact(self, email: str) -> Contact:
        contact = self.find_contact(email)
        if contact is None:
            raise UserError(f"no contact {email!r}; see `automation contacts` for the list")
        return contact

    def list_contacts(self, status: Status | str | None = None) -> list[Contact]:
        if status is None:
            rows = self.conn.execute("SELECT * FROM contacts ORDER BY id").fetchall()
        else:
            rows = self.conn.execute("SELECT * FROM contacts WHERE status = ? ORDER BY id",
                                     (str(status),)).fetchall()
        aliases: dict[int, list[str]] = {}
        for a in self.conn.execute("SELECT contact_id, email FROM aliases ORDER BY email"):
            aliases.setdefault(a[0], []).append(a[1])
        return [self._contact(r, aliases.get(r["id"], ())) for r in rows]

    def upsert_contact(self, record: ContactRecord, now: datetime, *, tags: Sequence[str] = (),
                       referred_by: int | None = None) -> tuple[Contact, bool]:
        """Insert or update by email; a re-import updates fields, keeps status and history.

        Returns ``(contact, created)``. Empty fields in ``record`` never erase stored values.
        """
        with self.transaction():
            existing = self.find_contact(record.email)
            if existing is None:
                cur = self.conn.execute(
                    "INSERT INTO contacts (email, name, first_name, last_name, company, role, "
                    "timezone, notes, phone, location, tags, referred_by, created_at, "
                    "updated_at, status_changed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (record.email, *(getattr(record, f) or "" for f in _CONTACT_FIELDS[:5]),
                     record.timezone, record.notes, record.phone, record.location,
                     json.dumps(sorted(set(tags))), referred_by, ts(now), ts(now), ts(now)),
                )
                contact_id = int(cur.lastrowid or 0)
                self.add_event(contact_id, now, "created", new_status=Status.NEW,
                               cause="imported", detail={"line": record.line})
                created = True
            else:
                contact_id = int(existing.id or 0)
                updates = {f: getattr(record, f) for f in _CONTACT_FIELDS if getattr(record, f)}
                merged_tags = sorted(set(existing.tags) | set(tags))
                sets = ", ".join(f"{k} = ?" for k in updates)
                self.conn.execute(
                    f"UPDATE contacts SET {sets + ', ' if sets else ''}tags = ?, updated_at = ?, "
                    "referred_by = COALESCE(referred_by, ?) WHERE id = ?",
                    (*updates.values(), json.dumps(merged_tags), ts(now), referred_by,
                     contact_id),
                )
                created = False
            for extra in record.extra_emails:
                self.add_alias(contact_id, extra)
            return self.get_contact(contact_id), created

    def add_alias(self, contact_id: int, email: str) -> None:
        email = email.strip().lower()
        if self.conn.execute("SELECT 1 FROM contacts WHERE email = ?", (email,)).fetchone():
            return
        self.conn.execute("INSERT OR IGNORE INTO aliases VALUES (?, ?)", (email, contact_id))

    def update_contact(self, contact_id: int, now: datetime, **fields: Any) -> None:
        """Set plain columns (not status: use ``set_status``)."""
        if "status" in fields:
            raise ValueError("use set_status to change a status")
        conv = {k: (ts(v) if isinstance(v, datetime) else v) for k, v in fields.items()}
        for key in ("extra", "tags"):
            if key in conv and not isinstance(conv[key], str):
                conv[key] = json.dumps(conv[key])
        sets = ", ".join(f"{k} = ?" for k in conv)
        with self.transaction():
            self.conn.execute(f"UPDATE contacts SET {sets}, updated_at = ? WHERE id = ?",
                              (*conv.values(), ts(now), contact_id))

    def set_status(self, contact_id: int, new: Status, now: datetime, *, cause: str,
                   detail: dict[str, Any] | None = None) -> None:
        """Change a contact's status and record the change with its cause in the timeline."""
        with self.transaction():
            old = self.conn.execute("SELECT status FROM contacts WHERE id = ?",
                                    (contact_id,)).fetchone()[0]
            self.conn.execute(
                "UPDATE contacts SET status = ?, status_changed_at = ?, updated_at = ? "
                "WHERE id = ?", (str(new), ts(now), ts(now), contact_id))
            self.add_event(contact_id, now, "status", old_status=old, new_status=new,
                           cause=cause, detail=detail)

    def flag(self, contact_id: int, reason: str | None, now: datetime) -> None:
        """Set (or with None clear) ``needs_attention``, recorded in the timeline."""
        with self.transaction():
            self.conn.execute("UPDATE contacts SET needs_attention = ?, updated_at = ? "
                              "WHERE id = ?", (reason, ts(now), contact_id))
            self.add_event(contact_id, now, "flag" if reason else "unflag",
                           cause=reason or "cleared")

    def status_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, count(*) FROM contacts GROUP BY status")
        return {r[0]: r[1] for r in rows}

    # -- timeline ---------------------------------------------------------------------------

    def add_event(self, contact_id: int, now: datetime, event: str, *,
                  old_status: str | None = None, new_status: str | None = None,
                  cause: str = "", detail: dict[str, Any] | None = None) -> None:
        self.conn.execute(
            "INSERT INTO timeline (contact_id, at, event, old_status, new_status, cause, detail)"
            " VALUES (?,?,?,?,?,?,?)",
            (contact_id, ts(now), event, old_status and str(old_status),
             new_status and str(new_status), cause, json.dumps(detail or {}, default=str)),
        )

    def timeline(self, contact_id: int) -> list[TimelineEntry]:
        rows = self.conn.execute("SELECT * FROM timeline WHERE contact_id = ? ORDER BY id",
                                 (contact_id,))
        return [TimelineEntry(dt(r["at"]), r["event"], r["old_status"],  # type: ignore[arg-type]
                              r["new_status"], r["cause"], json.loads(r["detail"])) for r in rows]

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

    def count_drafts_since(self, kind: str, since: datetime) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM messages WHERE kind = ? AND direction = 'draft' "
            "AND created_at >= ?", (kind, ts(since))).fetchone()[0]

    # -- processed mailbox items ------------------------------------------------------------

    def is_seen(self, key: str) -> bool:
        return self.conn.execute("SELECT 1 FROM seen WHERE key = ?", (key,)).fetchone() is not None

    def mark_seen(self, key: str, now: datetime) -> None:
        self.conn.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (key, ts(now)))

    # -- intents (write before an irreversible side effect) ---------------------------------

    def begin_intent(self, key: str, kind: str, contact_id: int | None,
                     payload: dict[str, Any], now: datetime) -> Intent:
        """Record the intent to do ``key`` once; returns the stored one if it already exists."""
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO intents (key, kind, contact_id, payload, created_at) "
                "VALUES (?,?,?,?,?)", (key, kind, contact_id, json.dumps(payload), ts(now)))
            return self.get_intent(key)  # type: ignore[return-value]

    def get_intent(self, key: str) -> Intent | None:
        r = self.conn.execute("SELECT * FROM intents WHERE key = ?", (key,)).fetchone()
        return None if r is None else Intent(r["id"], r["key"], r["kind"], r["contact_id"],
                                             json.loads(r["payload"]), r["state"])

    def finish_intent(self, key: str, now: datetime, result: dict[str, Any] | None = None,
                      state: str = "done") -> None:
        self.conn.execute("UPDATE intents SET state = ?, done_at = ?, result = ? WHERE key = ?",
                          (state, ts(now), json.dumps(result or {}), key))

    def pending_intents(self) -> list[Intent]:
        rows = self.conn.execute("SELECT * FROM intents WHERE state = 'pending' ORDER BY id")
        return [Intent(r["id"], r["key"], r["kind"], r["contact_id"], json.loads(r["payload"]),
                       r["state"]) for r in rows]

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

    def interviews(self, status: str = "confirmed") -> list[Interview]:
        rows = self.conn.execute("SELECT * FROM interviews WHERE status = ? ORDER BY start",
                                 (status,))
        return [self._interview(r) for r in rows]

    # -- referrals ---------------------------------------------------------------------------

    def add_referral(self, referrer_id: int, referred_id: int, now: datetime) -> bool:
        cur = self.conn.execute("INSERT OR IGNORE INTO referrals (referrer_id, referred_id, "
                                "created_at) VALUES (?,?,?)", (referrer_id, referred_id, ts(now)))
        return cur.rowcount > 0

    def referrals_by(self, referrer_id: int) -> list[int]:
        rows = self.conn.execute("SELECT referred_id FROM referrals WHERE referrer_id = ? "
                                 "ORDER BY id", (referrer_id,))
        return [r[0] for r in rows]

    def referral_counts(self) -> dict[int, int]:
        rows = self.conn.execute("SELECT referrer_id, count(*) FROM referrals GROUP BY 1")
        return {r[0]: r[1] for r in rows}

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
