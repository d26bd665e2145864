"""Reading mail from anyone on the internet without letting one message stop the service.

Pure: bytes and parsed messages in, values out; no I/O, no clock.

- ``parse_message`` parses raw bytes with bounded cost. A message whose MIME tree is deeper or
  larger than any mail client writes (the parser recurses per level and fails with
  RecursionError past ~1,000 levels), that is larger than ``max_bytes``, or that the parser
  cannot read at all is read headers-only, with a problem naming why; its body is dropped so
  no later step pays for it.
- ``header_text`` reads a header from its raw value, bounded in length: the structured parse
  of ``email.policy.default`` costs seconds for a From with thousands of addresses.
- ``message_id`` validates an identifier before it is stored or copied into a header we
  write: an RFC 2047 encoded CR/LF inside a Message-ID must never reach In-Reply-To.
- ``find_addresses`` scans text for addresses in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses

#: Containers (multipart/*, message/*) a real message has: a few, a forwarded chain a few dozen.
MAX_CONTAINERS = 64
#: MIME parts of any kind, and nesting depth, beyond which a message is read headers-only.
MAX_PARTS = 1000
MAX_DEPTH = 32
#: Raw header value read for matching: generous for any real header, bounded for a hostile one.
MAX_HEADER_CHARS = 8192
#: Addresses taken from one header (From, To, Cc); a real From has one.
MAX_ADDRESSES = 50
#: Text of a body read for the sender's new words, and the new words classified: a person's
#: reply is a few kB at the top; a megabyte body must cost what a normal reply costs.
MAX_SCANNED_CHARS = 64 * 1024
MAX_NEW_TEXT_CHARS = 8 * 1024
#: Message-IDs taken from References (the newest are at its end).
MAX_REFERENCES = 50

_CONTENT_TYPE = re.compile(rb"^content-type:[ \t]*(?:\r?\n[ \t]+)?(multipart|message)?",
                           re.IGNORECASE | re.MULTILINE)
# RFC 5322 msg-id: "<" id-left "@" id-right ">", printable ASCII without angle brackets or
# spaces. Anything else (whitespace, control characters, non-ASCII) is not stored or reused.
_MSG_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,250}@[\x21-\x3b\x3d\x3f-\x7e]{1,250}>")
_MSG_ID_ANYWHERE = re.compile(r"<[^<>\s]{1,500}>")
_LOCAL_MARKS = frozenset(".+'-_")


@dataclass(frozen=True)
class Parsed:
    """A parsed message; ``has_body`` False when only its headers were kept (see ``problem``)."""

    message: EmailMessage
    has_body: bool
    problem: str = ""


def parse_message(data: bytes, *, max_bytes: int) -> Parsed:
    """Parse ``data`` with bounded work; never raises (see module docstring)."""
    why = ""
    if len(data) > max_bytes:
        return Parsed(_headers_only(data), False)  # big, not hostile: no problem to report
    containers, parts = _count_parts(data)
    if containers > MAX_CONTAINERS or parts > MAX_PARTS:
        why = f"its MIME structure is too deep or too large ({containers} containers, " \
              f"{parts} parts); read its headers only"
    else:
        try:
            message: EmailMessage = BytesParser(policy=policy.default).parsebytes(data)
        except (RecursionError, MemoryError) as exc:
            why = f"it cannot be parsed ({type(exc).__name__}); read its headers only"
        except Exception as exc:  # a parser bug on hostile input must not stop the sync
            why = f"it cannot be parsed ({type(exc).__name__}: {exc}); read its headers only"
        else:
            shape = mime_problem(message)
            if not shape:
                return Parsed(message, True)
            why = f"{shape}; read its headers only"
    return Parsed(_headers_only(data), False, why)


def _count_parts(data: bytes) -> tuple[int, int]:
    containers = parts = 0
    for match in _CONTENT_TYPE.finditer(data):
        parts += 1
        containers += match.group(1) is not None
        if parts > MAX_PARTS:
            break
    return containers, parts


def _headers_only(data: bytes) -> EmailMessage:
    try:
        message: EmailMessage = BytesHeaderParser(policy=policy.default).parsebytes(data)
    except Exception:  # not even headers: an empty message still gets recorded and skipped
        message = EmailMessage()
    try:
        message.set_payload("")  # nothing downstream may read (or pay for) the dropped body
    except Exception:
        message = EmailMessage()
    return message


def mime_problem(message: Message) -> str:
    """Why ``message``'s MIME tree is beyond the bounds, or '' (iterative: no recursion)."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            return f"its MIME parts are nested more than {MAX_DEPTH} deep"
        if count > MAX_PARTS:
            return f"it has more than {MAX_PARTS} MIME parts"
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((p, depth + 1) for p in payload if isinstance(p, Message))
    return ""


