"""The local Mailbox: a Maildir tree with ``Drafts/``, ``Sent/`` and ``INBOX/``.

This is the layout mbsync and offlineimap produce, so a user who syncs these folders with their
provider sees our drafts in their mail client, and what they send lands in ``Sent/``. Every
write goes through ``mailbox.Maildir.add`` (write to ``tmp/``, then rename): a reader never sees
half a message.
"""

from __future__ import annotations

import logging
import mailbox
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

from automation.app.ports import DraftRef, MailItem, SyncResult, Watch
from automation.errors import BackendError

log = logging.getLogger(__name__)

FOLDERS = ("Drafts", "Sent", "INBOX")
#: Larger messages are read headers-only: nothing we track needs a 5 MB body.
MAX_BODY_BYTES = 2 * 1024 * 1024


def ensure_maildir(root: Path) -> None:
    """Create ``root/{Drafts,Sent,INBOX}/{cur,new,tmp}`` if missing (mode 0700)."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in FOLDERS:
        mailbox.Maildir(str(root / name), create=True)
    root.chmod(0o700)


class MaildirMailbox:
    """Mailbox port over a Maildir tree (see module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            ensure_maildir(root)
        except OSError as exc:
            raise BackendError(f"cannot create the Maildir at {root}: {exc}; check the "
                               "[local] maildir path and its permissions", retryable=False) from exc
        self.drafts = mailbox.Maildir(str(root / "Drafts"), factory=None, create=False)

    def _folder(self, name: str) -> mailbox.Maildir:
        return mailbox.Maildir(str(self.root / name), factory=None, create=False)

    def create_draft(self, message: EmailMessage, *, thread_id: str | None = None) -> DraftRef:
        msg = mailbox.MaildirMessage(message.as_bytes(policy=policy.SMTP))
        msg.set_subdir("cur")
        msg.set_flags("DS")  # D = draft, S = seen: mail clients list it under Drafts, unread-free
        try:
            key = self.drafts.add(msg)
        except OSError as exc:
            raise BackendError(f"cannot write a draft into {self.root / 'Drafts'}: {exc}") from exc
        return DraftRef(draft_id=key, message_id=str(message["Message-ID"]), thread_id=thread_id)

    def _headers(self, box: mailbox.Maildir) -> Iterator[tuple[str, EmailMessage]]:
        parser = BytesHeaderParser(policy=policy.default)
        for key in box.iterkeys():
            try:
                with box.get_file(key) as fh:
                    yield key, parser.parse(fh)  # type: ignore[misc]
            except (OSError, KeyError):
                continue  # moved or deleted by a mail client meanwhile

    def find_draft(self, message_id: str) -> DraftRef | None:
        try:  # the port promises BackendError, never a bare OSError (e.g. a broken tmp/)
            self.drafts.clean()
            for key, headers in self._headers(self.drafts):
                if str(headers.get("Message-ID", "")).strip() == message_id:
                    return DraftRef(draft_id=key, message_id=message_id)
        except OSError as exc:
            raise BackendError(f"cannot read the drafts in {self.root / 'Drafts'}: {exc}; "
                               "check the folder and its permissions") from exc
        return None

    def draft_message_ids(self) -> set[str]:
        return {str(h.get("Message-ID", "")).strip() for _, h in self._headers(self.drafts)}

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
        keys = [ref.draft_id] if ref.draft_id in self.drafts else self._keys_of(ref.message_id)
        for key in keys:
            try:
                with self.drafts.get_file(key) as fh:
                    return BytesParser(policy=policy.default).parse(fh)  # type: ignore[return-value]
            except (OSError, KeyError):
                continue  # moved or deleted by a mail client meanwhile
        return None

    def replace_draft(self, ref: DraftRef, message: EmailMessage, *,
                      thread_id: str | None = None) -> DraftRef | None:
        """The new file is written first, then every older file of this draft removed: a
        crash in between leaves two, and the replay (same message) removes the extra one."""
        data = message.as_bytes(policy=policy.SMTP)
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
            box = self._folder(folder)
            for key in sorted(box.iterkeys()):
                item_key = f"{label}:{key}"
                if known(item_key):
                    continue
                item = self._read(box, key, item_key, label, problems)
                if item is not None:
                    items.append(item)
        return SyncResult(items=items, cursor=None, problems=problems)

    def _read(self, box: mailbox.Maildir, key: str, item_key: str, label: str,
              problems: list[str]) -> MailItem | None:
        try:
            # Maildir keeps the delivery time as the file's mtime; the path is needed for it.
            path = Path(box._path) / box._lookup(key)
            size = path.stat().st_size
            with box.get_file(key) as fh:
                if size > MAX_BODY_BYTES:
                    message = BytesHeaderParser(policy=policy.default).parse(fh)
                    has_body = False
                else:
                    message = BytesParser(policy=policy.default).parse(fh)
                    has_body = True
            received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except (OSError, KeyError) as exc:
            problems.append(f"{label} message {key}: cannot read it ({exc})")
            return None
        return MailItem(key=item_key, folder=label, message=message,  # type: ignore[arg-type]
                        has_body=has_body, received_at=received)
