"""The error hierarchy. The CLI maps each to a message and an exit code in one place.

A ``UserError`` is something the user can fix; its message says what to do and is printed
without a traceback.
"""

from __future__ import annotations

from typing import Any


class Error(Exception):
    """Root of every error this package raises on purpose."""


class UserError(Error):
    """A problem the user can fix (bad input, missing file, wrong option); exit code 1."""


class ConfigError(UserError):
    """The configuration has one or more problems; ``problems`` lists them all."""

    def __init__(self, problems: list[str], path: str = "") -> None:
        self.problems = list(problems)
        self.path = path
        where = f" in {path}" if path else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"configuration has {len(self.problems)} problem(s){where}:\n{lines}")


class TemplateError(UserError):
    """A template failed to render; names the template, line and missing field."""

    def __init__(self, template: str, message: str, line: int | None = None) -> None:
        self.template = template
        self.line = line
        self.detail = message
        at = f" line {line}" if line else ""
        super().__init__(f"template {template}{at}: {message}")


class BackendError(Error):
    """A mail or calendar backend failed; ``retryable`` says whether a later tick may succeed."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class AuthError(UserError, BackendError):
    """Credentials are missing, expired or revoked; the message says how to fix it."""

    def __init__(self, message: str) -> None:
        UserError.__init__(self, message)
        self.retryable = False


class SlotTakenError(UserError):
    """A requested interview time is not free; ``alternatives`` lists the next free slots."""

    def __init__(self, message: str, alternatives: list[Any] | None = None) -> None:
        super().__init__(message)
        self.alternatives = list(alternatives or [])


class AlreadyRunning(UserError):
    """Another daemon or tick holds the lock."""
