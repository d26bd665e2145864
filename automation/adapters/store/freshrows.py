"""Writing the contacts an import creates when every row is a new address (a first import).

Such rows need no look-up and no merge: each becomes one contact row, and its "created" event
is part of a run (``createdruns``: one row for the consecutive lines of a batch).
They are written a column at a time: the columns are read from the records once, a column
that is empty in every row is left to its default instead of bound 100,000 times, and the
values are zipped from the columns in C, not built per row in Python. A statement inserts
``ROWS`` rows at once (``VALUES (...), (...), ...``, prepared once and bound again): a third
cheaper than ``executemany``'s step and reset per row.
The database ends exactly as ``ImportTables._write``'s general path leaves it
(tests/contract/test_store_fresh_rows.py compares both).
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from automation.adapters.store import createdruns
from automation.core.models import PROFILE_FIELDS

if TYPE_CHECKING:
    from automation.core.records import ContactRecord

__all__ = ["BATCH", "ROWS", "SAME_IN_NEW", "all_new", "batch_statements", "constants",
           "insert_batch", "insert_fresh"]

#: Rows per batch: progress is reported after each.
BATCH = 10_000
#: Rows per INSERT statement (fewer when SQLite allows fewer bound values).
ROWS = 1_000
#: The columns every contact an import creates holds the same value in (its status, new, since
#: the import's time): ``bulk_write`` keeps the indexes on them (``contacts_status``...).
SAME_IN_NEW = {"contacts": ("status", "status_changed_at")}
_emails_of = operator.attrgetter("email")
_extras_of = operator.attrgetter("extra_emails")
_lines_of = operator.attrgetter("line")


def all_new(records: Sequence[ContactRecord], addresses: list[str],
            known_addresses: Callable[[list[str]], bool]) -> bool:
    """Whether every record creates a contact of its own with nothing else to record: its
    address is already normalised (``addresses`` holds the normalised ones), no other row
    and no stored contact or alias has it (``known_addresses(addresses)`` is true when one
    is stored), and it carries no extra address."""
    return (not any(map(_extras_of, records))
            and addresses == list(map(_emails_of, records))
            and len(set(addresses)) == len(addresses)
            and not known_addresses(addresses))


def _columns(records: Sequence[ContactRecord]) -> dict[str, list[object]]:
    """The profile columns to bind, as ``imports._profile`` gives them: a column empty in every
    row is left out (its default is that value: '' for text, NULL for the time zone)."""
    n, found = len(records), {}
    for name in PROFILE_FIELDS:
        column: list[object] = list(map(operator.attrgetter(name), records))
        if name == "timezone":
            if column.count(None) == n:
                continue
        else:
            try:  # the usual column, all text: one pass (a test of each cell for None is
                # a comparison of two types, three times the cost)
                if not "".join(column):  # type: ignore[arg-type]
                    continue
            except TypeError:  # a None (or another value) among them
                if None in column:
                    column = [value or "" for value in column]
                if column.count("") == n:
                    continue
        found[name] = column
    return found


def _literal(value: int | str | None) -> str:
    """``value`` as an SQL literal: the same for every row, so not bound 100,000 times."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def insert_fresh(conn: sqlite3.Connection, records: Sequence[ContactRecord], first_id: int,
                 tags_json: str, referred_by: int | None, at: int,
                 progress: Callable[[int, int], None] | None = None) -> None:
    """Insert ``records`` as new contacts with ids from ``first_id`` on, in order, each with
    its "created" timeline event; ``progress(done, total)`` after each batch of rows."""
    n = len(records)
    constant = constants(tags_json, referred_by, at)
    for start in range(0, n, BATCH):
        stop = min(n, start + BATCH)
        insert_batch(conn, records[start:stop], first_id + start, constant, at)
        if progress is not None and stop < n:
            progress(stop, n)


def constants(tags_json: str, referred_by: int | None, at: int) -> str:
    """The SQL of the columns every new contact of an import shares (see ``insert_batch``)."""
    return ", ".join(map(_literal, (tags_json, referred_by, at, at, at)))


def insert_batch(conn: sqlite3.Connection, records: Sequence[ContactRecord], first_id: int,
                 constant: str, at: int) -> None:
    """Insert one batch of new contacts (ids from ``first_id`` on) and their "created" events;
    ``constant`` is ``constants(tags_json, referred_by, at)``."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    for sql, parameters in batch_statements(records, first_id, constant, at, limit):
        conn.execute(sql, parameters)


def batch_statements(records: Sequence[ContactRecord], first_id: int, constant: str, at: int,
                     limit: int) -> list[tuple[str, Sequence[object]]]:
    """The statements of ``insert_batch`` and their parameters (at most ``limit`` each)."""
    n = len(records)
    cells = _columns(records)
    width = 2 + len(cells)
    head = (f"INSERT INTO contacts (id, email, {''.join(f'{c}, ' for c in cells)}tags, "
            "referred_by, created_at, updated_at, status_changed_at) VALUES ")
    row = f"({'?, ' * width}{constant})"
    per = max(1, min(ROWS, limit // width))
    full = head + ", ".join([row] * per)
    values = list(itertools.chain.from_iterable(zip(
        range(first_id, first_id + n), map(_emails_of, records), *cells.values(), strict=True)))
    made: list[tuple[str, Sequence[object]]] = []
    for first in range(0, n, per):
        count = min(per, n - first)
        made.append((full if count == per else head + ", ".join([row] * count),
                     values[first * width:(first + count) * width]))
    made += createdruns.statements(createdruns.runs(first_id, list(map(_lines_of, records))), at,
                                   limit)
    return made
