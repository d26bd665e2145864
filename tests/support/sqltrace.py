"""The SQL a store runs, and the plan SQLite makes for it: for tests that hold a read to a
number of statements or to an index."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def traced(conn: sqlite3.Connection) -> Iterator[list[str]]:
    """The statements ``conn`` runs inside the block, in order (arguments written in)."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        conn.set_trace_callback(None)


def query_plan(conn: sqlite3.Connection, sql: str) -> str:
    """SQLite's plan for ``sql``: the details of its steps, joined by spaces."""
    return " ".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
