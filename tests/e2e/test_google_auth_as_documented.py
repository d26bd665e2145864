"""OAuth, token-endpoint and error-body behaviour as Google documents it, through the CLI.

Cases 7, 8, 9 and 11 of the real-Google issue: partial consent, a token endpoint that has a
bad moment, error bodies with ``details`` as well as ``errors``, and the truth about scopes.
The real google-api-python-client, google-auth and oauthlib talk to the loopback fake.
"""

from __future__ import annotations

import threading
import types
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import google.auth._exponential_backoff as backoff
import googleapiclient.http
import pytest

from automation.adapters.google.auth import SCOPES
from automation.adapters.google.http import Pacer
from automation.errors import BackendError
from tests.e2e.test_google_auth_cli import free_port, use_google, wait_for_url
from tests.support.fakegoogle import FakeGoogle
from tests.support.googlekit import open_on_fake, write_client_secrets, write_token
from tests.support.workspace import Result, Workspace

READONLY = "https://www.googleapis.com/auth/gmail.readonly"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both libraries still retry (the fake counts it); they only do not sleep between tries.
    monkeypatch.setattr(googleapiclient.http, "random", types.SimpleNamespace(random=lambda: 0.0))
    monkeypatch.setattr(backoff, "time", types.SimpleNamespace(sleep=lambda s: None))


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle(email="alex@example.org") as running:
        yield running
    assert running.internal_errors == [] and running.send_attempts == 0


def test_partial_consent_names_the_missing_scope(workspace: Workspace, fake: FakeGoogle,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Case 7: the user unticks "read mail" on Google's granular consent screen. oauthlib's
    ``Warning("Scope has changed…")`` must not reach the user as an internal error."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    use_google(workspace, fake)
    write_client_secrets(fake, workspace.root / "credentials.json")
    port = free_port()
    result: list[Result] = []
    worker = threading.Thread(target=lambda: result.append(
        workspace.run("auth", "--port", str(port))), daemon=True)
    worker.start()
    query = parse_qs(urlsplit(wait_for_url(workspace, [])).query)
    granted = [s for s in SCOPES if s != READONLY]  # one box left unticked
    code = fake.authorization_code(granted, query["code_challenge"][0])
    redirect = f"http://localhost:{port}/?" + urlencode(
        {"state": query["state"][0], "code": code, "scope": " ".join(granted)})
    with urllib.request.urlopen(redirect, timeout=10) as page:
        page.read()
    worker.join(timeout=20)
    (done,) = result
    assert done.code == 1
    assert "internal error" not in done.err and "Scope has changed" not in done.err
    assert "gmail.readonly" in done.err and "tick every box" in done.err
    assert not (workspace.root / "token.json").exists()  # nothing half-authorized is kept
    assert "OAUTHLIB_RELAX_TOKEN_SCOPE" not in __import__("os").environ  # relaxed for the flow only


def test_token_endpoint_503_is_retryable_not_reauthorize(workspace: Workspace,
                                                         fake: FakeGoogle) -> None:
    """Case 8: 5xx/429 from the token endpoint is RefreshError(retryable=True) in google-auth:
    a retryable backend error, never "authorize again"."""
    use_google(workspace, fake)
    write_token(fake, workspace.root / "token.json")  # no expiry: refreshed on first use
    fake.inject(503, times=3, method_contains="oauth2.token")  # google-auth tries 3 times
    result = workspace.run("run", "--once")
    assert result.code == 1
    assert "automation auth" not in result.err and "internal error" not in result.err
    assert "token endpoint is unavailable" in result.err and "next" in result.err
    fake.inject(429, times=3, method_contains="oauth2.token")
    doctor = workspace.run("doctor")
    line = next(x for x in doctor.out.splitlines() if x.split()[1:2] == ["token"])
    assert "automation auth" not in line and "token endpoint is unavailable" in line
    assert workspace.run("run", "--once").code == 0  # the endpoint is back: all is well


def test_quota_403_with_error_details_is_retryable(fake: FakeGoogle, tmp_path: Path) -> None:
    """Case 9: a per-user quota overrun answers 403 userRateLimitExceeded with an ErrorInfo
    RATE_LIMIT_EXCEEDED in ``details`` (which googleapiclient's error_details prefers)."""
    with FakeGoogle(email="alex@example.org", quota_per_minute=12,
                    quota_overrun_status=403) as tight:
        mailbox, _ = open_on_fake(tight, tmp_path / "ws", pacer=Pacer(100_000))
        mailbox.draft_message_ids()  # drafts.list: 5 of the 12 units
        mailbox.draft_message_ids()
        with pytest.raises(BackendError) as caught:
            mailbox.draft_message_ids()
        assert caught.value.retryable, caught.value
        assert "quota" in str(caught.value)
        assert tight.call_count("drafts.list") == 3 + 3  # the client retried it 3 times too


@pytest.mark.parametrize(("status", "body"), [
    (403, b'{"error": {"code": 403, "message": "Quota", "status": "PERMISSION_DENIED", '
          b'"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", '
          b'"reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com"}]}}'),
    (403, b'{"error": {"code": 403, "message": "Quota", "errors": [{"reason": '
          b'"rateLimitExceeded"}], "details": [{"reason": "RATE_LIMIT_EXCEEDED"}]}}'),
    (429, b'{"error": {"code": 429, "message": "Quota", "status": "RESOURCE_EXHAUSTED"}}'),
])
def test_every_shape_of_quota_error_is_retryable(status: int, body: bytes) -> None:
    """Case 9: ``errors[].reason`` and ``details[].reason`` are both read, case and
    underscores normalised."""
    import httplib2
    from googleapiclient.errors import HttpError

    from automation.adapters.google.http import map_http_error

    error = map_http_error(HttpError(httplib2.Response({"status": status}), body), "gmail x")
    assert error.retryable and "quota" in str(error)


def test_the_truth_about_gmail_compose(workspace: Workspace, fake: FakeGoogle) -> None:
    """Case 11: gmail.compose can send ("Manage drafts and send emails"); what the user reads
    says the service never calls a send method, not that the scope cannot send."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "Manage drafts and send emails" in readme and "never calls" in readme
    help_text = workspace.ok("auth", "--help").out
    assert "nothing that can send" not in help_text and "never calls a send" in help_text
    use_google(workspace, fake)
    write_token(fake, workspace.root / "token.json")
    doctor = workspace.ok("doctor").out
    assert "never calls a send method" in doctor
    from automation.adapters.google import auth

    assert "none that can send" not in (auth.__doc__ or "")
    assert "can* send" in (auth.__doc__ or "")
    assert fake.call_count("send") == 0 and fake.send_attempts == 0
