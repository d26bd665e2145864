"""``automation prep EMAIL``: the private prep sheet for one contact's interview."""

from __future__ import annotations

import json

import click
from rich.markup import escape

from automation.app.prep import interview_label, prep_sheet
from automation.core.compose import slot_label
from automation.interfaces.cli.root import AppContext, cli, out


@cli.command()
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def prep(app: AppContext, email: str, as_json: bool) -> None:
    """Your private prep sheet for EMAIL: who they are, how you met, your notes, what to ask.

    Nothing on it reaches the contact: the invitation shows only the purpose, how you'll talk
    and your name. The questions come from [prep] questions (TIARA by default).
    """
    svc = app.services()
    sheet = prep_sheet(svc, email)
    if as_json:
        click.echo(json.dumps(sheet.as_json(), indent=2, ensure_ascii=False))
        return
    zone = svc.config.me.timezone
    who = ", ".join(p for p in (sheet.role, sheet.company) if p)
    out.print(f"[bold]Prep: {escape(sheet.name)}[/] <{escape(sheet.email)}>"
              + (f"  {escape(who)}" if who else ""))
    if sheet.interview is not None:
        state = interview_label(sheet, svc.clock())
        out.print(f"interview: {slot_label(sheet.interview, zone)} ({state}); "
                  f"{escape(sheet.location)}")
    else:
        out.print(f"interview: not booked yet (status {sheet.status})")
    rows = (("connected", sheet.connection), ("referred by", sheet.referred_by or ""),
            ("notes", sheet.notes), ("your note", sheet.note),
            ("tags", ", ".join(sheet.tags)))
    for label, value in rows:
        if value:
            out.print(f"{label}: {escape(value)}")
    out.print("questions to ask:")
    for number, question in enumerate(sheet.questions, 1):
        out.print(f"  {number}. {escape(question)}")
