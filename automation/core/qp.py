"""A text body's transfer encoding, as ``set_content`` chooses and writes it, with less work.

``email.contentmanager._encode_text`` (what ``EmailMessage.set_content`` calls) sends a body
with a line over 78 bytes to quoted-printable or base64: it encodes the first ten lines both
ways to choose, then the whole body again. Its quoted-printable step
(``email.quoprimime.body_encode``) escapes characters with ``str.translate`` over a list of
256 strings, one Python-level look-up per character: with three offered slots in each
outreach, that was most of the cost of building the message. ``encode_text`` takes the same
decisions and writes the same text, escaping by one regular-expression pass that stops only
at the characters to escape; ``tests/core/test_qp.py`` holds it to CPython's functions on
generated bodies. Bodies whose lines all fit, and any policy but the one it was written
for, go to CPython's own function.
"""

from __future__ import annotations

import binascii
import re
from email import contentmanager
from email.policy import EmailPolicy
from typing import Any

__all__ = ["body_encode", "encode_text"]

#: What ``quoprimime`` escapes in a body (its input is bytes read as Latin-1): all but
#: printable ASCII less "=", tab, CR and LF.
_ESCAPED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f=\x7f-\xff]")
_ESCAPES = {c: f"={c:02X}" for c in range(256)}
_ENCODE_TEXT = getattr(contentmanager, "_encode_text", None)


def _escape(match: re.Match[str]) -> str:
    return _ESCAPES[ord(match.group())]


def body_encode(body: str, maxlinelen: int = 76, eol: str = "\n") -> str:
    """``email.quoprimime.body_encode``, character for character (its line breaking is
    copied as it is; only the escaping differs in how it is done)."""
    if maxlinelen < 4:
        raise ValueError("maxlinelen must be at least 4")
    if not body:
        return body
    body = _ESCAPED.sub(_escape, body)
    soft_break = "=" + eol
    maxlinelen1 = maxlinelen - 1
    encoded_body: list[str] = []
    append = encoded_body.append
    for line in body.splitlines():
        start = 0
        laststart = len(line) - 1 - maxlinelen
        while start <= laststart:
            stop = start + maxlinelen1
            if line[stop - 2] == "=":  # never break an escape apart
                append(line[start:stop - 1])
                start = stop - 2
            elif line[stop - 1] == "=":
                append(line[start:stop])
                start = stop - 1
            else:
                append(line[start:stop] + "=")
                start = stop
        if line and line[-1] in " \t":  # whitespace at the end of a line is kept visible
            room = start - laststart
            if room >= 3:
                q = _ESCAPES[ord(line[-1])]
            elif room == 2:
                q = line[-1] + soft_break
            else:
                q = soft_break + _ESCAPES[ord(line[-1])]
            append(line[start:-1] + q)
        else:
            append(line[start:])
    if body[-1] in "\r\n":
        append("")
    return eol.join(encoded_body)


def encode_text(string: str, policy: EmailPolicy[Any]) -> tuple[str, str]:
    """``contentmanager._encode_text(string, "utf-8", None, policy)``: the transfer
    encoding ``set_content`` picks for ``string`` and the encoded text."""
    if _ENCODE_TEXT is None:
        raise RuntimeError("this Python's email package has no _encode_text")
    lines = string.encode("utf-8").splitlines()
    maxlen = policy.max_line_length
    if policy.linesep != "\n" or policy.cte_type != "8bit" or maxlen is None \
            or max((len(x) for x in lines), default=0) <= maxlen:
        chosen: tuple[str, str] = _ENCODE_TEXT(string, "utf-8", None, policy)
        return chosen  # every line fits: 7bit or 8bit, cheap there
    sniff = b"\n".join(lines[:10]) + b"\n"
    sniff_qp = body_encode(sniff.decode("latin-1"), maxlen)
    if len(sniff_qp) > len(binascii.b2a_base64(sniff)):
        base64: tuple[str, str] = _ENCODE_TEXT(string, "utf-8", "base64", policy)
        return base64
    if len(lines) <= 10:
        return "quoted-printable", sniff_qp
    return "quoted-printable", body_encode((b"\n".join(lines) + b"\n").decode("latin-1"),
                                           maxlen)
