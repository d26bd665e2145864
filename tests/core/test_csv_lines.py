"""``read_table`` numbers the usual file's rows without asking the csv reader after each one
(every record on one line: record k is on line header + 1 + k), and reads a record at a time
otherwise (a quoted line break, a field too long, a line the csv module refuses). The oracle
is reading a record at a time on its own, what ``read_table`` always did: on generated files
(blank lines, spreadsheets' ",,,," rows, quoted line breaks, CR, CRLF, unclosed quotes, a
LinkedIn preamble) both give the same rows and lines, or refuse the file the same way; and
``sniff`` finds the same header from the file's head as from the whole file.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation.core import csvrows
from automation.core.csvrows import read_table, sniff
from automation.errors import UserError

_CELLS = st.sampled_from(["a@example.com", "Ana", "", " ", "\t", '"quoted, comma"',
                          '"line\nbreak"', '"cr\rbreak"', '"unclosed', "x\r", "é", "a;b"])
_ENDS = st.sampled_from(["\n", "\r\n", "\r"])
_PREAMBLES = st.sampled_from(["", "Notes:\n\"When exporting...\"\n\n", "\n\n", "Notes:\n"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    end = draw(_ENDS)
    lines = [draw(_PREAMBLES) + "First Name,Email,Company"]
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", ",,", " , ,", "\t"])))
        else:
            lines.append(",".join(draw(st.lists(_CELLS, min_size=1, max_size=4))))
    return end.join(lines) + draw(st.sampled_from(["", end, end + end]))


def _one_at_a_time(text: str, path: Path) -> list[csvrows.Row]:
    reader, number = csvrows._reader(text, path)
    csvrows._columns(next(reader), path)  # no email column: refused, as read_table does
    return csvrows._line_by_line(reader, number, path)


def _outcome(read: object, text: str) -> object:
    path = Path("contacts.csv")
    try:
        return read(text, path)  # type: ignore[operator]
    except UserError as exc:
        return ("refused", str(exc))


@settings(max_examples=1500, deadline=None)
@given(texts())
def test_rows_and_lines_are_those_read_a_record_at_a_time(text: str) -> None:
    got = _outcome(lambda t, p: read_table(t, p).rows, text)
    assert got == _outcome(_one_at_a_time, text)


def test_the_usual_file_is_numbered_without_reading_a_record_at_a_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """(Else the property above compares the slow way with itself.)"""
    monkeypatch.setattr(csvrows, "_line_by_line", None)
    text = "Notes:\n\"x\"\n\nEmail,Name\r\na@example.com,Ana\r\n\r\n,,\r\nb@example.com,Bo\r\n"
    assert read_table(text, Path("c.csv")).rows == [
        (5, ["a@example.com", "Ana"]), (8, ["b@example.com", "Bo"])]


@settings(max_examples=300, deadline=None)
@given(texts(), st.integers(0, 70_000))
def test_sniff_reads_the_header_from_the_head_as_from_the_whole_file(
        text: str, padding: int) -> None:
    text = text + "\n" + "x" * padding  # long enough for the head to be read alone
    assert csvrows._header_of(text) == csvrows._find_header(io.StringIO(text, newline=""))
    assert sniff(text) in ("csv", "linkedin")


@pytest.mark.parametrize("cut", range(-3, 30))
@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_a_header_across_the_end_of_the_head_is_read_whole(cut: int, end: str) -> None:
    header = "First Name,Email Address,URL,Connected On"
    blank = csvrows._HEAD_CHARS - cut  # the header starts just before the end of the head
    text = end * (blank // len(end)) + header + end + "Ana,a@example.com,u,1 Jan 2025" + end
    assert csvrows._header_of(text) == csvrows._find_header(io.StringIO(text, newline=""))
    assert sniff(text) == "linkedin"  # an old export: URL and Connected On name it


_BREAKY = st.lists(st.sampled_from(["a", "é", ",", '"', "\n", "\r", "\r\n", "\v", "\f",
                                   "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029",
                                   " "])).map("".join)


@given(_BREAKY)
@settings(max_examples=300)
def test_lines_are_those_a_file_read_with_universal_newlines_has(text: str) -> None:
    """``lines_of`` (the quick split, or the StringIO when another break is present) gives
    the lines ``io.StringIO(text, newline="")`` does: a vertical tab, a form feed, the file,
    group and record separators, NEL and the Unicode separators end no line."""
    assert list(csvrows.lines_of(text)) == list(io.StringIO(text, newline=""))


def test_a_file_with_a_form_feed_in_a_cell_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    table = read_table("Email,Notes\na@example.com,page\fbreak\nb@example.com,x\n", path)
    assert [(line, cells) for line, cells in table.rows] == [
        (2, ["a@example.com", "page\fbreak"]), (3, ["b@example.com", "x"])]
