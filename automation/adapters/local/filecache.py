"""Calendar files parsed once, not on every pass: busy intervals and attendee answers by file.

A pass reads busy time from every ``.ics`` of the calendar folder (a year of interviews is about
1,700 files, most of them past) and from each ``busy_ics`` export (a few MB), and reads the
invitation answer of each upcoming interview. Parsing all that is seconds of CPU; the files
rarely change. This cache keeps, per path, what parsing found (``icsbusy.FileBusy`` and the
attendee's PARTSTAT) with the file's identity, in memory for the daemon and in the store
(``FileCacheStore``) for ``run --once``.

When a file is looked at again (the policy; each rule has a test):

- its content is read (bounded and refused as ever: ``icsbusy.read_calendar_stat``) and
  hashed (BLAKE2b) on every pass, and parsed again only when the hash differs from the cached
  one — so a rewrite of the same size and the same mtime is caught whatever its timestamps say;
- except a *settled* file: nothing in it repeats and all its events ended before the window
  (a past interview). It is not read at all while its ``stat`` (size, mtime, ctime, inode) is
  the one cached. The ctime cannot be set by a program (``touch -d`` and ``os.utime`` change
  it), and a replacing rename changes the inode. To close the one gap (a write in the same
  clock tick as the read), stat alone vouches for a file only if its ctime was more than
  ``RACY_SECONDS`` old when its content was hashed (git's "racy clean" rule); until then it
  is hashed like a live file;
- a repeating file is expanded a week past the window and parsed again when the window moves
  past that;
- a file that is gone is forgotten; a file that cannot be read, or is not a regular file, is
  reported as before and never cached;
- the cache is keyed by the default time zone and ``VERSION`` (bump it when parsing changes);
  a row that does not decode is ignored and rebuilt. The cache is derived data: dropping every
  row changes nothing but the time a pass takes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from automation.app.ports import FileCacheStore
from automation.core.icsbusy import FileBusy, file_busy, read_calendar_stat, unreadable
from automation.core.models import Interval
from automation.errors import UserError

log = logging.getLogger(__name__)

#: Bump when what is cached (or how it is parsed) changes: older rows are then ignored.
VERSION = 1
#: The cache's name in the store.
KIND = "calendar"
#: A file changed less than this before it was hashed may change again unseen by ``stat``.
RACY_SECONDS = 2
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

Identity = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def identity(info: os.stat_result) -> Identity:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


@dataclass(frozen=True)
class Entry:
    """What is known of one file: its identity and hash, and what parsing it found."""

    ident: Identity
    digest: str
    trusted: bool  # stat alone may vouch for the content (see RACY_SECONDS)
    busy: FileBusy | None = None
    answer: tuple[str, str | None] | None = None  # (the event's UID, the attendee's PARTSTAT)


class FileCache:
    """The per-path cache of one calendar adapter (see the module docstring)."""

    def __init__(self, store: FileCacheStore | None, default_tz: tzinfo) -> None:
        self.store = store
        self.zone = str(getattr(default_tz, "key", default_tz))
        self.default_tz = default_tz
        self.entries: dict[str, Entry] | None = None  # loaded on first use
        self.dirty: set[str] = set()
        self.gone: set[str] = set()

    # -- busy time ------------------------------------------------------------------------

    def busy(self, paths: Iterable[Path], window: Interval) -> tuple[list[Interval], list[str]]:
        """``icsbusy.busy_from_files`` over ``paths``, reading and parsing only what changed;
        paths no longer given are forgotten. Saves what changed to the store."""
        entries = self._entries()
        busy: list[Interval] = []
        problems: list[str] = []
        wanted = set()
        for path in paths:
            key = str(path)
            wanted.add(key)
            found = self._busy_of(path, key, window, problems)
            if found is not None:
                busy.extend(found.within(window))
                problems.extend(found.problems)
        for key in set(entries) - wanted:
            self._forget(key)
        self.flush()
        return sorted(set(busy)), problems

    def _busy_of(self, path: Path, key: str, window: Interval,
                 problems: list[str]) -> FileBusy | None:
        entry = self._entries().get(key)
        if entry is not None and entry.trusted and entry.busy is not None \
                and entry.busy.settled(window) and self._same_stat(path, entry):
            return entry.busy  # a past interview: not read again
        try:
            data, info = read_calendar_stat(path)
        except OSError as error:
            self._forget(key)
            problems.append(unreadable(path, error))
            return None
        except UserError as error:  # not a regular file, or too large: reported every pass
            self._forget(key)
            problems.append(f"{error}; its events are ignored until it is fixed")
            return None
        entry = self._checked(key, data, info)
        if entry.busy is None or not entry.busy.covers(window):
            entry = self._put(key, replace(entry, busy=file_busy(data, window, self.default_tz,
                                                                 key)))
        return entry.busy

    # -- invitation answers ---------------------------------------------------------------

    def answer(self, path: Path, data: bytes, info: os.stat_result | None,
               parse: Callable[[bytes], tuple[str, str | None] | None]
               ) -> tuple[str, str | None] | None:
        """The (UID, PARTSTAT) that ``parse(data)`` finds in the file, parsed once per content.
        ``parse`` returns None for a file that holds no event (never cached)."""
        key = str(path)
        entry = self._checked(key, data, info)
        if entry.answer is None:
            found = parse(data)
            if found is None:
                return None
            entry = self._put(key, replace(entry, answer=found))
        return entry.answer

    # -- the entries ------------------------------------------------------------------------

    def _checked(self, key: str, data: bytes, info: os.stat_result | None) -> Entry:
        """The entry of ``key`` for this content: the cached one if the hash matches (with
        its identity brought up to date), else a fresh one with nothing parsed yet."""
        digest = hashlib.blake2b(data, digest_size=20).hexdigest()
        ident = identity(info) if info is not None else (len(data), 0, 0, 0)
        trusted = info is not None and \
            time.time_ns() - info.st_ctime_ns > RACY_SECONDS * 1_000_000_000
        entry = self._entries().get(key)
        if entry is None or entry.digest != digest:
            return self._put(key, Entry(ident, digest, trusted))
        if entry.ident != ident or entry.trusted != trusted:
            entry = self._put(key, replace(entry, ident=ident, trusted=trusted))
        return entry

    @staticmethod
    def _same_stat(path: Path, entry: Entry) -> bool:
        try:
            return identity(os.stat(path)) == entry.ident
        except OSError:
            return False

    def _entries(self) -> dict[str, Entry]:
        if self.entries is None:
            self.entries = {}
            rows = self.store.file_cache(KIND) if self.store is not None else {}
            for key, payload in rows.items():
                entry = self._decode(payload)
                if entry is not None:
                    self.entries[key] = entry
                else:  # a corrupt or outdated row: rebuilt from the file
                    self.gone.add(key)
        return self.entries

    def _put(self, key: str, entry: Entry) -> Entry:
        self._entries()[key] = entry
        self.dirty.add(key)
        self.gone.discard(key)
        return entry

    def _forget(self, key: str) -> None:
        if self._entries().pop(key, None) is not None:
            self.gone.add(key)
        self.dirty.discard(key)

    def flush(self) -> None:
        """Write what changed since the last flush to the store (if there is one)."""
        if self.store is None or not (self.dirty or self.gone):
            self.dirty.clear()
            return
        entries = self._entries()
        rows = {k: self._encode(entries[k]) for k in self.dirty if k in entries}
        self.store.save_file_cache(KIND, rows, sorted(self.gone))
        self.dirty.clear()
        self.gone.clear()

    # -- encoding (one JSON document per row) -----------------------------------------------

    def _encode(self, entry: Entry) -> str:
        busy = entry.busy
        doc: dict[str, Any] = {"v": VERSION, "zone": self.zone, "ident": list(entry.ident),
                               "digest": entry.digest, "trusted": entry.trusted,
                               "answer": list(entry.answer) if entry.answer else None}
        if busy is not None:
            doc["busy"] = {"intervals": [[_us(i.start), _us(i.end)] for i in busy.intervals],
                           "span": [_us(busy.span.start), _us(busy.span.end)]
                           if busy.span else None, "problems": list(busy.problems)}
        return json.dumps(doc, separators=(",", ":"))

    def _decode(self, payload: str) -> Entry | None:
        try:
            doc = json.loads(payload)
            if doc["v"] != VERSION or doc["zone"] != self.zone:
                return None
            ident = tuple(int(x) for x in doc["ident"])
            if len(ident) != 4 or not isinstance(doc["digest"], str):
                return None
            busy = None
            if doc.get("busy") is not None:
                b = doc["busy"]
                busy = FileBusy(tuple(Interval(_at(s), _at(e)) for s, e in b["intervals"]),
                                Interval(_at(b["span"][0]), _at(b["span"][1]))
                                if b["span"] else None,
                                tuple(str(p) for p in b["problems"]))
            answer = doc.get("answer")
            return Entry(ident, doc["digest"], bool(doc["trusted"]),
                         busy, (str(answer[0]), None if answer[1] is None else str(answer[1]))
                         if answer else None)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            log.debug("calendar cache row ignored (it does not decode)", exc_info=True)
            return None


def _us(value: datetime) -> int:
    return (value - _EPOCH) // _US


def _at(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(value))
