"""RFC 3339 times and busy intervals as Calendar handles them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import bad_request


def parse_rfc3339(value: str) -> datetime:
    """An aware datetime; Calendar refuses times without an offset."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise bad_request("Bad Request", reason="badRequest") from None
    if parsed.tzinfo is None:
        raise bad_request("Bad Request", reason="badRequest")
    return parsed


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(f"Invalid time zone definition: {name}", reason="invalid") from None


def edge(when: dict | None, which: str, calendar_tz: str) -> datetime:
    """An event's ``start``/``end`` object as an aware datetime (400 like Calendar if unusable)."""
    if not when or not (when.get("dateTime") or when.get("date")):
        raise bad_request(f"Missing {which} time.", reason="required")
    if when.get("date"):
        day = date.fromisoformat(when["date"])
        return datetime.combine(day, time(), tzinfo=zone(when.get("timeZone"), calendar_tz))
    try:
        parsed = datetime.fromisoformat(when["dateTime"])
    except ValueError:
        raise bad_request(f"Invalid {which} time.", reason="invalid") from None
    if parsed.tzinfo is None:
        if not when.get("timeZone"):
            raise bad_request(f"Missing time zone definition for {which} time.", "required")
        parsed = parsed.replace(tzinfo=zone(when["timeZone"]))
    return parsed


def to_aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        return parse_rfc3339(value)
    if value.tzinfo is None:
        raise ValueError("busy blocks need aware datetimes")
    return value


def fmt(value: datetime, tz: str | None = None) -> str:
    if tz:
        return value.astimezone(zone(tz)).isoformat()
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
