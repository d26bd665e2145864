"""FakeGoogle: the loopback Gmail v1 + Calendar v3 fake, and the test's handle on it.

The real ``google-api-python-client`` talks to it over HTTP; the test plays the user and the
world through the helper methods (send a draft, reply, bounce, accept an invite, be busy).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build

from . import mime
from .auth import TokenStore
from .calendar import CalendarStore
from .discovery import Discovery
from .faults import FaultPlan
from .gmail import Draft, Mailbox, Message
from .gmail_api import GmailApi
from .quota import QuotaMeter
from .server import Dispatcher, LoopbackServer
from .timeutil import to_aware

GMAIL_SCOPES = (
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.readonly",
)
CALENDAR_SCOPES = (
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.events.freebusy",
)
DEFAULT_SCOPES = GMAIL_SCOPES + CALENDAR_SCOPES
CLIENT_ID, CLIENT_SECRET = "fake-client.apps.googleusercontent.com", "fake-secret"


class FakeGoogle:
    """A Gmail + Calendar fake on 127.0.0.1 (port 0). Use as a context manager, or start/stop.

    All helpers are thread-safe; the state they return is a copy or a snapshot.
    """

    def __init__(
        self,
        *,
        email: str = "me@example.com",
        quota_per_minute: int | None = None,
        calendar_per_minute: int | None = None,
        strict_threading: bool = True,
        hang_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        calendar_timezone: str = "UTC",
        quota_overrun_status: int = 429,
        quota_window: float = 60.0,
        patch_deleted_403: bool = False,
        deleted_event_stubs: bool = False,
        search_lag: int = 0,
    ) -> None:
        self.email = email
        self.hang_seconds = hang_seconds
        self.now = now or (lambda: datetime.now(UTC))
        self.lock = threading.RLock()
        self.discovery = Discovery()
        self.tokens = TokenStore()
        self.quota = QuotaMeter(clock, quota_per_minute, calendar_per_minute,
                                quota_overrun_status, window=quota_window)
        self.faults = FaultPlan()
        self.mailbox = Mailbox(email, self.now, strict_threading, search_lag=search_lag)
        self.calendar = CalendarStore(email, self.now, calendar_timezone,
                                      patch_deleted_403=patch_deleted_403,
                                      deleted_stubs=deleted_event_stubs)
        self.handlers = {**GmailApi(self.mailbox).handlers(), **self.calendar.handlers()}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.validation_errors: list[str] = []
        self.unimplemented: list[str] = []
        self.internal_errors: list[str] = []
        self.send_attempts = 0
        self._server: LoopbackServer | None = None

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeGoogle:
        if self._server is None:
            self._server = LoopbackServer(Dispatcher(self).handle)
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeGoogle is not started")
        return f"http://127.0.0.1:{self._server.port}/"

    @property
    def token_uri(self) -> str:
        return self.base_url + "token"

    @property
    def calendar_endpoint(self) -> str:
        return self.base_url + "calendar/v3/"

    @property
    def gmail_batch_uri(self) -> str:
        return self.base_url + "batch/gmail/v1"

    @property
    def calendar_batch_uri(self) -> str:
        return self.base_url + "batch/calendar/v3"

    # ---- OAuth ----------------------------------------------------------------------------
    def issue_token(self, scopes: Iterable[str] = DEFAULT_SCOPES) -> tuple[str, str]:
        """(access_token, refresh_token) as if the user consented to ``scopes``."""
        with self.lock:
            return self.tokens.issue(scopes)

    def credentials(self, scopes: Iterable[str] = DEFAULT_SCOPES) -> Credentials:
        """google.oauth2.credentials.Credentials wired to this fake's token endpoint."""
        scopes = list(scopes)
        access, refresh = self.issue_token(scopes)
        return Credentials(
            token=access,
            refresh_token=refresh,
            token_uri=self.token_uri,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=scopes,
        )

    def build(self, api: str, credentials=None, **kwargs: Any):
        """``googleapiclient.discovery.build`` for "gmail" or "calendar" against this fake."""
        endpoint = {"gmail": self.base_url, "calendar": self.calendar_endpoint}[api]
        version = {"gmail": "v1", "calendar": "v3"}[api]
        if credentials is None and "http" not in kwargs:
            credentials = self.credentials()
        return build(
            api,
            version,
            credentials=credentials,
            static_discovery=True,
            client_options={"api_endpoint": endpoint},
            cache_discovery=False,
            **kwargs,
        )

    def authorization_code(self, scopes: Iterable[str], code_challenge: str = "") -> str:
        """The code Google's consent screen would redirect with; ``/token`` exchanges it once."""
        with self.lock:
            return self.tokens.issue_code(scopes, code_challenge)

    def revoke_refresh_token(self, refresh_token: str) -> None:
        with self.lock:
            self.tokens.revoke_refresh_token(refresh_token)

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.tokens.expire_access_tokens()

    @property
    def granted_scopes(self) -> set[str]:
        with self.lock:
            return set(self.tokens.granted_scopes)

    # ---- quota and faults -----------------------------------------------------------------
    @property
    def quota_used(self) -> int:
        with self.lock:
            return self.quota.used

    @property
    def quota_by_method(self) -> dict[str, int]:
        with self.lock:
            return dict(self.quota.by_method)

    @property
    def quota_refusals(self) -> int:
        """Calls refused for quota (429 or 403 userRateLimitExceeded) since the last reset."""
        with self.lock:
            return sum(self.quota.refused.values())

    def reset_quota(self) -> None:
        with self.lock:
            self.quota.reset()

    def inject(
        self,
        status: int | str = 503,
        times: int = 1,
        method_contains: str = "",
        after_commit: bool = False,
    ) -> None:
        with self.lock:
            self.faults.inject(status, times, method_contains, after_commit)

    def fault_rate(
        self,
        rate: float,
        statuses: Iterable[int | str] = (429, 500, 503),
        seed: int | None = None,
        method_contains: str = "",
        after_commit: bool = False,
    ) -> None:
        with self.lock:
            self.faults.fault_rate(rate, statuses, seed, method_contains, after_commit)

    def slow(self, seconds: float, method_contains: str = "") -> None:
        with self.lock:
            self.faults.slow(seconds, method_contains)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    @property
    def faults_served(self) -> list[tuple[str, int | str]]:
        with self.lock:
            return list(self.faults.served)

    def call_count(self, method_suffix: str) -> int:
        with self.lock:
            return sum(1 for method_id, _ in self.calls if method_id.endswith(method_suffix))

    # ---- Gmail: the user and the world ----------------------------------------------------
    @property
    def history_id(self) -> int:
        with self.lock:
            return self.mailbox.history_id

    def expire_history(self) -> None:
        """Every history id issued so far becomes too old: history.list answers 404."""
        with self.lock:
            self.mailbox.expire_history()

    def send_draft(
        self, draft_id: str | None = None, *, message_id_header: str | None = None
    ) -> str:
        """The user presses Send; returns the new Gmail message id (label SENT, same thread)."""
        with self.lock:
            if draft_id is None:
                if len(self.mailbox.drafts) != 1:
                    raise ValueError(f"{len(self.mailbox.drafts)} drafts: name the one to send")
                draft_id = next(iter(self.mailbox.drafts))
            return self.mailbox.send_draft(draft_id, message_id_header).id

    def compose_draft(self, raw: bytes | EmailMessage) -> str:
        """The user writes a draft of their own in Gmail; returns its draft id."""
        data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
        with self.lock:
            return self.mailbox.create_draft(data).id

    def discard_draft(self, draft_id: str) -> None:
        with self.lock:
            self.mailbox.delete_draft(draft_id)

    def edit_draft(
        self,
        draft_id: str,
        *,
        body: str | None = None,
        subject: str | None = None,
        to: str | None = None,
        rewrite_message_id: bool = False,
    ) -> str:
        """The user edits the draft in Gmail: a new message id, the same draft id (returned).

        ``rewrite_message_id``: the compose window saves the draft with a Message-ID of its
        own (Gmail may mint one when a draft is edited or sent from the UI).
        """
        with self.lock:
            msg = self.mailbox.messages[self.mailbox.draft(draft_id).message_id]
            email = mime.parse(msg.raw)
            for name, value in (("Subject", subject), ("To", to)):
                if value is not None:
                    del email[name]
                    email[name] = value
            if rewrite_message_id:
                del email["Message-ID"]
                email["Message-ID"] = mime.gmail_message_id()
            if body is not None:
                email.set_content(body)
            return self.mailbox.replace_draft(draft_id, email.as_bytes(), None, in_ui=True).id

    def schedule_send(self, draft_id: str, at: datetime) -> str:
        """The user picks "Schedule send": the draft leaves Drafts now, is sent at ``at``
        (on the fake's clock). Returns the id of the waiting (SCHEDULED) message."""
        with self.lock:
            return self.mailbox.schedule_send(draft_id, to_aware(at)).id

    def send_with_undo(self, draft_id: str, seconds: float = 30.0) -> str:
        """Send with Gmail's undo-send delay: the draft vanishes, SENT appears ``seconds``
        later unless ``undo_send`` is called first. Returns the waiting message's id."""
        with self.lock:
            at = self.now() + timedelta(seconds=seconds)
            return self.mailbox.schedule_send(draft_id, at).id

    def undo_send(self, waiting_id: str) -> str:
        """Undo (or cancel a scheduled send): the draft is back under its own id."""
        with self.lock:
            return self.mailbox.cancel_scheduled(waiting_id).id

    def deliver(
        self,
        raw: bytes | EmailMessage,
        *,
        thread_id: str | None = None,
        labels: Iterable[str] = ("INBOX", "UNREAD"),
        received_at: datetime | None = None,
    ) -> str:
        """An inbound message; threaded like Gmail unless ``thread_id`` is given."""
        data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
        with self.lock:
            return self.mailbox.deliver(data, thread_id, labels, received_at).id

    def reply(
        self,
        thread_id: str,
        from_addr: str,
        body: str,
        *,
        subject: str | None = None,
        extra_headers: dict[str, str] | None = None,
        received_at: datetime | None = None,
    ) -> str:
        """``from_addr`` answers the thread's latest non-draft message; returns the message id."""
        with self.lock:
            last = self._latest_sent_or_received(thread_id)
            when = received_at or self.now()
            msg = mime.build_reply(
                last.email,
                from_addr=from_addr,
                to_addr=self.email,
                body=body,
                subject=subject,
                extra_headers=extra_headers,
                when=when,
            )
            return self.mailbox.deliver(msg.as_bytes(), None, ("INBOX", "UNREAD"), when).id

    def bounce(self, thread_id: str, failed_address: str) -> str:
        """A mailer-daemon DSN for the thread's latest message, filed in the same thread."""
        with self.lock:
            last = self._latest_sent_or_received(thread_id)
            raw = mime.build_bounce(
                last.raw, failed=failed_address, to_addr=self.email, when=self.now()
            )
            return self.mailbox.deliver(raw, thread_id, ("INBOX", "UNREAD")).id

    def label(self, message_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        """The user (or a filter) changes labels: history records labelAdded/labelRemoved."""
        with self.lock:
            self.mailbox.modify_labels(message_id, add, remove)

    def _latest_sent_or_received(self, thread_id: str) -> Message:
        msgs = [m for m in self.mailbox.thread(thread_id) if "DRAFT" not in m.label_ids]
        if not msgs:
            raise ValueError(f"thread {thread_id} has only drafts")
        return msgs[-1]

    def drafts(self) -> list[Draft]:
        with self.lock:
            return [Draft(d.id, d.message_id) for d in self.mailbox.drafts.values()]

    def message(self, message_id: str) -> Message:
        with self.lock:
            return _copy(self.mailbox.messages[message_id])

    def thread(self, thread_id: str) -> list[Message]:
        with self.lock:
            return [_copy(m) for m in self.mailbox.thread(thread_id)]

    def messages_in(self, label: str) -> list[Message]:
        with self.lock:
            return [_copy(m) for m in self.mailbox.messages.values() if label in m.label_ids]

    # ---- Calendar: the world --------------------------------------------------------------
    @property
    def invitations(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.calendar.invitations)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(list(self.calendar.events.values()))

    def respond_to_event(self, event_id: str, attendee_email: str, response: str) -> dict:
        """An attendee answers: "accepted", "declined" or "tentative"."""
        with self.lock:
            return self.calendar.respond(event_id, attendee_email, response)

    def add_busy(self, start: datetime | str, end: datetime | str) -> None:
        """Busy time on the primary calendar that is not one of the service's events."""
        with self.lock:
            self.calendar.busy.append((to_aware(start), to_aware(end)))


def _copy(msg: Message) -> Message:
    return Message(
        msg.id, msg.thread_id, list(msg.label_ids), msg.raw, msg.internal_date, msg.history_id
    )
