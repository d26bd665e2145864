"""Tick health: what failed, why, and what the user should do about it.

Each tick records its start, end, outcome and counts in the ``ticks`` table. What is *failing
now* (a revoked token, an unreachable API, a config that did not reload, a broken template) is
kept as a small JSON list in the ``cursors`` table under ``health``, so ``automation status``
(another process, which takes no lock) can show it with its fix. Every entry is redacted: a
token in an exception message never reaches the database or the screen.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from automation.app.ports import Store
from automation.core.redact import redact
from automation.errors import AuthError, BackendError, ConfigError, TemplateError

HEALTH_CURSOR = "health"


def describe_failure(exc: BaseException, *, data_dir: str = "") -> tuple[str, str]:
    """``(error, fix)``: a one-line, redacted description and what the user should do."""
    error = redact(f"{exc}" or type(exc).__name__)
    if isinstance(exc, AuthError):
        fix = ("authorize again: run `automation auth` (or copy a fresh token file); a "
               "running daemon retries by itself, or at once on SIGHUP. An app left in "
               "Testing gets refresh tokens that die after 7 days")
    elif isinstance(exc, ConfigError):
        fix = ("fix the configuration file; the daemon keeps the previous one until it loads "
               "cleanly (then send SIGHUP, or `systemctl reload automation`)")
    elif isinstance(exc, TemplateError):
        fix = "edit the template, check it with `automation templates check`; the next tick retries"
    elif isinstance(exc, BackendError):
        fix = ("the mail or calendar backend is failing; the daemon retries with backoff. Check "
               "the network, or the [local] folders and their permissions"
               if exc.retryable else "fix what the message says; the daemon retries later")
    elif isinstance(exc, (sqlite3.Error, OSError)):
        where = f" of {data_dir}" if data_dir else ""
        fix = f"check free disk space and the permissions{where}; the daemon retries later"
    else:
        error = f"{type(exc).__name__}: {error}"
        fix = "an internal error: run with --log-level debug and report it; it retries later"
    return error, fix


def failing(store: Store) -> list[dict[str, Any]]:
    """The stored list of what is failing now (empty when all is well)."""
    raw = store.get_cursor(HEALTH_CURSOR)
    try:
        value = json.loads(raw) if raw else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _save(store: Store, items: list[dict[str, Any]]) -> None:
    with store.transaction():
        store.set_cursor(HEALTH_CURSOR, json.dumps(items) if items else None)


def record_failure(store: Store, source: str, error: str, fix: str, now: datetime, *,
                   retry_at: datetime | None = None) -> dict[str, Any]:
    """Record (or update) the failure of ``source``; returns the entry with its count."""
    items = failing(store)
    previous = next((i for i in items if i.get("source") == source), None)
    entry = {
        "source": source,
        "error": redact(error),
        "fix": fix,
        "since": previous["since"] if previous else now.isoformat(),
        "count": (previous or {}).get("count", 0) + 1,
        "retry_at": retry_at.isoformat() if retry_at else None,
    }
    _save(store, [i for i in items if i.get("source") != source] + [entry])
    return entry


def set_retry_at(store: Store, source: str, when: datetime) -> None:
    """Note when the daemon will try ``source`` again (shown by ``status``)."""
    items = failing(store)
    for item in items:
        if item.get("source") == source:
            item["retry_at"] = when.isoformat()
    _save(store, items)


def clear_failure(store: Store, source: str) -> None:
    """``source`` works again: drop its entry (no write when there is none)."""
    items = failing(store)
    kept = [i for i in items if i.get("source") != source]
    if len(kept) != len(items):
        _save(store, kept)


def set_warnings(store: Store, problems: list[str], now: datetime) -> None:
    """Replace the tick's non-fatal problems (a bad busy_ics file, an unreadable message)."""
    items = [i for i in failing(store) if i.get("source") != "warning"]
    for problem in dict.fromkeys(problems):
        items.append({"source": "warning", "error": redact(problem),
                      "fix": "see the message; the rest of the tick went on",
                      "since": now.isoformat(), "count": 1, "retry_at": None})
    if items or failing(store):
        _save(store, items)


def template_failures(store: Store) -> list[dict[str, Any]]:
    """Contacts flagged with a template error, grouped by message (derived, never stored)."""
    groups: dict[str, int] = {}
    for contact in store.flagged_contacts():
        reason = contact.needs_attention or ""
        if reason.startswith("template error"):
            groups[reason] = groups.get(reason, 0) + 1
    return [{"source": "template", "error": f"{reason} ({n} contact(s) waiting)",
             "fix": "edit the template, check it with `automation templates check`; "
                    "the next tick retries", "since": None, "count": n, "retry_at": None}
            for reason, n in groups.items()]
