"""Failures of the machine, not of the program: what the user should do about each.

A locked, read-only, damaged or full database, a full disk, a file where a folder should be:
each is the user's to fix, and each interface (the CLI, the daemon's log) says how instead of
printing an "internal error". ``explain`` knows SQLite's result codes and the OS's errno
values; the database path travels on the exception as a note (``note_database``).
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

_NOTE = "database: "


def note_database(exc: BaseException, path: Path) -> None:
    """Attach the database's path to ``exc`` (once) so its explanation can name the file."""
    if not any(n.startswith(_NOTE) for n in getattr(exc, "__notes__", ())):
        exc.add_note(f"{_NOTE}{path}")


def _database(exc: BaseException) -> str:
    notes = [n for n in getattr(exc, "__notes__", ()) if n.startswith(_NOTE)]
    return notes[0][len(_NOTE):] if notes else "the database"


def _disk_full(where: str) -> bool:
    import shutil  # only when a write failed: shutil (bz2, lzma) costs every command's start-up

    folder = Path(where).parent if where != "the database" else Path.cwd()
    try:
        return shutil.disk_usage(folder).free < 1024 * 1024
    except OSError:
        return False


def _read_only(where: str) -> bool:
    """Whether the database file or its folder cannot be written (a read-only mount too)."""
    path = Path(where)
    return where != "the database" and path.parent.is_dir() and (
        not os.access(path.parent, os.W_OK) or path.exists() and not os.access(path, os.W_OK))


def explain(exc: BaseException) -> str | None:
    """What to do about ``exc``, or None if it is not a failure the user can fix."""
    if isinstance(exc, sqlite3.Error):
        return _explain_sqlite(exc)
    if isinstance(exc, OSError):
        return _explain_os(exc)
    return None


def _explain_sqlite(exc: sqlite3.Error) -> str | None:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    db = _database(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "is locked" in text:
        return (f"{db} is locked by another program (a second `automation`, a sqlite3 shell "
                "or a backup tool); close it or wait until it is done, then run again")
    if name.startswith("SQLITE_READONLY") or "readonly" in text or \
            name.startswith("SQLITE_CANTOPEN") and _read_only(db):
        return (f"{db} is read-only: make the file and its folder writable by this user "
                "(SQLite writes its journal beside it), then run again")
    if name.startswith("SQLITE_FULL") or "disk is full" in text or \
            name.startswith("SQLITE_IOERR") and _disk_full(db):
        return (f"the disk holding {db} is full: free some space, then run again (nothing "
                "was lost: the unfinished step was rolled back)")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or \
            "not a database" in text:
        return (f"{db} is damaged ({exc}): restore it from a backup, or move it aside and "
                "run `automation run --once --accept-new-database` after importing your "
                "contacts again")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return (f"cannot open {db}: check that its folder exists and is writable "
                "([local] database in the config)")
    return None


def _explain_os(exc: OSError) -> str | None:
    where = exc.filename or "a file"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full (writing {where}): free some space, then run again"
    if exc.errno == errno.EROFS or exc.errno == errno.EACCES or exc.errno == errno.EPERM:
        return f"cannot write {where}: {exc.strerror}; make it writable by this user"
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return (f"{where} is a file where a folder is expected: move the file away, or "
                "point the config at a folder")
    return None
