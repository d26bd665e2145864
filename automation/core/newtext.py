"""The sender's new words in a reply: the best text part, HTML as text, quotes cut.

Pure: no I/O. ``mailparser_reply`` strips quotes in many languages; this module holds the
glue and patches a few gaps in it (noted where they are), and bounds the text it reads
(``mailsafe``): a megabyte of reply costs what a normal reply costs.
"""

from __future__ import annotations

import logging
import re
from email.message import EmailMessage, Message

from automation.core import quotes
from automation.core.lazyre import lazy_compile
from automation.core.mailsafe import MAX_NEW_TEXT_CHARS, MAX_SCANNED_CHARS, part_text
from automation.core.picks import LANGUAGES

log = logging.getLogger(__name__)


def _best_part(msg: Message, subtype: str) -> Message | None:
    """The first non-attachment ``text/<subtype>`` part outside any attached message."""
    stack: list[Message] = [msg]
    while stack:
        part = stack.pop(0)
        ctype = part.get_content_type()
        if part.is_multipart():
            if ctype.startswith("message/") and part is not msg:
                continue  # a returned or forwarded message is not the sender's text
            payload = part.get_payload()
            stack[:0] = [p for p in payload if isinstance(p, Message)]
        elif ctype == f"text/{subtype}" and part.get_content_disposition() != "attachment":
            return part
    return None


def _html_to_text(markup: str) -> str:
    from automation.core.htmltext import html_to_text  # html.parser only for an HTML body

    return html_to_text(markup)


# mailparser_reply misses some attributions: its Spanish pattern wants two spaces before
# "escribió", and nothing covers "Mensaje original"/"Ursprüngliche Nachricht" separators. These
# cut the text at the first line that can only start a quote.
_QUOTE_START = lazy_compile(
    r"^(?:>|(?:El|Le|Am|On)\s.{5,200}?(?:\n.{0,100}?)?(?:escribi[oó]|a\s[ée]crit|schrieb|wrote)"
    r".{0,100}?:\s*$|-{3,}\s*(?:Original Message|Mensaje original|Ursprüngliche Nachricht"
    r"|Message d'origine)|_{20,}\s*$)",
    re.MULTILINE | re.IGNORECASE,
)
# The library treats any line after the first that starts with "Thanks," or "Best," as the
# start of a signature; that is right for "Thanks,\nSam" but would cut "Thanks, but I'll pass."
_SIGNOFF = lazy_compile(r"^\W*[\w'’ ]{0,24}[,!.]?\s*$")
_SENT_FROM = lazy_compile(r"sent from|get outlook|gesendet von|envoy[ée] de|enviado desde", re.I)


def _strip_quotes(text: str) -> str:
    """The new part of a plain-text reply: quotes, attribution lines and signature removed."""
    text = quotes.cut_outlook_header(text)
    inline = quotes.interleaved(text)
    if inline is not None:  # written below or between the quoted lines
        return inline
    from mailparser_reply import EmailMessage as QuotedBody  # here: only a reply's text needs it

    parsed = QuotedBody(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    reply = parsed.replies[0] if parsed.replies else None
    if reply is None or reply.headers:
        return ""  # the library drops an empty first part: what is left starts with a quote
    body = reply.content.strip()
    cut = _QUOTE_START.search(body)
    if cut:
        body = body[: cut.start()]
    return _cut_signature(body, parsed.SIGNATURE_REGEX).strip()


def _cut_signature(body: str, signature: re.Pattern[str]) -> str:
    """``body`` without its sign-off, using the library's signature pattern with a sanity check."""
    pos = 0
    for _ in range(10):  # a handful of candidates is plenty; bounds the work on long bodies
        m = signature.search(body, pos)
        if m is None:
            break
        first = m.group().strip().split("\n", 1)[0]
        if first.startswith(("-", "_")) or _SIGNOFF.match(first) or _SENT_FROM.match(first):
            return body[: m.start()]
        pos = body.find("\n", m.start() + len(m.group()) - len(m.group().lstrip()) + 1)
        if pos < 0:
            break
    return body


def new_text(msg: EmailMessage) -> str:
    """The sender's new words: best text/plain part (else HTML as text), quotes stripped.

    Decodes by the declared charset, replacing undecodable bytes; never raises.
    """
    part = _best_part(msg, "plain")
    if part is not None:
        text = part_text(part)
    else:
        html_part = _best_part(msg, "html")
        text = _html_to_text(part_text(html_part)) if html_part is not None else ""
    # Bounded work (mailsafe): the new text of a reply is at its top, and a few kB of it is
    # all a person writes; a megabyte of it must cost what a normal reply costs.
    text = text[:MAX_SCANNED_CHARS]
    try:
        return _strip_quotes(text)[:MAX_NEW_TEXT_CHARS]
    except Exception:  # regex engines do not fail, but a library bug must not stop a sync
        log.debug("quote stripping failed; using the whole body", exc_info=True)
        return text.strip()
