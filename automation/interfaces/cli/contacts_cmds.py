"""Commands over the contact list: import, contacts, status."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from automation.app import queries
from automation.app.contacts import import_contacts
from automation.core.importers import FORMATS
from automation.core.models import Status
from automation.interfaces.cli import AppContext, cli, err_console, out


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Input format; auto detects LinkedIn, Google Contacts, vCard or plain CSV.")
@click.option("--tag", "tags", multiple=True, help="Tag every imported contact (repeatable).")
@click.option("--referred-by", "referred_by", metavar="EMAIL",
              help="Record that this existing contact introduced everyone in FILE.")
@click.pass_obj
def import_cmd(app: AppContext, file: Path, fmt: str, tags: tuple[str, ...],
               referred_by: str | None) -> None:
    """Import contacts from FILE; re-importing updates fields and keeps history."""
    svc = app.services()
    with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(),
                  console=err_console, transient=True,
                  disable=not err_console.is_terminal) as progress:
        task = progress.add_task("import", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        summary = import_contacts(svc, file, fmt=fmt, tags=tags, referred_by=referred_by,
                                  progress=tick)
    for row in summary.result.skipped:
        err_console.print(f"[yellow]skipped[/] {file.name} line {row.line}: {row.reason}")
    for row in summary.result.warnings:
        err_console.print(f"[yellow]warning[/] {file.name} line {row.line}: {row.reason}")
    out.print(f"{summary.result.format}: {summary.created} imported, {summary.updated} updated, "
              f"{summary.unchanged} unchanged, {len(summary.result.skipped)} skipped")


@cli.command()
@click.option("--status", "status", type=click.Choice([s.value for s in Status]),
              help="Only contacts with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_obj
def contacts(app: AppContext, status: str | None, as_json: bool) -> None:
    """List contacts with their status, offered slots and what needs you."""
    svc = app.services()
    rows = queries.contact_table(svc.store, svc.clock(), status)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        out.print("No contacts yet: `automation import FILE` adds some.")
        return
    zone = svc.config.me.timezone
    table = Table(title=f"{len(rows)} contact(s); slots in {zone.key}", title_justify="left")
    table.add_column("email", no_wrap=True)
    table.add_column("name")
    table.add_column("company")
    table.add_column("status", no_wrap=True)
    table.add_column("offered slots", no_wrap=True)
    attention = any(row["needs_attention"] for row in rows)
    if attention:
        table.add_column("needs attention", overflow="fold")
    for row in rows:
        slots = "\n".join(_short(s, zone) for s in row["offered_slots"])
        cells = [row["email"], row["name"], row["company"], row["status"], slots]
        table.add_row(*cells, *([row["needs_attention"] or ""] if attention else []))
    out.print(table)


def _short(iso: str, zone: Any) -> str:
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%a %d %b %H:%M")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_obj
def status(app: AppContext, as_json: bool) -> None:
    """Counts per pipeline status, and everything that needs you."""
    svc = app.services()
    data = queries.pipeline_status(svc.store, svc.locks, svc.clock())
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"Pipeline ({data['total']} contacts)", title_justify="left")
    table.add_column("status")
    table.add_column("count", justify="right")
    for name, count in data["counts"].items():
        table.add_row(name, str(count), style="dim" if not count else None)
    out.print(table)
    if data["needs_attention"]:
        out.print(f"[yellow]{len(data['needs_attention'])} need(s) attention:[/]")
        for item in data["needs_attention"]:
            out.print(f"  {item['email']}: {item['reason']}")
    last = data["last_tick"]
    if last:
        out.print(f"Last run: {last['started_at']} ({last['outcome'] or 'running'})")
    ref = data["referrals"]
    if ref["interviews"]:
        out.print(f"Referrals: {ref['referrals']} from {ref['interviews']} interview(s), "
                  f"{ref['per_interview']} per interview (target {ref['target']})")
    for item in data["unmatched"]:
        subject, sender = item["subject"] or "(no subject)", item["from"] or "(no sender)"
        out.print(f"[yellow]Unmatched {item['kind']}:[/] {escape(subject)} from "
                  f"{escape(sender)} ({item['at'][:16]})")
    _print_health(data)


def _print_health(data: dict[str, Any]) -> None:
    daemon = data["daemon"]
    out.print(f"Daemon: running (pid {daemon['pid']})" if daemon["running"]
              else "Daemon: not running")
    for item in data["failing"]:
        retry = f"; next try {item['retry_at']}" if item.get("retry_at") else ""
        out.print(f"[red]Failing:[/] {escape(item['error'] + retry)}")
        out.print(f"  fix: {escape(item['fix'])}")
