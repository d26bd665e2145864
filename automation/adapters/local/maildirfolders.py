"""The Maildir tree's folders, made and listed without the stdlib's ``mailbox`` module.

``mailbox`` imports email.message and email.generator, socket and calendar (~42 M instructions
of a start): an idle pass, whose folders hold nothing new, only makes sure they are there and
lists them. Reading or writing a message uses ``mailbox`` (``maildir``, ``maildirwrite``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["COLON", "FOLDERS", "ensure_maildir", "listed"]

FOLDERS = ("Drafts", "Sent", "INBOX")

#: A Maildir file's name is its key, then this, then its flags (``mailbox.Maildir.colon``).
COLON = ":"


def ensure_maildir(root: Path) -> None:
    """Create ``root/{Drafts,Sent,INBOX}/{cur,new,tmp}`` if missing (mode 0700)."""
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in FOLDERS:
        _create_folder(root / name)
    root.chmod(0o700)


def _create_folder(path: Path) -> None:
    """``mailbox.Maildir(path, create=True)``'s creation, without importing ``mailbox``: a
    folder that is not there is made with its ``tmp``, ``new`` and ``cur`` (mode 0700); one
    that is there is left as it is (a broken one is reported when it is used)."""
    if not os.path.exists(path):
        os.mkdir(path, 0o700)
        for sub in ("tmp", "new", "cur"):
            os.mkdir(path / sub, 0o700)


def listed(folder: Path | str) -> dict[str, str]:
    """Each message's key and file in the Maildir ``folder``, as ``mailbox.Maildir``'s
    ``iterkeys()`` and ``_file_of`` give them (``cur/`` then ``new/``, in directory order; the
    key is the name up to its first ``COLON``; a folder inside is no message), from one
    ``scandir`` of each: ``mailbox`` stats every file to tell a folder apart (the entry's type
    tells it without one), and again to look it up. Raises OSError as ``mailbox`` does."""
    found: dict[str, str] = {}
    for sub in ("cur", "new"):  # mailbox's order: a key in both is the one in new/
        with os.scandir(os.path.join(folder, sub)) as entries:
            for entry in entries:
                if not entry.is_dir():
                    found[entry.name.split(COLON)[0]] = entry.path
    return found
