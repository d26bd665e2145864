"""Configuration: TOML read once, validated into frozen typed objects.

Every problem is collected and reported at once, each with its key path; unknown keys are warned
about (a typo should not be silently ignored). Relative paths are relative to the config file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from automation.core.models import Availability, Cadence
from automation.errors import ConfigError, UserError
from automation.settings import (  # noqa: F401 (re-exported: `from automation.config import Me`)
    DAY_NAMES,
    DEFAULT_CONFIG,
    DEFAULT_OAUTH_PORT,
    DEFAULT_QUESTIONS,
    ENV_CONFIG,
    TIARA_QUESTIONS,
    Config,
    DaemonConfig,
    GoogleConfig,
    InterviewConfig,
    LocalConfig,
    Me,
    WebConfig,
)


def resolve_config_path(option: str | os.PathLike[str] | None) -> Path:
    """``--config`` if given, else ``$AUTOMATION_CONFIG``, else ``./config/automation.toml``."""
    if option:
        return Path(option)
    env = os.environ.get(ENV_CONFIG)
    return Path(env) if env else DEFAULT_CONFIG


def load_config(path: Path) -> Config:
    """Read and validate ``path``; raise ConfigError listing every problem."""
    if not path.exists():
        raise UserError(
            f"no configuration at {path}; create one with `automation init DIR` "
            f"and pass --config DIR/automation.toml (or set {ENV_CONFIG})"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read configuration {path}: {exc}") from exc
    return parse_config(raw, path)


class _Reader:
    """Pulls typed values out of nested dicts, recording problems instead of raising."""

    def __init__(self, raw: dict[str, Any], base: Path) -> None:
        self.raw = raw
        self.base = base
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.seen: dict[str, set[str]] = {}

    def section(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            self.problems.append(f"[{name}] must be a table")
            return {}
        return value

    def get(self, sec: str, key: str, kind: type | tuple[type, ...], default: Any,
            check: Callable[[Any], str | None] | None = None) -> Any:
        self.seen.setdefault(sec, set()).add(key)
        table = self.section(sec)
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) and kind is int:
            self.problems.append(f"{sec}.{key}: expected a whole number, got {value!r}")
            return default
        if not isinstance(value, kind):
            expected = getattr(kind, "__name__", "value")
            self.problems.append(f"{sec}.{key}: expected {expected}, got {value!r}")
            return default
        if check:
            message = check(value)
            if message:
                self.problems.append(f"{sec}.{key}: {message}")
                return default
        return value

    def path(self, sec: str, key: str, default: str) -> Path:
        value = Path(self.get(sec, key, str, default)).expanduser()
        return value if value.is_absolute() else (self.base / value)

    def zone(self, sec: str, key: str, default: str) -> ZoneInfo:
        name = self.get(sec, key, str, default)
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.problems.append(
                f"{sec}.{key}: unknown time zone {name!r}; use an IANA name such as "
                "'America/New_York' or 'Europe/Berlin'"
            )
            return ZoneInfo("UTC")

    def warn_unknown(self) -> None:
        for sec, table in self.raw.items():
            if sec not in KNOWN_SECTIONS:
                self.warnings.append(f"unknown section [{sec}] ignored")
                continue
            if isinstance(table, dict):
                for key in table:
                    if key not in self.seen.get(sec, set()):
                        self.warnings.append(f"unknown key {sec}.{key} ignored")


KNOWN_SECTIONS = (
    "me", "backend", "local", "google", "availability", "cadence", "templates", "interview",
    "daemon", "prep", "web",
)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _positive(value: int) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _horizon(value: int) -> str | None:
    # A horizon of 100,000,000 days overflowed the date arithmetic ("internal error").
    if value <= 0:
        return "must be greater than 0"
    return None if value <= 366 else "must be at most 366 (days ahead to offer slots)"


def _non_negative(value: int) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _parse_hours(r: _Reader, spans: list[Any],
                 key: str = "availability.hours") -> tuple[tuple[time, time], ...]:
    result = []
    for span in spans:
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", str(span))
        if not match:
            r.problems.append(f"{key}: {span!r} is not like \"09:00-12:00\"")
            continue
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
            r.problems.append(f"{key}: {span!r} is not a valid time range")
            continue
        start = time(h1, m1)
        end = time(23, 59, 59) if (h2, m2) == (24, 0) else time(h2, m2)
        if end <= start:
            r.problems.append(f"{key}: {span!r} ends before it starts")
            continue
        result.append((start, end))
    return tuple(result)


def _parse_days(r: _Reader, days: list[Any], key: str = "availability.days") -> tuple[int, ...]:
    result = []
    for day in days:
        name = str(day).strip().lower()[:3]
        if name not in DAY_NAMES:
            r.problems.append(f"{key}: {day!r} is not a day (use mon, tue, ...)")
            continue
        result.append(DAY_NAMES.index(name))
    return tuple(sorted(set(result)))


def _questions(r: _Reader) -> tuple[str, ...]:
    """The prep sheet's questions: ``[prep] questions``, else the older ``[interview]
    questions`` (existing config files keep their list), else the TIARA set."""
    older = r.get("interview", "questions", list, None)
    chosen = r.get("prep", "questions", list, older)
    if chosen is None:
        return DEFAULT_QUESTIONS
    return tuple(" ".join(str(q).split()) for q in chosen if str(q).strip())


def parse_config(raw: dict[str, Any], path: Path) -> Config:
    """Validate a parsed TOML document into a Config (see ``load_config``).

    Every problem is collected (``ConfigError`` lists them all); the sections are read in the
    order the file documents them, so the problems come in that order too.
    """
    r = _Reader(raw, path.parent)
    tz = r.zone("me", "timezone", "UTC")
    if "timezone" not in r.section("me"):
        r.problems.append("me.timezone: missing; set your IANA time zone, e.g. 'America/New_York'")
    me = _parse_me(r, tz)
    backend = r.get("backend", "kind", str, "local",
                    lambda v: None if v in ("local", "google") else "must be \"local\" or \"google\"")
    local = LocalConfig(
        maildir=r.path("local", "maildir", "mail"),
        calendar=r.path("local", "calendar", "calendar"),
        database=r.path("local", "database", "automation.db"),
    )
    google = _parse_google(r)
    availability, busy_ics = _parse_availability(r, tz)
    cadence = _parse_cadence(r)
    interview = InterviewConfig(
        location=r.get("interview", "location", str, InterviewConfig.location),
        questions=_questions(r),
        reminder_minutes=r.get("interview", "reminder_minutes", int, 15, _non_negative),
    )
    daemon = _parse_daemon(r)
    templates_dir = r.path("templates", "dir", "templates")
    if (r.raw.get("templates") or {}).get("dir", "templates") != "templates" and \
            not templates_dir.is_dir():
        # A misspelt folder would silently mean the shipped templates, not the user's (the
        # default name, which `init` writes, may be missing: the shipped ones, as always).
        r.problems.append(f"templates.dir: {templates_dir} is not a folder; fix the path, or "
                          "remove the key to use the shipped templates")
    web = _parse_web(r)
    r.warn_unknown()
    if r.problems:
        raise ConfigError(r.problems, str(path))
    return Config(
        path=path, me=me, backend=backend, local=local, google=google,
        availability=availability, busy_ics=busy_ics, cadence=cadence,
        templates_dir=templates_dir, interview=interview, daemon=daemon,
        warnings=tuple(r.warnings), web=web,
    )


def _parse_me(r: _Reader, tz: ZoneInfo) -> Me:
    email = r.get("me", "email", str, "", lambda v: None if _EMAIL.match(v) else
                  f"{v!r} is not an email address")
    if not email:
        r.problems.append("me.email: missing; the address your drafts are sent from")
    me = Me(
        name=r.get("me", "name", str, "") or email,
        email=email.lower(),
        timezone=tz,
        signature=r.get("me", "signature", str, ""),
        exploring=r.get("me", "exploring", str, ""),
        exploring_specifically=r.get("me", "exploring_specifically", str, ""),
    )
    return me


def _parse_google(r: _Reader) -> GoogleConfig:
    google = GoogleConfig(
        credentials=r.path("google", "credentials", "credentials.json"),
        token=r.path("google", "token", "token.json"),
        database=r.path("google", "database", "automation.db"),
        calendar_id=r.get("google", "calendar_id", str, "primary"),
        busy_calendars=tuple(r.get("google", "busy_calendars", list, ["primary"])),
        quota_units_per_minute=r.get("google", "quota_units_per_minute", int, 6000, _positive),
        meet=r.get("google", "meet", bool, False),
        api_endpoint=r.get("google", "api_endpoint", str, None),
    )
    if len(google.busy_calendars) > 50:
        r.problems.append("google.busy_calendars: at most 50 calendars (a Google limit)")
    return google


def _parse_availability(r: _Reader, tz: ZoneInfo) -> tuple[Availability, tuple[Path, ...]]:
    sec = "availability"
    availability = Availability(
        timezone=tz,
        days=_parse_days(r, r.get(sec, "days", list, ["mon", "tue", "wed", "thu", "fri"])),
        hours=_parse_hours(r, r.get(sec, "hours", list, ["09:00-12:00", "14:00-17:00"])),
        slot_minutes=r.get(sec, "slot_minutes", int, 10, _positive),
        buffer_minutes=r.get(sec, "buffer_minutes", int, 10, _non_negative),
        min_notice_hours=r.get(sec, "min_notice_hours", int, 24, _non_negative),
        horizon_days=r.get(sec, "horizon_days", int, 14, _horizon),
        offer_count=r.get(sec, "offer_count", int, 3, _positive),
        max_per_day=r.get(sec, "max_per_day", int, 2, _positive),
        # The contact's side, read in the contact's zone: a working day by default.
        contact_days=_parse_days(r, r.get(sec, "contact_days", list,
                                          ["mon", "tue", "wed", "thu", "fri"]),
                                 "availability.contact_days"),
        contact_hours=_parse_hours(r, r.get(sec, "contact_hours", list, ["08:30-18:00"]),
                                   "availability.contact_hours"),
        vary_time_of_day=r.get(sec, "vary_time_of_day", bool, True),
    )
    if not availability.days:
        r.problems.append("availability.days: no valid day; list at least one, e.g. [\"tue\"]")
    if not availability.hours:
        r.problems.append("availability.hours: no valid window; e.g. [\"09:00-12:00\"]")
    if not availability.contact_days or not availability.contact_hours:
        r.problems.append("availability.contact_days/contact_hours: no valid day or window; "
                          "the defaults are [\"mon\", ..., \"fri\"] and [\"08:30-18:00\"]")
    busy_ics = tuple(
        p if p.is_absolute() else r.base / p
        for p in (Path(str(x)).expanduser() for x in r.get(sec, "busy_ics", list, []))
    )
    return availability, busy_ics


def _parse_cadence(r: _Reader) -> Cadence:
    sec = "cadence"
    d = Cadence()
    cadence = Cadence(**{
        name: r.get(sec, name, int, getattr(d, name), _non_negative)
        for name in d.__dataclass_fields__
    })
    return cadence


def _parse_daemon(r: _Reader) -> DaemonConfig:
    digest = r.get("daemon", "digest_at", str, "08:00",
                   lambda v: None if re.fullmatch(r"\d{2}:\d{2}", v) else "use HH:MM")
    daemon = DaemonConfig(
        interval_seconds=r.get("daemon", "interval_seconds", int, 300, _positive),
        digest_at=time(int(digest[:2]) % 24, int(digest[3:]) % 60),
        digest_draft=r.get("daemon", "digest_draft", bool, False),
    )
    return daemon


def _parse_web(r: _Reader) -> WebConfig:
    return WebConfig(
        host=r.get("web", "host", str, WebConfig.host,
                   lambda v: None if v.strip() else "must not be empty (e.g. \"127.0.0.1\")"),
        port=r.get("web", "port", int, WebConfig.port,
                   lambda v: None if 0 < v < 65536 else "must be a port number, 1-65535"),
        password_file=r.path("web", "password_file", "web-password"),
        secure_cookie=r.get("web", "secure_cookie", bool, False),
    )
