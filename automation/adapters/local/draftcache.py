"""Which Message-ID each file in Drafts holds, read once per file, not on every pass.

Every pass asks the Maildir which of our drafts are still in Drafts (``drafts_present``), and
a Maildir knows a draft only by the Message-ID inside its file: parsing the headers of every
draft (hundreds at 10,000 contacts) was a tenth of a second of each idle pass.

Why a file's Message-ID can be kept by its name (the Maildir specification,
https://cr.yp.to/proto/maildir.html): a message is delivered once, into ``tmp/`` then renamed
into ``new/``, under a *unique name*; a reader moves it to ``cur/`` as ``uniq:2,FLAGS`` and
changes flags by renaming it again, keeping ``uniq`` ("make sure to preserve the uniq
string"). Nothing in the specification rewrites a delivered file. ``mailbox.Maildir`` keys a
message by that unique name. So what the user can do to a draft is seen by its key alone: a
client that edits a draft writes a new message (a new key) and removes the old one; sending it
moves it out of Drafts (to Sent); deleting it removes it; reading or flagging it renames it
under the same key, the same content.

The rules (each has a test):

- a key's Message-ID is kept with the file's size, mtime and inode (a rename keeps all
  three), so a file rewritten in place after all, or replaced by another file under the same
  name, is parsed again;
- a key no longer in the folder is forgotten (the draft was sent, deleted or re-saved);
- kept in memory for the daemon and in the store (``FileCacheStore``, kind ``KIND``) for
  ``run --once``; a row that does not decode is ignored. The cache is derived data: dropping
  it changes nothing but the time a pass takes.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISREG

from automation.app.ports import FileCacheStore

log = logging.getLogger(__name__)

#: The cache's name in the store; bump ``VERSION`` when what is kept changes.
KIND = "maildir-drafts"
VERSION = 1

Stamp = tuple[int, int, int]  # size, mtime_ns, inode


def stamp(info: os.stat_result) -> Stamp:
    return (info.st_size, info.st_mtime_ns, info.st_ino)


class DraftIds:
    """The Message-ID of each draft file of one Drafts folder, by ``mailbox.Maildir`` key."""

    def __init__(self, store: FileCacheStore | None, folder: Path) -> None:
        self.store = store
        self.prefix = f"{folder}{os.sep}"
        self.entries: dict[str, tuple[Stamp, str]] | None = None  # loaded on first use
        self.dirty: set[str] = set()
        self.gone: set[str] = set()

    def message_ids(self, keys: list[str], stat_of: Callable[[str], os.stat_result],
                    read: Callable[[list[str]], Iterable[tuple[str, str, os.stat_result]]]
                    ) -> dict[str, str]:
        """The Message-ID of each of ``keys`` (the folder's files, in listing order) whose
        file could be read: kept ones whose ``stat_of(key)`` is unchanged, the others from
        ``read(keys)`` (key, Message-ID, stat). Forgets the keys not given; saves."""
        known, unread = {}, []
        for key in keys:
            try:
                info: os.stat_result | None = stat_of(key)
            except (OSError, KeyError):
                info = None  # moved meanwhile: ``read`` looks it up again
            found = None if info is None or not S_ISREG(info.st_mode) else \
                self.get(key, stamp(info))
            if found is None:
                unread.append(key)
            else:
                known[key] = found
        for key, message_id, info in read(unread):
            known[key] = message_id
            self.put(key, stamp(info), message_id)
        self.keep_only(set(keys))
        self.flush()
        return {key: known[key] for key in keys if key in known}

    def get(self, key: str, seen: Stamp) -> str | None:
        """The Message-ID kept for ``key`` if the file is still the one it was read from."""
        entry = self._entries().get(key)
        return entry[1] if entry is not None and entry[0] == seen else None

    def put(self, key: str, seen: Stamp, message_id: str) -> None:
        self._entries()[key] = (seen, message_id)
        self.dirty.add(key)
        self.gone.discard(key)

    def keep_only(self, keys: set[str]) -> None:
        """Forget every key not in ``keys`` (the files now in the folder)."""
        entries = self._entries()
        for key in set(entries) - keys:
            del entries[key]
            self.dirty.discard(key)
            self.gone.add(key)

    def flush(self) -> None:
        """Write what changed since the last flush to the store (if there is one)."""
        if self.store is not None and (self.dirty or self.gone):
            entries = self._entries()
            rows = {self.prefix + key: json.dumps({"v": VERSION, "stamp": list(entries[key][0]),
                                                   "id": entries[key][1]})
                    for key in self.dirty}
            self.store.save_file_cache(KIND, rows, sorted(self.prefix + k for k in self.gone))
        self.dirty.clear()
        self.gone.clear()

    def _entries(self) -> dict[str, tuple[Stamp, str]]:
        if self.entries is None:
            self.entries = {}
            rows = self.store.file_cache(KIND) if self.store is not None else {}
            for path, payload in rows.items():
                if not path.startswith(self.prefix):
                    continue  # another Drafts folder's
                key = path[len(self.prefix):]
                entry = _decode(payload)
                if entry is None:  # corrupt or outdated: read the file again
                    self.gone.add(key)
                else:
                    self.entries[key] = entry
        return self.entries


def _decode(payload: str) -> tuple[Stamp, str] | None:
    try:
        doc = json.loads(payload)
        size, mtime, inode = (int(x) for x in doc["stamp"])
        if doc["v"] != VERSION or not isinstance(doc["id"], str):
            return None
        return (size, mtime, inode), doc["id"]
    except (ValueError, TypeError, KeyError, AttributeError):
        log.debug("drafts cache row ignored (it does not decode)", exc_info=True)
        return None
