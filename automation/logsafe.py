"""Belt and braces: scrub anything that looks like a credential out of log lines.

The code never logs a token, a secret or a message body at INFO. This filter sits on every
handler the CLI installs anyway, so a library (or a future bug) that prints an OAuth token, an
``Authorization: Bearer`` header or a ``refresh_token`` field still leaks nothing to journald.
"""

from __future__ import annotations

import logging
import re

MASK = "[redacted]"

_PATTERNS = [
    # Authorization headers: keep the scheme, hide the credential.
    re.compile(r"(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}"),
    # Google access tokens (ya29.…) and refresh tokens (1//…).
    re.compile(r"\bya29\.[A-Za-z0-9._-]+"),
    re.compile(r"(?<![\w/])1//[A-Za-z0-9._-]{8,}"),
    # key=value, key: value and "key": "value" for secret-bearing keys.
    re.compile(r"(?i)((?<![A-Za-z0-9])\"?(?:access_token|refresh_token|id_token|client_secret"
               r"|token|password|secret|assertion)\"?\s*[:=]\s*\"?)[^\"&\s,}]+"),
    # An OAuth authorization code in a redirect URL.
    re.compile(r"([?&]code=)[^&\s]+"),
]


def redact(text: str) -> str:
    """``text`` with every credential-looking substring replaced by ``[redacted]``."""
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        else:
            text = pattern.sub(MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) through ``redact``; drops none."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the record, as logging would
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add the filter to every handler of ``logger`` (the root logger by default)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
