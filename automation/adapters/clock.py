"""The clock. The core never reads the wall clock: it is handed a ``Clock``.

``AUTOMATION_NOW`` (ISO 8601 with an offset) overrides "now" everywhere, for tests, replays and
"what would happen on Monday?". It is read at every call so a long-running daemon picks up a
changed environment in tests, and so a real clock keeps moving.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from automation.core.models import Clock
from automation.errors import UserError

__all__ = ["ENV_NOW", "Clock", "fixed_clock", "parse_now", "system_clock"]


ENV_NOW = "AUTOMATION_NOW"


def parse_now(value: str) -> datetime:
    """Parse an ``AUTOMATION_NOW`` value; it must carry a UTC offset."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise UserError(
            f"{ENV_NOW}={value!r} is not an ISO 8601 time; use e.g. 2026-12-07T08:30:00-05:00"
        ) from exc
    if parsed.tzinfo is None:
        raise UserError(
            f"{ENV_NOW}={value!r} has no UTC offset; add one, e.g. {value.strip()}-05:00 or Z"
        )
    return parsed


def system_clock() -> datetime:
    """Now, as an aware datetime: ``$AUTOMATION_NOW`` if set, else the real time in UTC."""
    override = os.environ.get(ENV_NOW)
    if override:
        return parse_now(override)
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock frozen at ``moment`` (aware), for tests."""
    if moment.tzinfo is None:
        raise ValueError("fixed_clock needs an aware datetime")
    return lambda: moment
