"""The one road to Google: building clients, pacing quota, retrying, and mapping errors.

Every API call of the Google backend goes through ``GoogleApi.call`` (or ``batch_get``):

- a client-side **quota pacer** (``pacing``) spends the method's published units before the
  call, waits when the user's per-minute budget would be exceeded, and re-stamps them when the
  answer comes, so the service never earns a 429 by itself (Gmail counts units per user per
  minute; Calendar counts calls);
- **retries only where a repeat is harmless**: ``execute(num_retries=…)`` (429, 5xx, 403 rate
  limits, dropped connections) for reads, deletes, patches and client-id inserts; never for
  ``drafts.create``, whose repeats the intent journal and a Message-ID look-up handle;
- every failure leaves as ``BackendError(retryable=…)`` or ``AuthError`` with a message the
  user can act on, never as an ``HttpError`` or a transport exception.

Quirks of ``google-api-python-client`` handled here: batches ignore ``api_endpoint``, so the
batch URI is derived from the configured endpoint; ``httplib2.Http`` is not thread-safe, so each
service object gets its own.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from automation.adapters.google.auth import refresh_error, save_token
from automation.adapters.google.pacing import (
    CALENDAR_CALLS_PER_MINUTE,
    GMAIL_UNITS,
    QUOTA_MARGIN,
    Pacer,
    Spend,
)
from automation.adapters.google.wire import WireHttp
from automation.errors import AuthError, BackendError

log = logging.getLogger(__name__)

RETRIES = 3
TIMEOUT_SECONDS = 30
BATCH_MAX = 50  # Gmail's advice: larger batches earn rate-limit errors
GOOGLE_GMAIL_BATCH = "https://gmail.googleapis.com/batch/gmail/v1"


class GoogleApiError(BackendError):
    """A Google API call failed; ``status`` and ``reason`` as Google gave them (0: no answer)."""

    def __init__(self, message: str, *, status: int = 0, reason: str = "",
                 retryable: bool = True, quota: bool = False) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status
        self.reason = reason
        #: Refused for quota (429, or 403 with a rate-limit reason): Google did not act on it.
        self.quota = quota


#: Quota reasons, normalised (see ``_norm``): the v1 ``errors[].reason`` names and the
#: ``ErrorInfo.reason`` of ``details`` (Google's error model, cloud.google.com/apis/design/errors).
QUOTA_REASONS = frozenset({"ratelimitexceeded", "userratelimitexceeded", "resourceexhausted",
                           "quotaexceeded", "dailylimitexceeded"})


def _norm(reason: object) -> str:
    """``RATE_LIMIT_EXCEEDED`` and ``rateLimitExceeded`` alike: lower case, no underscores."""
    return str(reason or "").replace("_", "").lower()


def _reasons(exc: HttpError) -> tuple[str, set[str]]:
    """(the reason to show, every normalised reason) of a Google error body.

    Real Google errors carry ``errors[].reason`` *and* ``details`` (``ErrorInfo.reason``, e.g.
    ``RATE_LIMIT_EXCEEDED``) and ``status`` (``RESOURCE_EXHAUSTED``); googleapiclient's
    ``error_details`` prefers ``details``, so both are read here, from the body itself.
    """
    names: list[str] = []
    try:
        error = json.loads(exc.content.decode("utf-8", "replace"))["error"]
        names += [e.get("reason", "") for e in error.get("errors") or [] if isinstance(e, dict)]
        names += [d.get("reason", "") for d in error.get("details") or [] if isinstance(d, dict)]
        names.append(str(error.get("status") or ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    details = getattr(exc, "error_details", None)
    if isinstance(details, list):
        names += [d.get("reason", "") for d in details if isinstance(d, dict)]
    names = [str(n) for n in names if n]
    return (names[0] if names else ""), {_norm(n) for n in names}


def _reason(exc: HttpError) -> str:
    return _reasons(exc)[0]


def map_http_error(exc: HttpError, what: str) -> BackendError:
    """The BackendError (or AuthError) a user can act on for an HttpError of call ``what``."""
    status = exc.resp.status
    reason, reasons = _reasons(exc)
    detail = (exc.reason or "").strip()[:200]
    if status == 401:
        return AuthError(f"Google refused the access token for {what} (401): run "
                         "`automation auth` to authorize again")
    if status == 403 and ("insufficientpermissions" in reasons
                          or "accesstokenscopeinsufficient" in reasons
                          or "insufficient authentication scopes" in detail):
        return AuthError(f"the Google token lacks a permission {what} needs ({detail}); run "
                         "`automation auth` again and allow every permission")
    if status == 403 and reasons & {"accessnotconfigured", "servicedisabled"}:
        return GoogleApiError(f"the API behind {what} is not enabled for your Cloud project; "
                              "enable the Gmail API and the Google Calendar API in Google Cloud "
                              "Console → APIs & Services → Library", status=status,
                              reason=reason, retryable=False)
    quota = status == 429 or (status == 403 and bool(reasons & QUOTA_REASONS))
    retryable = quota or status == 408 or status >= 500
    label = f"{status} {reason}" if reason else str(status)
    if quota:
        return GoogleApiError(f"Google's per-user quota ran out for {what} ({label}); the next "
                              "pass retries it. If it keeps happening, lower [google] "
                              "quota_units_per_minute", status=status, reason=reason,
                              retryable=True, quota=True)
    return GoogleApiError(f"Google answered {label} to {what}: {detail}", status=status,
                          reason=reason, retryable=retryable)


def map_error(exc: BaseException, what: str, token_path: Path) -> BackendError:
    """Any failure of a Google call, as BackendError/AuthError."""
    if isinstance(exc, HttpError):
        return map_http_error(exc, what)
    if isinstance(exc, RefreshError):
        return refresh_error(exc, token_path)
    if isinstance(exc, (TransportError, httplib2.HttpLib2Error, OSError, socket.timeout)):
        return GoogleApiError(f"cannot reach Google for {what}: {type(exc).__name__}: {exc}; "
                              "check the network", retryable=True)
    if isinstance(exc, GoogleAuthError):
        return AuthError(f"Google authorization failed for {what}: {exc}; run `automation auth`")
    raise exc


def build_service(api: str, credentials: Credentials, endpoint: str | None,
                  timeout: float = TIMEOUT_SECONDS, *, wire: WireHttp | None = None) -> Any:
    """A client for "gmail" v1 or "calendar" v3 with its own httplib2.Http (not thread-safe):
    ``wire`` if given, so the caller can read what went on the wire."""
    version = {"gmail": "v1", "calendar": "v3"}[api]
    http = google_auth_httplib2.AuthorizedHttp(credentials,
                                               http=wire or WireHttp(timeout=timeout))
    options = {"api_endpoint": endpoint} if endpoint else None
    return build(api, version, http=http, static_discovery=True, cache_discovery=False,
                 client_options=options)


@dataclass
class GoogleApi:
    """One API (Gmail or Calendar) of one user: its client, pacer, units and token file."""

    service: Any
    pacer: Pacer
    api: str  # "gmail" | "calendar"
    credentials: Credentials
    token_path: Path
    batch_uri: str | None = None
    wire: WireHttp | None = None
    #: How many times the last ``call`` went on the wire (> 1: httplib2 or a retry re-sent it).
    last_sends: int = field(default=0, init=False)

    def units(self, method: str) -> int:
        return GMAIL_UNITS.get(method, 5) if self.api == "gmail" else 1

    def _sends(self, uri: str) -> int:
        return self.wire.sends(uri) if self.wire is not None else 0

    def call(self, request: HttpRequest, method: str, *, idempotent: bool = True) -> Any:
        """Execute ``request`` (the API method ``method``, e.g. "drafts.list") once or with
        retries, spending its quota first; raises BackendError/AuthError only."""
        spent = self.pacer.spend(self.units(method))
        token_before, sends_before = self.credentials.token, self._sends(request.uri)
        try:
            return request.execute(num_retries=RETRIES if idempotent else 0)
        except Exception as exc:  # noqa: BLE001 - every failure is mapped or re-raised
            raise map_error(exc, f"{self.api} {method}", self.token_path) from exc
        finally:
            self.last_sends = self._sends(request.uri) - sends_before
            self.pacer.settle(spent, self.last_sends)
            self._keep_token(token_before)

    def _keep_token(self, before: str | None) -> None:
        # The client refreshes an expired access token by itself; save it so the next process
        # does not refresh again (and the refresh token rotation, if any, is kept).
        if self.credentials.token and self.credentials.token != before:
            try:
                save_token(self.credentials, self.token_path)
            except Exception as exc:  # noqa: BLE001 - a token cache write must not fail a call
                log.warning("could not save the refreshed token: %s", exc)

    def batch_get(self, requests: Iterable[tuple[str, HttpRequest]], method: str,
                  rounds: int = 3) -> tuple[dict[str, Any], dict[str, BackendError]]:
        """Run read-only ``(key, request)`` pairs in batches of at most 50.

        Returns ``(answers, failures)`` by key; a 404 part is simply absent from both. Parts that
        fail with a retryable error are sent again (batches themselves never retry), at most
        ``rounds`` times in all.
        """
        pending = dict(requests)
        answers: dict[str, Any] = {}
        failures: dict[str, BackendError] = {}
        for attempt in range(rounds):
            if not pending:
                break
            if attempt:
                self.pacer.sleep(min(2 ** attempt, 8) * 0.25)
            failures = {}
            keys = list(pending)
            for start in range(0, len(keys), BATCH_MAX):
                chunk = keys[start:start + BATCH_MAX]
                self._run_batch(chunk, pending, method, answers, failures)
            pending = {k: pending[k] for k, e in failures.items() if e.retryable}
        return answers, failures

    def _run_batch(self, keys: list[str], requests: dict[str, HttpRequest], method: str,
                   answers: dict[str, Any], failures: dict[str, BackendError]) -> None:
        what = f"{self.api} {method} (batch of {len(keys)})"

        def collect(request_id: str, response: Any, exception: Exception | None) -> None:
            if exception is None:
                answers[request_id] = response
            elif isinstance(exception, HttpError) and exception.resp.status in (404, 410):
                log.debug("%s: %s is gone", what, request_id)
            else:
                failures[request_id] = map_error(exception, what, self.token_path)

        spent = self.pacer.spend(self.units(method) * len(keys))
        batch = BatchHttpRequest(callback=collect, batch_uri=self.batch_uri)
        for key in keys:
            batch.add(requests[key], request_id=key)
        token_before, sends_before = self.credentials.token, self._sends(self.batch_uri or "")
        try:
            batch.execute()
        except Exception as exc:  # noqa: BLE001 - the whole batch failed: each part failed
            error = map_error(exc, what, self.token_path)
            if isinstance(error, AuthError):
                raise error from exc
            for key in keys:
                if key not in answers:
                    failures[key] = error
        finally:
            self.pacer.settle(spent, self._sends(self.batch_uri or "") - sends_before)
            self._keep_token(token_before)


def gmail_batch_uri(endpoint: str | None) -> str:
    """Where Gmail batches go: batches ignore ``api_endpoint``, so derive it from there."""
    return endpoint.rstrip("/") + "/batch/gmail/v1" if endpoint else GOOGLE_GMAIL_BATCH


__all__ = ["CALENDAR_CALLS_PER_MINUTE", "GMAIL_UNITS", "QUOTA_MARGIN", "GoogleApi",
           "GoogleApiError", "Pacer", "Spend", "WireHttp", "build_service", "gmail_batch_uri",
           "map_error", "map_http_error"]
