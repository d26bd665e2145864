"""Contact files that used to split one person in two, or reject a whole file."""

from __future__ import annotations

from pathlib import Path

from automation.core.importers import normalise_email, read_contacts


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_lookalike_addresses_become_one_contact(tmp_path: Path) -> None:
    """Zero-width characters and fullwidth letters made separate contacts, each drafted."""
    path = write(tmp_path, "Email,First Name\npriya@example.com,Priya\n"
                 "pri\u200bya@example.com,Priya\n\uff50riya@example.com,Priya\n"
                 "priya@exam\u2060ple.com,Priya\n")
    result = read_contacts(path)
    assert [r.email for r in result.records] == ["priya@example.com"]


def test_addresses_no_mail_server_takes_are_rejected_with_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Email,First Name\na@-x.com,A\n.a@x.com,B\na..b@x.com,C\n"
                 "a@x_y.com,D\nok@example.com,E\n")
    result = read_contacts(path)
    assert [r.email for r in result.records] == ["ok@example.com"]
    assert [(s.line, s.reason.split(" '")[0]) for s in result.skipped] == [
        (2, "invalid email"), (3, "invalid email"), (4, "invalid email"), (5, "invalid email")]
    assert normalise_email("dev@example.test") == "dev@example.test"  # test data still works


def test_a_field_over_131072_characters_skips_only_its_row(tmp_path: Path) -> None:
    """The csv module's field limit rejected the whole file."""
    path = write(tmp_path, "Email,First Name,Notes\na@example.com,A,short\n"
                 f"b@example.com,B,{'x' * 200_000}\nc@example.com,C,short\n")
    result = read_contacts(path)
    assert [r.email for r in result.records] == ["a@example.com", "c@example.com"]
    assert [s.line for s in result.skipped] == [3]
    assert "over 131,072 characters" in result.skipped[0].reason
