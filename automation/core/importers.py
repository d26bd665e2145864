"""Read contact lists exported from LinkedIn, Google Contacts, vCard apps or any spreadsheet.

Pure parsing: a file in, ``ContactRecord``s out, no database. Import files come from tools the
user does not control, so every row that cannot be imported is reported with its physical line
number and a reason the user can act on ("3 rows skipped" alone helps nobody).

Each format is first turned into a list of ``_Raw`` rows (line + untrusted strings); one
function then validates, cleans and deduplicates them, so the rules live in one place.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from email_validator import EmailNotValidError, validate_email
from email_validator.syntax import validate_email_local_part

from automation.core.models import PROFILE_FIELDS, ContactRecord, SkippedRow
from automation.core.vcard import parse_vcards
from automation.errors import UserError

FORMATS = ("auto", "csv", "linkedin", "google", "vcard")

#: ``progress`` is called every this many rows and once at the end: often enough for a smooth
#: bar, rarely enough to cost nothing on a huge file.
PROGRESS_EVERY = 200


@dataclass
class ImportResult:
    """What ``read_contacts`` found.

    ``records`` holds one record per normalised email, in order of first appearance;
    ``skipped`` the rows that were not imported; ``warnings`` problems with rows (or the file)
    that were imported anyway; ``total_rows`` counts non-blank data rows (or vCards).
    """

    format: str
    records: list[ContactRecord] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[SkippedRow] = field(default_factory=list)
    total_rows: int = 0


@dataclass(slots=True)
class _Raw:
    """One input row before validation: candidate emails in file order, other fields by name."""

    line: int
    emails: list[str]
    fields: dict[str, str]
    problem: str = ""  # set: the row is skipped with this reason


# --- emails and field hygiene -----------------------------------------------------------------

_LOCAL_CHARS = r'[^@\s\x00-\x1f\x7f<>()\[\],;:\\"]+'
# Domain labels are word characters or hyphens (IDN letters included); the last one has 2+.
_EMAIL_RE = re.compile(_LOCAL_CHARS + r"@(?:[\w-]+\.)+[\w-]{2,}")
_ANGLE_RE = re.compile(r"<([^<>]*)>")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: The csv module's own default limit: a longer field is a stray quote, not a contact's data.
MAX_FIELD_CHARS = 131_072
_MULTI_EMAIL_RE = re.compile(r"\s*(?::::|[;,])\s*")


def normalise_email(raw: str) -> str | None:
    """Return ``raw`` as a lower-case bare address, or None if it is not a plausible one.

    Accepts ``Name <a@b.org>``, ``<a@b.org>`` and ``mailto:a@b.org``. Plausible means one
    ``@``, a non-empty local part, a dotted domain, and no spaces or control characters (so the
    result is always safe in a mail header).
    """
    # Not email.utils.parseaddr: it turns "<mailto:a@b.org>" into "mailto" and silently
    # repairs some broken input, where we want to reject it and say so.
    s = _visible(raw).strip()
    if "<" in s and (m := _ANGLE_RE.search(s)):
        s = m.group(1).strip()
    if s[:7].lower() == "mailto:":
        s = s[7:].strip()
    s = s.lower()
    return s if _EMAIL_RE.fullmatch(s) and _valid_syntax(s) else None


# Zero-width and other invisible format characters (Unicode category Cf): "pri\u200bya@x.com"
# looks like priya@x.com and must not become a second contact, drafted twice.
def _visible(raw: str) -> str:
    """NFKC (fullwidth ａ becomes a) without invisible characters: one spelling per address."""
    if raw.isascii():
        return raw  # nothing to fold, nothing invisible: the common case stays cheap
    text = unicodedata.normalize("NFKC", raw)
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _valid_syntax(address: str) -> bool:
    """RFC 5321/5322 syntax by ``email-validator`` (a@-x.com, .a@x.com, a..b@x.com and
    a@x_y.com pass a simple pattern but no mail server takes them). No DNS is asked;
    ``test_environment`` lets the reserved ``.test`` names of test data through."""
    local, _, domain = address.rpartition("@")
    if not _domain_ok(domain):
        return False
    try:  # the local part alone: the domain check (IDNA) is the costly half, cached above
        validate_email_local_part(local, allow_smtputf8=False)
    except EmailNotValidError:
        return False
    return True


@lru_cache(maxsize=4096)
def _domain_ok(domain: str) -> bool:
    try:
        validate_email(f"postmaster@{domain}", check_deliverability=False,
                       test_environment=True)
    except EmailNotValidError:
        return False
    return True


def _clean(value: str) -> str:
    """Strip ``value`` and replace runs of control characters (CR/LF…) by one space."""
    # Any field may end up in a mail header (a name in To:, a company in a subject); a CR/LF
    # that survives here is a header-injection hole.
    if value.isprintable():
        return value.strip()
    return _CONTROL_RE.sub(" ", value).strip()


def _split_emails(cell: str) -> list[str]:
    """Split a cell that may hold several addresses (Google joins them with " ::: ")."""
    if ":::" in cell or cell.count("@") > 1:
        return [p for p in _MULTI_EMAIL_RE.split(cell) if p]
    return [cell]


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


@lru_cache(maxsize=1024)
def _zone_name(name: str) -> str | None:
    """The canonical IANA name for ``name`` (case-insensitive), or None if unknown."""
    try:
        ZoneInfo(name)
        return name
    except (KeyError, ValueError):
        # Users type "europe/london"; the tz database is case-sensitive on disk.
        return _zones_by_lower_name().get(name.lower())


_OFFSET_RE = re.compile(r"(?:utc|gmt)?\s*[+-]\d{1,2}(?::?\d{2})?", re.IGNORECASE)


def _bad_zone_reason(zone: str) -> str:
    if _OFFSET_RE.fullmatch(zone):
        return (
            f"time zone {zone!r} is a UTC offset, not a place (imported without a time zone; "
            "use an IANA name such as 'America/New_York' so daylight saving is right)"
        )
    return (
        f"unknown time zone {zone!r} (imported without a time zone; "
        "use an IANA name such as 'Europe/Berlin')"
    )


# --- reading the file -------------------------------------------------------------------------


def _read_text(path: Path) -> tuple[str, list[SkippedRow]]:
    """Decode the file; a warning says so when it was not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"cannot read {path}: no such file; check the path") from None
    except IsADirectoryError:
        raise UserError(f"cannot read {path}: it is a directory; give the exported file") from None
    except PermissionError:
        raise UserError(f"cannot read {path}: permission denied; check its permissions") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    if data.startswith(b"PK\x03\x04"):
        raise UserError(
            f"{path} is a spreadsheet or zip file, not text; save it as 'CSV UTF-8' or export vCard"
        )
    warnings: list[SkippedRow] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text" export.
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            warnings.append(SkippedRow(line, (
                "the file is not UTF-8 (first bad byte on this line); read it as Windows-1252: "
                "check that accented names look right, or re-save the file as UTF-8"
            )))
            text = data.decode("cp1252", errors="replace")
    if not text or text.isspace():
        raise UserError(f"{path} is empty; export your contacts again and check the file has rows")
    if "\x00" in text:
        raise UserError(f"{path} looks like a binary file; export your contacts as CSV or vCard")
    return text, warnings


