"""The quick way through an ordinary CSV row: its record straight from its cells.

Most rows of an export are ordinary (one column per field, printable cells, one bare valid
address, a known time zone or none): ``importers`` takes their record from here and sends
every other row the general way (``importers._to_record``), which says what is wrong.
``quick_row`` does one row; ``quick_batch`` a whole chunk of ordinary rows a column at a time
(C loops over the chunk instead of Python steps per cell), the same records as ``quick_row``
makes of each (tests/core/test_quick_rows.py holds both to the general way).
"""

from __future__ import annotations

import collections
import itertools
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields

from automation.core.contactfields import bare_address, bare_addresses, printable, zone_name
from automation.core.csvrows import Layout, Row
from automation.core.records import ContactRecord

__all__ = ["names", "quick_batch", "quick_row", "record", "records"]


def names(name: str, first: str, middle: str, last: str) -> tuple[str, str, str]:
    """(name, first, last): fill whichever side is missing from the other."""
    if not name and (first or last):
        name = " ".join(filter(None, (first, middle, last)))
    elif name and not first and not last:
        core = name.partition(",")[0].strip() if "," in name else name
        if "," in name and " " not in core:  # "Doe, Jane"
            last, first = core, name.partition(",")[2].strip()
        else:  # "Jane van Doe" -> "Jane van" / "Doe"; a suffix after a comma is dropped
            first, _, last = core.rpartition(" ")
            first, last = (first.strip(), last) if first.strip() else (last, "")
    return name, first, last


_new = object.__new__
_SET = tuple(ContactRecord.__dict__[f.name].__set__ for f in fields(ContactRecord))
if len(_SET) != 13 or hasattr(ContactRecord, "__post_init__"):  # pragma: no cover
    raise ImportError("ContactRecord changed: update core.quickrows.record")


def record(email: str, line: int, name: str, first: str, last: str, company: str, role: str,
            zone: str | None, notes: str, phone: str, location: str, connection: str,
            extra_emails: tuple[str, ...]) -> ContactRecord:
    """``ContactRecord(...)`` with every field given in order, at a third of the cost: the
    frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, and an
    import builds 100,000 (tests/core/test_quick_rows.py checks both agree)."""
    record = _new(ContactRecord)
    s_email, s_line, s_name, s_first, s_last, s_company, s_role, s_zone, s_notes, s_phone, \
        s_location, s_connection, s_extra = _SET
    s_email(record, email)
    s_line(record, line)
    s_name(record, name)
    s_first(record, first)
    s_last(record, last)
    s_company(record, company)
    s_role(record, role)
    s_zone(record, zone)
    s_notes(record, notes)
    s_phone(record, phone)
    s_location(record, location)
    s_connection(record, connection)
    s_extra(record, extra_emails)
    return record


def records(count: int, columns: Sequence[Iterable[object]]) -> list[ContactRecord]:
    """``[record(*values) for values in zip(*columns)]`` a field at a time: ``count`` bare
    records, then each column set on all of them by a map of the field's slot setter (C
    calls, no Python step per record: half the cost again of ``record`` per row). The
    columns are in ``record``'s order and hold ``count`` values each."""
    made = list(map(_new, itertools.repeat(ContactRecord, count)))
    for setter, column in zip(_SET, columns, strict=True):
        collections.deque(map(setter, made, column), maxlen=0)  # runs the map, keeps nothing
    return made


_QUICK_FIELDS = ("name", "first_name", "middle_name", "last_name", "company", "role", "timezone",
                 "notes", "phone", "location", "connection")


