"""Writing a big first import while the file is still being read.

Reading a file holds the interpreter lock; SQLite does not while a statement runs. So the
records read so far are written by a second thread, a batch at a time and a thousand rows per
statement (``freshrows.insert_batch``), while the reading goes on: the two halves of a first
import overlap instead of adding up (on one free core, the writing costs the reading little).

The writing is a bet that every row creates a contact of its own (``freshrows.all_new``): it is
made inside a savepoint, and when a record turns out otherwise (it names a stored contact or
alias, carries an extra address, repeats an address, or a later row merged into it), the
savepoint is rolled back and the finished file goes the usual way
(``ImportTables.upsert_contacts``). The database ends exactly as that leaves it
(tests/contract/test_store_stream.py, tests/app/test_import_stream.py). A file smaller than
``STREAM_AT`` rows, or smaller than the database, is not streamed.

Only the writer thread uses the connection between the first batch and the end of the stream:
the reading never touches the database.
"""

from __future__ import annotations

import itertools
import operator
import queue
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, cast

from automation.adapters.store.bulkwrite import bulk_write
from automation.adapters.store.freshrows import (
    BATCH,
    SAME_IN_NEW,
    all_new,
    batch_statements,
    constants,
)

if TYPE_CHECKING:
    from automation.core.records import ContactRecord

__all__ = ["BATCH", "STREAM_AT", "ImportStream"]

#: A file with fewer rows is written after it is read (the thread would cost more than it saves).
STREAM_AT = 20_000
# Rows are handed to the writer ``freshrows.BATCH`` at a time: the saving progress is reported
# after each, as for a file written after it is read.
#: The interpreter's switch interval while the writer runs (seconds; Python's default is
#: 0.005). After each statement the writer waits for the lock the reading holds, up to one
#: interval: at the default, that wait was as long as the statement itself.
_SWITCH = 0.0005
_SAVEPOINT = "import_stream"
_emails_of = operator.attrgetter("email")
_END, _ABANDON = object(), object()
_Progress = Callable[[int, int], None]


