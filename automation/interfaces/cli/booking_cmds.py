"""Commands that book, cancel and reschedule the interview: click wiring over ``booking``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from automation.app import booking
from automation.app.services import Services
from automation.config import Config
from automation.core.compose import slot_label
from automation.core.models import Contact, Interview, Slot
from automation.core.slots import parse_at
from automation.errors import UserError
from automation.interfaces.cli.root import AppContext, cli, err_console, out

_AT_HELP = ("Book this start time instead, \"YYYY-MM-DD HH:MM\" in --tz (default: your "
            "[me] timezone).")


def _when(default_zone: ZoneInfo, option: int | None, at: str | None, zone: str | None
          ) -> datetime | None:
    """The aware start ``--at`` names (None without it), after checking the options agree."""
    if option is not None and at is not None:
        raise click.UsageError("give either --option or --at, not both")
    if zone is not None and at is None:
        raise click.UsageError("--tz only applies to --at")
    if at is None:
        return None
    try:
        tz = ZoneInfo(zone) if zone else default_zone
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(f"unknown time zone {zone!r}; use an IANA name such as "
                        "'America/New_York'") from exc
    return parse_at(at, tz)


def _report(config: Config, contact: Contact, interview: Interview, verb: str) -> None:
    slot = Slot(interview.start, interview.end)
    mine = slot_label(slot, config.me.timezone)
    theirs = slot_label(slot, contact.zone) if contact.zone else None
    line = f"{verb} {contact.display_name} <{contact.email}>: {mine}"
    if theirs and theirs != mine:
        line += f" (their time: {theirs})"
    out.print(line, markup=False)  # names and paths are the user's text, not markup
    if config.backend == "local":
        out.print(f"  event:  {config.local.calendar / (interview.event_ref or '')}",
                  markup=False)
        out.print(f"  draft:  in {config.local.maildir / 'Drafts'}; review it and press Send",
                  markup=False)
    else:
        out.print("  draft:  in your Gmail Drafts; review it and press Send")


def _apply(svc: Services, contact: Contact, change: Callable[[], Interview], verb: str,
           unchanged: str, *, unchanged_is_verb: bool = True) -> None:
    """Make ``change`` under the tick lock (a booking never interleaves with a tick's own) and
    report it; when the interview is as it was (every change is idempotent), say
    ``unchanged`` instead: as the verb of the report, or as a line of its own."""
    with svc.locks.tick():
        before = svc.store.interview_for(contact.id or 0)
        interview = change()
    if before != interview:
        _report(svc.config, contact, interview, verb)
    elif unchanged_is_verb:
        _report(svc.config, contact, interview, unchanged)
    else:
        out.print(unchanged)


@cli.command()
@click.argument("email")
@click.option("--option", type=click.IntRange(min=1), metavar="N",
              help="Book offered slot N (1-based, as listed in the outreach).")
@click.option("--at", "at", metavar="TIME", help=_AT_HELP)
@click.option("--tz", "zone", metavar="ZONE", help="IANA time zone of --at.")
@click.pass_obj
def book(app: AppContext, email: str, option: int | None, at: str | None,
         zone: str | None) -> None:
    """Book the interview with EMAIL: a calendar event and a confirmation draft with the invite.

    The time is checked against your availability and busy time first; if it is taken, the
    next free slots are listed and nothing is created. Booking the same slot again changes
    nothing.
    """
    svc = app.services()
    contact = svc.store.require_contact(email)
    if option is None and at is None:
        raise click.UsageError("say which slot: --option N or --at \"YYYY-MM-DD HH:MM\"")
    when = _when(svc.config.me.timezone, option, at, zone)
    unsent = booking.unsent_offers(svc.store, contact.id or 0)
    _apply(svc, contact, lambda: booking.book(svc, contact, option=option, at=when),
           "Booked", "Already booked (nothing changed):")
    for row in unsent:
        if svc.store.message_by_id(row.message_id or "").state == "withdrawn":  # type: ignore[union-attr]
            err_console.print(f"warning: your {row.kind.replace('_', '-')} to {contact.email} "
                              "was never sent; it is withdrawn from Drafts (send the "
                              "confirmation instead: it says when you'll talk)", markup=False)


@cli.command()
@click.argument("email")
@click.option("--reason", default="", help="Why (goes into the cancellation draft).")
@click.option("--declined", is_flag=True, help="They declined: status becomes declined.")
@click.pass_obj
def cancel(app: AppContext, email: str, reason: str, declined: bool) -> None:
    """Cancel the interview with EMAIL and draft the cancellation notice in the thread.

    The event becomes STATUS:CANCELLED; the status goes back to replied (declined with
    --declined).
    """
    svc = app.services()
    contact = svc.store.require_contact(email)
    _apply(svc, contact, lambda: booking.cancel(svc, contact, reason=reason, declined=declined),
           "Cancelled", f"The interview with {contact.email} was already cancelled; nothing "
           "changed.", unchanged_is_verb=False)


@cli.command()
@click.argument("email")
@click.option("--option", type=click.IntRange(min=1), metavar="N",
              help="Move to offered slot N (new slots are offered if the old ones expired).")
@click.option("--at", "at", metavar="TIME", help=_AT_HELP)
@click.option("--tz", "zone", metavar="ZONE", help="IANA time zone of --at.")
@click.pass_obj
def reschedule(app: AppContext, email: str, option: int | None, at: str | None,
               zone: str | None) -> None:
    """Move the interview with EMAIL: same event, new time, a new invite in the thread.

    Without --option or --at, lists the slots held for the contact (offering new ones if the
    old offer expired).
    """
    svc = app.services()
    contact = svc.store.require_contact(email)
    if option is None and at is None:
        current = svc.store.interview_for(contact.id or 0)
        if current is None or current.status != "confirmed":
            raise UserError(f"{contact.email} has no scheduled interview; book one with "
                            f"`automation book {contact.email}`")
        held = booking.reschedule_options(svc, contact)
        zone_ = svc.config.me.timezone
        out.print(f"Slots held for {contact.email}:", markup=False)
        for n, slot in enumerate(held, 1):
            out.print(f"  {n}. {slot_label(slot, zone_)}", markup=False)
        out.print(f"Move the interview with `automation reschedule {contact.email} --option N` "
                  "(or --at \"YYYY-MM-DD HH:MM\")" if held else
                  "No free slot in the next days: widen [availability] or use --at TIME",
                  markup=False)
        return
    when = _when(svc.config.me.timezone, option, at, zone)
    _apply(svc, contact, lambda: booking.reschedule(svc, contact, option=option, at=when),
           "Rescheduled", "Already at that time (nothing changed):")
