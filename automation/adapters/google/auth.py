"""OAuth for the Google backend: the installed-app flow, the token file, refresh, scopes.

The service asks for exactly four scopes:

- ``gmail.compose`` creates and deletes drafts (it cannot read threads or history). Google
  describes it as "Manage drafts and send emails": the scope *can* send. That the service never
  sends is a promise of this code — it never calls a send method of the Gmail API, and the
  tests prove it against a fake that counts every send attempt — not of the scope;
- ``gmail.readonly`` reads history, messages and drafts (sent detection, replies);
- ``calendar.events`` inserts and patches the interview events (Google sends the invites);
- ``calendar.events.freebusy`` reads busy time.

On a headless home server the copy-paste (OOB) flow is gone since 2022: ``authorize`` runs
``InstalledAppFlow.run_local_server(open_browser=False, port=P)`` and tells the user the
``ssh -L P:localhost:P user@server`` line that carries the browser's redirect to the server.
The token is written with mode 0600 (a temporary file created 0600, then ``os.replace``) and is
never logged.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials

from automation.adapters.files import write_private
from automation.config import DEFAULT_OAUTH_PORT, GoogleConfig
from automation.errors import AuthError, BackendError, UserError

log = logging.getLogger(__name__)

_AUTH = "https://www.googleapis.com/auth/"
SCOPES: tuple[str, ...] = (
    _AUTH + "gmail.compose",
    _AUTH + "gmail.readonly",
    _AUTH + "calendar.events",
    _AUTH + "calendar.events.freebusy",
)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
FLOW_TIMEOUT_SECONDS = 600

CONSOLE = "Google Cloud Console → APIs & Services → Credentials"


def no_credentials_message(path: Path) -> str:
    return (f"no credentials.json at {path}: download an OAuth client (Desktop app) from "
            f"{CONSOLE}, save it there, then run `automation auth`")


def invalid_grant_message(token_path: Path) -> str:
    """What the user sees when Google refuses the stored refresh token."""
    return (f"Google refused the saved authorization in {token_path} (invalid_grant): the "
            "refresh token was revoked or has expired. The usual cause is an OAuth app left in "
            "\"Testing\", whose refresh tokens die after 7 days: publish it (Google Cloud "
            "Console → APIs & Services → OAuth consent screen → Publish app). Other causes: "
            "access removed at https://myaccount.google.com/permissions or a password change. "
            "Fix: run `automation auth` to authorize again")


def ssh_tunnel_line(port: int) -> str:
    """The exact command to run on the laptop so its browser reaches this server's port."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = os.environ.get("USER", "you")
    return f"ssh -L {port}:localhost:{port} {user}@{socket.gethostname()}"


# -- the token file --------------------------------------------------------------------------

