"""Commands of the method: employers (and their rank), exchanges logged by hand, updates."""

from __future__ import annotations

import json
from datetime import datetime

import click
from rich.markup import escape
from rich.table import Table

from automation.app import employers as employer_use
from automation.app import exchanges
from automation.interfaces.cli.root import AppContext, cli, out


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_context
def employers(ctx: click.Context, as_json: bool) -> None:
    """List employers with their contacts per status (3B7: one awaits a reply at a time)."""
    if ctx.invoked_subcommand is not None:
        return
    app: AppContext = ctx.obj
    svc = app.services()
    rows = employer_use.employer_table(svc, svc.clock())
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        out.print("No employers yet: contacts with a company are grouped here.")
        return
    table = Table(title=f"{len(rows)} employer(s)", title_justify="left")
    for column in ("rank", "employer", "contacts", "waiting for their turn"):
        table.add_column(column, overflow="fold")
    for row in rows:
        counts = ", ".join(f"{status} {n}" for status, n in row["contacts"].items())
        waits = "\n".join(_waiting(w) for w in row["waiting"])
        table.add_row(str(row["rank"] or ""), escape(row["name"]), counts, waits)
    out.print(table)


def _waiting(item: dict[str, str | None]) -> str:
    if item["behind"] and item["until"]:
        return f"{item['email']} (after {item['behind']}, from {item['until'][:10]})"
    if item["behind"]:
        return f"{item['email']} (after {item['behind']} is sent)"
    return f"{item['email']} (after a colleague's outreach)"


@employers.command("rank")
@click.argument("company")
@click.argument("position", type=click.IntRange(min=0))
@click.pass_obj
def employers_rank(app: AppContext, company: str, position: int) -> None:
    """Rank COMPANY at POSITION (1 = first; 0 removes it): its contacts are written to first."""
    name, position = employer_use.rank(app.services(), company, position)
    out.print(f"Ranked {escape(name)} {position}" if position else
              f"Removed the rank of {escape(name)}")


@cli.command("log")
@click.argument("email")
@click.argument("text")
@click.option("--kind", type=click.Choice(exchanges.LOG_KINDS), required=True,
              help="What the exchange was.")
@click.option("--at", "at", metavar="WHEN",
              help="When it happened (ISO 8601 with an offset; default now).")
@click.pass_obj
def log_cmd(app: AppContext, email: str, text: str, kind: str, at: str | None) -> None:
    """Record a call, meeting or message with EMAIL; it restarts the check-in clock."""
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at)
        except ValueError as exc:
            raise click.BadParameter(f"{at!r} is not a time like 2026-12-07T15:00-05:00",
                                     param_hint="--at") from exc
    contact, when = exchanges.log_exchange(app.services(), email, kind, text, when)
    out.print(f"Logged a {kind} with {contact.email} at {when.isoformat()}: {escape(text)}")


@cli.command("update")
@click.argument("text")
@click.pass_obj
def update_cmd(app: AppContext, text: str) -> None:
    """Record what you have been doing; the next check-in to each contact shares it."""
    update = exchanges.add_update(app.services(), text)
    out.print(f"Update recorded: {escape(update.text)} (the next check-ins will share it)")
