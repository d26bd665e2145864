"""The method's tables: employer ranks, and the user's own updates for check-ins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from automation.adapters.store.db import Database, dt, ts

if TYPE_CHECKING:
    from automation.core.records import UserUpdate


class MethodTables(Database):
    """employers, updates"""

    # -- employers (LAMP-style ranks) -------------------------------------------------------

    def set_employer_rank(self, key: str, name: str, rank: int | None, now: datetime) -> None:
        """Rank the employer ``key`` (1 = first); None removes the rank."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO employers (key, name, rank, updated_at) VALUES (?,?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET name = excluded.name, rank = excluded.rank, "
                "updated_at = excluded.updated_at", (key, name, rank, ts(now)))

    def employer_ranks(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT key, rank FROM employers WHERE rank IS NOT NULL")
        return {r[0]: r[1] for r in rows}

    # -- the user's updates ----------------------------------------------------------------

    def add_update(self, text: str, now: datetime) -> UserUpdate:
        from automation.core.records import UserUpdate  # not built by a pass (core.records)

        with self.transaction():
            cur = self.conn.execute("INSERT INTO updates (at, text) VALUES (?, ?)",
                                    (ts(now), text))
        return UserUpdate(int(cur.lastrowid or 0), now, text)

    def updates(self) -> list[UserUpdate]:
        """Every update, oldest first."""
        from automation.core.records import UserUpdate

        rows = self.conn.execute("SELECT id, at, text FROM updates ORDER BY id")
        return [UserUpdate(r[0], dt(r[1]), r[2]) for r in rows]  # type: ignore[arg-type]
