"""Contact import: each export format, the row rules, and the errors a user sees.

Fixtures live in tests/fixtures/contacts/ (synthetic people, real export layouts); their
README says which rule each file exercises. Line numbers asserted here are physical lines.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from automation.core.importers import (
    FORMATS,
    ImportResult,
    detect_format,
    normalise_email,
    read_contacts,
)
from automation.core.records import ContactRecord, SkippedRow
from automation.errors import UserError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "contacts"
LINKEDIN_HINT = "(LinkedIn omits it unless the person allows it)"
CONTROL_CHARS = {chr(c) for c in range(32)} | {"\x7f", "\x85", "\u2028", "\u2029"}


def read(name: str, **kwargs) -> ImportResult:
    return read_contacts(FIXTURES / name, **kwargs)


def by_email(result: ImportResult) -> dict[str, ContactRecord]:
    return {r.email: r for r in result.records}


def write(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


# --- normalise_email --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("mailto:jane@example.org", "jane@example.org"),
        ("MAILTO: jane@example.org", "jane@example.org"),
        ("<jane@example.org>", "jane@example.org"),
        ("<mailto:jane@example.org>", "jane@example.org"),
        ("Jane Doe <Jane@Example.org>", "jane@example.org"),
        ('"Doe, Jane" <jane@example.org>', "jane@example.org"),
        ("jane+news@mail.example.co.uk", "jane+news@mail.example.co.uk"),
        ("ana@exämple.pt", "ana@exämple.pt"),
    ],
)
def test_normalise_email_returns_bare_lower_case_address(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "bob@@example.com",
        "no-at-sign.example.com",
        "@example.com",
        "jane@localhost",
        "jane@example.",
        "jane@example..com",
        "jane doe@example.com",
        "jane@exa mple.com",
        "a@b.com, c@d.com",
        "jane@example.com\r\nBcc: victim@example.net",
        "jane@example.com\x00",
        "jane@example.com?subject=hi",
        "frank at example.com",
    ],
)
def test_normalise_email_rejects_implausible_addresses(raw: str) -> None:
    assert normalise_email(raw) is None


# --- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("linkedin_connections.csv", "linkedin"),
        ("google_contacts.csv", "google"),
        ("google_contacts_legacy.csv", "google"),
        ("contacts_v3.vcf", "vcard"),
        ("contacts_v4.vcf", "vcard"),
        ("contacts_v21.vcf", "vcard"),
        ("generic_bom.csv", "csv"),
        ("semicolon.csv", "csv"),
        ("odd_headers.csv", "csv"),
        ("broken.csv", "csv"),
        ("contacts.tsv", "csv"),
    ],
)
def test_detect_format_recognises_each_fixture(name: str, expected: str) -> None:
    assert detect_format(FIXTURES / name) == expected
    assert read(name).format == expected


def test_detect_format_reads_the_content_not_the_file_name(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "linkedin_connections.csv", tmp_path / "cards.vcf")
    shutil.copy(FIXTURES / "contacts_v3.vcf", tmp_path / "Connections.csv")
    assert detect_format(tmp_path / "cards.vcf") == "linkedin"
    assert detect_format(tmp_path / "Connections.csv") == "vcard"


def test_an_old_linkedin_export_without_preamble_is_still_linkedin(tmp_path: Path) -> None:
    path = write(tmp_path, "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                           "Ada,Obi,https://www.linkedin.com/in/x,,Acme,CEO,01 Jan 2020\n")
    result = read_contacts(path)
    assert result.format == "linkedin"
    assert result.skipped == [SkippedRow(2, f"no email address for Ada Obi {LINKEDIN_HINT}")]


def test_formats_lists_auto_and_every_parser() -> None:
    assert FORMATS == ("auto", "csv", "linkedin", "google", "vcard")


# --- LinkedIn ---------------------------------------------------------------------------------


def test_linkedin_rows_without_email_are_skipped_with_physical_line_and_reason() -> None:
    result = read("linkedin_connections.csv")
    assert result.skipped == [
        SkippedRow(6, f"no email address for Tomasz Kowalczyk {LINKEDIN_HINT}"),
        SkippedRow(9, f"no email address for Siobhan O'Brien {LINKEDIN_HINT}"),
    ]
    assert result.warnings == []


def test_linkedin_imports_every_row_with_an_email_counting_the_preamble_lines() -> None:
    result = read("linkedin_connections.csv")
    assert result.total_rows == 7
    assert [(r.line, r.email) for r in result.records] == [
        (5, "amara.nwosu@example.com"),
        (7, "ines.fabre@example.fr"),
        (8, "kenji.watanabe@example.jp"),
        (10, "rahul.menon@example.in"),
        (11, "grace.adeyemi@example.org"),
    ]
    ines = by_email(result)["ines.fabre@example.fr"]
    assert (ines.name, ines.first_name, ines.last_name) == ("Inès Fabre", "Inès", "Fabre")
    assert (ines.company, ines.role) == ("Fabre, Lemaire & Associés", "Partner")


# --- Google Contacts --------------------------------------------------------------------------


def test_google_first_email_is_primary_and_the_others_are_extra() -> None:
    people = by_email(read("google_contacts.csv"))
    lucia = people["lucia.ortega@example.com"]
    assert lucia.extra_emails == ("lucia.m.ortega@example.net",)
    assert (lucia.name, lucia.first_name, lucia.last_name) == ("Lucia Maria Ortega", "Lucia", "Ortega")
    assert (lucia.company, lucia.role, lucia.phone) == ("Sunrise Solar", "Field Engineer", "+1 555-0142")
    assert lucia.notes == "Met at the clean energy fair"
    # Google joins several values in one cell with " ::: ".
    femi = people["femi.balogun@example.org"]
    assert femi.extra_emails == ("fbalogun@example.edu",)
    assert femi.phone == "+1 555-0143"
    assert people["oskar@nordlys.example.se"].line == 5


def test_google_row_without_email_is_skipped() -> None:
    result = read("google_contacts.csv")
    assert result.skipped == [
        SkippedRow(4, "no email address for Hana Novak (add one in Google Contacts and export again)")
    ]
    assert result.total_rows == 4 and len(result.records) == 3


def test_google_legacy_layout_maps_given_family_and_organization_columns() -> None:
    result = read("google_contacts_legacy.csv")
    [paulo] = result.records
    assert paulo == ContactRecord(
        email="paulo.mendes@example.pt", line=2, name="Paulo Mendes", first_name="Paulo",
        last_name="Mendes", company="Atlântico Energia", role="Grid Planner",
        notes="Former colleague of Ana", phone="+351 555 0101", location="Lisbon",
        extra_emails=("paulo@example.com",),
    )
    assert [s.line for s in result.skipped] == [3]


def test_an_invalid_second_email_is_dropped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "Given Name,Family Name,E-mail 1 - Value,E-mail 2 - Value\n"
                           "Ada,Obi,ada@example.com,ada@@old\n")
    result = read_contacts(path)
    assert [r.extra_emails for r in result.records] == [()]
    assert result.warnings == [SkippedRow(2, "ignored invalid extra email 'ada@@old' for Ada Obi")]


def test_a_valid_second_email_rescues_an_invalid_first_one(tmp_path: Path) -> None:
    path = write(tmp_path, "Given Name,Family Name,E-mail 1 - Value,E-mail 2 - Value\n"
                           "Ada,Obi,ada@@old,ada@example.com\n")
    result = read_contacts(path)
    assert [r.email for r in result.records] == ["ada@example.com"]
    assert [w.line for w in result.warnings] == [2]


# --- vCard ------------------------------------------------------------------------------------


def test_vcard3_folding_escapes_pref_and_org() -> None:
    chidi = by_email(read("contacts_v3.vcf"))["chidi.achebe@kestrel.example"]
    assert chidi == ContactRecord(
        email="chidi.achebe@kestrel.example", line=1, name="Chidi Achebe", first_name="Chidi",
        last_name="Achebe", company="Kestrel Robotics, Inc.", role="Senior Engineer",
        timezone="America/Chicago",
        notes="Met at the robotics meetup; wants to talk about hiring juniors in the spring.",
        phone="+1 555 0170", extra_emails=("chidi.home@example.net",),
    )


def test_vcard3_group_prefix_folded_email_and_role() -> None:
    beatriz = by_email(read("contacts_v3.vcf"))["beatriz.ferreira@example.com.br"]
    assert (beatriz.line, beatriz.company, beatriz.role) == (15, "Instituto Verde", "Coordinator")
    assert beatriz.timezone is None


def test_vcard3_problems_point_at_the_begin_line_of_the_card() -> None:
    result = read("contacts_v3.vcf")
    assert result.total_rows == 3
    assert result.skipped == [
        SkippedRow(26, "no email address for Nobody Atall (the card has no EMAIL line)")
    ]
    [warning] = result.warnings
    assert warning.line == 15
    assert warning.reason.startswith("time zone '-03:00' is a UTC offset")
    assert "imported without a time zone" in warning.reason


def test_vcard4_pref_1_wins_over_file_order() -> None:
    result = read("contacts_v4.vcf")
    [mei] = result.records
    assert mei.email == "mzhou@example.com"
    assert mei.extra_emails == ("meiling.personal@example.net", "mei@example.org")
    assert (mei.timezone, mei.phone) == ("Asia/Singapore", "+1-555-0180")
    assert (mei.first_name, mei.last_name) == ("Mei-Ling", "Zhou")
    assert result.skipped == [SkippedRow(12, "invalid email 'bad@@example' for Arjun Patel")]


def test_vcard21_quoted_printable_and_bare_parameters() -> None:
    [jurgen] = read("contacts_v21.vcf").records
    assert (jurgen.name, jurgen.first_name, jurgen.last_name) == ("Jürgen Müller", "Jürgen", "Müller")
    assert jurgen.notes == "Spricht gern über Wasserstoff und Logistik."
    assert jurgen.email == "juergen.mueller@example.de"


# --- generic CSV ------------------------------------------------------------------------------


def test_generic_csv_with_bom_and_a_multi_line_field_keeps_line_numbers() -> None:
    result = read("generic_bom.csv")
    # The BOM must not hide the first header ("\ufeffEmail" would not be an email column).
    assert [(r.line, r.email) for r in result.records] == [
        (2, "zainab.hassan@example.com"),
        (3, "li.wei@example.cn"),
        (5, "emma.johansson@example.se"),
    ]
    li = result.records[1]
    assert li.notes == "Prefers mornings. Ask about the museum project."
    zainab = result.records[0]
    assert (zainab.first_name, zainab.last_name, zainab.location) == ("Zainab", "Hassan", "Zoom")
    assert (zainab.role, zainab.timezone, zainab.phone) == ("Epidemiologist", "Africa/Cairo", "+20 555 0190")


def test_semicolon_csv_keeps_commas_inside_values_and_canonicalises_zone_case() -> None:
    matteo, anna = read("semicolon.csv").records
    assert (matteo.company, matteo.role) == ("Rossi, Bianchi & Co", "Partner, Tax")
    assert anna.timezone == "Europe/Warsaw"  # the file says "europe/warsaw"


def test_tab_separated_file() -> None:
    [kwame] = read("contacts.tsv").records
    assert (kwame.email, kwame.company) == ("kwame.mensah@example.gh", "Gold Coast Ventures, Ltd")


def test_odd_header_casing_spacing_and_synonyms() -> None:
    diego, ngozi = read("odd_headers.csv").records
    assert diego == ContactRecord(
        email="diego.alvarez@example.mx", line=2, name="Diego Armando Alvarez",
        first_name="Diego Armando", last_name="Alvarez", company="Maya Coffee Roasters",
        role="Head Roaster", timezone="America/Mexico_City", notes="Likes espresso",
        phone="+52 555 0200", location="Zoom",
    )
    assert (ngozi.name, ngozi.first_name, ngozi.last_name) == ("Ngozi", "Ngozi", "")


@pytest.mark.parametrize(
    ("header", "cells", "expected"),
    [
        ("Name", "Jane van Doe", ("Jane van Doe", "Jane van", "Doe")),
        ("Name", '"Doe, Jane"', ("Doe, Jane", "Jane", "Doe")),
        ("Name", '"Jane Doe, PhD"', ("Jane Doe, PhD", "Jane", "Doe")),
        ("First Name,Last Name", "Jane,Doe", ("Jane Doe", "Jane", "Doe")),
        ("First Name", "Jane", ("Jane", "Jane", "")),
        ("Last Name", "Doe", ("Doe", "", "Doe")),
        ("Name,First Name", "Dr Jane Doe,Jane", ("Dr Jane Doe", "Jane", "")),
    ],
)
def test_name_is_completed_from_its_parts_and_parts_from_the_name(
    tmp_path: Path, header: str, cells: str, expected: tuple[str, str, str]
) -> None:
    [record] = read_contacts(write(tmp_path, f"Email,{header}\nx@example.com,{cells}\n")).records
    assert (record.name, record.first_name, record.last_name) == expected


def test_windows_1252_file_is_read_with_a_warning() -> None:
    result = read("cp1252.csv")
    rene, jurgen = result.records
    assert (rene.first_name, rene.company) == ("René", "Café du Nord")
    assert (jurgen.name, jurgen.company) == ("Jürgen Schröder", "O\u2019Reilly Partners")
    [warning] = result.warnings
    assert warning.line == 2
    assert "not UTF-8" in warning.reason and "Windows-1252" in warning.reason


# --- the broken file: every row rule at once --------------------------------------------------


def test_broken_rows_are_skipped_with_line_and_actionable_reason() -> None:
    assert read("broken.csv").skipped == [
        SkippedRow(3, "invalid email 'bob@@example.com' for Bob Stone"),
        SkippedRow(4, "no email address for Carla Diaz"),
        SkippedRow(11, "invalid email 'Frank <frank at example.com>' for Frank Ng"),
    ]


def test_broken_file_imports_every_valid_row() -> None:
    result = read("broken.csv")
    # Blank lines and ",,,," rows are not rows; the duplicate merges into line 2.
    assert result.total_rows == 8
    assert [(r.line, r.email) for r in result.records] == [
        (2, "olivia.brown@example.com"),
        (5, "martian@example.com"),
        (6, "evil@example.com"),
        (12, "hugo.silva@example.com"),
    ]


def test_unknown_time_zone_imports_the_row_without_a_zone_and_warns() -> None:
    result = read("broken.csv")
    assert by_email(result)["martian@example.com"].timezone is None
    assert SkippedRow(5, (
        "unknown time zone 'Mars/Olympus' (imported without a time zone; "
        "use an IANA name such as 'Europe/Berlin')"
    )) in result.warnings


def test_duplicate_email_merges_empty_fields_into_the_first_row() -> None:
    result = read("broken.csv")
    olivia = by_email(result)["olivia.brown@example.com"]
    # Line 2 had no role and no notes; line 9 (same address, other case) fills them in,
    # but never overwrites what line 2 already said.
    assert (olivia.line, olivia.role, olivia.notes) == (2, "Producer", "Second row for Olivia")
    assert (olivia.first_name, olivia.timezone) == ("Olivia", "America/Toronto")
    assert SkippedRow(
        9, "same email as line 2 (olivia.brown@example.com); merged into that contact: added "
           "role 'Producer', notes 'Second row for Olivia'"
    ) in result.warnings
    assert len(result.warnings) == 2


def test_the_merge_warning_says_what_was_merged_kept_or_ignored(tmp_path: Path) -> None:
    """Which fields the later row filled, which of its values lost to the first row's, and
    when it brought nothing new: "merged" alone does not tell the user what happened."""
    path = write(tmp_path, "Email,Email,Name,Company,Title,Notes\n"
                           "ada@example.com,,Ada Lovelace,Analytical Engines,,\n"
                           "ADA@example.com,ada@uni.example,Ada L.,Analytical Engines,Analyst,"
                           "Met at the salon\n"
                           "ada@example.com,,Ada Lovelace,analytical engines,,\n")
    first, second = read_contacts(path).warnings
    assert first == SkippedRow(3, (
        "same email as line 2 (ada@example.com); merged into that contact: added role "
        "'Analyst', notes 'Met at the salon', address ada@uni.example; kept line 2's name "
        "'Ada Lovelace' (this line: 'Ada L.')"))
    assert second == SkippedRow(4, (
        "same email as line 2 (ada@example.com); nothing new on this line, so it was ignored"))


def test_duplicate_email_unions_extra_emails(tmp_path: Path) -> None:
    path = write(tmp_path, "Email,Email,Name\n"
                           "ada@example.com,ada@old.example,Ada\n"
                           "ADA@example.com,ada@uni.example,\n")
    [ada] = read_contacts(path).records
    assert ada.extra_emails == ("ada@old.example", "ada@uni.example")


def test_header_injection_characters_are_replaced_by_spaces() -> None:
    evil = by_email(read("broken.csv"))["evil@example.com"]
    assert evil.company == "Acme Bcc: victim@example.net"
    assert evil.role == "Intern"  # the BEL character is gone too


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.suffix != ".md"))
def test_no_control_character_survives_in_any_field(name: str) -> None:
    for record in read(name).records:
        for value in (record.email, record.name, record.first_name, record.last_name,
                      record.company, record.role, record.notes, record.phone, record.location,
                      record.timezone or "", *record.extra_emails):
            assert not CONTROL_CHARS & set(value), (record.line, value)
            assert value == value.strip()


# --- progress ---------------------------------------------------------------------------------


def test_progress_is_reported_every_200_rows_and_at_the_end(tmp_path: Path) -> None:
    rows = "".join(f"p{i}@example.com,Person {i}\n" for i in range(450))
    calls: list[tuple[int, int]] = []
    read_contacts(write(tmp_path, "Email,Name\n" + rows), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(200, 450), (400, 450), (450, 450)]


def test_progress_reports_the_end_once_for_a_small_file() -> None:
    calls: list[tuple[int, int]] = []
    read("contacts_v3.vcf", progress=lambda d, t: calls.append((d, t)))
    assert calls == [(3, 3)]


# --- errors the user sees ---------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"cannot read .*nope\.csv: no such file; check the path"):
        read_contacts(tmp_path / "nope.csv")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="it is a directory"):
        read_contacts(tmp_path)


@pytest.mark.parametrize("content", [b"", b"  \r\n\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=r"empty\.csv is empty; export your contacts again"):
        read_contacts(path)
    with pytest.raises(UserError, match="is empty"):
        detect_format(path)


def test_unknown_format_lists_the_choices() -> None:
    with pytest.raises(UserError, match=r"unknown import format 'excel'; choose one of: auto, csv, linkedin, google, vcard"):
        read("broken.csv", fmt="excel")


def test_csv_without_email_column_names_the_headers_it_saw(tmp_path: Path) -> None:
    path = write(tmp_path, "Full Name,Employer,Contact\nJane Doe,Acme,jane@example.com\n")
    with pytest.raises(UserError) as info:
        read_contacts(path)
    message = str(info.value)
    assert "no email column found (headers seen: 'Full Name', 'Employer', 'Contact')" in message
    assert "rename the column that holds the addresses to 'Email'" in message


def test_header_only_file_has_no_contacts(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="has a header row but no contacts under it"):
        read_contacts(write(tmp_path, "Email,Name\n\n,\n"))


def test_spreadsheet_file_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(UserError, match="save it as 'CSV UTF-8'"):
        read_contacts(path)


def test_forcing_vcard_on_a_csv_file_is_refused() -> None:
    with pytest.raises(UserError, match="looks like csv, not vcard"):
        read("broken.csv", fmt="vcard")


def test_forced_csv_family_format_changes_only_the_wording() -> None:
    result = read("google_contacts.csv", fmt="csv")
    assert result.format == "csv"
    assert result.skipped == [SkippedRow(4, "no email address for Hana Novak")]


def test_unclosed_quote_is_reported_instead_of_swallowing_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'Email,Company\na@example.com,Acme\nb@example.com,"Oops\nc@example.com,Beta\n')
    with pytest.raises(UserError, match=r"line 3: a quoted field is never closed"):
        read_contacts(path)


# --- a big file -------------------------------------------------------------------------------


def test_ten_thousand_rows_are_read_with_their_lines(tmp_path: Path) -> None:
    """Speed is measured by ``make bench`` (import rows/s), not asserted on a shared machine."""
    rows = "".join(
        f"person{i}@example.com,First{i},Last{i},Company {i % 97},Engineer,Europe/Berlin,note {i}\n"
        for i in range(10_000)
    )
    path = write(tmp_path, "Email,First Name,Last Name,Company,Title,Time Zone,Notes\n" + rows)
    result = read_contacts(path)
    assert len(result.records) == 10_000 and result.records[-1].line == 10_001
    assert result.records[-1] == ContactRecord(
        email="person9999@example.com", line=10_001, name="First9999 Last9999",
        first_name="First9999", last_name="Last9999", company="Company 8", role="Engineer",
        timezone="Europe/Berlin", notes="note 9999")
