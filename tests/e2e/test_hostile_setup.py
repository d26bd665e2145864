"""`automation init` flags and the digest's log lines, as hostile input found them."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest

from automation.interfaces.cli import main


def init(tmp_path: Path, *args: str) -> tuple[int, Path]:
    root = tmp_path / "ws"
    try:
        main(["init", str(root), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, root / "automation.toml"


def test_init_writes_valid_toml_for_a_name_with_quotes(tmp_path: Path) -> None:
    code, config = init(tmp_path, "--name", 'Alex "AJ" Rivera \\ Jr.')
    assert code == 0
    me = tomllib.loads(config.read_text())["me"]
    assert me["name"] == me["signature"] == 'Alex "AJ" Rivera \\ Jr.'


@pytest.mark.parametrize("email", ["alex@example.org\n[backend]\nkind = \"google\"",
                                   "not an address", "a..b@example.org"])
def test_init_refuses_an_email_that_is_not_one_address(tmp_path: Path, email: str,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    code, config = init(tmp_path, "--email", email)
    assert code == 1 and not config.exists()
    assert "is not a valid address" in capsys.readouterr().err


def test_a_newline_in_the_name_adds_no_line_to_the_config(tmp_path: Path) -> None:
    code, config = init(tmp_path, "--name", "Alex\nsignature = \"evil\"")
    assert code == 0
    me = tomllib.loads(config.read_text())["me"]
    assert me["name"] == me["signature"] == 'Alex signature = "evil"'


def test_the_digest_never_logs_reply_text_at_info(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from automation.app.digest import send_digest
    from tests.support.memworld import add_contact, open_world

    now = datetime(2026, 12, 8, 9, tzinfo=ZoneInfo("America/New_York"))
    svc = open_world(tmp_path, now)
    contact = add_contact(svc, "p@example.com")
    svc.store.flag(contact.id or 0, "reply needs you: Private: my cell is 555-0100", now)
    with caplog.at_level(logging.DEBUG, logger="automation"):
        send_digest(svc, now, now.date())
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("p@example.com" in m and "reply needs you" in m for m in info), info
    assert not [m for m in info if "555-0100" in m]


def test_contacts_beyond_the_daily_cap_wait_quietly(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """With the default config, 94 of 100 new contacts were flagged "no free slots" although
    the daily cap (10) meant most would not be drafted today anyway."""
    from tests.support.workspace import Workspace, write_csv

    code, _ = init(tmp_path)
    assert code == 0
    monkeypatch.setenv("AUTOMATION_NOW", "2026-12-07T08:30:00-05:00")
    ws = Workspace(tmp_path / "ws", capsys, monkeypatch)
    rows = [f"P{i},Q{i},p{i}@example.com,Co {i},Role,America/New_York," for i in range(100)]
    ws.ok("import", str(write_csv(tmp_path / "many.csv", rows)))
    ws.ok("run", "--once")
    contacts = ws.ok("contacts", "--json").json()
    drafted = [c for c in contacts if c["status"] == "drafted"]
    flagged = [c for c in contacts if c["needs_attention"]]
    assert drafted and len(drafted) + len(flagged) <= 10, (len(drafted), len(flagged))
    assert sum(1 for c in contacts if c["status"] == "new" and not c["needs_attention"]) >= 90
