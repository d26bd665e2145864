"""The forms' actions: each calls the use case the CLI calls, under the same tick lock.

Every action is POST-redirect-GET with a one-time form token (``FormTokens``): the first
submission runs it; a second one of the same form (a double click, a reload) waits for the
first and is sent to the same result, so it never books, notes or imports twice. Every change
is recorded with "via web" in the contact's timeline.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, redirect, request, url_for
from werkzeug.wrappers import Response  # what redirect() returns (flask.Response subclasses it)

from automation.app import booking, manual
from automation.app.contacts import import_contacts
from automation.app.services import Services
from automation.config import Config
from automation.core.compose import slot_label
from automation.core.importers import FORMATS
from automation.core.models import Interview, Slot, Status
from automation.errors import UserError
from automation.interfaces.web import context
from automation.interfaces.web.forms import import_report, parse_at
from automation.interfaces.web.security import FormTokens

VIA = "via web"
#: How long an action waits for a tick in progress (the daemon's pass) before saying so.
LOCK_WAIT_SECONDS = 30.0
_SECOND_SUBMIT_WAIT_SECONDS = 120.0


def _tokens() -> FormTokens:
    return current_app.extensions["form_tokens"]


def run(action: Callable[[Services], str], back: str) -> Response:
    """Claim the form's token, run ``action`` under the tick lock, redirect (303) to ``back``
    with the outcome; a repeated submission gets the first one's redirect."""
    tokens = _tokens()
    first, use = tokens.claim(request.form.get("once", ""))
    if not first:
        use.done.wait(_SECOND_SUBMIT_WAIT_SECONDS)
        return redirect(use.result or back, 303)
    token = request.form["once"]
    ok, message = True, ""
    try:
        svc = context.services()
        with svc.locks.tick(LOCK_WAIT_SECONDS):
            message = action(svc)
    except UserError as exc:
        ok, message = False, str(exc)
    except Exception as exc:  # recorded for the repeat too, then shown by the error page
        tokens.finish(use, back, False, f"{type(exc).__name__}: {exc}")
        raise
    sep = "&" if "?" in back else "?"
    target = f"{back}{sep}{urlencode({'done': token})}"
    tokens.finish(use, target, ok, message)
    return redirect(target, 303)


def _interview_line(config: Config, verb: str, interview: Interview) -> str:
    label = slot_label(Slot(interview.start, interview.end), config.me.timezone)
    where = (f"the event is in {config.local.calendar}, the draft in "
             f"{config.local.maildir / 'Drafts'}" if config.backend == "local"
             else "the event is in your calendar, the draft in your Gmail Drafts")
    return f"{verb} for {label}: {where}; review the draft and press Send."


def _when(default_zone: ZoneInfo) -> tuple[int | None, object]:
    """The form's slot: ``option`` (1-based) or ``at`` ("YYYY-MM-DD HH:MM" in ``tz``, else in
    ``default_zone``)."""
    option = request.form.get("option", "").strip()
    at = request.form.get("at", "").strip()
    if option:
        if not option.isdigit() or int(option) < 1:
            raise UserError(f"option {option!r} is not a slot number (1, 2, 3...)")
        return int(option), None
    if not at:
        raise UserError("say which slot: pick an offered one or give a time")
    zone_name = request.form.get("tz", "").strip()
    try:
        zone = ZoneInfo(zone_name) if zone_name else default_zone
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(f"unknown time zone {zone_name!r}; use an IANA name such as "
                        "'America/New_York'") from exc
    return None, parse_at(at, zone)


def _contact_back(email: str) -> str:
    target = request.form.get("back", "")
    return target if target in ("/", "/pipeline") else url_for("contact", email=email)


# -- one function per form on a contact's page: (services, the contact's email) -> outcome ---


def _book(svc: Services, email: str) -> str:
    contact = svc.store.require_contact(email)
    option, at = _when(svc.config.me.timezone)
    before = svc.store.interview_for(contact.id or 0)
    interview = booking.book(svc, contact, option=option, at=at,  # type: ignore[arg-type]
                             cause=f"booked by hand {VIA}")
    verb = "Already booked" if before == interview else f"Booked {contact.display_name}"
    return _interview_line(svc.config, verb, interview)