class _Switching:
    """The faster switch interval while any stream writes (imports may run in several threads
    of the dashboard at once: the last one to end puts the interval back)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams = 0
        self._saved = 0.0

    def faster(self) -> None:
        with self._lock:
            if not self._streams:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, _SWITCH))
            self._streams += 1

    def back(self) -> None:
        with self._lock:
            self._streams -= 1
            if not self._streams:
                sys.setswitchinterval(self._saved)


_switching = _Switching()


class _Abandoned(Exception):
    """Raised inside ``bulk_write`` so that it does not build the dropped indexes again."""


class ImportStream:
    """``take`` the records as the file is read, then ``finish`` with the final records.

    Use it as a context manager inside the import's transaction: leaving it stops the writer
    thread (a failure part-way leaves the rows to the transaction's rollback).
    """

    def __init__(self, conn: sqlite3.Connection, at: int, tags_json: str,
                 referred_by: int | None, progress: _Progress | None = None) -> None:
        self._conn, self._at, self._progress = conn, at, progress
        self._constant = constants(tags_json, referred_by, at)
        self._state = "new"  # "new" → "writing" (a bet on) → "off" (the usual way after all)
        self._stored: set[str] = set()
        self._seen: set[str] = set()
        self._taken: list[ContactRecord] = []
        self._pending: list[ContactRecord] = []
        self._first_id = self._next_id = 0
        self._total = 0
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._abandoned = False  # tells the writer to skip the batches still queued
        self._limit = 0  # bound values per statement
        self._written = 0

    def __enter__(self) -> ImportStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._state != "writing":
            return
        if kind is None:  # left without ``finish``: nothing of it stays
            self._abandon()
            return
        self._state = "off"  # left by an error: the transaction's rollback takes the rows
        self._stop(_ABANDON)

    def take(self, records: Sequence[ContactRecord], total: int) -> None:
        """The records read so far (``records`` only grows, ``total`` rows in the file)."""
        if self._state == "new":
            self._start(total)
        if self._state != "writing":
            return
        if self._error is not None:  # the writer failed (a full disk...): so does the import
            self._state = "off"
            self._stop(_ABANDON)
            raise self._error
        new = records[len(self._taken):]
        if not self._all_new(new):
            self._abandon()
            return
        self._taken.extend(new)
        self._pending.extend(new)
        if len(self._pending) >= BATCH:
            self._send()

    def finish(self, records: Sequence[ContactRecord]) -> list[tuple[int, str]] | None:
        """``(contact id, "created")`` per record when they are written (indexes built again);
        None when nothing of them is (write them the usual way)."""
        if self._state != "writing":
            return None
        # A later row merged into a record written already: it was replaced in ``records``.
        if len(records) != len(self._taken) or not all(map(operator.is_, records, self._taken)):
            self._abandon()
            return None
        self._send()
        self._state = "off"
        self._stop(_END)
        if self._error is not None:
            raise self._error
        self._conn.execute(f"RELEASE {_SAVEPOINT}")
        if self._progress is not None:
            self._progress(len(records), len(records))
        ids = range(self._first_id, self._first_id + len(records))
        return list(zip(ids, itertools.repeat("created")))

    # -- the reading side ---------------------------------------------------------------------

    def _start(self, total: int) -> None:
        """Bet on a file of ``total`` rows, or not: too small, or a database bigger than it
        (every address would have to be looked up)."""
        self._state = "off"
        if total < STREAM_AT:
            return
        conn = self._conn
        (stored,) = conn.execute("SELECT (SELECT count(*) FROM contacts) + "
                                 "(SELECT count(*) FROM aliases)").fetchone()
        if stored > total:
            return
        self._stored = {row[0] for row in conn.execute(
            "SELECT email FROM contacts UNION ALL SELECT email FROM aliases")}
        (self._first_id,) = conn.execute(
            "SELECT COALESCE(max(id), 0) + 1 FROM contacts").fetchone()
        self._next_id, self._total = self._first_id, total
        self._limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        self._thread = threading.Thread(target=self._write_all, name="import-writer",
                                        daemon=True)
        self._state = "writing"
        _switching.faster()
        self._thread.start()

    def _all_new(self, new: Sequence[ContactRecord]) -> bool:
        """``freshrows.all_new`` of these records, after those taken before."""
        emails = list(map(_emails_of, new))
        if not all_new(new, list(map(str.lower, map(str.strip, emails))),
                       lambda addresses: not self._stored.isdisjoint(addresses)):
            return False
        seen = len(self._seen)  # nor named by a record taken before
        self._seen.update(emails)
        return len(self._seen) == seen + len(emails)

    def _send(self) -> None:
        """Hand the pending records to the writer as the statements that insert them (made
        here: the writer then needs the interpreter lock only to bind their values)."""
        if self._pending:
            self._queue.put((len(self._pending), batch_statements(
                self._pending, self._next_id, self._constant, self._at, self._limit)))
            self._next_id += len(self._pending)
            self._pending = []

    def _abandon(self) -> None:
        """Undo what was written; the file goes the usual way."""
        self._state = "off"
        self._stop(_ABANDON)
        if self._error is not None:
            raise self._error
        self._conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
        self._conn.execute(f"RELEASE {_SAVEPOINT}")

    def _stop(self, how: object) -> None:
        """Tell the writer to end (``_END``: after the queued batches, building the indexes
        again) or to give up at once (``_ABANDON``), and wait for it: then the connection is
        the reading side's again."""
        if self._thread is None:
            return
        self._abandoned = how is _ABANDON
        self._queue.put(how)
        self._thread.join()
        self._thread = None
        _switching.back()

    # -- the writer thread --------------------------------------------------------------------

    def _write_all(self) -> None:
        try:
            with bulk_write(self._conn, {"contacts": self._total}, SAME_IN_NEW):
                while (item := self._queue.get()) is not _END:
                    if item is _ABANDON or self._abandoned:
                        raise _Abandoned
                    count, statements = cast(tuple[int, list[tuple[str, Sequence[object]]]],
                                             item)
                    self._write(count, statements)
        except _Abandoned:
            pass
        except BaseException as exc:  # handed to the reading side, which raises it
            self._error = exc

    def _write(self, count: int, statements: list[tuple[str, Sequence[object]]]) -> None:
        """One batch of ``count`` new contacts and their "created" events' runs."""
        for sql, parameters in statements:
            self._conn.execute(sql, parameters)
        self._written += count
        if self._progress is not None:
            self._progress(self._written, self._total)
