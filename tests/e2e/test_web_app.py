"""The dashboard's guard rails, through ``automation web`` and Flask's test client on a real
workspace: the bind rule, the password file, cookies, CSRF, rate limits, headers, and
``/api/status`` being exactly ``status --json``."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from automation.config import load_config
from automation.interfaces.web import create_app
from automation.interfaces.web.security import (
    check_password,
    needs_password,
    password_hash,
    set_password,
)
from tests.support.workspace import REPO, Workspace

MONDAY = "2026-12-07T08:30:00-05:00"
PASSWORD = "correct horse battery"


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    workspace.ok("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
    workspace.ok("run", "--once", now=MONDAY)
    workspace.monkeypatch.setenv("AUTOMATION_NOW", MONDAY)
    return workspace


def client(ws: Workspace) -> Any:
    app = create_app(load_config(ws.config))
    app.config["TESTING"] = True
    return app.test_client()


def csrf(page: bytes) -> dict[str, str]:
    found = dict(re.findall(rb'name="(csrf_token|once)" value="([^"]+)"', page))
    return {k.decode(): v.decode() for k, v in found.items()}


def test_only_the_loopback_names_count_as_this_machine() -> None:
    assert not needs_password("127.0.0.1") and not needs_password("::1")
    assert not needs_password("localhost") and not needs_password("[::1]")
    for host in ("0.0.0.0", "127.0.0.2", "192.168.1.20", "::", "example.org"):
        assert needs_password(host), host


def test_web_refuses_another_address_without_a_password(ws: Workspace) -> None:
    result = ws.run("web", "--host", "127.0.0.2", "--port", "1")
    assert result.code == 1
    assert "refusing to listen on 127.0.0.2 without a password" in result.err
    assert "automation web --set-password" in result.err


def test_set_password_keeps_an_argon2_hash_owner_only(ws: Workspace) -> None:
    result = subprocess.run([sys.executable, "-m", "automation", "--config", str(ws.config),
                             "web", "--set-password"], input=PASSWORD + "\n", text=True,
                            capture_output=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    path = ws.root / "web-password"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = path.read_text()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert check_password(password_hash(path), PASSWORD)
    assert not check_password(password_hash(path), PASSWORD + "x")


def test_a_short_password_is_refused(ws: Workspace) -> None:
    with pytest.raises(Exception, match="at least 8 characters"):
        set_password(ws.root / "web-password", "short")


def test_a_password_file_others_can_read_is_refused(ws: Workspace) -> None:
    path = ws.root / "web-password"
    set_password(path, PASSWORD)
    path.chmod(0o644)
    with pytest.raises(Exception, match="chmod 600"):
        password_hash(path)


def test_api_status_is_exactly_status_json(ws: Workspace) -> None:
    expected = ws.ok("status", "--json", now=MONDAY).out
    response = client(ws).get("/api/status")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_data(as_text=True) == expected


def test_pages_send_a_strict_csp_and_no_caching(ws: Workspace) -> None:
    web = client(ws)
    for path in ("/", "/pipeline", "/contacts/priya.raman@example.com", "/import",
                 "/insights", "/health", "/login"):
        response = web.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        assert b"<script" not in response.data  # works without JavaScript


def test_a_post_without_the_csrf_token_is_refused(ws: Workspace) -> None:
    web = client(ws)
    page = web.get("/contacts/priya.raman@example.com").data
    tokens = csrf(page)
    response = web.post("/contacts/priya.raman@example.com/note",
                        data={"once": tokens["once"], "text": "hello"})
    assert response.status_code == 400
    assert b"expired" in response.data
    assert ws.contact("priya.raman@example.com")  # still there, unchanged
    shown = ws.ok("show", "priya.raman@example.com", "--json", now=MONDAY).json()
    assert shown["note"] == ""


def test_the_same_form_twice_notes_once(ws: Workspace) -> None:
    web = client(ws)
    form = {**csrf(web.get("/contacts/priya.raman@example.com").data), "text": "the advice"}
    first = web.post("/contacts/priya.raman@example.com/note", data=form)
    second = web.post("/contacts/priya.raman@example.com/note", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    timeline = ws.ok("show", "priya.raman@example.com", "--json", now=MONDAY).json()["timeline"]
    notes = [e for e in timeline if e["event"] == "note"]
    assert [e["cause"] for e in notes] == ["the advice (via web)"]
    assert b"Noted for Priya Raman" in web.get(first.headers["Location"]).data


def test_with_a_password_every_page_needs_a_login(ws: Workspace) -> None:
    set_password(ws.root / "web-password", PASSWORD)
    web = client(ws)
    response = web.get("/pipeline")
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert web.get("/api/status").status_code == 401
    login = web.get("/login?next=/pipeline")
    bad = web.post("/login", data={**csrf(login.data), "password": "nope", "next": "/pipeline"})
    assert bad.status_code == 401 and b"Wrong password" in bad.data
    good = web.post("/login", data={**csrf(login.data), "password": PASSWORD,
                                    "next": "/pipeline"})
    assert good.status_code == 303 and good.headers["Location"] == "/pipeline"
    cookie = good.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert web.get("/pipeline").status_code == 200


def test_the_login_never_redirects_elsewhere(ws: Workspace) -> None:
    set_password(ws.root / "web-password", PASSWORD)
    web = client(ws)
    for target in ("//evil.example/", "https://evil.example/", "javascript:alert(1)"):
        page = web.get(f"/login?next={target}")
        good = web.post("/login", data={**csrf(page.data), "password": PASSWORD,
                                        "next": target})
        assert good.headers["Location"] == "/", target


def test_login_attempts_are_rate_limited(ws: Workspace) -> None:
    set_password(ws.root / "web-password", PASSWORD)
    web = client(ws)
    tokens = csrf(web.get("/login").data)
    codes = [web.post("/login", data={**tokens, "password": f"guess {i}"}).status_code
             for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    # Even the right password waits now.
    assert web.post("/login", data={**tokens, "password": PASSWORD}).status_code == 429


def test_secure_cookie_behind_tls(ws: Workspace) -> None:
    ws.set_config("web", "secure_cookie", "true")
    set_password(ws.root / "web-password", PASSWORD)
    web = client(ws)
    tokens = csrf(web.get("/login").data)
    good = web.post("/login", data={**tokens, "password": PASSWORD})
    assert "Secure" in good.headers["Set-Cookie"]


def test_no_secret_is_ever_rendered(ws: Workspace) -> None:
    """The OAuth token, the password hash and the session secret never reach a page."""
    (ws.root / "token.json").write_text('{"token": "ya29.SECRET-ACCESS", '
                                        '"refresh_token": "1//SECRET-REFRESH"}')
    set_password(ws.root / "web-password", PASSWORD)
    web = client(ws)
    tokens = csrf(web.get("/login").data)
    web.post("/login", data={**tokens, "password": PASSWORD})
    secrets = [b"SECRET-ACCESS", b"SECRET-REFRESH", (ws.root / "web-password").read_bytes()
               .strip(), (ws.root / "web-secret").read_bytes()]
    for path in ("/", "/pipeline", "/contacts/priya.raman@example.com", "/import",
                 "/insights", "/health", "/api/status"):
        body = web.get(path).data
        assert not any(s in body for s in secrets), path


def test_web_config_section_is_validated(ws: Workspace) -> None:
    ws.set_config("web", "port", "70000")
    result = ws.run("web")
    assert result.code == 1 and "web.port: must be a port number" in result.err


def test_the_web_unit_is_hardened_like_the_daemon() -> None:
    def service(name: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        section = ""
        for line in (REPO / "config" / name).read_text().splitlines():
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                found.setdefault(key, []).append(value)
        return found

    daemon, web = service("automation.service"), service("automation-web.service")
    hardening = {k: v for k, v in daemon.items() if k not in ("ExecStart", "ExecReload")}
    for key, value in hardening.items():
        assert web.get(key) == value, key
    assert web["ExecStart"] == ["/opt/automation/.venv/bin/automation web"]


def test_uploaded_files_leave_nothing_behind(ws: Workspace, tmp_path: Path) -> None:
    web = client(ws)
    tokens = csrf(web.get("/import").data)
    data = {**tokens, "format": "auto", "tags": "", "referred_by": "",
            "file": (open(REPO / "config" / "example_referrals.csv", "rb"), "refs.csv")}
    response = web.post("/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    page = web.get(response.headers["Location"]).data
    assert b"imported" in page
    assert not list(ws.root.glob(".import-*"))


def _post(web: Any, path: str, page: str, **fields: str) -> Any:
    response = web.post(path, data={**csrf(web.get(page).data), **fields})
    assert response.status_code == 303, response.data
    return web.get(response.headers["Location"])


def test_book_reschedule_and_cancel_from_the_contact_page(ws: Workspace) -> None:
    """The contact page's actions are the CLI's use cases, each recorded "via web"."""
    web = client(ws)
    page = "/contacts/priya.raman@example.com"
    booked = _post(web, page + "/book", page, option="1")
    assert b"Booked Priya Raman" in booked.data
    moved = _post(web, page + "/reschedule", page, at="2026-12-16T15:30")
    assert b"Moved Priya Raman" in moved.data, re.findall(rb"notice[^>]*>([^<]*)", moved.data)
    shown = ws.ok("show", "priya.raman@example.com", "--json", now=MONDAY).json()
    assert datetime.fromisoformat(shown["interview"]["start"]) == \
        datetime.fromisoformat("2026-12-16T15:30:00-05:00")
    cancelled = _post(web, page + "/cancel", page, reason="a clash")
    assert b"Cancelled the interview" in cancelled.data
    shown = ws.ok("show", "priya.raman@example.com", "--json", now=MONDAY).json()
    assert shown["interview"]["status"] == "cancelled" and shown["status"] == "replied"
    causes = [e["cause"] for e in shown["timeline"]]
    assert "booked by hand via web" in causes
    assert any(c.startswith("rescheduled from") and c.endswith("via web") for c in causes)
    assert "cancelled: a clash (via web)" in causes


def test_a_taken_time_is_refused_with_the_next_free_slots(ws: Workspace) -> None:
    web = client(ws)
    page = "/contacts/priya.raman@example.com"
    refused = _post(web, page + "/book", page, at="2026-12-07T03:00")
    assert b"notice bad" in refused.data and b"is in the past" in refused.data
    assert ws.ok("show", "priya.raman@example.com", "--json", now=MONDAY).json()[
        "interview"] is None


def test_mark_and_refer_from_the_page_record_via_web(ws: Workspace) -> None:
    web = client(ws)
    page = "/contacts/priya.raman@example.com"
    _post(web, page + "/refer", page, name="Ana Silva", email="ana.silva@example.org",
          company="Clinic One")
    assert ws.contact("ana.silva@example.org")["referred_by"] == "priya.raman@example.com"
    _post(web, page + "/mark", page, status="declined", reason="not hiring")
    shown = ws.ok("show", "priya.raman@example.com", "--json", now=MONDAY).json()
    assert shown["status"] == "declined"
    assert "marked by hand: not hiring (via web)" in [e["cause"] for e in shown["timeline"]]
