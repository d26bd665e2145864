"""Read contact lists exported from LinkedIn, Google Contacts, vCard apps or any spreadsheet.

Pure parsing: a file in, ``ContactRecord``s out, no database. Import files come from tools the
user does not control, so every row that cannot be imported is reported with its physical line
number and a reason the user can act on ("3 rows skipped" alone helps nobody).

Each format is first turned into a list of ``Raw`` rows (line + untrusted strings:
``csvrows`` for CSV, ``vcard`` for vCard); this module then validates, cleans and deduplicates
them, so the rules live in one place (field hygiene in ``contactfields``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from automation.core.contactfields import bad_zone_reason, clean, normalise_email, zone_name
from automation.core.csvrows import Raw, Row, Table, read_table, read_text, sniff
from automation.core.models import PROFILE_FIELDS
from automation.core.quickrows import names as _names
from automation.core.quickrows import quick_batch as _quick_batch
from automation.core.quickrows import quick_row as _quick
from automation.core.quickrows import record as _record
from automation.core.records import ContactRecord, SkippedRow
from automation.core.vcard import parse_vcards
from automation.errors import UserError

__all__ = ["FORMATS", "PROGRESS_EVERY", "ImportResult", "detect_format", "merge_note",
           "normalise_email", "read_contacts"]

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


# --- validation, cleaning, dedupe -------------------------------------------------------------

_NO_EMAIL_HINT = {
    "linkedin": " (LinkedIn omits it unless the person allows it)",
    "google": " (add one in Google Contacts and export again)",
    "vcard": " (the card has no EMAIL line)",
    "csv": "",
}
_MERGEABLE = PROFILE_FIELDS


def _to_record(raw: Raw, fmt: str, result: ImportResult) -> ContactRecord | None:
    """Validate one row; record why it is skipped or what is wrong with it in ``result``."""
    if raw.problem:
        result.skipped.append(SkippedRow(raw.line, raw.problem))
        return None
    # clean(), spelt out: it runs for every field of every row
    f = {key: value.strip() if value.isprintable() else clean(value)
         for key, value in raw.fields.items()}
    if fmt == "google":  # Google puts several values in one cell: "+1 555 ::: +1 556"
        f = {key: value.partition(" ::: ")[0] for key, value in f.items()}
    get = f.get
    name, first, last = _names(get("name", ""), get("first_name", ""), get("middle_name", ""),
                               get("last_name", ""))
    candidates = raw.emails
    invalid: list[str] = []
    if len(candidates) == 1 and (email := normalise_email(candidates[0])):
        valid = [email]  # the usual row: one good address
    else:
        valid, invalid = _emails(candidates)
    if not valid:
        who = f" for {name}" if name else ""
        if invalid:
            reason = f"invalid email {invalid[0]!r}{who}"
        else:
            reason = f"no email address{who}{_NO_EMAIL_HINT[fmt]}"
        result.skipped.append(SkippedRow(raw.line, reason))
        return None
    for bad in invalid:
        who = f" for {name}" if name else ""
        result.warnings.append(SkippedRow(raw.line, f"ignored invalid extra email {bad!r}{who}"))
    zone = None
    if given_zone := f.get("timezone"):
        zone = zone_name(given_zone)
        if zone is None:
            result.warnings.append(SkippedRow(raw.line, bad_zone_reason(given_zone)))
    return _record(
        valid[0], raw.line, name, first, last, get("company", ""), get("role", ""), zone,
        get("notes", ""), get("phone", ""), get("location", ""), get("connection", ""),
        () if len(valid) == 1 else tuple(dict.fromkeys(e for e in valid[1:] if e != valid[0])))


def _emails(candidates: list[str]) -> tuple[list[str], list[str]]:
    """The normalised valid addresses among ``candidates`` and the (cleaned) invalid ones,
    in order; blank candidates are neither."""
    valid: list[str] = []
    invalid: list[str] = []
    for candidate in candidates:
        if not candidate or candidate.isspace():
            continue
        if email := normalise_email(candidate):
            valid.append(email)
        else:
            invalid.append(clean(candidate))
    return valid, invalid


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


_RecordOf = Callable[[Any, ImportResult], "ContactRecord | None"]
#: A chunk's records the quick way, or None (then row by row: quick ``_RecordOf`` first).
_BatchOf = Callable[[Sequence[Any]], "list[ContactRecord] | None"]
#: Told the records so far as they are read, and the number of rows in the file.
_Grown = Callable[[Sequence[ContactRecord], int], None]


def _csv_records(table: Table, fmt: str) -> tuple[_BatchOf, _RecordOf]:
    """``(batch, record_of)`` for a CSV table's rows: the quick way when it applies."""
    quick = _quick(table.layout, fmt)

    def record_of(row: Row, result: ImportResult) -> ContactRecord | None:
        line, cells = row
        if cells is not None and (record := quick(line, cells)) is not None:
            return record
        return _to_record(table.raw(row), fmt, result)

    return _quick_batch(table.layout, fmt), record_of


