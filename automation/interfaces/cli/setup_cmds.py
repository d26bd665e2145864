"""Commands that set a workspace up and run the service: init, templates check, run."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from automation.app.tick import TickReport, tick_guarded
from automation.config import Config
from automation.errors import UserError
from automation.interfaces.cli.root import AppContext, cli, err_console, escape, out

CONFIG_TEMPLATE = """\
# Informational-interview automation: configuration.
# Relative paths are relative to this file. Every key is optional unless marked required.

[me]                                   # required: who the drafts come from
name = "{name}"
email = "{email}"
timezone = "{timezone}"          # IANA name
signature = "{name}"
exploring = "public health"            # what you explore, broadly: the outreach says it
exploring_specifically = "how health organisations talk with the public"  # and specifically

[backend]
kind = "local"                         # "local" (Maildir + .ics folder) or "google"

[local]
maildir = "mail"                       # holds Drafts/, Sent/, INBOX/ (each a Maildir)
calendar = "calendar"                  # one .ics file per event (khal/vdirsyncer layout)
database = "automation.db"             # SQLite

[availability]                         # when you take ten-minute calls, in your time zone
days = ["mon", "tue", "wed", "thu", "fri"]
hours = ["09:00-12:00", "14:00-17:00"]
slot_minutes = 10
buffer_minutes = 10                    # kept clear around every busy event
min_notice_hours = 24                  # counted from the next whole hour
horizon_days = 14                      # calendar days from today
offer_count = 3
max_per_day = 2                        # interviews a day (booked + held)
contact_hours = ["08:30-18:00"]        # offers also fit the contact's day, in THEIR zone
contact_days = ["mon", "tue", "wed", "thu", "fri"]  # their public holidays are skipped too
vary_time_of_day = true                # false: the earliest free slot of each day instead
busy_ics = []                          # extra .ics files whose events count as busy

[cadence]
daily_outreach_cap = 10                # new outreach drafts a day
hold_days = 3                          # offered slots stay reserved this long (to midnight)
next_contact_after_business_days = 3    # 3B7: the next contact at an employer after 3 days
follow_up_after_business_days = 7     # ... and one follow-up to the first at 7
max_follow_ups = 1
max_awaiting_per_employer = 1          # contacts per employer awaiting a first reply (0 = any)
no_response_after_days = 7
thank_you_within_hours = 24
check_in_every_days = 90

[interview]
location = "Phone call (I will call you)"
reminder_minutes = 15

[prep]                                 # your private prep sheet: `automation prep EMAIL`
# questions = ["Trends: What trends are you seeing in your field?", "..."]  # default: TIARA

[templates]
dir = "templates"

# [google]                             # for kind = "google"; see README "Use with Gmail"
# credentials = "credentials.json"
# token = "token.json"
# calendar_id = "primary"
# busy_calendars = ["primary"]
# quota_units_per_minute = 6000
# meet = false

# [daemon]
# interval_seconds = 300
# digest_at = "08:00"
# digest_draft = false
"""


def _toml_inner(value: str) -> str:
    """``value`` escaped for the inside of a TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", default="Alex Rivera", show_default=True, help="Your name.")
@click.option("--email", default="alex@example.org", show_default=True, help="Your address.")
@click.option("--timezone", "zone", default="America/New_York", show_default=True,
              help="Your IANA time zone.")
def init(directory: Path, name: str, email: str, zone: str) -> None:
    """Create a workspace in DIRECTORY: config, Maildir, calendar folder, templates.

    Refuses to overwrite an existing automation.toml.
    """
    # Imported here: ``run`` shares this module and needs none of them (start-up stays cheap).
    import shutil

    from automation.adapters.local.maildirfolders import ensure_maildir
    from automation.core.compose import default_templates_dir
    from automation.core.importers import normalise_email

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(f"unknown time zone {zone!r}; use an IANA name such as "
                        "'America/New_York'") from exc
    name = " ".join(name.split())
    if not name or not name.isprintable():
        raise UserError("--name must be your name on one line, e.g. --name 'Alex Rivera'")
    if normalise_email(email) != email.strip().lower() or not email.isprintable():
        raise UserError(f"--email {email!r} is not a valid address; give it as "
                        "--email you@example.org")
    email = email.strip().lower()
    config = directory / "automation.toml"
    if config.exists():
        raise UserError(f"{config} already exists; edit it, or choose another directory")
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    # Values are written as TOML strings (JSON's escapes are TOML's): 'Alex "AJ" Rivera'
    # wrote invalid TOML when pasted between quotes.
    config.write_text(CONFIG_TEMPLATE.format(name=_toml_inner(name), email=_toml_inner(email),
                                             timezone=_toml_inner(zone)), encoding="utf-8")
    ensure_maildir(directory / "mail")
    (directory / "calendar").mkdir(exist_ok=True)
    templates = directory / "templates"
    templates.mkdir(exist_ok=True)
    for source in sorted(default_templates_dir().glob("*.j2")):
        if not (templates / source.name).exists():
            shutil.copyfile(source, templates / source.name)
    for line in (f"Created {config}", f"  mail:      {directory / 'mail'} (Drafts/, Sent/, INBOX/)",
                 f"  calendar:  {directory / 'calendar'}",
                 f"  templates: {templates} (edit them freely)",
                 f"Next: automation --config {config} import CONTACTS.csv"):
        out.print(line, markup=False)  # paths are the user's text, not markup


