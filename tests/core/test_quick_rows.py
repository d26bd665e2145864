"""The quick way through an ordinary CSV row gives exactly what the general way gives.

``read_contacts`` turns an ordinary row (one column per field, printable cells, one bare valid
address) straight into its record; every other row takes the general way (``_to_record``),
which says what is wrong. The oracle is the general way alone: on generated files, hostile
cells included (controls, invisible and fullwidth characters, several addresses in a cell,
names in every shape, time zones good and bad, duplicates, short rows, Google's " ::: "), the
whole result (records, skipped rows, warnings and their order) is the same.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.core import importers, quickrows
from automation.core.csvrows import read_table
from automation.core.importers import ImportResult, read_contacts
from automation.core.records import ContactRecord
from automation.errors import UserError

_HEADERS = ["First Name", "Last Name", "Middle Name", "Name", "Email Address", "Company",
            "Position", "Time Zone", "Notes", "Phone", "Location", "How we met", "URL",
            "Connected On"]
_PIECES = ["", " ", "Ana", "de la Cruz", "Doe, Jane", "Jane van Doe", "Acme, Inc.", "Eng",
           "Europe/Berlin", "europe/berlin", "Mars/Olympus", "UTC+2", "x ::: y", "\t", "\r\n",
           "\x00", "\x1b[31m", "\u200b", "\u2028", "\uff21na", "\u00e9", "\"quoted\"", "a,b",
           "\x85", "\u3000"]
_ADDRESSES = ["ana@example.com", "ANA@Example.COM", " ana@example.com ", "bo@example.org",
              "pri\u200bya@example.com", "\uff41@example.com", "a..b@example.com",
              "a@-x.com", "a@x_y.com", "Jane <jane@example.org>", "mailto:jo@example.org",
              "a@example.com; b@example.com", "a@example.com ::: c@example.com", "", " ",
              "not an address", "ana@ex\u00e4mple.pt", "x@example.com\n", "a@b@example.com",
              "<a@example.com>, b@example.org", "Jo <jo@example.org> ::: jo2@example.org"]


@st.composite
def files(draw: st.DrawFn) -> str:
    headers = draw(st.lists(st.sampled_from(_HEADERS), min_size=1, max_size=8, unique=True))
    if "Email Address" not in headers:
        headers.insert(draw(st.integers(0, len(headers))), "Email Address")
    if draw(st.booleans()):  # a second column for a field: not the quick layout
        headers.append(draw(st.sampled_from(headers)))
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        row = [draw(st.sampled_from(_ADDRESSES)) if h == "Email Address"
               else draw(st.sampled_from(_PIECES) | st.text(max_size=6)) for h in headers]
        if draw(st.integers(0, 5)) == 0:  # a short row
            row = row[:draw(st.integers(0, len(row)))]
        rows.append(row)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    if draw(st.booleans()):  # a repeated row: a merge
        writer.writerow(rows[0])
    return out.getvalue()


def _general(monkeypatch: pytest.MonkeyPatch, path: Path, fmt: str) -> ImportResult:
    with monkeypatch.context() as m:
        m.setattr(importers, "_quick", lambda layout, fmt: lambda line, cells: None)
        m.setattr(importers, "_quick_batch", lambda layout, fmt: importers._no_batch)
        return read_contacts(path, fmt)


def _same(monkeypatch: pytest.MonkeyPatch, path: Path, fmt: str) -> None:
    try:
        want = _general(monkeypatch, path, fmt)
    except Exception as exc:  # the file as a whole is refused: the same way, both ways
        with pytest.raises(type(exc), match="."):
            read_contacts(path, fmt)
        return
    assert read_contacts(path, fmt) == want


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=files(), fmt=st.sampled_from(["auto", "csv", "linkedin", "google"]))
def test_generated_files_read_the_same_both_ways(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fmt: str) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    _same(monkeypatch, path, fmt)


def test_the_quick_way_is_taken_for_ordinary_rows(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """(Else the property above compares the general way with itself.)"""
    path = tmp_path / "contacts.csv"
    path.write_text("First Name,Last Name,Email Address,Time Zone\n"
                    "Ana,Lima,ana@example.com,europe/berlin\n"
                    "Bo,,BO@example.org,\n", encoding="utf-8")
    general = []
    real = importers._to_record
    monkeypatch.setattr(importers, "_to_record",
                        lambda raw, fmt, result: general.append(raw) or real(raw, fmt, result))
    result = read_contacts(path)
    assert general == []
    assert result.records == [
        ContactRecord(email="ana@example.com", line=2, name="Ana Lima", first_name="Ana",
                      last_name="Lima", timezone="Europe/Berlin"),
        ContactRecord(email="bo@example.org", line=3, name="Bo", first_name="Bo"),
    ]


def test_the_fast_record_builder_is_the_dataclass_constructor() -> None:
    values = dict(email="a@example.com", line=7, name="N", first_name="F", last_name="L",
                  company="C", role="R", timezone="Asia/Tokyo", notes="n", phone="1",
                  location="x", connection="met", extra_emails=("b@example.com",))
    built = importers._record(*values.values())
    assert built == ContactRecord(**values) and hash(built) == hash(ContactRecord(**values))
    assert repr(built) == repr(ContactRecord(**values))
    with pytest.raises(AttributeError):
        built.email = "other@example.com"  # type: ignore[misc]


# --- a chunk of ordinary rows at once -----------------------------------------------------------

_ORDINARY_PIECES = ["", " ", "Ana", "de la Cruz", "Doe, Jane", "Jane van Doe", "Acme, Inc.",
                    "Eng", "Europe/Berlin", "europe/berlin", "\u00e9l\u00e8ve", "a,b", " Bo "]
_ORDINARY_ADDRESSES = ["ana@example.com", "ANA@Example.COM", " bo@example.org ",
                       "c.d+e@x.co.uk", "x@example.com\n"]


@st.composite
def mostly_ordinary_files(draw: st.DrawFn) -> str:
    """Files the quick way takes a chunk at a time: ordinary rows, now and then one that is
    not (a hostile cell or address, a short row, a duplicate address)."""
    headers = draw(st.lists(st.sampled_from(_HEADERS), min_size=1, max_size=8, unique=True))
    if "Email Address" not in headers:
        headers.insert(draw(st.integers(0, len(headers))), "Email Address")
    rows = []
    for i in range(draw(st.integers(1, 30))):
        odd = draw(st.integers(0, 15)) == 0
        row = [(draw(st.sampled_from(_ADDRESSES)) if odd else
                draw(st.sampled_from(_ORDINARY_ADDRESSES)).replace("@", f"{i}@", 1))
               if h == "Email Address" else
               draw(st.sampled_from(_PIECES if odd else _ORDINARY_PIECES)) for h in headers]
        if odd and draw(st.booleans()):
            row = row[:draw(st.integers(0, len(row)))]
        elif rows and draw(st.integers(0, 8)) == 0:  # an ordinary row, an earlier address
            earlier = draw(st.sampled_from(rows))
            at = headers.index("Email Address")
            if at < len(earlier):
                row[at] = earlier[at]
        rows.append(row)
    out = io.StringIO()
    csv.writer(out).writerows([headers, *rows])
    return out.getvalue()


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=mostly_ordinary_files(), fmt=st.sampled_from(["auto", "csv", "linkedin", "google"]),
       chunk=st.sampled_from([1, 3, 200]))
def test_mostly_ordinary_files_read_the_same_both_ways(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fmt: str,
        chunk: int) -> None:
    """Whole chunks the quick way, the general way for the rest: the same result, progress
    included, whatever the chunk."""
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(importers, "PROGRESS_EVERY", chunk)
    _same(monkeypatch, path, fmt)


@settings(max_examples=400, deadline=None)
@given(text=mostly_ordinary_files(), fmt=st.sampled_from(["csv", "linkedin", "google"]))
def test_a_chunk_at_once_is_each_row_the_quick_way(text: str, fmt: str) -> None:
    """``quick_batch`` gives the records ``quick_row`` gives, or None when one row gets none."""
    try:
        table = read_table(text, Path("contacts.csv"))
    except UserError:
        return  # refused as a whole (an unclosed quote): no rows to compare
    each = [None if cells is None else quickrows.quick_row(table.layout, fmt)(line, [*cells])
            for line, cells in table.rows]
    if table.rows:
        assert quickrows.quick_batch(table.layout, fmt)(table.rows) == (
            None if None in each else each)


def test_a_chunk_of_ordinary_rows_is_taken_at_once(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """(Else the properties above compare the row-by-row way with itself.)"""
    path = tmp_path / "contacts.csv"
    path.write_text("First Name,Last Name,Email Address,Time Zone\n"
                    "Ana,Lima,ana@example.com,europe/berlin\n"
                    "Bo,,BO@example.org,\n", encoding="utf-8")
    monkeypatch.setattr(importers, "_quick", lambda layout, fmt: lambda line, cells: None)
    monkeypatch.setattr(importers, "_to_record", lambda raw, fmt, result: None)
    assert read_contacts(path).records == [
        ContactRecord(email="ana@example.com", line=2, name="Ana Lima", first_name="Ana",
                      last_name="Lima", timezone="Europe/Berlin"),
        ContactRecord(email="bo@example.org", line=3, name="Bo", first_name="Bo"),
    ]


def test_records_by_column_are_the_dataclass_constructor_row_by_row() -> None:
    rows = [dict(email=f"p{i}@example.com", line=i + 2, name=f"N{i}", first_name="F",
                 last_name="L" * i, company="C", role="R", timezone=("Asia/Tokyo", None)[i % 2],
                 notes="n", phone=str(i), location="x", connection="met",
                 extra_emails=(f"b{i}@example.com",) * (i % 2)) for i in range(5)]
    columns = [[row[f] for row in rows] for f in rows[0]]
    built = quickrows.records(len(rows), columns)
    assert built == [ContactRecord(**row) for row in rows]  # type: ignore[arg-type]
    assert [hash(r) for r in built] == [hash(ContactRecord(**row)) for row in rows]  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        built[0].email = "other@example.com"  # type: ignore[misc]
