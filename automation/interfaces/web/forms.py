"""Reading form input and wording results, shared by the action and page modules."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from automation.app.contacts import ImportSummary
from automation.core.slots import parse_at as _parse_at


def parse_at(text: str, zone: ZoneInfo) -> datetime:
    """A time typed in the form ("YYYY-MM-DD HH:MM" in ``zone``), as the CLI's ``--at``."""
    return _parse_at(text.replace("T", " "), zone, what="time")


def import_report(name: str, summary: ImportSummary) -> str:
    """The CLI's per-row import report, one line each, then the totals."""
    lines = [f"skipped {name} line {row.line}: {row.reason}" for row in summary.result.skipped]
    lines += [f"warning {name} line {row.line}: {row.reason}" for row in summary.result.warnings]
    lines.append(f"{summary.result.format}: {summary.created} imported, {summary.updated} "
                 f"updated, {summary.unchanged} unchanged, {len(summary.result.skipped)} skipped")
    return "\n".join(lines)