def _reschedule(svc: Services, email: str) -> str:
    contact = svc.store.require_contact(email)
    option, at = _when(svc.config.me.timezone)
    interview = booking.reschedule(svc, contact, option=option, at=at,  # type: ignore[arg-type]
                                   via=VIA)
    return _interview_line(svc.config, f"Moved {contact.display_name}", interview)


def _cancel(svc: Services, email: str) -> str:
    contact = svc.store.require_contact(email)
    booking.cancel(svc, contact, reason=request.form.get("reason", "").strip(),
                   declined=request.form.get("declined") == "1", via=VIA)
    return (f"Cancelled the interview with {contact.display_name}; the cancellation "
            "draft is in Drafts: review it and press Send.")


def _mark(svc: Services, email: str) -> str:
    value = request.form.get("status", "")
    if value not in {s.value for s in Status}:
        raise UserError(f"{value!r} is not a status")
    reason = " ".join(request.form.get("reason", "").split())
    withdrawn = manual.mark(svc, email, Status(value), f"{reason} ({VIA})" if reason else VIA)
    extra = f" ({len(withdrawn)} unsent draft(s) withdrawn)" if withdrawn else ""
    return f"{email} is now {value}{extra}."


def _dismiss(svc: Services, email: str) -> str:
    contact = svc.store.require_contact(email)
    manual.mark(svc, email, contact.status, f"dismissed {VIA}")
    return f"Dismissed; {contact.display_name} no longer needs you."


def _note(svc: Services, email: str) -> str:
    contact, text = manual.note(svc, email, request.form.get("text", ""), via=VIA)
    return f"Noted for {contact.display_name}: {text}"


def _refer(svc: Services, email: str) -> str:
    form = request.form
    contact, created = manual.refer(
        svc, email, name=form.get("name", "").strip(), email=form.get("email", ""),
        company=form.get("company", "").strip(), role=form.get("role", "").strip(),
        notes=form.get("notes", "").strip(), via=VIA)
    verb = "Added" if created else "Linked"
    return (f"{verb} {contact.display_name} <{contact.email}>, introduced by {email}; "
            "the next run drafts the outreach.")


#: ``POST /contacts/<email>/NAME`` runs ``ACTION``; NAME is also the endpoint (``url_for``).
CONTACT_ACTIONS: dict[str, Callable[[Services, str], str]] = {
    "book": _book, "reschedule": _reschedule, "cancel": _cancel, "mark": _mark,
    "dismiss": _dismiss, "note": _note, "refer": _refer,
}


def _contact_view(action: Callable[[Services, str], str]) -> Callable[[str], Response]:
    def view(email: str) -> Response:
        return run(lambda svc: action(svc, email), _contact_back(email))
    return view


def _import_view() -> Response:
    return run(_import, url_for("import_page"))


def init(app: Flask) -> None:
    """Register every form action as a POST route."""
    for name, action in CONTACT_ACTIONS.items():
        app.add_url_rule(f"/contacts/<email>/{name}", name, _contact_view(action),
                         methods=["POST"])
    app.add_url_rule("/import", "import_file", _import_view, methods=["POST"])


def _import(svc: Services) -> str:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UserError("choose a file to import (LinkedIn or Google CSV, vCard, or plain CSV)")
    fmt = request.form.get("format", "auto")
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; pick one of {', '.join(FORMATS)}")
    tags = [t for t in (x.strip() for x in request.form.get("tags", "").split(",")) if t]
    referred_by = request.form.get("referred_by", "").strip() or None
    name = Path(upload.filename).name
    # A private temporary file beside the database (same owner-only folder), named like the
    # upload so the report names it; removed whatever happens.
    folder = Path(tempfile.mkdtemp(prefix=".import-", dir=svc.config.data_dir))
    path = folder / name
    try:
        upload.save(os.fspath(path))
        summary = import_contacts(svc, path, fmt=fmt, tags=tags, referred_by=referred_by)
    finally:
        path.unlink(missing_ok=True)
        folder.rmdir()
    return import_report(name, summary)
