"""Config validation and the clock override: every problem named by its key path."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.clock import parse_now
from automation.config import parse_config
from automation.errors import ConfigError, UserError

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
MINIMAL = {"me": {"name": "Alex Rivera", "email": "alex@example.org",
                  "timezone": "America/New_York"}}


def config(tmp_path: Path, **sections):
    raw = {**MINIMAL, **sections}
    return parse_config(raw, tmp_path / "automation.toml")


def test_config_reports_every_problem_with_its_key_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"me": {"email": "nope", "timezone": "Mars/Olympus"},
                      "backend": {"kind": "outlook"},
                      "availability": {"hours": ["9-12"], "days": ["funday"],
                                       "slot_minutes": 0},
                      "cadence": {"hold_days": "three"}}, tmp_path / "c.toml")
    text = str(info.value)
    for key in ("me.email", "me.timezone", "backend.kind", "availability.hours",
                "availability.days", "availability.slot_minutes", "cadence.hold_days"):
        assert key in text, key
    assert len(info.value.problems) >= 7


def test_config_defaults_paths_and_unknown_keys(tmp_path: Path) -> None:
    cfg = config(tmp_path, local={"maildir": "m", "databse": "x"}, extra={"a": 1})
    assert cfg.local.maildir == tmp_path / "m"
    assert cfg.database == tmp_path / "automation.db"
    assert cfg.availability.offer_count == 3 and cfg.availability.slot_minutes == 10
    assert "unknown key local.databse ignored" in cfg.warnings
    assert "unknown section [extra] ignored" in cfg.warnings
    assert cfg.availability.timezone == NY


def test_varied_times_of_day_are_on_unless_a_config_says_false(tmp_path: Path) -> None:
    """On by default; a config that sets the key keeps its value (one written by ``init``
    while the default was off says false, and keeps the earliest-first offer)."""
    assert config(tmp_path).availability.vary_time_of_day is True
    for value in (True, False):
        written = config(tmp_path, availability={"vary_time_of_day": value})
        assert written.availability.vary_time_of_day is value


def test_clock_override_needs_an_offset() -> None:
    assert parse_now("2026-12-07T08:30:00-05:00") == NOW
    with pytest.raises(UserError, match="no UTC offset"):
        parse_now("2026-12-07T08:30:00")
    with pytest.raises(UserError, match="not an ISO 8601"):
        parse_now("next monday")
