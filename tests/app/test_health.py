"""Tick health, backoff, the digest's timing and the log redaction, without processes."""

from __future__ import annotations

import sqlite3
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.clock import fixed_clock
from automation.adapters.logsafe import redact
from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.adapters.store import Store
from automation.app import health
from automation.app.digest import DIGEST_CURSOR, digest_due, send_digest
from automation.app.services import Services
from automation.app.tick import tick_guarded
from automation.bootstrap import open_services
from automation.config import load_config
from automation.errors import AuthError, BackendError, ConfigError, TemplateError
from automation.interfaces.cli.setup_cmds import CONFIG_TEMPLATE
from automation.interfaces.daemon import MAX_BACKOFF_SECONDS, backoff_seconds

NY = ZoneInfo("America/New_York")
MORNING = datetime(2026, 12, 7, 8, 30, tzinfo=NY)


def services(tmp_path: Path, now: datetime, **daemon: str) -> Services:
    config = tmp_path / "automation.toml"
    text = CONFIG_TEMPLATE.format(name="Alex Rivera", email="alex@example.org",
                                  timezone="America/New_York")
    if daemon:
        text += "\n[daemon]\n" + "".join(f"{k} = {v}\n" for k, v in daemon.items())
    config.write_text(text)
    return open_services(load_config(config), fixed_clock(now), mailbox=MemoryMailbox(),
                         calendar=MemoryCalendar())


def test_backoff_doubles_and_is_capped_at_thirty_minutes() -> None:
    assert [backoff_seconds(300, n) for n in (1, 2, 3)] == [600, 1200, 1800]
    assert backoff_seconds(300, 4) == MAX_BACKOFF_SECONDS == 1800
    assert backoff_seconds(1, 500) == MAX_BACKOFF_SECONDS  # no overflow after a long outage
    assert backoff_seconds(2, 1) == 4


@pytest.mark.parametrize(("exc", "fix"), [
    (AuthError("Google refused the token (invalid_grant)"), "automation auth"),
    (ConfigError(["me.email: missing"]), "SIGHUP"),
    (TemplateError("outreach.txt.j2", "missing field: x", 3), "templates check"),
    (BackendError("Google answered 503"), "retries with backoff"),
    (BackendError("the API is not enabled", retryable=False), "fix what the message says"),
    (sqlite3.OperationalError("disk I/O error"), "free disk space"),
    (KeyError("bug"), "report it"),
])
def test_every_failure_comes_with_a_fix(exc: BaseException, fix: str) -> None:
    error, advice = health.describe_failure(exc, data_dir="/var/lib/automation")
    assert fix in advice and error
    if isinstance(exc, KeyError):
        assert error.startswith("KeyError")


def test_failures_are_counted_redacted_and_cleared(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.db") as store:
        first = health.record_failure(store, "tick", "Bearer ya29.secret-token-value", "fix",
                                      MORNING)
        second = health.record_failure(store, "tick", "again", "fix", MORNING.replace(hour=9))
        assert (first["count"], second["count"]) == (1, 2)
        assert second["since"] == MORNING.isoformat()
        health.record_failure(store, "reload", "bad toml", "fix it", MORNING)
        assert [f["source"] for f in health.failing(store)] == ["tick", "reload"]
        assert "ya29" not in store.get_cursor(health.HEALTH_CURSOR)  # type: ignore[operator]
        health.clear_failure(store, "tick")
        assert [f["source"] for f in health.failing(store)] == ["reload"]
        health.set_warnings(store, ["busy.ics: cannot parse", "busy.ics: cannot parse"], MORNING)
        assert [f["source"] for f in health.failing(store)] == ["reload", "warning"]
        health.set_warnings(store, [], MORNING)
        assert [f["source"] for f in health.failing(store)] == ["reload"]


def test_tick_guarded_records_health_and_a_dry_run_records_nothing(tmp_path: Path) -> None:
    svc = services(tmp_path, MORNING)
    tick_guarded(svc, dry_run=True)
    assert svc.store.last_tick() is None
    tick_guarded(svc)
    last = svc.store.last_tick()
    assert last and last["outcome"] == "ok" and last["ended_at"] and last["error"] is None

    class Broken(MemoryCalendar):
        def busy(self, window):  # type: ignore[no-untyped-def]
            raise BackendError("calendar unreachable")

    svc.calendar = Broken()
    with pytest.raises(BackendError):
        tick_guarded(svc)
    last = svc.store.last_tick()
    assert last and last["outcome"] == "failed" and last["error"] == "calendar unreachable"
    (failure,) = health.failing(svc.store)
    assert failure["source"] == "tick" and "backoff" in failure["fix"]
    svc.close()


def test_the_digest_is_due_once_a_day_after_digest_at(tmp_path: Path) -> None:
    svc = services(tmp_path, MORNING, digest_at='"09:00"')
    assert svc.config.daemon.digest_at == time(9, 0)
    assert digest_due(svc, MORNING) is None  # 08:30 < 09:00
    nine = MORNING.replace(hour=9)
    assert digest_due(svc, nine) == nine.date()
    lines = send_digest(svc, nine, nine.date(), log_it=False)
    assert lines[-1].startswith("pipeline:")
    assert svc.store.get_cursor(DIGEST_CURSOR) == "2026-12-07"
    assert digest_due(svc, nine.replace(hour=23)) is None
    # 03:00 UTC on the 8th is still the 7th in New York: not due yet.
    assert digest_due(svc, datetime(2026, 12, 8, 3, 0, tzinfo=ZoneInfo("UTC"))) is None
    assert digest_due(svc, nine.replace(day=8)) == nine.replace(day=8).date()
    svc.close()


def test_a_digest_draft_is_created_once_per_day(tmp_path: Path) -> None:
    svc = services(tmp_path, MORNING, digest_draft="true")
    day = MORNING.date()
    send_digest(svc, MORNING, day)
    svc.store.set_cursor(DIGEST_CURSOR, None)  # as if the process died before marking the day
    send_digest(svc, MORNING, day)
    assert len(svc.mailbox.draft_message_ids()) == 1
    svc.close()


@pytest.mark.parametrize("text", [
    "Authorization: Bearer ya29.A0ARrdaM-abc_def",
    '{"access_token": "ya29.zzz", "refresh_token": "1//0gXYZ-abc", "client_secret": "GOCSPX-1"}',
    "POST /token refresh_token=1//0gXYZ-abc&client_secret=GOCSPX-1&grant_type=refresh_token",
    "http://localhost:8080/?state=s&code=4/0AX4XfWh-code&scope=x",
])
def test_redact_masks_credentials_and_keeps_the_rest(text: str) -> None:
    masked = redact(text)
    for secret in ("ya29.", "1//0gXYZ", "GOCSPX-1", "4/0AX4XfWh"):
        assert secret not in masked
    assert "[redacted]" in masked
    assert redact("status code: 404, pageToken=abc") == "status code: 404, pageToken=abc"
