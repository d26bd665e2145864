"""vCard 2.1 / 3.0 / 4.0 reading: folded lines, escapes, groups, quoted-printable.

Only what an import needs: names, emails (by preference), organisation, title, time zone,
notes and phone. ``VCard.line`` is the physical line of ``BEGIN:VCARD`` so messages can point
at it.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Iterator
from typing import NamedTuple


class VCard(NamedTuple):
    line: int
    emails: list[str]
    fields: dict[str, str]


_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    return _ESCAPE_RE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _components(value: str) -> list[str]:
    """Split a structured value (N, ORG) on unescaped ';' and unescape each part."""
    parts, buf, chars = [], [], iter(value)
    for ch in chars:
        if ch == "\\":
            buf.append(ch + next(chars, ""))
        elif ch == ";":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return [_unescape(p) for p in parts]


def _soft_break(line: str) -> bool:
    """True if ``line`` ends in a vCard 2.1 quoted-printable soft line break (a final "=")."""
    return line[-1] == "=" and "QUOTED-PRINTABLE" in line.partition(":")[0].upper()


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Unfold content lines; yield each with the physical line number where it starts."""
    current: str | None = None
    start = 0
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if current and _soft_break(current):
            current = current[:-1] + line
        elif current is not None and line[:1] in (" ", "\t") and line.strip():
            current += line[1:]  # RFC 6350 folding: CRLF + one space or tab
        else:
            if current:
                yield start, current
            current, start = line, number
    if current:
        yield start, current


def _colon_outside_quotes(line: str) -> int:
    quoted = False
    for index, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return index
    return -1


def _content_line(line: str) -> tuple[str, dict[str, list[str]], str]:
    """Split ``[group.]NAME;PARAM=a,b:value`` into (NAME, {PARAM: [a, b]}, value)."""
    colon = line.find(":")
    if '"' in line[:colon]:  # a quoted parameter value may contain ':'
        colon = _colon_outside_quotes(line)
    if colon < 0:
        return "", {}, ""
    name, *raw_params = line[:colon].split(";")
    params: dict[str, list[str]] = {}
    for raw in raw_params:
        key, eq, val = raw.partition("=")
        if not eq:  # vCard 2.1 bare parameters: EMAIL;INTERNET;PREF
            key, val = "TYPE", key
        items = params.setdefault(key.strip().upper(), [])
        items.extend(v.strip().strip('"').lower() for v in val.split(","))
    return name.rpartition(".")[2].strip().upper(), params, line[colon + 1 :]


def _preference(params: dict[str, list[str]]) -> int:
    """Sort key: PREF=1 (v4) or TYPE=pref (v3) first; lower numbers win, unmarked last."""
    pref = params.get("PREF", [""])[0]
    if pref.isdigit():
        return int(pref)
    return 1 if "pref" in params.get("TYPE", ()) else 101


def _decode_value(params: dict[str, list[str]], value: str) -> str:
    if "quoted-printable" in params.get("ENCODING", []) + params.get("TYPE", []):
        data = quopri.decodestring(value.encode("utf-8"))
        try:
            return data.decode(params.get("CHARSET", ["utf-8"])[0])
        except (LookupError, UnicodeDecodeError):
            return data.decode("utf-8", errors="replace")
    return value


def _card(line: int, props: list[tuple[str, dict[str, list[str]], str]]) -> VCard:
    emails: list[tuple[int, str]] = []
    phones: list[tuple[int, str]] = []
    fields: dict[str, str] = {}
    notes: list[str] = []
    for name, params, value in props:
        if name == "EMAIL":
            emails.append((_preference(params), _unescape(value)))
        elif name == "TEL":
            phones.append((_preference(params), _unescape(value).removeprefix("tel:")))
        elif name == "N":
            parts = _components(value) + ["", ""]
            fields["last_name"], fields["first_name"], fields["middle_name"] = parts[:3]
        elif name == "ORG":
            fields["company"] = _components(value)[0]
        elif name in ("FN", "TITLE", "TZ") or (name == "ROLE" and not fields.get("role")):
            key = {"FN": "name", "TZ": "timezone"}.get(name, "role")
            fields[key] = _unescape(value)
        elif name == "NOTE":
            notes.append(_unescape(value))
    fields["notes"] = " ".join(notes)
    # sorted() is stable, so among equally preferred entries the first in the card wins.
    fields["phone"] = min(phones, key=lambda p: p[0])[1] if phones else ""
    return VCard(line, [e for _, e in sorted(emails, key=lambda e: e[0])], fields)


def parse_vcards(text: str) -> list[VCard]:
    """Every card in ``text``; a file cut short keeps its last, partial card."""
    cards: list[VCard] = []
    props: list[tuple[str, dict[str, list[str]], str]] | None = None
    start = 0
    for number, line in _logical_lines(text):
        name, params, value = _content_line(line)
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            props, start = [], number
        elif props is None:
            continue
        elif name == "END" and value.strip().upper() == "VCARD":
            cards.append(_card(start, props))
            props = None
        else:
            props.append((name, params, _decode_value(params, value)))
    if props is not None:  # a file cut short after the last BEGIN: keep what is there
        cards.append(_card(start, props))
    return cards
