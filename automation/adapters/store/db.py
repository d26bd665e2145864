"""The SQLite connection: pragmas, transactions, migrations, and time conversion.

Times are stored as UTC epoch seconds and come back as aware UTC datetimes. The connection runs
in autocommit mode and every write goes through ``transaction()`` (``BEGIN IMMEDIATE``), so a
crash leaves either all or nothing of a step. WAL lets read commands run while the daemon writes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from automation.adapters.failures import explain, note_database
from automation.adapters.store.migrations import MIGRATIONS
from automation.core.models import require_aware
from automation.errors import UserError


def ts(value: datetime) -> int:
    """Aware datetime → UTC epoch seconds."""
    return int(require_aware(value).timestamp())


def dt(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def by_name(row: sqlite3.Row) -> dict[str, Any]:
    """``row``'s values by column name, in one pass: ``row[name]`` compares ``name`` with
    every column before it, which for a wide row read whole (a contact's 23 columns) costs
    more than this; for a narrow one (a message, an interview) it does not."""
    return dict(zip(row.keys(), row, strict=True))


class Database:
    """The connection every table group works through."""

    SCHEMA_VERSION = len(MIGRATIONS)

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._depth = 0

    @classmethod
    def open(cls, path: Path, *, busy_timeout_ms: int = 5000) -> Self:
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
            conn.row_factory = sqlite3.Row
            store = cls(conn, path)
            store.migrate()
        except sqlite3.DatabaseError as exc:
            note_database(exc, path)
            raise UserError(explain(exc) or f"cannot open database {path}: {exc}") from exc
        return store

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One atomic unit of work; nested calls join the outer transaction."""
        # A nested one is a plain object: a pass of many drafts opens four per draft.
        return _Joined(self) if self._depth else self._outer()

    @contextmanager
    def _outer(self) -> Iterator[sqlite3.Connection]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:  # locked by another program, read-only, full...
            note_database(exc, self.path)
            raise
        self._depth = 1
        try:
            yield self.conn
        except BaseException as exc:
            if isinstance(exc, sqlite3.Error):
                note_database(exc, self.path)  # the explanation names the file
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
        for name, statements in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                for statement in statements:
                    self.conn.execute(statement)
                self.conn.execute("INSERT INTO migrations VALUES (?, strftime('%s','now'))",
                                  (name,))

    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM migrations").fetchone()[0])


class _Joined:
    """A transaction opened inside another: it joins the outer one, which commits or rolls
    back everything (an error raised inside reaches the outer one as it is)."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db._depth += 1
        return self._db.conn

    def __exit__(self, *exc: object) -> None:
        self._db._depth -= 1
