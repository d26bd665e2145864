"""Commands over the contact list: contacts, status (``import`` is in import_cmds).

Tables are imported when printed: ``contacts --json`` is what scripts call, often.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from automation.app import queries
from automation.core.models import Status
from automation.interfaces.cli.root import AppContext, cli, escape, out

if TYPE_CHECKING:
    from rich.table import Table


@cli.command()
@click.option("--status", "status", type=click.Choice([s.value for s in Status]),
              help="Only contacts with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_obj
def contacts(app: AppContext, status: str | None, as_json: bool) -> None:
    """List contacts with their status, offered slots and what needs you."""
    svc = app.services()
    zone = svc.config.me.timezone
    if as_json:
        with _collector_paused():
            text = contacts_json(queries.contact_values(svc.store, svc.clock(), status, zone))
        # color=True: click would otherwise search the whole text for terminal codes to strip
        # when stdout is not a terminal, and JSON escapes every control character anyway.
        click.echo(text, color=True)
        return
    with _collector_paused():
        rows = queries.contact_table(svc.store, svc.clock(), status, zone)
    if not rows:
        out.print("No contacts yet: `automation import FILE` adds some.")
        return
    out.print(contacts_table(rows, zone, out.width))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the table is built: 10,000 rows are some
    100,000 new containers, none of them in a cycle, and the collections they set off (every
    700 allocations, each scanning the younger objects) were a sixth of the build."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_string = json.encoder.encode_basestring  # json's own (C) string encoder, ensure_ascii=False


def contacts_json(rows: list[tuple[Any, ...]]) -> str:
    """``json.dumps(rows as dicts, indent=2, ensure_ascii=False)``, byte for byte, for rows of
    ``queries.contact_values`` (their values in ``CONTACT_FIELDS`` order). json's indenting
    encoder is pure Python and was a third of ``contacts --json`` at 10,000 contacts; here each
    row is one f-string, its strings written by json's own (C) string encoder."""
    if not rows:
        return "[]"
    out, s = [], _string
    for (email, name, company, role, status, slots, attention, zone, snoozed, referrer, tags,
         label) in rows:
        out.append(f"""  {{
    "email": {s(email)},
    "name": {s(name)},
    "company": {s(company)},
    "role": {s(role)},
    "status": {s(status)},
    "offered_slots": {_strings(slots) if slots else "[]"},
    "needs_attention": {"null" if attention is None else s(attention)},
    "timezone": {"null" if zone is None else s(zone)},
    "snoozed_until": {"null" if snoozed is None else s(snoozed)},
    "referred_by": {"null" if referrer is None else s(referrer)},
    "tags": {_strings(tags) if tags else "[]"},
    "responsiveness": {"null" if label is None else s(label)}
  }}""")
    return "[\n" + ",\n".join(out) + "\n]"


def _strings(items: list[str]) -> str:
    """A list of strings two levels deep, as json.dumps indents it."""
    return "[\n" + ",\n".join([f"      {_string(item)}" for item in items]) + "\n    ]"


def contacts_table(rows: list[dict[str, Any]], zone: Any, width: int = 80) -> Table:
    """The ``contacts`` table, readable in ``width`` columns (80 and up).

    Name, address and company stack in one cell (no column of its own to squeeze into
    one-word lines); slots are short and never wrap; the needs-attention column, when any
    contact needs you, takes the rest of the width and wraps between words. Every text is
    escaped: a name such as "[bold]..." is shown as written, not read as markup.
    """
    from rich import box
    from rich.table import Table

    table = Table(title=escape(f"{len(rows)} contact(s); slots in {zone.key}"),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    # Wide enough for the addresses (up to 30): they are what every command takes.
    who_width = min(max([20, *(len(row["email"]) for row in rows)]), 30)
    status_width = max(len("status"), *(len(row["status"]) for row in rows),
                       *(len(row["responsiveness"] or "") for row in rows))
    table.add_column("contact", overflow="fold", width=who_width)
    table.add_column("status", no_wrap=True, width=status_width)
    table.add_column("offered", no_wrap=True, width=SLOT_WIDTH)
    attention = any(row["needs_attention"] for row in rows)
    if attention:
        # Widths are set here, not left to rich: given minimum widths, it lays a table out
        # wider than the console. Three columns of gutter between four columns.
        rest = width - who_width - status_width - SLOT_WIDTH - 3 * 3
        table.add_column("needs attention", width=max(rest, 16))
    for row in rows:
        who = [f"[bold]{escape(row['name'])}[/]"]
        if row["email"] != row["name"]:
            who.append(escape(row["email"]))
        if row["company"]:
            who.append(f"[dim]{escape(row['company'])}[/]")
        slots = "\n".join(_short(s, zone) for s in row["offered_slots"])
        status = row["status"]
        if row["responsiveness"]:  # booster, obligate or curmudgeon, under the status
            status += f"\n[dim]{row['responsiveness']}[/]"
        cells = ["\n".join(who), status, slots]
        if attention:
            cells.append(f"[yellow]{escape(row['needs_attention'] or '')}[/]")
        table.add_row(*cells)
    return table


#: "Thu 10 Dec 09:00"
SLOT_WIDTH = 16


def _short(iso: str, zone: Any) -> str:
    moment = datetime.fromisoformat(iso).astimezone(zone)
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


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
    from rich.table import Table

    table = Table(title=f"Pipeline ({data['total']} contacts)", title_justify="left")
    table.add_column("status")
    table.add_column("count", justify="right")
    for name, count in data["counts"].items():
        table.add_row(name, str(count), style="dim" if not count else None)
    out.print(table)
    if data["needs_attention"]:
        out.print(f"[yellow]{len(data['needs_attention'])} need(s) attention:[/]")
        for item in data["needs_attention"]:
            out.print(f"  {item['email']}: {item['reason']}", markup=False)
    for item in data.get("snoozed", []):
        out.print(f"  snoozed until {item['until'][:10]}: {item['email']}", markup=False)
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