def header_text(message: Message, name: str, limit: int = MAX_HEADER_CHARS) -> str:
    """The first ``name`` header, RFC 2047 decoded, at most ``limit`` characters; never raises."""
    try:
        raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    except Exception:
        return ""
    if raw is None:
        return ""
    # 8-bit header bytes arrive as surrogate escapes: read them as UTF-8 (else replaced),
    # as a mail client would, so nothing unencodable reaches the database.
    raw = str(raw)[:limit].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        return str(make_header(decode_header(raw))).strip()[:limit]
    except Exception:  # malformed encoded-words: the raw text is still useful
        return raw.strip()


def header_pairs(message: Message, *names: str) -> list[tuple[str, str]]:
    """``(display name, lower-case address)`` in the named headers, in order, at most
    ``MAX_ADDRESSES`` from each; entries without an ``@`` are left out. Never raises."""
    found: list[tuple[str, str]] = []
    for name in names:
        value = header_text(message, name)
        if not value:
            continue
        try:
            pairs = getaddresses([value])[:MAX_ADDRESSES]
        except Exception:
            continue
        found += [(n, a.strip().lower()) for n, a in pairs if "@" in a]
    return found


def header_addresses(message: Message, *names: str) -> list[str]:
    """Lower-case addresses in the named headers, at most ``MAX_ADDRESSES`` from each."""
    return [address for _, address in header_pairs(message, *names)]


def message_id(value: str | None) -> str | None:
    """``value`` as a Message-ID safe to store and to copy into a header, else None."""
    if not value:
        return None
    value = value.strip()
    return value if len(value) <= 500 and _MSG_ID.fullmatch(value) else None


def message_ids(value: str, limit: int = MAX_REFERENCES) -> list[str]:
    """The valid Message-IDs in ``value`` (In-Reply-To, References), the last ``limit``."""
    found = _MSG_ID_ANYWHERE.findall(value[-limit * 1000:])
    return [m for m in found if message_id(m)][-limit:]


def find_addresses(text: str, limit: int = 200) -> list[tuple[int, int, str]]:
    """``(start, end, address)`` of each address-like token in ``text``, in linear time.

    Each ``@`` is grown outwards over address characters, at most 64 to the left (RFC 5321's
    local-part limit) and 255 to the right, so a long run of letters costs one pass, not a
    regex retry at every position.
    """
    out: list[tuple[int, int, str]] = []
    pos = text.find("@")
    while pos >= 0 and len(out) < limit:
        start = pos
        while start > 0 and pos - start < 64 and (text[start - 1].isalnum()
                                                          or text[start - 1] in _LOCAL_MARKS):
            start -= 1
        end = pos + 1
        while end < len(text) and end - pos <= 255 and (text[end].isalnum() or text[end] in ".-_"):
            end += 1
        local, domain = text[start:pos].lstrip(".'"), text[pos + 1:end].rstrip(".-")
        if local and "." in domain and not domain.startswith((".", "-")):
            out.append((pos - len(local), pos + 1 + len(domain), f"{local}@{domain}"))
        pos = text.find("@", max(end, pos + 1))
    return out


def part_text(part: Message) -> str:
    """The part's text, decoded by its declared charset; bad bytes become U+FFFD.

    A malformed transfer encoding gives the raw text; a charset Python does not know
    (e.g. "x-unknown") is read as UTF-8. Never raises.
    """
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, ValueError):
        return payload.decode("utf-8", errors="replace")