# --- CSV (generic, LinkedIn, Google) ----------------------------------------------------------

_SYNONYMS = {
    "email": ("email", "emailaddress", "mail"),
    "first_name": ("firstname", "givenname"),
    "middle_name": ("middlename", "additionalname"),
    "last_name": ("lastname", "surname", "familyname"),
    "name": ("name", "fullname"),
    "company": ("company", "organization", "organisation", "employer", "organizationname"),
    "role": ("role", "title", "position", "jobtitle", "organizationtitle"),
    "timezone": ("timezone", "tz"),
    "notes": ("notes", "note", "comments"),
    "connection": ("connection", "howwemet", "howimet", "howweknoweachother", "howiknowthem"),
    "phone": ("phone", "telephone", "mobile"),
    "location": ("location", "preferredlocation", "callvia"),
}
_HEADER_TO_FIELD = {syn: name for name, syns in _SYNONYMS.items() for syn in syns}
# Google's numbered columns: "E-mail 2 - Value", "Phone 1 - Value", "Organization 1 - Title".
_GOOGLE_RE = re.compile(r"(email|phone)\d+value|organization\d+(name|title)")
_GOOGLE_FIELD = {"email": "email", "phone": "phone", "name": "company", "title": "role"}
_HEADER_JUNK_RE = re.compile(r"[\s_\-.:]+")


