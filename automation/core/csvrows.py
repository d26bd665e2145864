"""Reading an import file: decoding it, and turning a CSV export into rows of untrusted cells.

Generic spreadsheets, LinkedIn's Connections export (with or without its "Notes:" preamble)
and Google Contacts' numbered columns are recognised by their headers. Every row keeps its
physical line number, so a problem can be reported where the user will look for it.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from automation.core.contactfields import MAX_FIELD_CHARS, split_emails
from automation.core.records import SkippedRow
from automation.errors import UserError

if TYPE_CHECKING:
    import _csv

__all__ = ["TOO_LONG", "Layout", "Raw", "Row", "Table", "parse_csv", "read_table", "read_text",
           "sniff"]


@dataclass(slots=True)
class Raw:
    """One input row before validation: candidate emails in file order, other fields by name."""

    line: int
    emails: list[str]
    fields: dict[str, str]
    problem: str = ""  # set: the row is skipped with this reason


def read_text(path: Path) -> tuple[str, list[SkippedRow]]:
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


#: How much of a file ``sniff`` reads for its header first (a LinkedIn preamble is 3 lines).
_HEAD_CHARS = 1 << 16


def _header_of(text: str) -> tuple[str, int, bool]:
    """``_find_header`` over the lines of ``text``, from its head alone when the header line
    ends there (copying a big file into a StringIO costs more than the rest of the sniff)."""
    if len(text) > _HEAD_CHARS:
        found = _find_header(io.StringIO(text[:_HEAD_CHARS], newline=""))
        if found[0].endswith("\n"):  # the whole line, and every line before it: as in text
            return found
    return _find_header(io.StringIO(text, newline=""))


_VCARD_START_RE = re.compile(r"\s*BEGIN:VCARD", re.IGNORECASE)


def sniff(text: str) -> str:
    if _VCARD_START_RE.match(text):
        return "vcard"
    header_line, _, preamble = _header_of(text)
    if preamble:
        return "linkedin"
    header = next(csv.reader([header_line], delimiter=_delimiter(header_line)), [])
    keys = {_norm_header(h) for h in header}
    if {"url", "connectedon"} <= keys:
        return "linkedin"  # an old export, before LinkedIn added the preamble
    if {"givenname", "familyname"} <= keys or any(_GOOGLE_RE.fullmatch(k) for k in keys):
        return "google"
    return "csv"


#: A data row: its physical line and its cells (None: a field is too long, the row is skipped).
Row = tuple[int, list[str] | None]
TOO_LONG = (f"a field is over {MAX_FIELD_CHARS:,} characters (a stray quote?); the row is "
            "skipped, fix it and import again")


@dataclass(frozen=True, slots=True)
class Table:
    """A CSV export's data rows, and where its fields are."""

    layout: Layout
    rows: list[Row]

    def raw(self, row: Row) -> Raw:
        line, cells = row
        return Raw(line, [], {}, TOO_LONG) if cells is None else self.layout.raw(line, cells)


def parse_csv(text: str, path: Path) -> list[Raw]:
    """The data rows of a CSV export as ``Raw`` rows (see ``read_table``)."""
    table = read_table(text, path)
    return [table.raw(row) for row in table.rows]


def read_table(text: str, path: Path) -> Table:
    """The data rows of a CSV export, with their physical line numbers.

    Raises UserError when there is no header row after a LinkedIn preamble, no email column,
    a line the csv module cannot parse, or a quoted field that is never closed.
    """
    reader, header_number = _reader(text, path)
    layout = Layout(*_columns(next(reader), path))
    # The csv module refuses a field over 131,072 characters by failing the whole file; read
    # long ones (bounded) and skip just their row.
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
    try:
        rows = _one_line_rows(list(reader), reader.line_num, header_number)
    except csv.Error:
        rows = None
    if rows is None:  # read again, a record at a time, to say where (or skip a long field)
        reader, _ = _reader(text, path)
        next(reader)
        rows = _line_by_line(reader, header_number, path)
    return Table(layout, rows)


#: Line breaks of ``str.splitlines`` that a file read with ``newline=""`` does not break at.
_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def lines_of(text: str) -> Iterator[str]:
    """The lines of ``text`` as ``io.StringIO(text, newline="")`` reads them (ended by "\n",
    "\r" or "\r\n", which they keep), made by ``str.splitlines`` when the text holds none of
    the other breaks that splits at: the StringIO copies a big file into four bytes a
    character and back, three times the cost (tests/core/test_csv_lines.py)."""
    if any(c in text for c in _OTHER_BREAKS):
        return io.StringIO(text, newline="")
    return iter(text.splitlines(keepends=True))


