"""file_cache: derived data adapters keep between passes (see ``FileCacheStore``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from automation.adapters.store.db import Database


class FileCacheTables(Database):
    """file_cache"""

    _cache_read_only = False

    @contextmanager
    def cache_read_only(self) -> Iterator[None]:
        was, self._cache_read_only = self._cache_read_only, True
        try:
            yield
        finally:
            self._cache_read_only = was

    def file_cache(self, kind: str) -> dict[str, str]:
        rows = self.conn.execute("SELECT path, payload FROM file_cache WHERE kind = ?", (kind,))
        return {r[0]: r[1] for r in rows}

    def save_file_cache(self, kind: str, rows: dict[str, str], gone: Sequence[str]) -> None:
        if self._cache_read_only:
            return
        with self.transaction():
            self.conn.executemany("INSERT OR REPLACE INTO file_cache VALUES (?, ?, ?)",
                                  [(kind, path, payload) for path, payload in rows.items()])
            self.conn.executemany("DELETE FROM file_cache WHERE kind = ? AND path = ?",
                                  [(kind, path) for path in gone])
