"""The Google backend on the loopback fake: config, token file and backends for a test.

``[google] api_endpoint`` points the real client at the fake, so everything below runs the
package's own code over HTTP; the helpers only write what a user would (config, token).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from automation.adapters.google import open_google
from automation.adapters.google.gcal import GoogleCalendar, event_id
from automation.adapters.google.gmail import GmailMailbox
from automation.adapters.google.http import Pacer
from automation.config import Config, parse_config
from tests.support.fakegoogle import DEFAULT_SCOPES, FakeGoogle
from tests.support.fakegoogle.fake import CLIENT_ID, CLIENT_SECRET


def write_token(fake: FakeGoogle, path: Path, scopes=DEFAULT_SCOPES) -> str:
    """An authorized-user token file as ``automation auth`` writes it; returns the refresh
    token. No ``expiry``: like a file copied from a laptop, it is refreshed on first use."""
    access, refresh = fake.issue_token(scopes)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "token": access, "refresh_token": refresh, "token_uri": fake.token_uri,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scopes": list(scopes),
    }))
    path.chmod(0o600)
    return refresh


def write_client_secrets(fake: FakeGoogle, path: Path) -> None:
    """A Desktop-app ``credentials.json`` whose endpoints are the fake's."""
    path.write_text(json.dumps({"installed": {
        "client_id": CLIENT_ID, "project_id": "fake-project", "client_secret": CLIENT_SECRET,
        "auth_uri": fake.base_url + "auth", "token_uri": fake.token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "redirect_uris": ["http://localhost"]}}))


def google_config(fake: FakeGoogle, root: Path, **google: Any) -> Config:
    """A Config for ``[backend] kind = "google"`` on ``fake`` (files under ``root``)."""
    root.mkdir(parents=True, exist_ok=True)
    raw = {
        "me": {"name": "Alex Rivera", "email": fake.email, "timezone": "America/New_York"},
        "backend": {"kind": "google"},
        "google": {"api_endpoint": fake.base_url, **google},
    }
    return parse_config(raw, root / "automation.toml")


def open_on_fake(fake: FakeGoogle, root: Path, *, pacer: Pacer | None = None,
                 **google: Any) -> tuple[GmailMailbox, GoogleCalendar]:
    """The package's Google backends, authorized against ``fake``."""
    config = google_config(fake, root, **google)
    write_token(fake, config.google.token)
    return open_google(config, pacer=pacer)


def answer_invite(fake: FakeGoogle, uid: str, status: str) -> None:
    """The attendee of event ``uid`` answers the invitation in their calendar."""
    event = next(e for e in fake.events() if e["id"] == event_id(uid))
    guest = next(a for a in event["attendees"] if not a.get("self"))
    fake.respond_to_event(event["id"], guest["email"], status)