def _norm_header(header: str) -> str:
    return _HEADER_JUNK_RE.sub("", header.strip().lstrip("\ufeff").lower())


def _header_field(header: str) -> str | None:
    key = _norm_header(header)
    if key in _HEADER_TO_FIELD:
        return _HEADER_TO_FIELD[key]
    m = _GOOGLE_RE.fullmatch(key)
    return _GOOGLE_FIELD[m.group(1) or m.group(2)] if m else None


def _find_header(lines: Iterable[str]) -> tuple[str, int, bool]:
    """Consume ``lines`` up to the header row; return it, its line number, and whether a
    LinkedIn "Notes:" preamble (a paragraph ended by a blank line) came before it."""
    preamble = in_notes = False
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if in_notes:
            in_notes = bool(stripped)
        elif not stripped:
            continue
        elif not preamble and stripped.rstrip(",;\t").lower() == "notes:":
            preamble = in_notes = True
        else:
            return line, number, preamble
    return "", 0, preamble


def _delimiter(header_line: str) -> str:
    # The header row rarely contains a delimiter inside a cell, so counting is reliable where
    # csv.Sniffer guesses wrong on semicolon files with commas in the data.
    return max(",;\t", key=header_line.count)


_VCARD_START_RE = re.compile(r"\s*BEGIN:VCARD", re.IGNORECASE)


def _sniff(text: str) -> str:
    if _VCARD_START_RE.match(text):
        return "vcard"
    header_line, _, preamble = _find_header(io.StringIO(text, newline=""))
    if preamble:
        return "linkedin"
    header = next(csv.reader([header_line], delimiter=_delimiter(header_line)), [])
    keys = {_norm_header(h) for h in header}
    if {"url", "connectedon"} <= keys:
        return "linkedin"  # an old export, before LinkedIn added the preamble
    if {"givenname", "familyname"} <= keys or any(_GOOGLE_RE.fullmatch(k) for k in keys):
        return "google"
    return "csv"


def _parse_csv(text: str, path: Path) -> list[_Raw]:
    lines = io.StringIO(text, newline="")
    header_line, header_number, _ = _find_header(lines)
    if not header_line:
        raise UserError(f"{path} has a LinkedIn 'Notes:' preamble but no header row after it")
    reader = csv.reader(itertools.chain([header_line], lines), delimiter=_delimiter(header_line))
    header = next(reader)
    offset = header_number - 1  # physical line = offset + reader.line_num
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        if (target := _header_field(name)) is not None:
            columns.setdefault(target, []).append(index)
    email_columns = columns.pop("email", [])
    if not email_columns:
        seen = ", ".join(repr(h.strip()) for h in header[:30])
        raise UserError(
            f"{path}: no email column found (headers seen: {seen}); "
            "rename the column that holds the addresses to 'Email'"
        )
    rows: list[_Raw] = []
    last_cells: list[str] = []
    # The csv module refuses a field over 131,072 characters by failing the whole file; read
    # long ones (bounded) and skip just their row.
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    start = offset + reader.line_num + 1  # where the next record begins
    try:
        for row in reader:
            line, start = start, offset + reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # blank lines and the ",,,," rows spreadsheets leave behind
            last_cells = row
            if any(len(cell) > MAX_FIELD_CHARS for cell in row):
                rows.append(_Raw(line, [], {}, f"a field is over {MAX_FIELD_CHARS:,} characters "
                                 "(a stray quote?); the row is skipped, fix it and import again"))
                continue
            width = len(row)
            emails = [e for i in email_columns if i < width for e in _split_emails(row[i])]
            fields = {
                name: next((row[i] for i in idx if i < width and row[i].strip()), "")
                for name, idx in columns.items()
            }
            rows.append(_Raw(line, emails, fields))
    except csv.Error as exc:
        raise UserError(f"{path}: line {start}: cannot parse CSV ({exc})") from None
    # The csv module reads an unclosed quote to the end of the file without complaint.
    if rows and start - 1 > rows[-1].line and last_cells[-1].endswith(("\n", "\r")):
        raise UserError(
            f"{path}: line {rows[-1].line}: a quoted field is never closed, so the rest of the "
            "file was read as one value; add the missing closing quote (\")"
        )
    return rows


