"""Writing many rows at once: secondary indexes built after the rows, and a bigger page cache.

SQLite keeps every index of a table current as each row goes in: one B-tree search per index
per row. When a write adds at least as many rows as the table holds (a first import of a big
file), building those indexes afterwards (``CREATE INDEX`` sorts once) is cheaper. Both happen
inside the caller's transaction, so a failure part-way rolls the dropped indexes back with the
rows: nothing is ever left without its indexes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager

__all__ = ["REBUILD_AT", "bulk_write"]

#: Below this many new rows per table, keeping the indexes current costs less than rebuilding.
REBUILD_AT = 20_000
#: The page cache while writing (KiB; SQLite's default is 2,000): a 100,000-row import touches
#: about 30 MB of table and index pages, and a cache that holds them is written once.
_CACHE_KIB = 65_536


@contextmanager
def bulk_write(conn: sqlite3.Connection, adding: dict[str, int],
               same: Mapping[str, Collection[str]] | None = None) -> Iterator[None]:
    """Write inside this block as one step of the open transaction.

    ``adding`` maps a table to the number of rows the block will insert into it. A table that
    gets at least ``REBUILD_AT`` new rows and at least as many as it has has its secondary
    (non-unique, non-partial) indexes dropped here and created again, from their stored
    definitions, at the end of the block. Unique indexes and primary keys always stay, so every
    constraint is checked as the rows go in. ``same`` maps a table to columns that hold one
    value in every row the block inserts: an index on such columns alone stays too (each
    row goes in at one place of it, behind the one before: cheaper than sorting them all
    again). Must be called inside a transaction.
    """
    if not conn.in_transaction:
        raise RuntimeError("bulk_write needs an open transaction")
    (cache,) = conn.execute("PRAGMA cache_size").fetchone()
    conn.execute(f"PRAGMA cache_size = {-_CACHE_KIB}")
    try:
        suspended = _drop_indexes(conn, [t for t, n in adding.items() if _worth(conn, t, n)],
                                  same or {})
        yield
        for sql in suspended:
            conn.execute(sql)
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")


def _worth(conn: sqlite3.Connection, table: str, rows: int) -> bool:
    if rows < REBUILD_AT:
        return False
    # count(*) reads the smallest index: a few milliseconds at 100,000 rows.
    (stored,) = conn.execute(f"SELECT count(*) FROM {_quoted(table)}").fetchone()
    return rows >= stored


def _drop_indexes(conn: sqlite3.Connection, tables: Sequence[str],
                  same: Mapping[str, Collection[str]]) -> list[str]:
    """Drop the secondary indexes of ``tables`` but those on ``same`` columns alone; return
    the SQL that creates them again."""
    if not tables:
        return []
    marks = ", ".join("?" * len(tables))
    # sql IS NULL: the automatic indexes of UNIQUE and PRIMARY KEY constraints.
    found = conn.execute(
        f"SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
        f"({marks}) AND sql IS NOT NULL ORDER BY name", tuple(tables)).fetchall()
    kept = [(name, sql) for name, sql, table in found
            if not _is_unique(sql) and not _is_partial(sql)
            and not _on_same(conn, name, same.get(table, ()))]
    for name, _ in kept:
        conn.execute(f"DROP INDEX {_quoted(name)}")
    return [sql for _, sql in kept]


def _on_same(conn: sqlite3.Connection, index: str, same: Collection[str]) -> bool:
    """Whether every column of ``index`` is one of ``same`` (an expression is not)."""
    if not same:
        return False
    columns = [row[2] for row in conn.execute(f"PRAGMA index_info({_quoted(index)})")]
    return all(column in same for column in columns)


def _is_unique(sql: str) -> bool:
    return sql.split(None, 2)[1].upper() == "UNIQUE"


def _is_partial(sql: str) -> bool:
    """A partial index (``... WHERE``) stays: its condition is checked per row, the new rows
    mostly fail it (no thread, no flag, no tag yet), and building it again reads the table."""
    return " WHERE " in " ".join(sql.upper().split())


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