def _no_batch(rows: Sequence[Any]) -> None:
    return None


_email_of = operator.attrgetter("email")


def _build(rows: Sequence[Any], batch: _BatchOf, record_of: _RecordOf, fmt: str,
           progress: Callable[[int, int], None] | None,
           grown: _Grown | None = None) -> ImportResult:
    """Validate (``batch``, else ``record_of``) and deduplicate the rows, a chunk of
    PROGRESS_EVERY at a time; ``grown(records, total)`` after each chunk."""
    result = ImportResult(format=fmt, total_rows=len(rows))
    records, position = result.records, dict[str, int]()
    total = len(rows)
    for start in range(0, total, PROGRESS_EVERY):
        chunk = rows[start:start + PROGRESS_EVERY]
        made = batch(chunk)
        emails = [] if made is None else list(map(_email_of, made))
        if made is not None and len(set(emails)) == len(emails) \
                and position.keys().isdisjoint(emails):  # no row of it merges: all are new
            position.update(zip(emails, range(len(records), len(records) + len(made)),
                                strict=True))
            records.extend(made)
        else:
            for row in chunk:
                if (record := record_of(row, result)) is not None:
                    _add(result, position, record)
        if grown is not None:
            grown(records, total)
        if progress is not None and start + len(chunk) != total:
            progress(start + len(chunk), total)
    if progress is not None:
        progress(total, total)
    return result


def _add(result: ImportResult, position: dict[str, int], record: ContactRecord) -> None:
    """Append ``record``, or merge it into the earlier record of its address."""
    if (at := position.get(record.email)) is None:
        position[record.email] = len(result.records)
        result.records.append(record)
    else:
        earlier = result.records[at]
        result.records[at] = _merge(earlier, record)
        result.warnings.append(SkippedRow(record.line, merge_note(earlier, record)))


# --- public entry points ----------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """Return "vcard", "linkedin", "google" or "csv" from the file's content (not its name).

    Raises UserError if the file cannot be read or is empty.
    """
    text, _ = read_text(Path(path))
    return sniff(text)


def read_contacts(
    path: Path, fmt: str = "auto", progress: Callable[[int, int], None] | None = None,
    grown: _Grown | None = None,
) -> ImportResult:
    """Parse the contact file at ``path``.

    ``fmt`` is one of FORMATS; "auto" sniffs the content. ``progress(done, total)`` is called
    every PROGRESS_EVERY rows and once at the end. ``grown(records, total)`` is called as often
    with the records made so far (``total``: the file's rows); a later row may still merge into
    one of them, which then is replaced in the list. Rows without a usable email go to
    ``skipped``; rows imported with a problem (unknown time zone, duplicate email merged, bad
    extra email) go to ``warnings``; both carry the 1-based physical line (for vCard, the line of
    its BEGIN:VCARD).

    Raises UserError for an unknown format, an unreadable or empty file, a CSV without an email
    column (naming the headers it saw), or a file with no contacts in it.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown import format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    path = Path(path)
    text, file_warnings = read_text(path)
    detected = sniff(text)
    used = detected if fmt == "auto" else fmt
    if (used == "vcard") != (detected == "vcard"):
        raise UserError(f"{path} looks like {detected}, not {fmt}; use the format 'auto'")
    rows: Sequence[Any]
    if used == "vcard":
        rows = [Raw(card.line, card.emails, card.fields) for card in parse_vcards(text)]
        batch: _BatchOf = _no_batch
        record_of: _RecordOf = lambda raw, result: _to_record(raw, used, result)  # noqa: E731
    else:
        table = read_table(text, path)
        rows = table.rows
        batch, record_of = _csv_records(table, used)
    if not rows:
        raise UserError(f"{path} has a header row but no contacts under it; export it again")
    result = _build(rows, batch, record_of, used, progress, grown)
    result.warnings[:0] = file_warnings
    return result
