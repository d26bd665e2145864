"""Where the sender's new words are in a reply that quotes the old thread.

Two layouts the quote-stripping library misreads:

- Outlook's reply header in the user's language with no separator line above it
  ("De: … / Enviado el: …", "Da: … / Inviato: …", "Van: … / Verzonden: …"): everything from
  there on is the quoted message — which holds our offered times, so reading it as the reply
  almost booked one.
- Bottom-posting and inline answers: the reply is written *below* the quote, or between its
  lines. The library keeps only what comes before the first quote, i.e. nothing.

Pure and linear: each function looks at every line once.
"""

from __future__ import annotations

import re

from automation.core.lazyre import lazy_compile

# "From:" and "Sent:" as Outlook writes them in en, es, pt, fr, de, it, nl, sv, da/no, pl, fi.
_FROM = (r"From|De|Von|Da|Van|Fr[åa]n|Fra|Od|L[äa]hett[äa]j[äa]|Remitente|Expéditeur"
         r"|Mittente|Afzender|Absender|Nadawca")
_SENT = (r"Sent|Date|Enviado(?: el)?|Enviada em|Envoy[ée](?: le)?|Gesendet|Datum|Inviato|Data"
         r"|Verzonden|Skickat|Sendt|Wys[łl]ano|L[äa]hetetty|Fecha")
_HEADER_START = lazy_compile(rf"^\s*\*?(?:{_FROM})\s?\*?\s?:\s?\*?\s*\S", re.IGNORECASE)
_HEADER_SENT = lazy_compile(rf"^\s*\*?(?:{_SENT})\s?\*?\s?:\s?\*?\s*\S", re.IGNORECASE)
# An attribution line before a quote block ("On Mon, Dec 7 ... wrote:", "Alex Rivera wrote:").
_ATTRIBUTION = lazy_compile(
    r"(?:wrote|schrieb|a [ée]crit|escribi[óo]|escreveu|ha scritto|schreef|skrev|napisa[łl]\w*"
    r"|написал\w*)"
    r"\s*:\s*$", re.IGNORECASE)
_GREETING = lazy_compile(r"^(?:hi|hello|hey|dear|hallo|guten tag|bonjour|hola|ol[áa]|ciao|hoi|hej|cze[śs][ćc])\b.{0,30}$",
                       re.IGNORECASE)
# A quote's own wrapped or listed lines that lost their ">" (indented, or list items).
_LAZY = lazy_compile(r"^(?:\s+\S|\s*(?:\d{1,2}[.)]|[-*•])\s)")
_SIGNATURE = lazy_compile(r"^(?:-- ?|--\s*$|_{3,}|Sent from |Get Outlook)")


def cut_outlook_header(text: str) -> str:
    """``text`` up to a localised Outlook reply header (a From line then a Sent line), or up
    to an attribution paragraph ("... написал:", wrapped over two lines) right above a quote."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i and _HEADER_START.match(line) and any(
            _HEADER_SENT.match(nxt) for nxt in lines[i + 1: i + 3]
        ):
            return _trim("\n".join(lines[:i]))
        if i and _ATTRIBUTION.search(line.strip()) and _quote_follows(lines, i):
            start = i
            while start > max(0, i - 1) and lines[start - 1].strip():
                start -= 1  # the attribution was wrapped: cut where its paragraph starts
            if start:
                return _trim("\n".join(lines[:start]))
    return text


def _trim(text: str) -> str:
    """Without the separator lines ("-----", "_____") that led into the quote."""
    return re.sub(r"(?:\n\s*[-_=*]{3,}\s*)+$", "", text.rstrip()).rstrip()


def interleaved(text: str) -> str | None:
    """The new words of a reply written below or between quoted (``>``) lines, or None
    when the reply is written above its quote (the usual case, left to the library).

    Only a reply with nothing but a greeting or an attribution above its first quoted line
    qualifies. Unquoted lines right after a quoted line, with no quoted line after them, are
    the quote's own wrapped lines (lazy quoting), not an answer.
    """
    lines = [ln.rstrip() for ln in text.split("\n")]
    first = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith(">")), None)
    if first is None or any(_new_words(lines, i) for i in range(first)):
        return None
    last = max(i for i, ln in enumerate(lines) if ln.lstrip().startswith(">"))
    kept: list[str] = []
    for start, end in _text_runs(lines, first):
        lazy = (lines[start - 1].lstrip().startswith(">") and _LAZY.match(lines[start])
                and end > last)  # no quoted line after it
        if not lazy:
            kept.append("\n".join(lines[start:end]))
    words = "\n\n".join(kept).strip()
    return words or None


def _new_words(lines: list[str], i: int) -> bool:
    """Whether line ``i`` (above the first quote) is the sender's text, not a greeting."""
    line = lines[i].strip()
    return bool(line) and not _ATTRIBUTION.search(line) and not _GREETING.match(line)


def _text_runs(lines: list[str], first: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of unquoted, non-blank lines after line ``first``, up to
    a signature."""
    runs: list[tuple[int, int]] = []
    start = None
    for i in range(first, len(lines) + 1):
        line = lines[i].strip() if i < len(lines) else ""
        if i < len(lines) and _SIGNATURE.match(line):
            break
        is_text = bool(line) and not line.startswith(">") and not (
            _ATTRIBUTION.search(line) and _quote_follows(lines, i))
        if is_text and start is None:
            start = i
        elif not is_text and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, i))
    return runs


def _quote_follows(lines: list[str], i: int) -> bool:
    return any(ln.lstrip().startswith(">") for ln in lines[i + 1: i + 3])