def quick_row(layout: Layout, fmt: str) -> Callable[[int, list[str]], ContactRecord | None]:
    """``quick(line, cells)``: the record of an ordinary CSV row straight from its cells,
    exactly what ``importers._to_record`` makes of it, or None (then ``_to_record``
    decides, with its messages). A closure, not a class: it runs for every row.

    Ordinary: a one-column-per-field file (``Layout.simple``), a row as wide as its header,
    printable cells (cleaning is then stripping), one bare valid address (nothing to split),
    a known time zone or none, and nothing for Google's " ::: " to split.
    """
    width, email_column, google = layout.width, layout.email, fmt == "google"
    # A field without a column reads the "" appended to the row's cells.
    pick = operator.itemgetter(*(layout.single.get(f, -1) for f in _QUICK_FIELDS))

    def quick(line: int, cells: list[str]) -> ContactRecord | None:
        if len(cells) < width:
            return None
        joined = "".join(cells)
        if not printable(joined) or (google and " ::: " in joined):
            return None
        if (email := bare_address(cells[email_column])) is None:
            return None
        cells.append("")  # harmless if _to_record reads the row after all: no field's column
        name, first, middle, last, company, role, zone, notes, phone, location, connection = (
            map(str.strip, pick(cells)))
        if zone and (zone := zone_name(zone)) is None:  # type: ignore[assignment]
            return None
        if not name and (first or last):  # the usual first and last name columns
            name = " ".join(filter(None, (first, middle, last)))
        else:
            name, first, last = names(name, first, middle, last)
        return record(email, line, name, first, last, company, role, zone or None, notes,
                       phone, location, connection, ())

    def never(line: int, cells: list[str]) -> None:
        return None

    return quick if layout.simple else never


def _column(cells: Sequence[list[str]], index: int | None) -> Sequence[str]:
    """A field's stripped cells (all "" for a field without a column)."""
    if index is None:
        return [""] * len(cells)
    return list(map(str.strip, map(operator.itemgetter(index), cells)))


def _zones(given: Sequence[str]) -> Sequence[str | None] | None:
    """Each given zone's canonical name (None for none); None if one is unknown."""
    known = {zone: zone_name(zone) for zone in set(given) if zone}
    if None in known.values():
        return None
    return [known[zone] if zone else None for zone in given]


def _whole_names(name: Sequence[str], first: Sequence[str], middle: Sequence[str],
                 last: Sequence[str], has_name: bool) -> tuple[Sequence[str], ...]:
    """``names`` of every row: (name, first, last) columns."""
    if has_name:
        return tuple(zip(*map(names, name, first, middle, last), strict=True))
    # No name column: the name is made of the parts, which stay as they are.
    if not any(middle):  # " ".join(filter(None, (f, "", la))), spelt out
        made = [f"{f} {la}" if f and la else f or la for f, la in zip(first, last, strict=True)]
    else:
        made = [" ".join(filter(None, (f, m, la))) if f or la else ""
                for f, m, la in zip(first, middle, last, strict=True)]
    return made, first, last


def quick_batch(layout: Layout, fmt: str) -> Callable[[Sequence[Row]], list[ContactRecord] | None]:
    """``batch(rows)``: the records ``quick_row`` makes of each row, when it makes one of
    every row; None when one row is not ordinary (each row then goes on its own)."""
    width, google = layout.width, fmt == "google"
    at = {f: layout.single.get(f) for f in _QUICK_FIELDS}
    email_of = operator.itemgetter(layout.email)

    def batch(rows: Sequence[Row]) -> list[ContactRecord] | None:
        lines, cells = zip(*rows, strict=True)
        if None in cells or min(map(len, cells)) < width:
            return None
        joined = "".join(map("".join, cells))  # a " ::: " across two rows: None, still right
        if not printable(joined) or (google and " ::: " in joined):
            return None
        if (emails := bare_addresses(list(map(email_of, cells)))) is None:
            return None
        column = {f: _column(cells, i) for f, i in at.items()}
        zones = [None] * len(rows) if at["timezone"] is None else _zones(column["timezone"])
        if zones is None:
            return None
        name, first, last = _whole_names(column["name"], column["first_name"],
                                         column["middle_name"], column["last_name"],
                                         at["name"] is not None)
        return records(len(rows), (emails, lines, name, first, last, column["company"],
                                   column["role"], zones, column["notes"], column["phone"],
                                   column["location"], column["connection"],
                                   itertools.repeat((), len(rows))))

    def never(rows: Sequence[Row]) -> None:
        return None

    return batch if layout.simple else never