# --- validation, cleaning, dedupe -------------------------------------------------------------

_NO_EMAIL_HINT = {
    "linkedin": " (LinkedIn omits it unless the person allows it)",
    "google": " (add one in Google Contacts and export again)",
    "vcard": " (the card has no EMAIL line)",
    "csv": "",
}
_MERGEABLE = PROFILE_FIELDS


def _names(f: dict[str, str]) -> tuple[str, str, str]:
    """(name, first, last): fill whichever side is missing from the other."""
    name, first, last = f.get("name", ""), f.get("first_name", ""), f.get("last_name", "")
    if not name and (first or last):
        name = " ".join(p for p in (first, f.get("middle_name", ""), last) if p)
    elif name and not first and not last:
        core = name.partition(",")[0].strip() if "," in name else name
        if "," in name and " " not in core:  # "Doe, Jane"
            last, first = core, name.partition(",")[2].strip()
        else:  # "Jane van Doe" -> "Jane van" / "Doe"; a suffix after a comma is dropped
            first, _, last = core.rpartition(" ")
            first, last = (first.strip(), last) if first.strip() else (last, "")
    return name, first, last


def _to_record(raw: _Raw, fmt: str, result: ImportResult) -> ContactRecord | None:
    """Validate one row; record why it is skipped or what is wrong with it in ``result``."""
    if raw.problem:
        result.skipped.append(SkippedRow(raw.line, raw.problem))
        return None
    f = {key: _clean(value) for key, value in raw.fields.items()}
    if fmt == "google":  # Google puts several values in one cell: "+1 555 ::: +1 556"
        f = {key: value.partition(" ::: ")[0] for key, value in f.items()}
    name, first, last = _names(f)
    who = f" for {name}" if name else ""
    valid: list[str] = []
    invalid: list[str] = []
    for candidate in raw.emails:
        if not candidate.strip():
            continue
        if email := normalise_email(candidate):
            valid.append(email)
        else:
            invalid.append(_clean(candidate))
    if not valid:
        if invalid:
            reason = f"invalid email {invalid[0]!r}{who}"
        else:
            reason = f"no email address{who}{_NO_EMAIL_HINT[fmt]}"
        result.skipped.append(SkippedRow(raw.line, reason))
        return None
    for bad in invalid:
        result.warnings.append(SkippedRow(raw.line, f"ignored invalid extra email {bad!r}{who}"))
    zone = None
    if given_zone := f.get("timezone"):
        zone = _zone_name(given_zone)
        if zone is None:
            result.warnings.append(SkippedRow(raw.line, _bad_zone_reason(given_zone)))
    return ContactRecord(
        email=valid[0], line=raw.line, name=name, first_name=first, last_name=last,
        company=f.get("company", ""), role=f.get("role", ""), timezone=zone,
        notes=f.get("notes", ""), phone=f.get("phone", ""), location=f.get("location", ""),
        connection=f.get("connection", ""),
        extra_emails=tuple(dict.fromkeys(e for e in valid[1:] if e != valid[0])),
    )


def _merge(first: ContactRecord, later: ContactRecord) -> ContactRecord:
    """``first`` with its empty fields filled from ``later`` and both records' extra emails."""
    filled: dict[str, Any] = {
        k: getattr(later, k) for k in _MERGEABLE if not getattr(first, k) and getattr(later, k)
    }
    extras = (*first.extra_emails, *later.extra_emails)
    filled["extra_emails"] = tuple(dict.fromkeys(e for e in extras if e != first.email))
    return replace(first, **filled)


