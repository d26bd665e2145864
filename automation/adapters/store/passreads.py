"""Set-based reads of the pass (the ``PassStore`` port): what a rule can act on, in a few
queries, without decoding every contact of the running pipeline into a ``Contact``."""

from __future__ import annotations

from collections.abc import Sequence

from automation.adapters.store.db import Database, dt
from automation.app.ports.store import Awaiting


class PassTables(Database):
    """Reads over contacts and messages (no table of its own)."""

    def awaiting(self, statuses: Sequence[str], kind: str) -> list[Awaiting]:
        marks = ",".join("?" * len(statuses))
        rows = self.conn.execute(
            "SELECT c.id, c.email, c.status, c.company, c.timezone, (SELECT min(m.sent_at) "
            "FROM messages m WHERE m.contact_id = c.id AND m.direction = 'sent' AND "
            "m.kind = ? AND m.sent_at IS NOT NULL) FROM contacts c "
            f"WHERE c.status IN ({marks}) ORDER BY c.id", [kind, *statuses])
        return [Awaiting(r[0], r[1], r[2], r[3], r[4], dt(r[5])) for r in rows]
