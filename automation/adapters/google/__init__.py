"""The Google backend: Gmail drafts and history, Google Calendar events with real invitations.

``open_google(config)`` loads (and refreshes) the OAuth token, builds one client per API — each
with its own ``httplib2.Http``, which is not thread-safe — and paces each API's quota:
Gmail by its published units per user per minute (``[google] quota_units_per_minute``),
Calendar by calls. ``[google] api_endpoint`` points both clients at another server (the
loopback fake in tests): Gmail at the endpoint, Calendar at ``endpoint + "calendar/v3/"``.
"""

from __future__ import annotations

from automation.adapters.google.auth import load_credentials
from automation.adapters.google.gcal import GoogleCalendar
from automation.adapters.google.gmail import GmailMailbox
from automation.adapters.google.http import (
    CALENDAR_CALLS_PER_MINUTE,
    TIMEOUT_SECONDS,
    GoogleApi,
    Pacer,
    WireHttp,
    build_service,
    gmail_batch_uri,
)
from automation.config import Config

__all__ = ["GmailMailbox", "GoogleCalendar", "open_google"]


def endpoints(api_endpoint: str | None) -> tuple[str | None, str | None]:
    """(Gmail endpoint, Calendar endpoint) for ``[google] api_endpoint`` (None: Google's)."""
    if not api_endpoint:
        return None, None
    base = api_endpoint if api_endpoint.endswith("/") else api_endpoint + "/"
    return base, base + "calendar/v3/"


def open_google(config: Config, *, pacer: Pacer | None = None,
                calendar_pacer: Pacer | None = None) -> tuple[GmailMailbox, GoogleCalendar]:
    """The Gmail Mailbox and Google Calendar of ``config``; AuthError says how to authorize."""
    google = config.google
    credentials = load_credentials(google)
    gmail_endpoint, calendar_endpoint = endpoints(google.api_endpoint)
    gmail_wire, calendar_wire = WireHttp(timeout=TIMEOUT_SECONDS), WireHttp(timeout=TIMEOUT_SECONDS)
    gmail = GoogleApi(
        service=build_service("gmail", credentials, gmail_endpoint, wire=gmail_wire),
        pacer=pacer or Pacer(google.quota_units_per_minute), api="gmail",
        credentials=credentials, token_path=google.token,
        batch_uri=gmail_batch_uri(gmail_endpoint), wire=gmail_wire)
    calendar = GoogleApi(
        service=build_service("calendar", credentials, calendar_endpoint, wire=calendar_wire),
        pacer=calendar_pacer or Pacer(CALENDAR_CALLS_PER_MINUTE), api="calendar",
        credentials=credentials, token_path=google.token, wire=calendar_wire)
    return (GmailMailbox(gmail),
            GoogleCalendar(calendar, google, busy_ics=config.busy_ics,
                           default_tz=config.me.timezone))