def _reader(text: str, path: Path) -> tuple[_csv.Reader, int]:
    """A csv reader of ``text`` from its header row on, and the header's line number."""
    lines = lines_of(text)
    header_line, header_number, _ = _find_header(lines)
    if not header_line:
        raise UserError(f"{path} has a LinkedIn 'Notes:' preamble but no header row after it")
    reader = csv.reader(itertools.chain([header_line], lines), delimiter=_delimiter(header_line))
    return reader, header_number


def _one_line_rows(records: list[list[str]], lines_read: int, header_number: int
                   ) -> list[Row] | None:
    """The usual file's rows, numbered without asking the reader after each record: when
    every record (the header's too) took one line, record k is on line header + 1 + k.
    None when one did not (a quoted line break), or a field is too long: read line by line.
    Such a file has no unclosed quote to report: that record would take the lines to the
    end of the file."""
    if lines_read != 1 + len(records):
        return None
    joined = list(map("".join, records))
    if joined and max(map(len, joined)) > MAX_FIELD_CHARS:
        return None
    first = header_number + 1
    if "" in joined or any(map(str.isspace, joined)):  # blank lines, spreadsheets' ",,,,"
        return [(line, cells) for line, cells, text in zip(
            itertools.count(first), records, joined, strict=False) if text and not text.isspace()]
    return list(zip(range(first, first + len(records)), records, strict=True))


def _line_by_line(reader: _csv.Reader, header_number: int, path: Path) -> list[Row]:
    rows: list[Row] = []
    last_cells: list[str] = []
    offset = header_number - 1  # physical line = offset + reader.line_num
    start = offset + reader.line_num + 1  # where the next record begins
    try:
        for cells in reader:
            line, start = start, offset + reader.line_num + 1
            joined = "".join(cells)
            if not joined or joined.isspace():  # any(cell.strip() for cell in cells), in C
                continue  # blank lines and the ",,,," rows spreadsheets leave behind
            last_cells = cells
            if len(joined) > MAX_FIELD_CHARS and max(map(len, cells)) > MAX_FIELD_CHARS:
                rows.append((line, None))
                continue
            rows.append((line, cells))
    except csv.Error as exc:
        raise UserError(f"{path}: line {start}: cannot parse CSV ({exc})") from None
    # The csv module reads an unclosed quote to the end of the file without complaint.
    if rows and start - 1 > rows[-1][0] and last_cells[-1].endswith(("\n", "\r")):
        raise UserError(
            f"{path}: line {rows[-1][0]}: a quoted field is never closed, so the rest of the "
            "file was read as one value; add the missing closing quote (\")"
        )
    return rows


def _columns(header: list[str], path: Path) -> tuple[list[int], dict[str, list[int]]]:
    """The email columns, and the columns of every other known field, by field name."""
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
    return email_columns, columns


class Layout:
    """Where a file's fields are: turns a record's cells into a ``Raw``.

    ``simple``: the usual file, one email column and one column per field; ``width`` cells
    hold them all, ``email`` is the email column and ``single`` each field's column.
    """

    def __init__(self, email_columns: list[int], columns: dict[str, list[int]]) -> None:
        self.email_columns, self.columns = email_columns, columns
        # Its rows take the short way when they are as wide as the header (a blank cell stays
        # blank: cleaning strips).
        self.simple = len(email_columns) == 1 and all(len(c) == 1 for c in columns.values())
        self.width = 1 + max([*email_columns, *(c[0] for c in columns.values())])
        self.email = email_columns[0]
        self.single = {name: indexes[0] for name, indexes in columns.items()}

    def raw(self, line: int, cells: list[str]) -> Raw:
        """One record's candidate emails and first non-blank value per field."""
        width = len(cells)
        if self.simple and width >= self.width:
            email = cells[self.email]
            emails = split_emails(email) if ":::" in email or email.count("@") > 1 else [email]
            return Raw(line, emails, {name: cells[i] for name, i in self.single.items()})
        emails = [e for i in self.email_columns if i < width for e in split_emails(cells[i])]
        fields = {}
        for name, indexes in self.columns.items():
            value = ""
            for i in indexes:
                if i < width and (cell := cells[i]) and not cell.isspace():
                    value = cell
                    break
            fields[name] = value
        return Raw(line, emails, fields)
