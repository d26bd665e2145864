"""Commands over one contact's pipeline: show, mark, note, refer."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from automation.app import manual, queries
from automation.core.compose import slot_label
from automation.core.models import Slot, Status
from automation.interfaces.cli.root import AppContext, cli, out


@cli.command()
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def show(app: AppContext, email: str, as_json: bool) -> None:
    """The whole story of one contact: status, offers, interview, referrals, timeline."""
    svc = app.services()
    data = queries.contact_story(svc.store, email, svc.clock(), svc.config.me.timezone)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    zone = svc.config.me.timezone
    out.print(f"[bold]{escape(data['name'])}[/] <{data['email']}>  "
              f"{escape(', '.join(p for p in (data['role'], data['company']) if p))}")
    out.print(f"status: [bold]{data['status']}[/]")
    for label, key in (("responsiveness", "responsiveness"),
                       ("needs attention", "needs_attention"), ("snoozed until", "snoozed_until"),
                       ("connection", "connection"), ("note", "note"),
                       ("referred by", "referred_by")):
        if data[key]:
            out.print(f"{label}: {escape(str(data[key]))}")
    if data["referrals"]["introduced"]:
        out.print(f"introduced: {', '.join(data['referrals']['introduced'])}", markup=False)
    if data["offered"]:
        out.print("offered: " + "; ".join(
            f"{o['option']}. {_label(o['start'], o['end'], zone)}" for o in data["offered"]))
    if data["interview"]:
        i = data["interview"]
        out.print(f"interview: {_label(i['start'], i['end'], zone)} ({i['status']})")
    table = Table(title="timeline", title_justify="left")
    for column in ("when", "what", "cause", "message"):
        table.add_column(column, overflow="fold")
    for e in data["timeline"]:
        what = (f"{e['old_status'] or ''} → {e['new_status']}" if e["new_status"]
                else e["event"])
        when = datetime.fromisoformat(e["at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        table.add_row(when, what, escape(e["cause"]), escape(e["message_id"] or ""))
    out.print(table)


def _label(start: str, end: str, zone: Any) -> str:
    return slot_label(Slot(datetime.fromisoformat(start), datetime.fromisoformat(end)), zone)


@cli.command()
@click.argument("email")
@click.argument("status", type=click.Choice([s.value for s in Status]))
@click.option("--reason", default="", help="Why (recorded in the timeline).")
@click.pass_obj
def mark(app: AppContext, email: str, status: str, reason: str) -> None:
    """Set a contact's STATUS by hand (recorded in the timeline); clears needs_attention.

    Marking declined, no_response, bounced or opted_out withdraws every unsent draft to them.
    """
    svc = app.services()
    new = Status(status)
    withdrawn = manual.mark(svc, email, new, reason)
    out.print(f"{email}: {new}" + (f" ({len(withdrawn)} unsent draft(s) withdrawn)"
                                   if withdrawn else ""))


@cli.command()
@click.argument("email")
@click.argument("text", required=False)
@click.option("--connection", metavar="TEXT",
              help="How you know of them (\"we met at the PRSA mixer\"); the outreach opens "
                   "with it.")
@click.pass_obj
def note(app: AppContext, email: str, text: str | None, connection: str | None) -> None:
    """Note something specific about EMAIL (the thank-you thanks them for it), or with
    --connection how you know of them."""
    if text is None and connection is None:
        raise click.UsageError("give the TEXT of the note, or --connection TEXT")
    svc = app.services()
    if connection is not None:
        contact, connection = manual.set_connection(svc, email, connection)
        out.print(f"Connection for {contact.email}: {escape(connection)}")
    if text is not None:
        contact, text = manual.note(svc, email, text)
        out.print(f"Noted for {contact.email}: {escape(text)}")


@cli.command()
@click.argument("email")
@click.option("--name", required=True, help="The new person's name.")
@click.option("--email", "new_email", required=True, metavar="ADDR",
              help="The new person's address.")
@click.option("--company", default="", help="Where they work.")
@click.option("--role", default="", help="What they do.")
@click.option("--note", "notes", default="", help="Anything to remember about them.")
@click.pass_obj
def refer(app: AppContext, email: str, name: str, new_email: str, company: str, role: str,
          notes: str) -> None:
    """Record that EMAIL introduced ADDR; the outreach to them names EMAIL."""
    svc = app.services()
    contact, created = manual.refer(svc, email, name=name, email=new_email, company=company,
                                     role=role, notes=notes)
    verb = "Added" if created else "Linked"
    out.print(f"{verb} {escape(contact.display_name)} <{contact.email}>, introduced by {email}; "
              "the next run drafts the outreach" if contact.status == Status.NEW
              else f"{verb} {contact.email} ({contact.status}), introduced by {email}")
