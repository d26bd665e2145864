"""The ``import`` command: a contact file into the database, with a progress bar on a terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from automation.app.contacts import import_contacts
from automation.core.importers import FORMATS
from automation.interfaces.cli.root import AppContext, cli, err_console, escape, out, rich_console

_Tick = Callable[[int, int], None]


def _maybe_terminal() -> bool:
    """False when stderr is plainly no terminal (a pipe, a file) and nothing asks rich to act
    as one: then neither the bars nor rich itself are needed (rich costs a tenth of a second)."""
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return True
    except ValueError:  # closed
        return False
    return any(name in os.environ for name in ("FORCE_COLOR", "TTY_COMPATIBLE",
                                               "FORCE_TERMINAL"))


@contextmanager
def _bars() -> Iterator[tuple[_Tick | None, _Tick | None]]:
    """``(read, save)`` progress callbacks drawing two bars on a terminal (None elsewhere): the
    rows read and checked, then the contacts saved (as long as the reading on a big file)."""
    if not (_maybe_terminal() and err_console.is_terminal):
        yield None, None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=rich_console(err_console), transient=True) as progress:
        reading = progress.add_task("importing", total=None)
        saving = progress.add_task("saving", total=None, visible=False)

        def read(done: int, total: int) -> None:
            progress.update(reading, completed=done, total=total)

        def save(done: int, total: int) -> None:
            progress.update(saving, completed=done, total=total, visible=True)

        yield read, save


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
    with _bars() as (read, save):
        summary = import_contacts(svc, file, fmt=fmt, tags=tags, referred_by=referred_by,
                                  progress=read, saving=save)
    for row in summary.result.skipped:
        err_console.print(f"[yellow]skipped[/] {escape(f'{file.name} line {row.line}: {row.reason}')}")
    for row in summary.result.warnings:
        err_console.print(f"[yellow]warning[/] {escape(f'{file.name} line {row.line}: {row.reason}')}")
    out.print(f"{summary.result.format}: {summary.created} imported, {summary.updated} updated, "
              f"{summary.unchanged} unchanged, {len(summary.result.skipped)} skipped")