def save_token(credentials: Credentials, path: Path) -> None:
    """Write the authorized-user JSON to ``path`` with mode 0600, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        write_private(path, credentials.to_json().encode())
    except OSError as exc:
        raise UserError(f"cannot write the token file {path}: {exc}; check [google] token "
                        "and the folder's permissions") from exc
    log.info("saved the Google token to %s", path)


def token_uri(google: GoogleConfig) -> str:
    """Where tokens are refreshed: Google's endpoint, or the test server's ``/token``.

    Like google-auth, the ``token_uri`` written inside a token file is ignored, so a file cannot
    send the refresh token elsewhere; only ``[google] api_endpoint`` can.
    """
    if google.api_endpoint:
        return google.api_endpoint.rstrip("/") + "/token"
    return GOOGLE_TOKEN_URI


def read_token(path: Path, uri: str = "") -> Credentials:
    """The stored credentials (not refreshed); AuthError if the file is unusable."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(info, dict):
            raise TypeError("not a JSON object")
        lacking = {"refresh_token", "client_id", "client_secret"} - set(info)
        if lacking:
            raise KeyError(", ".join(sorted(lacking)))
        expiry = None
        if info.get("expiry"):
            # Stored as naive UTC, as google-auth writes and compares it.
            expiry = datetime.strptime(info["expiry"].rstrip("Z").split(".")[0],  # noqa: DTZ007
                                       "%Y-%m-%dT%H:%M:%S")
        scopes = info.get("scopes")
        return Credentials(
            # Without a saved expiry the access token's age is unknown: refresh it first.
            token=info.get("token") if expiry else None, refresh_token=info["refresh_token"],
            token_uri=uri or GOOGLE_TOKEN_URI, client_id=info["client_id"],
            client_secret=info["client_secret"],
            scopes=scopes.split() if isinstance(scopes, str) else scopes,
            expiry=expiry, rapt_token=info.get("rapt_token"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuthError(f"the token file {path} is damaged or not an authorized-user token "
                        f"({type(exc).__name__}: {exc}); run `automation auth` to make a new "
                        "one") from exc


def granted_scopes(credentials: Credentials) -> set[str]:
    """What Google granted (known after a flow or a refresh), else what the token asked for."""
    granted = credentials.granted_scopes
    if granted is None:
        granted = credentials.scopes or ()
    return set(granted.split() if isinstance(granted, str) else granted)


def extra_scopes(credentials: Credentials) -> list[str]:
    """Granted scopes beyond ``SCOPES`` (a token made by another tool may carry more power)."""
    return sorted(granted_scopes(credentials) - set(SCOPES))


def missing_scopes(credentials: Credentials) -> list[str]:
    granted = granted_scopes(credentials)
    return [s for s in SCOPES if s not in granted]


def refresh(credentials: Credentials, token_path: Path) -> None:
    """Refresh the access token and save it; clear AuthError/BackendError on failure."""
    try:
        credentials.refresh(Request())
    except RefreshError as exc:
        raise refresh_error(exc, token_path) from exc
    except TransportError as exc:
        raise BackendError(f"cannot reach Google's token endpoint: {exc}") from exc
    save_token(credentials, token_path)


def refresh_error(exc: GoogleAuthError, token_path: Path) -> BackendError:
    """A failed refresh: a retryable BackendError when Google's token endpoint only had a bad
    moment, else the AuthError that says how to authorize again.

    google-auth marks 5xx/408/429 answers and the RFC 6749 errors ``server_error`` and
    ``temporarily_unavailable`` as ``RefreshError(retryable=True)`` (``google.oauth2._client.
    _can_retry``), after retrying them itself: the saved authorization is still good.
    """
    if getattr(exc, "retryable", False):
        what = str(exc.args[0] if exc.args else exc)[:120]
        return BackendError(f"Google's token endpoint is unavailable for now ({what}); "
                            "the saved authorization is fine and the next pass tries again "
                            "(nothing to re-authorize)", retryable=True)
    return auth_error(exc, token_path)


def auth_error(exc: GoogleAuthError, token_path: Path) -> AuthError:
    """Map a refresh failure to the message the user can act on."""
    text = str(exc)
    if "invalid_grant" in text:
        return AuthError(invalid_grant_message(token_path))
    if "invalid_scope" in text or "Not all requested scopes" in text:
        return AuthError(f"the token in {token_path} does not grant the scopes this service "
                         "needs; run `automation auth` again and allow every permission")
    if "invalid_client" in text or "unauthorized_client" in text:
        return AuthError("Google does not know this OAuth client (invalid_client): it was "
                         f"deleted or its secret changed. Download it again from {CONSOLE}, "
                         "save it as credentials.json, then run `automation auth`")
    return AuthError(f"Google refused to refresh the token in {token_path} ({text[:200]}); "
                     "run `automation auth`")


def load_credentials(google: GoogleConfig, *, refresh_now: bool = True) -> Credentials:
    """Credentials for the Google backend, refreshed if expired and saved back.

    Raises AuthError with the fix: no credentials.json, not authorized yet, a damaged token,
    a revoked/expired refresh token (invalid_grant), or missing scopes.
    """
    try:
        credentials = read_token(google.token, token_uri(google))
    except FileNotFoundError:
        if not google.credentials.exists():
            raise AuthError(no_credentials_message(google.credentials)) from None
        raise AuthError(f"not authorized yet: no token at {google.token}; run "
                        "`automation auth` (see README \"Use with Gmail and Google Calendar\")") \
            from None
    missing = missing_scopes(credentials)
    if missing:
        names = ", ".join(s.removeprefix(_AUTH) for s in missing)
        raise AuthError(f"the token in {google.token} lacks the scope(s) {names}; run "
                        "`automation auth` again and allow every permission asked")
    if refresh_now and not credentials.valid:
        refresh(credentials, google.token)
        if missing_scopes(credentials):  # a refresh tells what Google actually granted
            raise AuthError(f"the token in {google.token} no longer grants every scope this "
                            "service needs; run `automation auth` again")
    return credentials


# -- the installed-app flow ------------------------------------------------------------------

#: What each scope is for, in the words the consent screen's checkboxes stand for.
SCOPE_USES = {
    _AUTH + "gmail.compose": "create and withdraw the drafts",
    _AUTH + "gmail.readonly": "notice what you sent and the replies",
    _AUTH + "calendar.events": "create the interview events with their invitations",
    _AUTH + "calendar.events.freebusy": "read your busy time to offer free slots",
}


def partial_consent_message(missing: list[str]) -> str:
    """The fix when Google's granular consent left some boxes unticked."""
    names = "; ".join(f"{s.removeprefix(_AUTH)} (to {SCOPE_USES.get(s, 'work')})"
                      for s in missing)
    return (f"Google granted only some of the permissions: missing {names}. Nothing was "
            "saved. Run `automation auth` again and tick every box on Google's consent screen "
            "(or \"Select all\")")


@contextmanager
def _relaxed_scope_check() -> Iterator[None]:
    """Let oauthlib accept a token with fewer scopes than asked, for the flow only.

    With granular consent the user may untick boxes; oauthlib then raises a builtin
    ``Warning("Scope has changed from ... to ...")`` unless ``OAUTHLIB_RELAX_TOKEN_SCOPE`` is
    set (oauthlib 0.7.0: "OAuth2 clients will not raise a Warning on scope change if the
    environment variable OAUTHLIB_RELAX_TOKEN_SCOPE is set"). The granted scopes are then
    checked here, with a message that names what is missing.
    """
    before = os.environ.get("OAUTHLIB_RELAX_TOKEN_SCOPE")
    os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OAUTHLIB_RELAX_TOKEN_SCOPE", None)
        else:
            os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = before


def client_config(path: Path) -> dict[str, Any]:
    """Read and check ``credentials.json`` (a Desktop-app OAuth client)."""
    if not path.exists():
        raise UserError(no_credentials_message(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} is not readable JSON ({exc}); download the OAuth client "
                        f"again from {CONSOLE}") from exc
    if not isinstance(data, dict) or "installed" not in data:
        kind = next(iter(data), "?") if isinstance(data, dict) else type(data).__name__
        raise UserError(f"{path} is not a Desktop-app OAuth client (found {kind!r}); in "
                        f"{CONSOLE} create an OAuth client ID of type \"Desktop app\" and "
                        "download its JSON")
    needed = ("client_id", "client_secret", "auth_uri", "token_uri")
    lacking = [k for k in needed if not data["installed"].get(k)]
    if lacking:
        raise UserError(f"{path} lacks {', '.join(lacking)}; download the OAuth client again")
    return data


def authorize(google: GoogleConfig, *, port: int = DEFAULT_OAUTH_PORT,
              say: Callable[[str], None] = print,
              timeout_seconds: int | None = FLOW_TIMEOUT_SECONDS) -> Credentials:
    """Run the installed-app flow on ``localhost:port`` and save the token (mode 0600)."""
    from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError

    config = client_config(google.credentials)
    flow = InstalledAppFlow.from_client_config(config, scopes=list(SCOPES))
    say(f"On a headless server, first run this on your laptop (it forwards port {port}):\n\n"
        f"    {ssh_tunnel_line(port)}\n")
    prompt = ("Then open this URL in the laptop's browser and allow every permission:\n\n"
              "    {url}\n\nWaiting for Google to redirect to http://localhost:" f"{port}/ ...")
    try:
        with _relaxed_scope_check():
            credentials = flow.run_local_server(
                host="localhost", port=port, open_browser=False,
                authorization_prompt_message=prompt, timeout_seconds=timeout_seconds,
                success_message="Authorized. You can close this tab and return to the terminal.",
                prompt="consent",  # always return a refresh token, even on a second authorization
            )
    except OSError as exc:
        raise UserError(f"cannot listen on localhost:{port} ({exc}); pick a free port with "
                        "`automation auth --port N` and use it in the ssh -L line") from exc
    except WSGITimeoutError as exc:
        raise UserError(f"no answer from the browser within {timeout_seconds} s; run "
                        "`automation auth` again") from exc
    except Exception as exc:  # oauthlib raises its own hierarchy (access_denied, mismatch)
        if type(exc).__module__.startswith(("oauthlib", "requests", "google")):
            raise UserError(f"the authorization did not complete: {exc}; run "
                            "`automation auth` again") from exc
        raise
    missing = missing_scopes(credentials)
    if missing:
        raise UserError(partial_consent_message(missing))
    save_token(credentials, google.token)
    return credentials
