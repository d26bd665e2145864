"""Calendar files parsed once, not on every pass: busy intervals and attendee answers by file.

A pass reads busy time from every ``.ics`` of the calendar folder (a year of interviews is about
1,700 files, most of them past) and from each ``busy_ics`` export (a few MB), and reads the
invitation answer of each upcoming interview. Parsing all that is seconds of CPU; the files
rarely change. This cache keeps, per path, what parsing found (``icsbusy.FileBusy`` and the
attendee's PARTSTAT) with the file's identity and content hash, in memory for the daemon and
in the store (``FileCacheStore``) for ``run --once``.

When a file is looked at again (the policy; each rule has a test):

- a file whose ``stat`` (size, mtime, ctime, inode) is the cached one is not read at all: what
  its content was parsed into is used again (a past interview adds nothing, an upcoming one
  its interval and its answer). The ctime cannot be set by a program (``touch -d`` and
  ``os.utime`` change it), so a rewrite of the same size and the same mtime changes it, and
  a replacing rename changes the inode. To close the one gap (a write in the same clock tick
  as the read), stat alone vouches for a file only if its ctime was more than
  ``RACY_SECONDS`` old when its content was hashed (git's "racy clean" rule);
- any other file is read (bounded and refused as ever: ``icsbusy.read_calendar_stat``) and
  hashed (BLAKE2b), and parsed again only when the hash differs from the cached one;
- a repeating file is expanded a week past the window and read and parsed again when the
  window moves past that;
- a file that is gone is forgotten; a file that cannot be read, or is not a regular file, is
  reported as before and never cached;
- the cache is keyed by the default time zone and ``VERSION`` (bump it when parsing changes);
  a row that does not decode is ignored and rebuilt. The cache is derived data: dropping every
  row changes nothing but the time a pass takes.

Rows are cheap to load (``filerows``): what the stat check and the past-interview test need is
decoded for every file; the intervals and the answer only for the files a pass uses. The
settled files (past interviews, most of the folder) share one summary row that keeps only what
settles them: their identity, hash and last end. A settled file whose stat is the summary's is
not read, for windows that start after its last end; for any other window, or once its stat
changed, it is looked at as above (the hash still spares a parse while its content is the
same). The summary is written only when a file joins or leaves it, or its identity changes: an
idle pass writes nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from datetime import tzinfo
from pathlib import Path

from automation.adapters.local.filerows import (
    Entry,
    Identity,
    Rows,
    Stored,
    identity,
    line_end,
    settled_line,
    stat_prefix,
    unsettled,
    us,
    with_busy,
)
from automation.app.ports import FileCacheStore
from automation.core.icsbusy import FileBusy, file_busy, read_calendar_stat, unreadable
from automation.core.models import Interval
from automation.errors import UserError

#: Bump when what is cached (or how it is parsed) changes: older rows are then ignored.
VERSION = 2
#: The cache's name in the store.
KIND = "calendar"
#: The path of the summary row of settled files (no file's path is empty: ``str(Path(""))``
#: is ".").
SUMMARY = ""
#: A file changed less than this before it was hashed may change again unseen by ``stat``.
RACY_SECONDS = 2

Answer = tuple[str, str | None]  # (the event's UID, the attendee's PARTSTAT)


class FileCache:
    """The per-path cache of one calendar adapter (see the module docstring)."""

    def __init__(self, store: FileCacheStore | None, default_tz: tzinfo) -> None:
        self.store = store
        self.default_tz = default_tz
        self.rows = Rows(str(getattr(default_tz, "key", default_tz)), VERSION)
        self.entries: dict[str, Entry | Stored] | None = None  # loaded on first use
        self.settled: dict[str, str] = {}  # the summary's lines; no key also in entries
        self.upto = 0  # no line's last end is later (µs)
        self.saved: dict[str, str] | None = {}  # the summary as stored (None: unknown)
        self.rowed: set[str] = set()  # the paths that have a row of their own in the store
        self.dirty: set[str] = set()
        self.touched: set[str] = set()  # entries that may belong in the summary now
        self.gone: set[str] = set()

    # -- busy time ------------------------------------------------------------------------

    def busy(self, paths: Iterable[Path | str],
             window: Interval) -> tuple[list[Interval], list[str]]:
        """``icsbusy.busy_from_files`` over ``paths``, reading and parsing only what changed;
        paths no longer given are forgotten. Saves what changed to the store."""
        entries, settled = self._entries(), self.settled
        start = us(window.start)
        fast = start > self.upto  # every summary line is settled for this window
        busy: list[Interval] = []
        problems: list[str] = []
        wanted = set()
        for path in paths:
            key = str(path)
            wanted.add(key)
            line = settled.get(key)
            if line is not None:
                if fast and line.startswith(_stat_text(key)):
                    continue  # a past interview, unchanged: the summary's one stat and compare
                self._unsettle(key)
            head = entries.get(key)
            if head is not None and head.trusted and head.settled_before(start) and \
                    not head.has_problems and _same_stat(key, head.ident):
                self.touched.add(key)  # to the summary, if not there yet
                continue  # _busy_of's first answer, inline
            found = self._busy_of(key, window, start, problems)
            if found is not None:
                busy.extend(found.within(window))
                problems.extend(found.problems)
        for key in [k for k in (*entries, *settled) if k not in wanted]:
            self._forget(key)
        self.flush(start)
        return sorted(set(busy)), problems

    def _busy_of(self, key: str, window: Interval, start: int,
                 problems: list[str]) -> FileBusy | None:
        head = self._head(key)
        if head is not None and head.trusted and _same_stat(key, head.ident):
            if head.settled_before(start) and not head.has_problems:
                return None  # a past interview: nothing in this window or any later one
            entry = self._full(key)
            if entry is not None and entry.busy is not None and entry.busy.covers(window):
                return entry.busy  # unchanged since it was parsed: not read again
        try:
            data, info = read_calendar_stat(Path(key))
        except OSError as error:
            self._forget(key)
            problems.append(unreadable(key, error))
            return None
        except UserError as error:  # not a regular file, or too large: reported every pass
            self._forget(key)
            problems.append(f"{error}; its events are ignored until it is fixed")
            return None
        entry = self._checked(key, data, info)
        if entry.busy is None and entry.settled_before(start):
            return None  # the content that was settled (a summary line's hash): not parsed
        if entry.busy is None or not entry.busy.covers(window):
            entry = self._put(key, with_busy(entry, file_busy(data, window, self.default_tz, key)))
        return entry.busy

    # -- invitation answers ---------------------------------------------------------------

    def known_answer(self, key: str) -> Answer | None:
        """The answer parsed from the file ``key`` (``str`` of its path) when stat alone
        vouches that it is the one parsed (see the module docstring), else None: then read
        it and call ``answer``."""
        head = self._head(key)
        if head is None or not head.trusted or not head.answered or \
                not _same_stat(key, head.ident):
            return None
        entry = self._full(key)
        return None if entry is None else entry.answer

    def answer(self, path: Path, data: bytes, info: os.stat_result | None,
               parse: Callable[[bytes], Answer | None]) -> Answer | None:
        """The (UID, PARTSTAT) that ``parse(data)`` finds in the file, parsed once per content.
        ``parse`` returns None for a file that holds no event (never cached)."""
        key = str(path)
        entry = self._checked(key, data, info)
        if entry.answer is None:
            found = parse(data)
            if found is None:
                return None
            entry = self._put(key, entry._replace(answer=found))
        return entry.answer

    # -- the entries ------------------------------------------------------------------------

    def _checked(self, key: str, data: bytes, info: os.stat_result | None) -> Entry:
        """The entry of ``key`` for this content: the cached one if the hash matches (with
        its identity brought up to date), else a fresh one with nothing parsed yet."""
        import hashlib  # here: a pass whose files are unchanged hashes none (nor loads it)

        digest = hashlib.blake2b(data, digest_size=20).hexdigest()
        ident = identity(info) if info is not None else (len(data), 0, 0, 0)
        trusted = info is not None and \
            time.time_ns() - info.st_ctime_ns > RACY_SECONDS * 1_000_000_000
        head = self._head(key)
        entry = self._full(key) if head is not None and head.digest == digest else None
        if entry is None:
            return self._put(key, Entry(ident, digest, trusted))
        if entry.ident != ident or entry.trusted != trusted:
            entry = self._put(key, entry._replace(ident=ident, trusted=trusted))
        return entry

    def _full(self, key: str) -> Entry | None:
        """The decoded entry of ``key``; a stored row whose parsed part does not decode is
        forgotten (None), and rebuilt from the file."""
        head = self._entries()[key]
        if isinstance(head, Entry):
            return head
        entry = self.rows.full(head)
        if entry is None:
            self._forget(key)
            return None
        self._entries()[key] = entry  # decoded once; the stored row is the same
        return entry

    def _head(self, key: str) -> Entry | Stored | None:
        """The entry of ``key``, taken back from the summary if it is there."""
        head = self._entries().get(key)
        return self._unsettle(key) if head is None and key in self.settled else head

    def _unsettle(self, key: str) -> Entry | None:
        """Move the summary line of ``key`` to the entries (``flush`` puts it back if it still
        belongs there); a line that does not decode is dropped, and the file read again."""
        entry = unsettled(self.settled.pop(key))
        if entry is not None:
            self._entries()[key] = entry
            self.touched.add(key)
        return entry

    def _entries(self) -> dict[str, Entry | Stored]:
        if self.entries is None:
            self.entries = {}
            rows = self.store.file_cache(KIND) if self.store is not None else {}
            summary = rows.pop(SUMMARY, None)
            if summary is not None:
                found = self.rows.summary(summary)
                self.saved = None if found is None else dict(found[0])
                self.settled, self.upto = found or ({}, 0)
            self.rowed = set(rows)
            for key, payload in rows.items():
                head = self.rows.head(payload)
                if head is not None:
                    self.entries[key] = head
                    if self.settled.pop(key, None) is not None:
                        self.touched.add(key)  # in both (a crash, an older version)
                else:  # a corrupt or outdated row: rebuilt from the file
                    self.gone.add(key)
        return self.entries

    def _put(self, key: str, entry: Entry) -> Entry:
        self._entries()[key] = entry
        self.dirty.add(key)
        self.gone.discard(key)
        return entry

    def _forget(self, key: str) -> None:
        if self._entries().pop(key, None) is not None and key in self.rowed:
            self.gone.add(key)
        self.settled.pop(key, None)
        self.dirty.discard(key)

    def flush(self, start: int | None = None) -> None:
        """Write what changed since the last flush to the store (if there is one); with the
        ``start`` (µs) of a pass's window, the files settled for it go to the summary."""
        entries = self._entries()
        if start is not None:
            self._settle(start)
        changed = self.settled != self.saved
        if changed:
            self.upto = self._upto()
        if self.store is not None and (self.dirty or self.gone or changed):
            rows = {k: self.rows.encode(e) for k in self.dirty
                    if isinstance(e := entries.get(k), Entry)}
            if changed and self.settled:
                rows[SUMMARY] = self.rows.encode_summary(self.settled, self.upto)
            elif changed and self.saved != {}:
                self.gone.add(SUMMARY)
            self.store.save_file_cache(KIND, rows, sorted(self.gone))
            self.rowed = (self.rowed | rows.keys()) - self.gone - {SUMMARY}
        if changed:
            self.saved = dict(self.settled)
        self.dirty.clear()
        self.gone.clear()

    def _upto(self) -> int:
        """The latest last end among the summary's lines; a line that does not decode is
        dropped (its file is read again)."""
        upto, bad = 0, []
        for key, line in self.settled.items():
            try:
                upto = max(upto, line_end(line))
            except (ValueError, IndexError):
                bad.append(key)
        for key in bad:
            del self.settled[key]
        return upto

    def _settle(self, start: int) -> None:
        """Move to the summary each touched or changed entry settled for windows from
        ``start`` on; its own row, if it has one, is deleted."""
        entries = self._entries()
        for key in self.touched | self.dirty:
            head = entries.get(key)
            if head is not None and head.trusted and not head.has_problems and \
                    head.settled_before(start):
                self.settled[key] = settled_line(head)
                del entries[key]
                self.dirty.discard(key)
                if key in self.rowed:
                    self.gone.add(key)
        self.touched.clear()


def _stat_text(key: str) -> str:
    """``stat_prefix`` of the file ``key``, or what no summary line starts with if it has no
    stat (gone, unreadable)."""
    try:
        return stat_prefix(os.stat(key))
    except OSError:
        return "\0"


def _same_stat(key: str, ident: Identity) -> bool:
    try:
        return identity(os.stat(key)) == ident
    except OSError:
        return False