def _shown(value: object, limit: int = 40) -> str:
    text = " ".join(str(value).split())
    return repr(text if len(text) <= limit else text[:limit - 1] + "\u2026")


def merge_note(first: ContactRecord, later: ContactRecord) -> str:
    """What merging ``later`` into ``first`` did, in words: the fields it filled, the
    addresses it added, and what it said differently that was kept from ``first``."""
    label = {"first_name": "first name", "last_name": "last name", "timezone": "time zone"}
    took = [f"{label.get(k, k)} {_shown(getattr(later, k))}" for k in _MERGEABLE
            if not getattr(first, k) and getattr(later, k)]
    took += [f"address {e}" for e in later.extra_emails
             if e not in first.extra_emails and e != first.email]
    differ = [k for k in _MERGEABLE if getattr(first, k) and getattr(later, k)
              and " ".join(str(getattr(first, k)).split()).casefold()
              != " ".join(str(getattr(later, k)).split()).casefold()]
    if "name" in differ:  # first and last name come from the name: one difference, not three
        differ = [k for k in differ if k not in ("first_name", "last_name")]
    kept = [f"{label.get(k, k)} {_shown(getattr(first, k))} (this line: "
            f"{_shown(getattr(later, k))})" for k in differ]
    head = f"same email as line {first.line} ({later.email})"
    if not took:
        what = "nothing new on this line, so it was ignored"
    else:
        what = "merged into that contact: added " + ", ".join(took)
    if kept:
        what += f"; kept line {first.line}'s " + ", ".join(kept)
    return f"{head}; {what}"


def _build(raws: list[_Raw], fmt: str, progress: Callable[[int, int], None] | None) -> ImportResult:
    result = ImportResult(format=fmt, total_rows=len(raws))
    position: dict[str, int] = {}
    total = len(raws)
    for done, raw in enumerate(raws, 1):
        record = _to_record(raw, fmt, result)
        if record is not None:
            if (at := position.get(record.email)) is None:
                position[record.email] = len(result.records)
                result.records.append(record)
            else:
                earlier = result.records[at]
                result.records[at] = _merge(earlier, record)
                result.warnings.append(SkippedRow(raw.line, merge_note(earlier, record)))
        if progress is not None and done % PROGRESS_EVERY == 0 and done != total:
            progress(done, total)
    if progress is not None:
        progress(total, total)
    return result


# --- public entry points ----------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """Return "vcard", "linkedin", "google" or "csv" from the file's content (not its name).

    Raises UserError if the file cannot be read or is empty.
    """
    text, _ = _read_text(Path(path))
    return _sniff(text)


def read_contacts(
    path: Path, fmt: str = "auto", progress: Callable[[int, int], None] | None = None
) -> ImportResult:
    """Parse the contact file at ``path``.

    ``fmt`` is one of FORMATS; "auto" sniffs the content. ``progress(done, total)`` is called
    every PROGRESS_EVERY rows and once at the end. Rows without a usable email go to
    ``skipped``; rows imported with a problem (unknown time zone, duplicate email merged, bad
    extra email) go to ``warnings``; both carry the 1-based physical line (for vCard, the line of
    its BEGIN:VCARD).

    Raises UserError for an unknown format, an unreadable or empty file, a CSV without an email
    column (naming the headers it saw), or a file with no contacts in it.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown import format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    path = Path(path)
    text, file_warnings = _read_text(path)
    detected = _sniff(text)
    used = detected if fmt == "auto" else fmt
    if (used == "vcard") != (detected == "vcard"):
        raise UserError(f"{path} looks like {detected}, not {fmt}; use the format 'auto'")
    raws = [_Raw(card.line, card.emails, card.fields) for card in parse_vcards(text)] if used == "vcard" else _parse_csv(text, path)
    if not raws:
        raise UserError(f"{path} has a header row but no contacts under it; export it again")
    result = _build(raws, used, progress)
    result.warnings[:0] = file_warnings
    return result
