"""``automation auth`` and ``automation doctor`` through the command line, against the fake.

The OAuth flow runs for real: ``run_local_server`` listens on a free port in a thread, the test
plays the browser (Google's consent screen redirects to ``http://localhost:PORT/?code=…``) and
the fake's ``/token`` exchanges the code.
"""

from __future__ import annotations

import getpass
import json
import socket
import stat
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from automation.adapters.google.auth import SCOPES
from tests.support.fakegoogle import FakeGoogle
from tests.support.googlekit import write_client_secrets, write_token
from tests.support.workspace import Result, Workspace


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle(email="alex@example.org") as running:
        yield running
    assert running.internal_errors == [] and running.send_attempts == 0


def use_google(ws: Workspace, fake: FakeGoogle) -> None:
    ws.set_config("backend", "kind", '"google"')
    ws.set_config("google", "api_endpoint", f'"{fake.base_url}"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def wait_for_url(ws: Workspace, seen: list[str], timeout: float = 10.0) -> str:
    """The authorization URL ``auth`` printed (read off the captured output as it comes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen.append(ws.capsys.readouterr().out)
        for line in "".join(seen).splitlines():
            if "/auth?" in line:
                return line.strip()
        time.sleep(0.05)
    raise AssertionError(f"no authorization URL printed: {''.join(seen)!r}")


def test_auth_over_ssh_tunnel_writes_a_0600_token(workspace: Workspace, fake: FakeGoogle,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake's /token is plain http
    use_google(workspace, fake)
    write_client_secrets(fake, workspace.root / "credentials.json")
    port = free_port()
    result: list[Result] = []
    worker = threading.Thread(target=lambda: result.append(
        workspace.run("auth", "--port", str(port))), daemon=True)
    worker.start()
    printed: list[str] = []
    url = wait_for_url(workspace, printed)
    query = parse_qs(urlsplit(url).query)
    scopes = query["scope"][0].split()
    assert sorted(scopes) == sorted(SCOPES)  # exactly these: nothing that can send mail
    assert query["redirect_uri"] == [f"http://localhost:{port}/"]
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    text = "".join(printed)
    assert f"ssh -L {port}:localhost:{port} {getpass.getuser()}@{socket.gethostname()}" in text

    # The browser, after consent: Google redirects to the tunnelled port with a code.
    code = fake.authorization_code(scopes, query["code_challenge"][0])
    redirect = f"http://localhost:{port}/?" + urlencode(
        {"state": query["state"][0], "code": code, "scope": " ".join(scopes)})
    with urllib.request.urlopen(redirect, timeout=10) as page:
        assert b"Authorized" in page.read()
    worker.join(timeout=20)
    assert result and result[0].code == 0, result
    assert "Token saved" in result[0].out + "".join(printed)

    token = workspace.root / "token.json"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    saved = json.loads(token.read_text())
    assert saved["refresh_token"].startswith("1//fake-refresh-")
    assert sorted(saved["scopes"]) == sorted(SCOPES)
    assert fake.granted_scopes == set(SCOPES)
    assert [c for c in workspace.root.iterdir() if c.name.startswith(".token")] == []
    doctor = workspace.run("doctor")  # the new token works against both APIs
    assert doctor.code == 0, doctor.out + doctor.err


def test_auth_without_credentials_says_where_to_put_them(workspace: Workspace,
                                                         fake: FakeGoogle) -> None:
    use_google(workspace, fake)
    result = workspace.run("auth", "--port", str(free_port()))
    assert result.code == 1
    assert f"no credentials.json at {workspace.root / 'credentials.json'}" in result.err
    assert "Desktop app" in result.err and "Traceback" not in result.err


def test_doctor_on_a_healthy_google_setup(workspace: Workspace, fake: FakeGoogle) -> None:
    use_google(workspace, fake)
    write_token(fake, workspace.root / "token.json")
    result = workspace.run("doctor")
    assert result.code == 0, result.out
    for name in ("config", "templates", "token", "gmail", "calendar"):
        assert any(line.startswith("ok") and f" {name} " in line
                   for line in result.out.splitlines()), (name, result.out)
    assert "alex@example.org" in result.out and "Everything looks right." in result.out
    assert fake.call_count("getProfile") == 1 and fake.call_count("freebusy.query") == 1


def test_doctor_finds_what_is_wrong(workspace: Workspace, fake: FakeGoogle) -> None:
    use_google(workspace, fake)
    workspace.set_config("me", "email", '"someone.else@example.org"')
    workspace.set_config("google", "busy_calendars", '["primary", "team@example.org"]')
    token = workspace.root / "token.json"
    write_token(fake, token)
    token.chmod(0o644)
    result = workspace.run("doctor")
    assert result.code == 1
    assert "readable by others" in result.out and f"chmod 600 {token}" in result.out
    token.chmod(0o600)
    result = workspace.run("doctor")
    assert result.code == 1
    assert "the token is for alex@example.org but [me] email is someone.else@example.org" \
        in result.out
    assert "busy calendar 'team@example.org': notFound" in result.out
    assert "2 problem(s) found." in result.out


def test_without_credentials_every_command_fails_cleanly(workspace: Workspace,
                                                         fake: FakeGoogle) -> None:
    use_google(workspace, fake)
    where = workspace.root / "credentials.json"
    expected = (f"no credentials.json at {where}: download an OAuth client (Desktop app) from "
                "Google Cloud Console")
    doctor = workspace.run("doctor")
    assert doctor.code == 1 and expected in doctor.out
    assert "skipped" in doctor.out and "Traceback" not in doctor.out + doctor.err
    for command in (["run", "--once"], ["run", "--once", "--dry-run"]):
        result = workspace.run(*command)
        assert result.code == 1, command
        assert expected in result.err and "then run `automation auth`" in result.err
        assert "Traceback" not in result.err + result.out and "internal error" not in result.err


def test_revoked_token_in_doctor(workspace: Workspace, fake: FakeGoogle) -> None:
    use_google(workspace, fake)
    refresh = write_token(fake, workspace.root / "token.json")
    fake.revoke_refresh_token(refresh)
    fake.expire_access_tokens()
    result = workspace.run("doctor")
    assert result.code == 1
    assert "invalid_grant" in result.out and "7 days" in result.out
    assert "publish" in result.out.lower() and "automation auth" in result.out


def test_doctor_on_the_local_backend(workspace: Workspace) -> None:
    assert workspace.run("doctor").code == 0
    (workspace.root / "mail" / "Sent" / "tmp").rmdir()
    result = workspace.run("doctor")
    assert result.code == 1 and "Sent/tmp" in result.out


def test_token_file_written_by_refresh_stays_0600(workspace: Workspace, fake: FakeGoogle,
                                                  tmp_path: Path) -> None:
    use_google(workspace, fake)
    token = workspace.root / "token.json"
    write_token(fake, token)  # no expiry in the file: refreshed (and saved) on first use
    assert workspace.run("doctor").code == 0
    assert fake.call_count("oauth2.token") == 1
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert "expiry" in json.loads(token.read_text())
    assert workspace.run("doctor").code == 0
    assert fake.call_count("oauth2.token") == 1  # the saved token is still valid: no refresh
