"""Commands over one contact's pipeline: show, mark, note, refer."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from automation.app.ports import DraftRef
from automation.app.services import Services
from automation.core.compose import slot_label
from automation.core.importers import normalise_email
from automation.core.models import TERMINAL, ContactRecord, Status
from automation.errors import UserError
from automation.interfaces.cli import AppContext, cli, out
from automation.interfaces.cli.contacts_cmds import contact_json

#: Introductions to ask each interviewee for (DESIGN.md: "the names of up to five more people").
REFERRAL_TARGET = 5
_INTERVIEWED = (Status.INTERVIEWED, Status.THANKED, Status.NURTURING)


def referral_yield(svc: Services) -> dict[str, Any]:
    """Interviews held, referrals their interviewees gave, and the ratio (target: five)."""
    store, now = svc.store, svc.clock()
    held = {c.id for c in store.list_contacts() if c.status in _INTERVIEWED}
    held |= {i.contact_id for i in store.interviews("confirmed") if i.end <= now}
    referrals = sum(n for referrer, n in store.referral_counts().items() if referrer in held)
    return {"interviews": len(held), "referrals": referrals,
            "per_interview": round(referrals / len(held), 2) if held else 0.0,
            "target": REFERRAL_TARGET}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def show_data(svc: Services, email: str) -> dict[str, Any]:
    """Everything about one contact (the ``show --json`` contract)."""
    store, now = svc.store, svc.clock()
    contact = store.require_contact(email)
    cid = contact.id or 0
    data = contact_json(svc, contact, now)
    interview = store.interview_for(cid)
    messages = store.messages_for(cid)
    data.update({
        "first_name": contact.first_name, "last_name": contact.last_name,
        "notes": contact.notes, "note": contact.user_note, "aliases": list(contact.aliases),
        "created_at": _iso(contact.created_at), "status_changed_at": _iso(contact.status_changed_at),
        "offered": [{"option": i, "start": s.start.isoformat(), "end": s.end.isoformat()}
                    for i, s in enumerate(store.offered_slots(cid), 1)],
        "interview": None if interview is None else {
            "uid": interview.uid, "start": interview.start.isoformat(),
            "end": interview.end.isoformat(), "status": interview.status,
            "attendee_status": interview.attendee_status},
        "referrals": {
            "referred_by": data["referred_by"],
            "introduced": [store.get_contact(i).email for i in store.referrals_by(cid)]},
        "timeline": [{"at": e.at.isoformat(), "event": e.event, "old_status": e.old_status,
                      "new_status": e.new_status, "cause": e.cause,
                      "message_id": e.detail.get("message_id"), "detail": e.detail}
                     for e in store.timeline(cid)],
        "messages": [{"kind": m.kind, "direction": m.direction, "state": m.state,
                      "message_id": m.message_id, "subject": m.subject,
                      "created_at": m.created_at.isoformat(), "sent_at": _iso(m.sent_at),
                      "classification": m.classification} for m in messages],
    })
    return data


@cli.command()
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def show(app: AppContext, email: str, as_json: bool) -> None:
    """The whole story of one contact: status, offers, interview, referrals, timeline."""
    svc = app.services()
    data = show_data(svc, email)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    zone = svc.config.me.timezone
    out.print(f"[bold]{escape(data['name'])}[/] <{data['email']}>  "
              f"{escape(', '.join(p for p in (data['role'], data['company']) if p))}")
    out.print(f"status: [bold]{data['status']}[/]")
    for label, key in (("needs attention", "needs_attention"), ("snoozed until", "snoozed_until"),
                       ("note", "note"), ("referred by", "referred_by")):
        if data[key]:
            out.print(f"{label}: {escape(str(data[key]))}")
    if data["referrals"]["introduced"]:
        out.print(f"introduced: {', '.join(data['referrals']['introduced'])}")
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
        table.add_row(when, what, escape(e["cause"]), e["message_id"] or "")
    out.print(table)


def _label(start: str, end: str, zone: Any) -> str:
    from automation.core.models import Slot

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
    withdrawn = mark_status(svc, email, new, reason)
    out.print(f"{email}: {new}" + (f" ({len(withdrawn)} unsent draft(s) withdrawn)"
                                   if withdrawn else ""))


def mark_status(svc: Services, email: str, new: Status, reason: str) -> list[str]:
    """The manual override; returns the Message-IDs of the drafts withdrawn."""
    store, now = svc.store, svc.clock()
    contact = store.require_contact(email)
    cid = contact.id or 0
    pending = [m for m in store.messages_for(cid) if m.direction == "draft"
               and m.state == "drafted"] if new in TERMINAL else []
    for m in pending:
        svc.mailbox.delete_draft(DraftRef(m.draft_id or "", m.message_id or "", m.thread_id))
    with store.transaction():
        cause = f"marked by hand: {reason}" if reason else "marked by hand"
        if contact.status != new:
            store.set_status(cid, new, now, cause=cause)
        else:
            store.add_event(cid, now, "mark", cause=cause)
        if contact.needs_attention:
            store.flag(cid, None, now)
        for m in pending:
            store.update_message(m.id, state="withdrawn",
                                 detail={**m.detail, "withdrawn_at": now.isoformat()})
            store.drop_holds(m.message_id or "")
            store.add_event(cid, now, "withdrawn", cause=cause,
                            detail={"message_id": m.message_id, "kind": m.kind})
        if new in TERMINAL:
            store.release_holds(cid, now)
    return [m.message_id or "" for m in pending]


@cli.command()
@click.argument("email")
@click.argument("text")
@click.pass_obj
def note(app: AppContext, email: str, text: str) -> None:
    """Note something specific about EMAIL (the thank-you thanks them for it)."""
    svc = app.services()
    store, now = svc.store, svc.clock()
    contact = store.require_contact(email)
    text = " ".join(text.split())
    if not text:
        raise UserError("the note is empty; say what to thank them for, e.g. "
                        "\"the advice on portfolios\"")
    with store.transaction():
        store.update_contact(contact.id or 0, now, user_note=text)
        store.add_event(contact.id or 0, now, "note", cause=text)
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
    contact, created = refer_contact(svc, email, name=name, email=new_email, company=company,
                                     role=role, notes=notes)
    verb = "Added" if created else "Linked"
    out.print(f"{verb} {escape(contact.display_name)} <{contact.email}>, introduced by {email}; "
              "the next run drafts the outreach" if contact.status == Status.NEW
              else f"{verb} {contact.email} ({contact.status}), introduced by {email}")


def refer_contact(svc: Services, referrer_email: str, *, name: str, email: str,
                  company: str = "", role: str = "", notes: str = "") -> tuple[Any, bool]:
    """Create (or link) the referred contact and record the referral."""
    store, now = svc.store, svc.clock()
    referrer = store.require_contact(referrer_email)
    address = normalise_email(email)
    if address is None:
        raise UserError(f"--email {email!r} is not an email address")
    if store.find_contact(address) is not None and store.find_contact(address).id == referrer.id:
        raise UserError(f"{address} is {referrer.email} themselves; give the new person's address")
    first, _, last = " ".join(name.split()).partition(" ")
    record = ContactRecord(email=address, line=0, name=" ".join(name.split()), first_name=first,
                           last_name=last, company=company, role=role, notes=notes)
    with store.transaction():
        contact, created = store.upsert_contact(record, now, referred_by=referrer.id)
        store.add_referral(referrer.id or 0, contact.id or 0, now)
        store.add_event(contact.id or 0, now, "referred", cause=f"introduced by {referrer.email}")
        store.add_event(referrer.id or 0, now, "referral", cause=f"introduced {address}",
                        detail={"referred": address})
        if referrer.needs_attention and address in referrer.needs_attention:
            store.flag(referrer.id or 0, None, now)  # the suggested person is now recorded
    return contact, created