@cli.group()
def templates() -> None:
    """Work with the email templates."""


@templates.command("check")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Templates folder (default: [templates] dir of the config).")
@click.pass_obj
def templates_check(app: AppContext, directory: Path | None) -> None:
    """Render every template against a sample contact; exit 1 if any fails.

    Prints the words of prose of each (the slot list and the sign-off not counted) and the
    method's warnings: over 75 words (outreach) or 50 (follow-up), job words in the outreach,
    an outreach that asks no question or is more about you than about them.
    """
    from automation.app.templates import measure_templates, sample_me

    config = app.config() if directory is None or app.config_path.exists() else None
    if directory is None:
        directory = app.config().templates_dir
    me = config.me if config else sample_me()
    failures = 0
    for check in measure_templates(directory, me):
        if check.rendered is None:
            failures += 1
            out.print(f"[red]FAIL[/] {escape(str(check.error))}")
            continue
        out.print(f"[green]ok[/]   {escape(check.name)}: \"{escape(check.rendered.subject)}\" "
                  f"({check.words} words of prose)")
        for warning in check.warnings:
            out.print(f"[yellow]warn[/] {escape(check.name)}: {escape(warning)}")
    if failures:
        raise click.exceptions.Exit(1)


@cli.command()
@click.option("--once", is_flag=True, help="Run one pass and exit (the daemon repeats it).")
@click.option("--dry-run", is_flag=True, help="Print what would be drafted; write nothing.")
@click.option("--accept-new-database", is_flag=True,
              help="Confirm a new (or emptied) database beside a mailbox that already holds "
                   "your mail: until then no first outreach goes to anyone in Sent or Drafts. "
                   "Remembered, so a running daemon goes on too.")
@click.pass_obj
def run(app: AppContext, once: bool, dry_run: bool, accept_new_database: bool) -> None:
    """Run the service: sync mail, decide, draft. Nothing is ever sent."""
    if not once:
        raise click.UsageError("run needs --once; use `automation daemon` to keep running")
    svc = app.services()
    print_report(tick_guarded(svc, dry_run=dry_run, accept_new_database=accept_new_database),
                 svc.config)


def print_report(report: TickReport, config: Config) -> None:
    verb = "Would draft" if report.dry_run else "Drafted"
    drafted = []
    for email, subject, slots in report.outreach.drafted:
        offered = f"{len(slots)} slots offered"
        if report.dry_run:  # say which: the user checks the times before anything is held
            from automation.core.compose import slot_label  # a dry run that drafts only

            zone = config.me.timezone
            offered += ": " + "; ".join(slot_label(s, zone) for s in slots)
        drafted.append(f"{verb} outreach to {email}: \"{subject}\" ({offered})")
    if drafted:  # one print: rich's cost is per call (a third of a second for 1,000 lines)
        out.print("\n".join(drafted), markup=False)
    for email, reason in report.outreach.short:
        out.print(f"[yellow]Fewer slots[/] for {escape(f'{email}: {reason}')}")
    for email, reason in report.outreach.flagged:
        out.print(f"[yellow]Needs attention[/] {escape(f'{email}: {reason}')}")
    for line in report.events:
        out.print(line, markup=False)  # lines quote replies: "[...]" is text, not markup
    if report.outreach.waiting:
        out.print(f"{report.outreach.waiting} new contact(s) wait for a colleague at the same "
                  f"employer (3B: {config.cadence.next_contact_after_business_days} business "
                  "days without a reply); see `automation employers`")
    if report.outreach.withheld:
        out.print(f"[bold red]{len(report.outreach.withheld)} new contact(s) held back[/]: "
                  "the mailbox shows mail to them already and the database is new "
                  f"({escape(', '.join(report.outreach.withheld[:5]))}"
                  f"{', ...' if len(report.outreach.withheld) > 5 else ''})")
    if report.outreach.capped:
        out.print(f"{report.outreach.capped} new contact(s) wait for tomorrow "
                  f"(daily_outreach_cap = {config.cadence.daily_outreach_cap})")
    for problem in report.problems:
        err_console.print(f"[yellow]warning:[/] {escape(problem)}")
    if not report.changed:
        out.print("Nothing to do: everything is up to date.")
    elif report.dry_run:
        out.print("Dry run: nothing was written.")
    elif (report.outreach.drafted or report.pipeline["drafted"] or report.pipeline["booked"]) \
            and config.backend == "local":
        out.print(f"Drafts are in {config.local.maildir / 'Drafts'}", markup=False)
