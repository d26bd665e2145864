"""The batch wire format: ``multipart/mixed`` of ``application/http`` parts, both directions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser, Parser
from http import HTTPStatus

from .errors import bad_request

MAX_PARTS = 100  # Google refuses larger batches; Gmail recommends at most 50.
PATHS = ("/batch", "/batch/gmail/v1", "/batch/calendar/v3")


@dataclass
class SubRequest:
    content_id: str
    verb: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class SubResponse:
    content_id: str
    status: int
    body: bytes
    content_type: str = "application/json; charset=UTF-8"


def parse(content_type: str, body: bytes) -> list[SubRequest]:
    """Split a batch request body into its sub-requests (400 when it is not a valid batch)."""
    if not content_type.lower().startswith("multipart/mixed"):
        raise bad_request("Batch requests must be multipart/mixed.")
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    outer = BytesParser(policy=policy.compat32).parsebytes(head + body)
    parts = outer.get_payload()
    if not isinstance(parts, list) or not parts:
        raise bad_request("Batch request has no parts.")
    if len(parts) > MAX_PARTS:
        raise bad_request(f"Too many requests in a batch: {len(parts)} > {MAX_PARTS}.")
    return [_parse_part(part) for part in parts]


def _parse_part(part) -> SubRequest:
    if part.get_content_type() != "application/http":
        raise bad_request("Each batch part must be application/http.")
    text = part.get_payload()
    request_line, _, rest = text.partition("\n")
    pieces = request_line.strip().split(" ")
    if len(pieces) < 2:
        raise bad_request(f"Bad request line in batch part: {request_line!r}")
    inner = Parser(policy=policy.compat32).parsestr(rest)
    payload = inner.get_payload()
    body = payload.encode() if isinstance(payload, str) else b""
    return SubRequest(
        content_id=part.get("Content-ID", ""),
        verb=pieces[0].upper(),
        target=pieces[1],
        headers={k.lower(): v for k, v in inner.items()},
        body=body.strip(),
    )


def render(responses: list[SubResponse]) -> tuple[str, bytes]:
    """The batch response as Google writes it: ``Content-ID: <response-...>`` per part."""
    boundary = "batch_" + secrets.token_hex(12)
    chunks = []
    for resp in responses:
        reason = (
            HTTPStatus(resp.status).phrase if resp.status in HTTPStatus._value2member_map_ else ""
        )
        inner_id = resp.content_id.strip().removeprefix("<").removesuffix(">")
        chunks.append(
            f"--{boundary}\r\n"
            "Content-Type: application/http\r\n"
            f"Content-ID: <response-{inner_id}>\r\n\r\n"
            f"HTTP/1.1 {resp.status} {reason}\r\n"
            f"Content-Type: {resp.content_type}\r\n"
            f"Content-Length: {len(resp.body)}\r\n\r\n".encode()
            + resp.body
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/mixed; boundary={boundary}", b"".join(chunks)
