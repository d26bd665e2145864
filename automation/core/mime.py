"""A plain-text message written once: ``build_message``'s fast path and the bytes it keeps.

Building a draft through ``email.policy.default`` parses every header as it is set, and every
serialisation (the journal's copy, the Maildir file, Gmail's ``raw``) folds each header again;
at a thousand drafts in a pass that was most of the pass's CPU. When every header is plain
ASCII that needs no quoting, encoding or folding (the common case), the bytes
``email.generator`` writes for such a message are written here directly, and the
``EmailMessage`` is made from them the way ``email.parser`` makes one: raw header values,
parsed when read. Anything else takes the email package's own path (``simple_message`` says
None). ``tests/core/test_mime.py`` checks on generated inputs that both paths give the same
bytes, the same header values and the same text.

The bytes are kept beside the message for as long as its headers and payload are the very
objects they were written from: a message changed since (a header set or removed, new
content, an attachment) is serialised again by the email package.
"""

from __future__ import annotations

import operator
import re
import weakref
from dataclasses import dataclass
from email import contentmanager, policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy

from automation.core.qp import encode_text


class _Headers(HeaderRegistry):
    """The standard header classes, each made once.

    CPython's ``HeaderRegistry.__getitem__`` builds a new class (``type(...)``) every time a
    header is set or read; the class depends only on the header's name, so it is kept. With
    a thousand drafts in a pass that was a third of the cost of building each message.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(key)
        return made


#: ``email.policy.default`` with the header classes made once (see ``_Headers``).
MESSAGE_POLICY = policy.default.clone(header_factory=_Headers())
#: The line length past which the generator folds a header (None in a policy: never).
_MAX_LINE = MESSAGE_POLICY.max_line_length or 1 << 30

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
#: A display name written as it is (no quotes): atext words, single spaces.
_PLAIN_NAME = re.compile(rf"(?:{_ATEXT}+(?: {_ATEXT}+)*)?")
_PLAIN_ADDR = re.compile(rf"{_DOT_ATOM}@{_DOT_ATOM}")
#: Unstructured text written as it is: printable ASCII words, single spaces.
_PLAIN_TEXT = re.compile(r"[!-~]+(?: [!-~]+)*")
_PLAIN_IDS = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>(?: <{_DOT_ATOM}@{_DOT_ATOM}>)*")
_PLAIN_DATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}")
#: Which pattern a header's value must match to be written as it is.
_PLAIN = {"Subject": _PLAIN_TEXT, "Date": _PLAIN_DATE, "Message-ID": _PLAIN_IDS,
          "In-Reply-To": _PLAIN_IDS, "References": _PLAIN_IDS}
#: ``set_content``'s choice of transfer encoding and its encoded text (CPython's own helper,
#: so the two paths cannot choose differently); without it every message takes the slow path.
_ENCODE_TEXT = getattr(contentmanager, "_encode_text", None)


def plain_address(name: str, email: str) -> str | None:
    """``Name <local@domain>`` (or the bare address) as ``AddressHeader`` writes it, or None
    when the name or the address needs quoting or encoding."""
    if "=?" in name or not _PLAIN_NAME.fullmatch(name) or not _PLAIN_ADDR.fullmatch(email):
        return None
    return f"{name} <{email}>" if name else email


@dataclass(frozen=True)
class _Written:
    """What a message was written from (the very objects), its bytes and its text."""

    headers: tuple[tuple[str, object], ...]
    payload: object
    lf: bytes
    text: str
    #: Each header's first value by lower-case name, as ``header_value`` reads it.
    values: dict[str, str]

    def fresh(self, message: EmailMessage) -> bool:
        """Whether ``message`` still holds exactly what these bytes were written from."""
        now, payload = vars(message)["_headers"], vars(message)["_payload"]  # what it writes
        return (payload is self.payload and len(now) == len(self.headers)
                and all(map(operator.is_, now, self.headers)))


_WRITTEN: weakref.WeakKeyDictionary[EmailMessage, _Written] = weakref.WeakKeyDictionary()


def simple_message(headers: list[tuple[str, str]], body: str) -> EmailMessage | None:
    """The text/plain UTF-8 message of ``headers`` (values as ``str`` of the header objects
    ``build_message`` would set) and ``body``, or None if any header needs the email
    package (non-ASCII, quoting, folding) or the body's encoding would not be plain lines."""
    if _ENCODE_TEXT is None:
        return None
    lines = []
    for name, value in headers:
        pattern = _PLAIN.get(name)
        if (pattern is not None and not pattern.fullmatch(value)) or "=?" in value \
                or len(name) + 2 + len(value) > _MAX_LINE:
            return None
        lines.append(f"{name}: {value}\n")
    cte, payload = encode_text(body, MESSAGE_POLICY)  # _ENCODE_TEXT's, with less work
    if "\r" in payload or not payload.endswith("\n"):
        return None
    added = [("Content-Type", 'text/plain; charset="utf-8"'),
             ("Content-Transfer-Encoding", cte), ("MIME-Version", "1.0")]
    lines += [f"{name}: {value}\n" for name, value in added]
    message = EmailMessage(policy=MESSAGE_POLICY)
    for name, value in (*headers, *added):
        message.set_raw(name, value)  # as email.parser stores a header it has read
    message.set_payload(payload)
    raw = "".join(lines).encode("ascii") + b"\n" + payload.encode("ascii", "surrogateescape")
    # get_content()'s text: the body's lines as _ENCODE_TEXT split them (at CR and LF only).
    text = (b"\n".join(body.encode("utf-8").splitlines()) + b"\n").decode("utf-8")
    fields = vars(message)
    values: dict[str, str] = {}
    for name, value in fields["_headers"]:
        values.setdefault(name.lower(), str(value))
    _WRITTEN[message] = _Written(tuple(fields["_headers"]), fields["_payload"], raw, text,
                                 values)
    return message


def _written(message: EmailMessage) -> _Written | None:
    written = _WRITTEN.get(message)
    return written if written is not None and written.fresh(message) else None


def message_bytes(message: EmailMessage, linesep: str = "\n") -> bytes:
    """``message`` as ``email.policy.default`` (``linesep`` "\\n") or ``SMTP`` ("\\r\\n")
    writes it; the bytes ``simple_message`` wrote while the message is unchanged."""
    written = _written(message)
    if written is None:
        chosen: EmailPolicy[EmailMessage] = {"\n": policy.default, "\r\n": policy.SMTP}.get(linesep) \
            or policy.default.clone(linesep=linesep)
        return message.as_bytes(policy=chosen)
    return written.lf if linesep == "\n" else written.lf.replace(b"\n", linesep.encode())


def header_value(message: EmailMessage, name: str) -> str:
    """``str(message[name])`` ("" if absent), read off what ``simple_message`` wrote while
    the message is unchanged (reading a raw header parses it every time)."""
    written = _written(message)
    if written is not None:
        return written.values.get(name.lower(), "")
    value = message.get(name)
    return "" if value is None else str(value)


def plain_text(message: EmailMessage) -> str | None:
    """The text ``get_content()`` gives for a message ``simple_message`` wrote, while it is
    unchanged; None for any other message."""
    written = _written(message)
    return None if written is None else written.text
