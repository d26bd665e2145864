"""The local Mailbox: a Maildir tree with ``Drafts/``, ``Sent/`` and ``INBOX/``.

This is the layout mbsync and offlineimap produce, so a user who syncs these folders with their
provider sees our drafts in their mail client, and what they send lands in ``Sent/``. Every
write goes through ``mailbox.Maildir.add`` (write to ``tmp/``, then rename): a reader never sees
half a message.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING

from automation.adapters.local.draftcache import DraftIds
from automation.adapters.local.maildirfolders import ensure_maildir, listed
from automation.app.ports import DraftRef, FileCacheStore, MailItem, SyncResult, Watch
from automation.errors import BackendError

if TYPE_CHECKING:
    import mailbox
    from email.message import EmailMessage

    from automation.adapters.local.maildirwrite import RawFolder

# The email package (and core.mailsafe and core.mime over it) is imported by the functions that
# read or write a message, and the stdlib's ``mailbox`` (which imports email.message and
# email.generator, socket and calendar: ~42 M instructions) by those that write or look
# inside a file: an idle pass, whose folders hold nothing new, only lists them.

log = logging.getLogger(__name__)

#: Larger messages are read headers-only: nothing we track needs a 5 MB body.
MAX_BODY_BYTES = 2 * 1024 * 1024
ADDRESSED_PER_FOLDER = 2000  # the newest messages read for `addressed` (headers only)
#: What is read of a draft to know its headers, and how often a moved one is looked up again.
HEADER_BYTES = 256 * 1024
RESCANS = 20


def draft_bytes(message: EmailMessage) -> bytes:
    """A draft as its Maildir file holds it: RFC 5322 with LF line ends, as mail clients and
    mbsync write them."""
    from automation.core.mime import message_bytes

    return message_bytes(message)  # policy.default's bytes, kept if it was written once


class MaildirMailbox:
    """Mailbox port over a Maildir tree (see module docstring)."""

    def __init__(self, root: Path, cache: FileCacheStore | None = None) -> None:
        """``cache``: where the Message-ID of each draft file is kept between processes (the
        store, see ``draftcache``); without one it is kept for this object's lifetime."""
        self.root = root
        try:
            ensure_maildir(root)
        except OSError as exc:
            raise BackendError(f"cannot create the Maildir at {root}: {exc}; check the "
                               "[local] maildir path and its permissions", retryable=False) from exc
        self.draft_ids = DraftIds(cache, root / "Drafts")

    @cached_property
    def drafts(self) -> RawFolder:
        """The Drafts folder as ``mailbox`` sees it, made when a draft is written, removed or
        read (listing the folders needs no ``mailbox``)."""
        import mailbox

        from automation.adapters.local.maildirwrite import RawFolder

        try:
            return RawFolder(str(self.root / "Drafts"), factory=None, create=False)
        except mailbox.NoSuchMailboxError as exc:  # removed since the folders were made
            raise BackendError(f"cannot use the drafts in {self.root / 'Drafts'}: the folder "
                               "is gone; check the [local] maildir path") from exc

    def _folder(self, name: str) -> mailbox.Maildir:
        import mailbox

        return mailbox.Maildir(str(self.root / name), factory=None, create=False)

    def create_draft(self, message: EmailMessage, *, thread_id: str | None = None) -> DraftRef:
        from automation.adapters.local.maildirwrite import Raw
        from automation.core.mime import header_value

        msg = Raw(draft_bytes(message))
        msg.set_subdir("cur")
        msg.set_flags("DS")  # D = draft, S = seen: mail clients list it under Drafts, unread-free
        try:
            key = self.drafts.add(msg)
        except OSError as exc:
            raise self._write_error(exc) from exc
        return DraftRef(draft_id=key, message_id=header_value(message, "Message-ID"),
                        thread_id=thread_id)

    def create_drafts(self, drafts: Sequence[tuple[EmailMessage, str | None]]
                      ) -> Iterator[list[DraftRef]]:
        """Each file is written into ``tmp/``, the files are synced (one ``syncfs`` of the
        Drafts filesystem, else each file: never a machine-wide ``sync``, which waits on every
        disk and mount), then each renamed into ``cur/`` and the folder synced, so after a
        power cut each draft is whole in ``cur/`` or not there at all."""
        from automation.adapters.local.maildirwrite import (
            Raw,
            filesystem_sync,
            remove_quietly,
            sync_dir,
        )
        from automation.core.mime import header_value

        staged: list[tuple[str, str, str, str, str | None]] = []
        error: BackendError | None = None
        syncfs = filesystem_sync()
        try:
            for message, thread_id in drafts:
                raw = Raw(draft_bytes(message))
                raw.set_subdir("cur")
                raw.set_flags("DS")
                staged.append((*self.drafts.stage(raw, sync=syncfs is None),
                               header_value(message, "Message-ID"), thread_id))
        except OSError as exc:
            error = self._write_error(exc)
        if syncfs is not None and staged:
            try:
                syncfs(self.root / "Drafts" / "tmp")
            except OSError as exc:  # none is known to be on disk: none is named
                for tmp, *_ in staged:
                    remove_quietly(tmp)
                staged, error = [], error or self._write_error(exc)
        refs: list[DraftRef] = []
        try:  # every file synced (stage) before any is named: no rename reaches the disk first
            for tmp, dest, key, message_id, thread_id in staged:
                self.drafts.publish(tmp, dest)
                refs.append(DraftRef(draft_id=key, message_id=message_id, thread_id=thread_id))
        except OSError as exc:
            error = error or self._write_error(exc)
        finally:
            for tmp, *_ in staged[len(refs):]:
                remove_quietly(tmp)
            if refs:
                sync_dir(self.root / "Drafts" / "cur")
        if refs:
            yield refs
        if error is not None:
            raise error

    def _write_error(self, exc: OSError) -> BackendError:
        return BackendError(f"cannot write a draft into {self.root / 'Drafts'}: {exc}")

    def _headers(self, box: mailbox.Maildir) -> Iterator[tuple[str, EmailMessage]]:
        for key, headers, _ in self._read_headers(box, list(box.iterkeys())):
            yield key, headers

    def _read_headers(self, box: mailbox.Maildir, keys: list[str]
                      ) -> Iterator[tuple[str, EmailMessage, os.stat_result]]:
        """Each message's headers and ``stat``. A mail client changing flags renames the
        file (``:2,DS`` -> ``:2,DFS``) between our listing and our reading it: a message that
        could not be read is looked up again after a rescan, so it is never reported missing
        because it moved; only one gone on every rescan is gone."""
        if not keys:
            return
        from email import policy
        from email.parser import BytesHeaderParser

        parser = BytesHeaderParser(policy=policy.default)
        pending = keys
        for _ in range(RESCANS):
            missed = []
            for key in pending:
                try:
                    data, info = _read_regular(_file_of(box, key), HEADER_BYTES)
                except (OSError, KeyError, ValueError):
                    missed.append(key)
                    continue
                yield key, parser.parsebytes(data), info
            if not missed:
                return
            pending = missed

    def _draft_message_ids(self) -> dict[str, str]:
        """The Message-ID of every file in Drafts by key, in listing order; a file is parsed
        only when ``draftcache`` does not know it (a new key, or the file changed)."""
        def read(keys: list[str]) -> Iterator[tuple[str, str, os.stat_result]]:
            if not keys:  # every file known: ``self.drafts`` (and mailbox) not needed
                return
            for key, headers, info in self._read_headers(self.drafts, keys):
                yield key, str(headers.get("Message-ID", "")).strip(), info

        files = listed(self.root / "Drafts")
        return self.draft_ids.message_ids(list(files), lambda key: os.stat(files[key]), read)

    def find_draft(self, message_id: str) -> DraftRef | None:
        return self.find_drafts([message_id]).get(message_id)

    def find_drafts(self, message_ids: Sequence[str]) -> dict[str, DraftRef]:
        wanted, found = set(message_ids), {}
        try:  # the port promises BackendError, never a bare OSError (e.g. a broken tmp/)
            self.drafts.clean()
            for key, headers in self._headers(self.drafts):
                mid = str(headers.get("Message-ID", "")).strip()
                if mid in wanted and mid not in found:
                    found[mid] = DraftRef(draft_id=key, message_id=mid)
                    if len(found) == len(wanted):
                        break
        except OSError as exc:
            raise BackendError(f"cannot read the drafts in {self.root / 'Drafts'}: {exc}; "
                               "check the folder and its permissions") from exc
        return found

    def draft_message_ids(self) -> set[str]:
        return {str(h.get("Message-ID", "")).strip() for _, h in self._headers(self.drafts)}

    def addressed(self) -> set[str]:
        from email import policy
        from email.parser import BytesHeaderParser

        from automation.core.mailsafe import header_addresses

        headers = BytesHeaderParser(policy=policy.default)
        found: set[str] = set()
        try:
            for box in (self._folder("Sent"), self.drafts):
                newest = sorted(box.iterkeys())[-ADDRESSED_PER_FOLDER:]  # keys start with a time
                for key in newest:
                    try:
                        data, _ = _read_regular(_file_of(box, key), HEADER_BYTES)
                    except (OSError, KeyError, ValueError):
                        continue  # moved or unreadable: the next pass reads it
                    found.update(header_addresses(headers.parsebytes(data), "To", "Cc"))
        except OSError as exc:
            raise BackendError(f"cannot read {self.root}: {exc}; check the [local] maildir "
                               "folders and their permissions") from exc
        return found

    def drafts_present(self, refs: Sequence[DraftRef]) -> dict[str, DraftRef]:
        # A mail client that edits a draft writes a new file (a new key) with the same
        # Message-ID: in a Maildir the Message-ID is the draft's identity.
        if not refs:
            return {}
        wanted = {ref.message_id for ref in refs}
        try:
            return {mid: DraftRef(key, mid) for key, mid in self._draft_message_ids().items()
                    if mid in wanted}
        except OSError as exc:
            raise BackendError(f"cannot read the drafts in {self.root / 'Drafts'}: {exc}; "
                               "check the folder and its permissions") from exc

    def sent_in_thread(self, thread_id: str, known: Callable[[str], bool]) -> bool:
        return False  # a Maildir has no thread ids; a Sent copy is matched by its headers

    def delete_draft(self, ref: DraftRef) -> None:
        try:
            self.drafts.remove(ref.draft_id)
            return
        except KeyError:
            pass
        found = self.find_draft(ref.message_id)  # a client may have renamed the file
        if found is not None:
            self.drafts.discard(found.draft_id)

    def _keys_of(self, message_id: str) -> list[str]:
        try:
            self.drafts.clean()
            return [key for key, headers in self._headers(self.drafts)
                    if str(headers.get("Message-ID", "")).strip() == message_id]
        except OSError as exc:
            raise BackendError(f"cannot read the drafts in {self.root / 'Drafts'}: {exc}; "
                               "check the folder and its permissions") from exc

    def read_draft(self, ref: DraftRef) -> EmailMessage | None:
        from automation.core.mailsafe import parse_message

        keys = [ref.draft_id] if ref.draft_id in self.drafts else self._keys_of(ref.message_id)
        for key in keys:
            try:
                with self.drafts.get_file(key) as fh:
                    return parse_message(fh.read(), max_bytes=MAX_BODY_BYTES).message
            except (OSError, KeyError):
                continue  # moved or deleted by a mail client meanwhile
        return None

    def replace_draft(self, ref: DraftRef, message: EmailMessage, *,
                      thread_id: str | None = None) -> DraftRef | None:
        """The new file is written first, then every older file of this draft removed: a
        crash in between leaves two, and the replay (same message) removes the extra one."""
        data = draft_bytes(message)
        old = self._keys_of(ref.message_id)
        if not old:
            return None
        keep = next((k for k in old if self._bytes(k) == data), None)
        if keep is None:
            keep = self.create_draft(message, thread_id=thread_id).draft_id
        for key in old:
            if key != keep:
                self.drafts.discard(key)
        return DraftRef(draft_id=keep, message_id=str(message["Message-ID"]),
                        thread_id=thread_id or ref.thread_id)

    def _bytes(self, key: str) -> bytes | None:
        try:
            with self.drafts.get_file(key) as fh:
                return fh.read()
        except (OSError, KeyError):
            return None

    def sync(self, cursor: str | None, watch: Watch,
             known: Callable[[str], bool] = lambda key: False) -> SyncResult:
        items: list[MailItem] = []
        problems: list[str] = []
        for folder, label in (("Sent", "sent"), ("INBOX", "inbox")):
            try:
                files = listed(self.root / folder)
            except OSError as exc:
                raise BackendError(f"cannot read {self.root / folder}: {exc}; check the "
                                   "[local] maildir folders and their permissions") from exc
            for key in sorted(files):
                item_key = f"{label}:{key}"
                if known(item_key):
                    continue
                item = self._read(files[key], key, item_key, label, problems)
                if item is not None:
                    items.append(item)
        return SyncResult(items=items, cursor=None, problems=problems)

    def _read(self, path: str, key: str, item_key: str, label: str,
              problems: list[str]) -> MailItem | None:
        try:
            # Maildir keeps the delivery time as the file's mtime; the path is needed for it.
            data, stat = _read_regular(Path(path), MAX_BODY_BYTES)
        except (OSError, KeyError, ValueError) as exc:
            problems.append(f"{label} message {key}: cannot read it ({exc}); it is skipped "
                            "until it is readable")
            return None
        from automation.core.mailsafe import parse_message

        # Larger messages are read headers-only: nothing we track needs a 5 MB body.
        parsed = parse_message(data, max_bytes=MAX_BODY_BYTES)
        if parsed.problem:
            problems.append(f"{label} message {key}: {parsed.problem}")
        received = datetime.fromtimestamp(stat.st_mtime, UTC)
        return MailItem(key=item_key, folder=label, message=parsed.message,
                        has_body=parsed.has_body, received_at=received)


def _file_of(box: mailbox.Maildir, key: str) -> Path:
    """The file holding message ``key``. ``mailbox`` keeps the key-to-file map private
    (``_lookup``, stable since Python 2.5); reading the file ourselves is what lets us bound
    the bytes read and refuse anything but a regular file."""
    lookup = getattr(box, "_lookup")  # noqa: B009 (private: not in the type stubs)
    return Path(box._path) / str(lookup(key))


def _read_regular(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """The file's bytes, or for a file over ``limit`` its first ``limit`` + 1 (headers-only).

    Refuses what is not a regular file (a FIFO would block the pass forever, a device such
    as /dev/zero never ends): opened without blocking, checked with ``fstat``.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        stat = os.fstat(fh.fileno())
        if not S_ISREG(stat.st_mode):
            raise ValueError("not a regular file")
        return fh.read(limit + 1), stat
