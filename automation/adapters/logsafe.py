"""Belt and braces: scrub anything that looks like a credential out of log lines.

The code never logs a token, a secret or a message body at INFO. This filter sits on every
handler the CLI installs anyway, so a library (or a future bug) that prints an OAuth token, an
``Authorization: Bearer`` header or a ``refresh_token`` field still leaks nothing to journald.
"""

from __future__ import annotations

import logging

from automation.core.redact import MASK, redact

__all__ = ["MASK", "RedactingFilter", "install", "redact"]

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
