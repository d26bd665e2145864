"""Gmail's message shapes: ``raw`` (base64url of RFC 822 bytes) both ways, ``payload.headers``
of a ``format=metadata`` answer, and which messages the service wants whole.
"""

from __future__ import annotations

import base64
import re
from email import policy
from email.message import EmailMessage
from email.parser import HeaderParser

from automation.app.ports import Watch
from automation.core.mailsafe import header_addresses, header_text, message_ids, parse_message
from automation.core.mime import message_bytes

#: Larger messages are read headers-only, as on the local backend.
MAX_BODY_BYTES = 2 * 1024 * 1024

_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
_BOUNCE_SUBJECT = re.compile(r"(?i)undeliver|delivery status notification|delivery fail|"
                             r"mail delivery|returned mail|failure notice")


def encode_raw(message: EmailMessage) -> str:
    # policy.SMTP's bytes, kept if the message was written once (core/mime.py)
    return base64.urlsafe_b64encode(message_bytes(message, "\r\n")).decode("ascii")


def decode_raw(raw: str) -> bytes:
    """The bytes of a ``raw`` field (Gmail may leave the padding out); b"" if it is broken."""
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return b""


def raw_message(raw: str) -> EmailMessage:
    """A ``raw`` field as a message (bounded: see ``parse_message``)."""
    return parse_message(decode_raw(raw), max_bytes=MAX_BODY_BYTES).message


def headers_message(headers: list[dict[str, str]]) -> EmailMessage:
    """A headers-only EmailMessage from ``payload.headers`` of a ``format=metadata`` answer."""
    lines = []
    for header in headers:
        name, value = header.get("name", ""), header.get("value", "")
        if name and ":" not in name and name.isprintable():
            lines.append(f"{name}: {' '.join(value.split())}")
    return HeaderParser(policy=policy.default).parsestr("\n".join(lines) + "\n\n")


def looks_like_bounce(message: EmailMessage) -> bool:
    """A delivery report, judged by headers alone: it names the failed address only inside."""
    # Raw, bounded header reads: the structured parse costs seconds on a hostile From.
    senders = header_addresses(message, "From")
    return (message.get_content_type() == "multipart/report"
            or bool(header_text(message, "X-Failed-Recipients"))
            or any(s.partition("@")[0] in _BOUNCE_SENDERS for s in senders)
            or bool(_BOUNCE_SUBJECT.search(header_text(message, "Subject"))))


def wants_body(message: EmailMessage, watch: Watch) -> bool:
    """Is this a message the service tracks: from a watched address, a reply to one of ours,
    or a bounce (which may come in a thread of its own, from a stranger)?"""
    senders = set(header_addresses(message, "From"))
    if senders & {a.lower() for a in watch.addresses}:
        return True
    refs = (set(message_ids(header_text(message, "In-Reply-To")))
            | set(message_ids(header_text(message, "References"))))
    return bool(refs & set(watch.message_ids)) or looks_like_bounce(message)
