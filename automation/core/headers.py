"""Reading headers of mail we did not write: decoded, and never raising on malformed input.

Replies, bounces and auto-replies come from every mail program there is; one broken header
must not stop the classification of a message or the sync of a mailbox. ``replies`` (what a
message is) and ``observe`` (whom it is about) read headers through these functions only.
"""

from __future__ import annotations

from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses


def header(msg: Message, name: str) -> str:
    """The decoded value of the first header ``name`` ('' if absent); never raises."""
    # raw_items() bypasses the policy's structured header parsing, which raises on some broken
    # headers; decoding RFC 2047 words by hand is enough for matching.
    raws = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
    if not raws:
        return ""
    raw = str(raws[0])
    if any("\udc80" <= c <= "\udcff" for c in raw):
        # Raw 8-bit bytes (no RFC 2047), kept by the parser as surrogates: read them as UTF-8
        # like the email package's own policy does, so the text can be matched and stored.
        raw = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        return str(make_header(decode_header(raw))).strip()
    except Exception:  # malformed encoded-words: the raw text is still useful
        return raw.strip()


def addresses(msg: Message, *names: str) -> list[tuple[str, str]]:
    """``(display name, lower-case address)`` pairs from the named headers, in order; pairs
    without an ``@`` are left out. Never raises."""
    values = [header(msg, n) for n in names]
    try:
        pairs = getaddresses([v for v in values if v])
    except Exception:  # getaddresses is lenient, but be sure for arbitrary bytes
        return []
    return [(n, a.strip().lower()) for n, a in pairs if "@" in a]


def emails(msg: Message, *names: str) -> list[str]:
    """Just the lower-case addresses of ``addresses``."""
    return [address for _, address in addresses(msg, *names)]
