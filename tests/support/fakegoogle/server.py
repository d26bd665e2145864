"""The loopback HTTP side: a threaded server and the request pipeline.

Pipeline for each API call (and each part of a batch):
route (discovery; 404) → refuse sending (403, counted) → bearer token (401) → scopes (403)
→ parameters and body (400) → quota (429) → fault before commit → method → fault after commit.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from . import batch
from .discovery import Route
from .errors import ApiError, bad_request, fault_error
from .faults import Fault

if TYPE_CHECKING:
    from .fake import FakeGoogle

log = logging.getLogger(__name__)
REFUSED = ("gmail.users.drafts.send", "gmail.users.messages.send")
JSON = "application/json; charset=UTF-8"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), headers=headers or {})


def error_reply(error: ApiError) -> Reply:
    return json_reply(error.status, error.body(), error.headers)


class Dispatcher:
    """Turns one HTTP request into a Reply, using the fake's state under its lock."""

    def __init__(self, fake: FakeGoogle) -> None:
        self.fake = fake

    def handle(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        path = urlsplit(target).path
        if path == "/token" and verb == "POST":
            return self.token(body)
        if path in batch.PATHS and verb == "POST":
            return self.batch(headers, body)
        reply = self.api(verb, target, headers, body)
        return reply

    def token(self, body: bytes) -> Reply:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        with self.fake.lock:
            self.fake.calls.append(("oauth2.token", {"grant_type": form.get("grant_type")}))
            fault = self.fake.faults.pick("oauth2.token", named_only=True)
            if fault is not None and not fault.is_transport:
                # Google's token endpoint has bad moments too: google-auth treats 500, 503,
                # 504, 408 and 429 (transport.DEFAULT_RETRYABLE_STATUS_CODES) and the RFC 6749
                # errors "server_error"/"temporarily_unavailable" as RefreshError(retryable=True)
                # (google/oauth2/_client.py, _can_retry).
                assert isinstance(fault.status, int)
                error = "temporarily_unavailable" if fault.status in (429, 503) else "server_error"
                return json_reply(fault.status, {"error": error,
                                                 "error_description": "Backend Error"})
            if fault is not None:
                return self._fault_reply(fault)
            status, payload = self.fake.tokens.token_endpoint(form)
        return json_reply(status, payload, {"Cache-Control": "no-store"})

    def batch(self, headers: dict[str, str], body: bytes) -> Reply:
        outer_auth = headers.get("authorization")
        try:
            parts = batch.parse(headers.get("content-type", ""), body)
        except ApiError as error:
            with self.fake.lock:
                self.fake.validation_errors.append(error.message)
            return error_reply(error)
        with self.fake.lock:
            self.fake.calls.append(("batch", {"size": len(parts)}))
        answers, delay = [], 0.0
        for part in parts:
            part.headers.setdefault("authorization", outer_auth or "")
            reply = self.api(part.verb, part.target, part.headers, part.body)
            if reply.drop:
                return reply  # a transport fault takes the whole batch connection down
            delay = max(delay, reply.delay)
            answers.append(batch.SubResponse(part.content_id, reply.status, reply.body))
        content_type, payload = batch.render(answers)
        return Reply(200, payload, content_type, delay=delay)

    def api(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        fake, method_id = self.fake, "?"
        url = urlsplit(target)
        with fake.lock:
            fake.mailbox.release_due()  # scheduled sends whose time has come go out first
            try:
                route, path_params = self._route(verb, url.path)
                method_id = route.method_id
                query = parse_qs(url.query, keep_blank_values=True)
                fake.calls.append((method_id, {**path_params, **_plain(query)}))
                params, payload = self._admit(route, headers, query, body)
                params.update(path_params)
                fake.calls[-1] = (method_id, dict(params))
                reply = self._run(method_id, params, payload)
            except ApiError as error:
                reply = error_reply(error)
            except Exception as error:  # a bug in the fake must not look like a network fault
                log.exception("fakegoogle: %s failed", method_id)
                fake.internal_errors.append(f"{method_id}: {error!r}")
                reply = error_reply(ApiError(500, "backendError", f"fake bug: {error!r}"))
            reply.delay = max(reply.delay, fake.faults.delay_for(method_id))
            return reply

    def _admit(self, route: Route, headers: dict[str, str], query, body: bytes):
        """Refuse sending, then check token, scopes, parameters and body, in Google's order."""
        fake = self.fake
        if route.method_id in REFUSED:
            fake.send_attempts += 1
            raise ApiError(403, "forbidden", "the fake refuses: this service must never send")
        scopes = fake.tokens.scopes_for(headers.get("authorization"))
        if not scopes & set(route.scopes):
            raise ApiError(
                403,
                "insufficientPermissions",
                "Request had insufficient authentication scopes. "
                f"{route.method_id} needs one of {route.scopes}",
            )
        return self._validate(route, query, body)

    def _run(self, method_id: str, params: dict[str, Any], payload: Any) -> Reply:
        """Charge quota, then run the method with any fault before or after its commit."""
        handler = self.fake.handlers.get(method_id)
        if handler is None:
            self.fake.unimplemented.append(method_id)
            raise ApiError(501, "notImplemented", f"the fake does not implement {method_id}")
        self.fake.quota.charge(method_id)
        fault = self.fake.faults.pick(method_id)
        if fault and not fault.after_commit:
            return self._fault_reply(fault)
        result = handler(params, payload)
        if fault:
            return self._fault_reply(fault)
        return Reply(204) if result is None else json_reply(200, result)

    def _route(self, verb: str, path: str):
        try:
            return self.fake.discovery.match(verb, path)
        except ApiError as error:
            self.fake.validation_errors.append(error.message)
            raise

    def _validate(self, route, query: dict[str, list[str]], body: bytes):
        try:
            params = self.fake.discovery.parse_params(route, query)
            payload = None
            if body:
                try:
                    payload = json.loads(body)
                except ValueError:
                    raise bad_request("Invalid JSON payload received.") from None
            self.fake.discovery.check_body(route, payload)
            return params, payload
        except ApiError as error:
            self.fake.validation_errors.append(f"{route.method_id}: {error.message}")
            raise

    def _fault_reply(self, fault: Fault) -> Reply:
        if fault.status == "timeout":
            return Reply(0, delay=self.fake.hang_seconds, drop=True)
        if fault.status == "drop":
            return Reply(0, drop=True)
        assert isinstance(fault.status, int)
        return error_reply(fault_error(fault.status))


def _plain(query: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v if len(v) > 1 else v[0] for k, v in query.items() if k != "alt"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httplib2 expects
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        # Small header and body writes must not wait for delayed ACKs (40 ms a call).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            # The client died mid-upload (the crash tests SIGKILL it at random): Google never
            # sees a request that was not fully sent, so neither acts on it nor counts it.
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.dispatch(self.command, self.path, headers, body)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self._headers_buffer.append(b"\r\n" + reply.body)  # one write: headers and body
        self.flush_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("fakegoogle: " + format, *args)


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 that can close its keep-alive connections on stop."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, dispatch: Callable[[str, str, dict[str, str], bytes], Reply]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.dispatch = dispatch
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.02,), name="fakegoogle", daemon=True
        )  # a short poll interval makes stop() quick

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def process_request(self, request, client_address) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def stop(self) -> None:
        self.shutdown()
        with self._open_lock:
            for sock in list(self._open):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.server_close()
        self._thread.join(timeout=5)
