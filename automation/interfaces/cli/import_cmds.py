"""The ``import`` command: a contact file into the database, with a progress bar on a terminal."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from automation.app.contacts import import_contacts
from automation.core.importers import FORMATS
from automation.interfaces.cli.root import AppContext, cli, err_console, out, rich_console


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
    # Two bars, one per half of the work: the rows read and checked, then the contacts saved
    # (the database writes are as long as the reading on a big file).
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=rich_console(err_console), transient=True,
                  disable=not err_console.is_terminal) as progress:
        reading = progress.add_task("importing", total=None)
        saving = progress.add_task("saving", total=None, visible=False)

        def read(done: int, total: int) -> None:
            progress.update(reading, completed=done, total=total)

        def save(done: int, total: int) -> None:
            progress.update(saving, completed=done, total=total, visible=True)

        summary = import_contacts(svc, file, fmt=fmt, tags=tags, referred_by=referred_by,
                                  progress=read, saving=save)
    for row in summary.result.skipped:
        err_console.print(f"[yellow]skipped[/] {escape(f'{file.name} line {row.line}: {row.reason}')}")
    for row in summary.result.warnings:
        err_console.print(f"[yellow]warning[/] {escape(f'{file.name} line {row.line}: {row.reason}')}")
    out.print(f"{summary.result.format}: {summary.created} imported, {summary.updated} updated, "
              f"{summary.unchanged} unchanged, {len(summary.result.skipped)} skipped")
