"""What the user reads is exact: text from config, contacts and mail is printed as written
(rich markup is escaped), and the contact table stays readable at 80 columns."""

from __future__ import annotations

import pytest

from tests.support.workspace import Workspace, write_csv

MONDAY = "2026-12-07T08:30:00-05:00"
MALLORY = "mallory@example.com"
ROWS = [
    "Priya,Raman,priya.raman@example.com,County Health Department,Epidemiologist,"
    "America/New_York,",
    "Sofía,Gutiérrez,sofia.gutierrez@example.org,\"Gutiérrez & Partners, PR\",Founder,"
    "Europe/Madrid,",
    "[bold]Mallory[/],Injected,mallory@example.com,[red]Evil[/] Corp,Boss,,",
]
NO_SLOTS = "widen [availability] or free some calendar time"


@pytest.fixture
def flagged(workspace: Workspace) -> Workspace:
    """Three contacts, every one flagged: no weekday is available, so no slot is free."""
    workspace.set_config("availability", "days", '["sun"]')
    workspace.set_config("availability", "horizon_days", "1")
    workspace.ok("import", str(write_csv(workspace.root.parent / "c.csv", ROWS)), now=MONDAY)
    return workspace


def test_markup_in_config_contacts_and_messages_is_printed_as_written(
        flagged: Workspace) -> None:
    """"[availability]" in a message, "[bold]" in a name and "[red]" in a company survive
    every command that prints them; so does a config key the user mistyped in brackets."""
    run = flagged.ok("run", "--once", now=MONDAY)
    assert f"Needs attention {MALLORY}: no free slots in the next 1 days; {NO_SLOTS}" in run.out
    status = flagged.ok("status", now=MONDAY).out
    assert f"{MALLORY}: no free slots in the next 1 days; {NO_SLOTS}" in status
    table = flagged.ok("contacts", now=MONDAY).out
    assert "[bold]Mallory[/] Injected" in table and "[red]Evil[/] Corp" in table
    assert table.count("[availability]") == 3
    shown = flagged.ok("show", MALLORY, now=MONDAY).out
    assert "[bold]Mallory[/] Injected" in shown and "[red]Evil[/] Corp" in shown
    error = flagged.run("book", MALLORY, "--at", "2026-12-08 09:00", now=MONDAY)
    assert error.code == 1 and "outside your availability ([availability] days" in error.err
    with flagged.config.open("a") as fh:
        fh.write("\n[availabilty]\ndays = [\"mon\"]\n")
    warned = flagged.ok("contacts", now=MONDAY)
    assert "unknown section [availabilty] ignored" in warned.err


def _attention_cells(fragments: list[str], reasons: list[str]) -> list[list[str]]:
    """Split the attention column's line fragments into cells, one per flagged contact."""
    cells, current = [], []
    for fragment in fragments:
        current.append(fragment)
        if " ".join(" ".join(current).split()) in reasons:
            cells.append(current)
            current = []
    assert current == [], f"unmatched attention lines: {current}"
    return cells


def test_contacts_table_is_readable_at_80_columns_with_needs_attention(
        flagged: Workspace) -> None:
    """At 80 columns (the width a pipe or a small terminal gets) no name or company breaks
    into one-word lines, and the needs-attention text wraps between words, several a line."""
    flagged.ok("run", "--once", now=MONDAY)
    reasons = [c["needs_attention"] for c in flagged.contacts()]
    assert all(reasons)
    lines = flagged.ok("contacts", now=MONDAY).out.splitlines()
    assert max(len(line) for line in lines) <= 80
    for whole in ("Priya Raman", "County Health Department", "Sofía Gutiérrez",
                  "Gutiérrez & Partners, PR", "sofia.gutierrez@example.org"):
        assert any(whole in line for line in lines), (whole, lines)
    (header,) = [line for line in lines if "needs attention" in line]
    column = header.index("needs attention")
    body = lines[lines.index(header) + 2:]  # below the rule
    fragments = [line[column:].strip() for line in body if line[column:].strip()]
    cells = _attention_cells(fragments, reasons)
    assert len(cells) == 3
    for cell in cells:
        assert all(len(fragment.split()) >= 2 for fragment in cell[:-1]), cell
