"""The local Mailbox: a Maildir tree with ``Drafts/``, ``Sent/`` and ``INBOX/``.

This is the layout mbsync and offlineimap produce, so a user who syncs these folders with their
provider sees our drafts in their mail client, and what they send lands in ``Sent/``. Every
write goes through ``mailbox.Maildir.add`` (write to ``tmp/``, then rename): a reader never sees
half a message.
"""

from __future__ import annotations

import logging
import mailbox
from collections.abc import Callable, Iterator, Sequence
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

    def drafts_present(self, refs: Sequence[DraftRef]) -> dict[str, DraftRef]:
        # A mail client that edits a draft writes a new file (a new key) with the same
        # Message-ID: in a Maildir the Message-ID is the draft's identity.
        if not refs:
            return {}
        wanted = {ref.message_id for ref in refs}
        try:
            return {mid: DraftRef(key, mid) for key, h in self._headers(self.drafts)
                    if (mid := str(h.get("Message-ID", "")).strip()) in wanted}
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
