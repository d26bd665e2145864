"""What keeps the dashboard private: the password, the bind rule, one-time form tokens.

The page holds someone's contacts and calendar, so:

- only 127.0.0.1, ::1 and localhost count as "this machine" (``needs_password``): any other
  address, even another one in 127/8, is reachable by something else and needs a password;
- the password is kept as an argon2id hash (argon2-cffi) in a file of mode 0600, and the
  session-signing secret beside it, also 0600, so sessions survive a restart;
- every form carries a one-time token (``FormTokens``): a second submission of the same form
  (a double click, a reload after POST) does not run the action again but waits for the first
  one and gets the same answer.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from automation.errors import UserError

LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


def needs_password(host: str) -> bool:
    """Whether binding ``host`` exposes the page beyond this machine's own loopback name."""
    return host.strip().lower().strip("[]") not in LOCAL_HOSTS


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 from the first byte (atomic replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def set_password(path: Path, password: str) -> None:
    """Store the argon2id hash of ``password`` in ``path`` (mode 0600)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password is too short; use at least {MIN_PASSWORD_LENGTH} "
                        "characters (a few words work well)")
    _write_private(path, (_hasher.hash(password) + "\n").encode("ascii"))


def password_hash(path: Path) -> str | None:
    """The stored hash, or None when no password was set. A file anyone else may read is
    refused: the hash would let them guess the password offline."""
    try:
        mode = path.stat().st_mode & 0o077
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the web password file {path}: {exc}; set it again with "
                        "`automation web --set-password`") from exc
    if mode:
        raise UserError(f"{path} is readable by others; run `chmod 600 {path}`")
    return text or None


def check_password(stored: str | None, attempt: str) -> bool:
    """Whether ``attempt`` matches the stored hash (False when there is none)."""
    if not stored:
        return False
    try:
        return _hasher.verify(stored, attempt)
    except (VerificationError, InvalidHashError):
        return False


def session_secret(path: Path) -> bytes:
    """The secret that signs session cookies, created (0600) on first use."""
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    data = secrets.token_bytes(32)
    _write_private(path, data)
    return data


@dataclass
class _Use:
    done: threading.Event = field(default_factory=threading.Event)
    result: str | None = None  # where the first submission redirected to
    ok: bool = True
    message: str = ""


class FormTokens:
    """One-time tokens for action forms, kept in memory for ``ttl`` seconds.

    ``issue()`` makes a token for a rendered form. ``claim(token)`` returns ``(first, use)``:
    the first claim runs the action and calls ``finish(use, url)``; a later claim of the same
    token waits for that and is sent to the same ``use.result``. An unknown token (expired, or
    from before a restart) is refused with a message saying to reload.
    """

    def __init__(self, ttl: float = 6 * 3600) -> None:
        self.ttl = ttl
        self._issued: dict[str, float] = {}
        self._used: dict[str, _Use] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._prune(time.monotonic())
            self._issued[token] = time.monotonic()
        return token

    def claim(self, token: str) -> tuple[bool, _Use]:
        with self._lock:
            if token in self._used:
                return False, self._used[token]
            if self._issued.pop(token, None) is None:
                raise UserError("this form has expired (or the server restarted); reload the "
                                "page and try again")
            use = self._used[token] = _Use()
            return True, use

    @staticmethod
    def finish(use: _Use, result: str, ok: bool, message: str) -> None:
        use.result, use.ok, use.message = result, ok, message
        use.done.set()

    def notice(self, token: str) -> tuple[bool, str] | None:
        """``(ok, message)`` of the finished action submitted with ``token``, if any."""
        with self._lock:
            use = self._used.get(token)
        return (use.ok, use.message) if use is not None and use.done.is_set() else None

    def _prune(self, now: float) -> None:
        for token in [t for t, at in self._issued.items() if now - at > self.ttl]:
            del self._issued[token]
        if len(self._used) > 10_000:  # finished uses only matter for a few seconds
            for token in [t for t, u in self._used.items() if u.done.is_set()][:5_000]:
                del self._used[token]
