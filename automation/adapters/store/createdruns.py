"""The "created" events of imported contacts, kept as runs instead of one timeline row each.

An import gives each new contact the same first entry: created at the import's time, status
"new", cause "imported", and the file's line it came from. Ids are handed out in the order of
the lines, so a file's new contacts form runs: contact ``first_id + k`` came from line
``first_line + k``, up to ``last_id``. One ``created_runs`` row per run holds them all (a
file without blank lines or multi-line cells is one run); one ``timeline`` row per contact
(and its three indexes) cost a 100,000-row import a sixth of its time.

Runs are kept maximal: a run that continues the latest one (the next id, the next line, the
same time) extends it, so the table is the same however the contacts were written (in batches
while the file is read, all at once, or one by one).

Readers see the events as before: ``event`` is a contact's "created" entry (its first: the
contact and its run are written in one transaction, before any other event of it, and ids are
never reused), and ``EVENTS`` the timeline with them for queries over status changes. A
database written before keeps its per-contact rows, which read the same.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from automation.adapters.store.db import dt
from automation.core.models import Status

if TYPE_CHECKING:
    from automation.core.records import TimelineEntry

__all__ = ["EVENTS", "Run", "event", "runs", "runs_of", "statements", "write"]

#: ``(first_id, last_id, first_line)``: contacts first_id..last_id came from consecutive lines.
Run = tuple[int, int, int]
_NEW = str(Status.NEW)

#: Extends the latest run when ``run`` continues it (``changes()`` then says 1). Parameters:
#: last_id, first_id, at, first_line of the new run.
_EXTEND = ("UPDATE created_runs SET last_id = ?1 WHERE first_id = "
           "(SELECT max(first_id) FROM created_runs) AND last_id = ?2 - 1 AND at = ?3 "
           "AND first_line + (last_id - first_id) = ?4 - 1")
#: Inserts the run unless the statement just before extended the latest one with it.
_UNLESS_EXTENDED = ("INSERT INTO created_runs (first_id, last_id, at, first_line) "
                    "SELECT ?2, ?1, ?3, ?4 WHERE changes() = 0")
_INSERT_HEAD = "INSERT INTO created_runs (first_id, last_id, at, first_line) VALUES "
#: Runs per INSERT statement after the first (4 bound values each; fewer when SQLite allows
#: fewer bound values).
_PER_STATEMENT = 250

#: The timeline's status changes (``contact_id, at, new_status``) with the "created" events of
#: ``created_runs``: ``EVENTS`` + a query that reads ``FROM events``.
EVENTS = ("WITH events(contact_id, at, new_status) AS (SELECT contact_id, at, new_status "
          "FROM timeline UNION ALL SELECT c.id, r.at, '" + _NEW + "' FROM created_runs r "
          "JOIN contacts c ON c.id BETWEEN r.first_id AND r.last_id) ")

# The run that holds an id is the one starting last at or before it, if it reaches that far.
_EVENT = ("SELECT at, first_line + (?1 - first_id) FROM created_runs WHERE first_id = "
          "(SELECT max(first_id) FROM created_runs WHERE first_id <= ?1) AND last_id >= ?1")


def runs(first_id: int, lines: Sequence[int]) -> list[Run]:
    """The runs of contacts ``first_id``, ``first_id + 1``, ... created from ``lines``."""
    n = len(lines)
    if not n:
        return []
    start = lines[0]
    if lines[-1] - start == n - 1 and lines == list(range(start, start + n)):  # the usual file
        return [(first_id, first_id + n - 1, start)]
    return runs_of(zip(range(first_id, first_id + n), lines, strict=True))


def runs_of(created: Iterable[tuple[int, int]]) -> list[Run]:
    """The runs of ``(contact id, line)`` pairs in order of id."""
    made: list[Run] = []
    first = last = line = 0
    for contact_id, at_line in created:
        if made and contact_id == last + 1 and at_line == line + 1:
            last, line = contact_id, at_line
            made[-1] = (first, last, made[-1][2])
            continue
        first = last = contact_id
        line = at_line
        made.append((first, last, line))
    return made


def statements(made: Sequence[Run], at: int, limit: int
               ) -> list[tuple[str, Sequence[object]]]:
    """The statements that write ``made`` (in order of id, after every run stored) at time
    ``at``, each with its parameters (at most ``limit``, and 4 at least): the first run may
    extend the latest one stored."""
    if not made:
        return []
    first_id, last_id, first_line = made[0]
    head = (last_id, first_id, at, first_line)
    written: list[tuple[str, Sequence[object]]] = [(_EXTEND, head), (_UNLESS_EXTENDED, head)]
    rest, per = made[1:], max(1, min(_PER_STATEMENT, limit // 4))
    for start in range(0, len(rest), per):
        chunk = rest[start:start + per]
        written.append((_INSERT_HEAD + ", ".join(["(?, ?, ?, ?)"] * len(chunk)),
                        list(itertools.chain.from_iterable(
                            (a, b, at, line) for a, b, line in chunk))))
    return written


def write(conn: sqlite3.Connection, made: Sequence[Run], at: int) -> None:
    """Store the runs ``made`` (see ``statements``)."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    for sql, parameters in statements(made, at, limit):
        conn.execute(sql, parameters)


def event(conn: sqlite3.Connection, contact_id: int) -> TimelineEntry | None:
    """The contact's "created" entry when a run holds it (None: its timeline has its own)."""
    found = conn.execute(_EVENT, (contact_id,)).fetchone()
    if found is None:
        return None
    from automation.core.records import TimelineEntry  # not built by a pass (core.records)

    at, line = found
    return TimelineEntry(dt(at), "created", None, _NEW, "imported",  # type: ignore[arg-type]
                         {"line": line})

