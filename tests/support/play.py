"""Playing the user and the world on a Maildir tree, as a mail client and a mail server would.

- ``send``: the user presses Send: the draft's file leaves ``Drafts/`` and a copy lands in
  ``Sent/cur`` (optionally with a new Message-ID and Date, as some clients write).
- ``deliver``: a message arrives: it is written into ``INBOX/new``.
- ``discard``: the user deletes a draft.
"""

from __future__ import annotations

import mailbox
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path


def _draft_path(root: Path, message_id: str) -> Path:
    parser = BytesParser(policy=policy.default)
    for sub in ("cur", "new"):
        for path in sorted((root / "Drafts" / sub).iterdir()):
            headers = parser.parsebytes(path.read_bytes(), headersonly=True)
            if str(headers.get("Message-ID", "")).strip() == message_id:
                return path
    raise KeyError(f"no draft {message_id} in {root / 'Drafts'}")


def send(root: Path, message_id: str, *, new_message_id: str | None = None,
         date: datetime | None = None) -> EmailMessage:
    """Move the draft ``message_id`` from Drafts to ``Sent/cur``; returns the sent copy."""
    path = _draft_path(root, message_id)
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    if new_message_id is not None:
        del message["Message-ID"]
        message["Message-ID"] = new_message_id
    if date is not None:
        del message["Date"]
        message["Date"] = format_datetime(date)
    sent = mailbox.MaildirMessage(message.as_bytes(policy=policy.SMTP))
    sent.set_subdir("cur")
    sent.set_flags("S")
    mailbox.Maildir(str(root / "Sent"), factory=None, create=False).add(sent)
    path.unlink()
    return message  # type: ignore[return-value]


def deliver(root: Path, message: EmailMessage | bytes, folder: str = "INBOX") -> str:
    """Write ``message`` into ``folder/new`` (``Sent``: mail the user wrote by hand); returns
    its Maildir key."""
    raw = message if isinstance(message, bytes) else message.as_bytes(policy=policy.SMTP)
    return mailbox.Maildir(str(root / folder), factory=None, create=False).add(
        mailbox.MaildirMessage(raw))


def discard(root: Path, message_id: str) -> None:
    """The user deletes the draft ``message_id``."""
    _draft_path(root, message_id).unlink()
