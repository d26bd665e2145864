"""RFC 822 helpers: base64url ``raw``, Gmail's payload JSON, reply and bounce messages."""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import secrets
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from typing import Any

from .errors import bad_request

_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_serial = itertools.count(1)
_UNFOLDED = policy.default.clone(max_line_length=None)  # show parts as they were sent


def decode_raw(raw: str) -> bytes:
    """Gmail accepts base64url with or without padding."""
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise bad_request("Invalid value for ByteString: raw", reason="invalidArgument") from None


def encode_raw(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def parse(data: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(data)  # type: ignore[return-value]


def base_subject(subject: str | None) -> str:
    """The subject Gmail compares when threading: "Re:"/"Fwd:" prefixes and case ignored."""
    return " ".join(_PREFIX.sub("", subject or "").split()).casefold()


def message_ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def gmail_message_id() -> str:
    """A Message-ID like the ones Gmail stamps on mail it sends."""
    return f"<CAFAKE{next(_serial):06d}{secrets.token_hex(10)}@mail.gmail.com>"


def with_defaults(data: bytes, *, when: datetime, domain: str) -> bytes:
    """Add Message-ID and Date when missing, as a sending mail server would."""
    msg = parse(data)
    changed = False
    if msg["Message-ID"] is None:
        msg["Message-ID"] = make_msgid(domain=domain)
        changed = True
    if msg["Date"] is None:
        msg["Date"] = format_datetime(when)
        changed = True
    return msg.as_bytes() if changed else data


def text_body(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            data = part.get_payload(decode=True) or b""
            return data.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def snippet(msg: Message) -> str:
    return " ".join(text_body(msg).split())[:200]


def headers_json(msg: Message) -> list[dict[str, str]]:
    return [{"name": name, "value": str(value)} for name, value in msg.items()]


def payload_json(msg: Message, part_id: str = "") -> dict[str, Any]:
    """A message part as Gmail's ``format=full`` renders it: parts nested, bodies base64url."""
    out: dict[str, Any] = {
        "partId": part_id,
        "mimeType": msg.get_content_type(),
        "filename": msg.get_filename() or "",
        "headers": headers_json(msg),
    }
    if msg.get_content_maintype() == "multipart":
        out["body"] = {"size": 0}
        out["parts"] = [
            payload_json(sub, f"{part_id}.{i}" if part_id else str(i))
            for i, sub in enumerate(msg.get_payload())  # type: ignore[arg-type]
        ]
        return out
    if msg.get_content_maintype() == "message":
        inner = msg.get_payload()
        items = inner if isinstance(inner, list) else [inner]
        data = b"".join(
            m.as_bytes(policy=_UNFOLDED) if isinstance(m, Message) else str(m).encode()
            for m in items
        )
    else:
        data = msg.get_payload(decode=True) or b""
    out["body"] = {"size": len(data), "data": encode_raw(data)} if data else {"size": 0}
    return out


def build_reply(
    last: Message,
    *,
    from_addr: str,
    to_addr: str,
    body: str,
    subject: str | None,
    extra_headers: dict[str, str] | None,
    when: datetime,
) -> EmailMessage:
    """A reply as a real mail client writes it: In-Reply-To/References to ``last``."""
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = to_addr
    original = str(last["Subject"] or "")
    msg["Subject"] = subject if subject is not None else f"Re: {_PREFIX.sub('', original)}"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=from_addr.rpartition("@")[2] or "example.org")
    parent = str(last["Message-ID"] or "")
    if parent:
        msg["In-Reply-To"] = parent
        msg["References"] = " ".join(message_ids(str(last["References"] or "")) + [parent])
    for name, value in (extra_headers or {}).items():
        del msg[name]
        msg[name] = value
    msg.set_content(body)
    return msg


def build_bounce(original: bytes, *, failed: str, to_addr: str, when: datetime) -> bytes:
    """A Gmail-style delivery status notification (multipart/report) for ``original``."""
    orig = parse(original)
    boundary = "000000000000fakebounce" + str(next(_serial))
    parent = str(orig["Message-ID"] or "")
    refs = f"In-Reply-To: {parent}\r\nReferences: {parent}\r\n" if parent else ""
    text = (
        "** Address not found **\r\n\r\n"
        f"Your message wasn't delivered to {failed} because the address couldn't be found, "
        "or is unable to receive mail.\r\n\r\nThe response from the remote server was:\r\n"
        "550 5.1.1 The email account that you tried to reach does not exist.\r\n"
    )
    status = (
        "Reporting-MTA: dns; googlemail.com\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does "
        "not exist.\r\n"
    )
    head = (
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n"
        f"To: {to_addr}\r\n"
        f"X-Failed-Recipients: {failed}\r\n"
        "Subject: Delivery Status Notification (Failure)\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: {make_msgid(domain='mx.google.com')}\r\n"
        f"{refs}"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; boundary="{boundary}"; report-type=delivery-status\r\n'
        "\r\n"
    )
    body = (
        f'--{boundary}\r\nContent-Type: text/plain; charset="UTF-8"\r\n\r\n{text}\r\n'
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n{status}\r\n"
        f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
    )
    return (
        (head + body).encode()
        + original.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        + (f"\r\n--{boundary}--\r\n".encode())
    )
