"""Single-instance locks beside the database, holding the owner's pid.

Two locks, both ``flock`` on a file next to the SQLite database:

- the *daemon* lock (``automation.db.lock``), held by ``automation daemon`` for its lifetime, so a
  second daemon refuses to start ("already running (pid N)");
- the *tick* lock (``automation.db.tick.lock``), held for one tick by whoever runs it (the
  daemon or ``run --once``), so two ticks never interleave.

``flock`` is released by the kernel when the holder dies, even by SIGKILL: a stale file never
blocks a restart. The pid inside is informational (for messages and ``status``). Read commands
take no lock at all; SQLite WAL lets them read while a tick writes.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from automation.errors import AlreadyRunning

#: How long ``run --once`` waits for a tick in progress before giving up.
TICK_LOCK_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.05


def daemon_lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def tick_lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".tick.lock")


def read_pid(path: Path) -> int | None:
    """The pid written in a lock file, or None (no file, empty, or garbage)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` exists (signal 0 checks without sending anything)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


class PidLock:
    """An exclusive ``flock`` on ``path`` with the holder's pid written inside.

    ``acquire(wait)`` polls for up to ``wait`` seconds, then raises
    ``AlreadyRunning("already running (pid N)")``. Use as a context manager after acquiring.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, wait: float = 0.0) -> PidLock:
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + max(wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    holder = read_pid(self.path)
                    who = f"pid {holder}" if holder else "another process"
                    raise AlreadyRunning(
                        f"already running ({who}); wait for it to finish, or stop it "
                        "(`systemctl stop automation` or kill that pid)") from None
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        """Clear the pid (a stopped holder must not look alive) and unlock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> PidLock:
        if self._fd is None:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def is_locked(path: Path) -> bool:
    """Whether someone holds ``path`` now, probed with a shared, non-blocking, instant lock.

    The probe never waits and never writes, so a read command may use it freely.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def daemon_status(database: Path) -> dict[str, Any]:
    """``{"running": bool, "pid": int | None}`` for ``status`` (no lock is taken).

    Running means the pid in the lock file is alive *and* the lock is held, so neither a
    reused pid nor a leftover file after SIGKILL looks like a live daemon.
    """
    path = daemon_lock_path(database)
    pid = read_pid(path)
    running = pid_alive(pid) and is_locked(path)
    return {"running": running, "pid": pid if running else None}


class FileLocks:
    """The ``Locks`` port (app/ports/locks.py) over the lock files beside ``database``."""

    def __init__(self, database: Path) -> None:
        self.database = database

    @contextmanager
    def tick(self, wait: float | None = None) -> Iterator[None]:
        # The default is read at call time, so a test may shorten it.
        lock = PidLock(tick_lock_path(self.database)).acquire(
            TICK_LOCK_WAIT_SECONDS if wait is None else wait)
        try:
            yield
        finally:
            lock.release()

    def daemon_status(self) -> dict[str, Any]:
        return daemon_status(self.database)
