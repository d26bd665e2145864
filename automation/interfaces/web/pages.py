"""The pages: each renders one read model (``app/queries``, ``app/agenda``, ``app/insights``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, render_template, request

from automation.app import agenda, queries
from automation.app.insights import insights as insights_model
from automation.app.prep import prep_sheet
from automation.core.compose import slot_label
from automation.core.importers import FORMATS
from automation.core.models import Slot, Status
from automation.interfaces.web import context


def _notice() -> tuple[bool, str] | None:
    token = request.args.get("done", "")
    return current_app.extensions["form_tokens"].notice(token) if token else None


#: The formats the pages use, written out: ``strftime`` costs several microseconds a call (it
#: rescans the format for %z and %Z), and the board formats some 300 times. The names are the
#: C locale's, as strftime's are (the program never sets LC_TIME).
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FORMATS: dict[str, Callable[[datetime], str]] = {
    "%b %d": lambda t: f"{_MONTHS[t.month - 1]} {t.day:02d}",
    "%a %b %d, %H:%M": lambda t: f"{_DAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day:02d}, "
                                 f"{t.hour:02d}:{t.minute:02d}",
    "%Y-%m-%d %H:%M": lambda t: f"{t.year}-{t.month:02d}-{t.day:02d} "
                                f"{t.hour:02d}:{t.minute:02d}",
}


def _local(iso: str | None, fmt: str = "%a %b %d, %H:%M", zone: ZoneInfo | None = None) -> str:
    """An ISO time in ``zone`` (by default the user's), for reading (empty for None), as
    ``strftime(fmt)``."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso).astimezone(zone or context.config().me.timezone)
    fast = _FORMATS.get(fmt)
    return fast(moment) if fast and 1000 <= moment.year else moment.strftime(fmt)


def _slot(start: str, end: str) -> str:
    return slot_label(Slot(datetime.fromisoformat(start), datetime.fromisoformat(end)),
                      context.config().me.timezone)


def _status_json() -> dict[str, Any]:
    svc = context.services()
    return queries.pipeline_status(svc.store, svc.locks, svc.clock())


def today() -> str:
    svc = context.services()
    data = agenda.today(svc, svc.clock())
    return render_template("today.html", page="today", data=data, notice=_notice(),
                           zone=svc.config.me.zone_name)


def pipeline() -> str:
    svc = context.services()
    data = agenda.board(svc.config, svc.store, svc.clock(),
                        company=request.args.get("company", "").strip(),
                        tag=request.args.get("tag", "").strip())
    return render_template("pipeline.html", page="pipeline", data=data, notice=_notice(),
                           wide=True)


def contact(email: str) -> str:
    svc = context.services()
    now = svc.clock()
    story = queries.contact_story(svc.store, email, now)
    person = svc.store.require_contact(email)
    return render_template(
        "contact.html", page="pipeline", c=story, notice=_notice(),
        prep=prep_sheet(svc, email).as_json(),
        holds=[agenda.slot_view(s, svc.config.me.timezone, i) for i, s in
               enumerate(svc.store.holds_for(person.id or 0, now), 1)],
        zone=svc.config.me.zone_name)


def import_page() -> str:
    return render_template("import.html", page="import", formats=FORMATS, notice=_notice())


def insights() -> str:
    svc = context.services()
    now = svc.clock()
    data = insights_model(svc.store, now, svc.config.me.timezone,
                          queries.referral_yield(svc.store, now))
    rows = [(f["stage"], f["count"]) for f in data["funnel"]]
    return render_template("insights.html", page="insights", data=data, funnel_rows=rows)


def health() -> str:
    return render_template("health.html", page="health", data=_status_json())


def api_status() -> Response:
    # Byte for byte what `automation status --json` prints (same read model, same dump).
    body = json.dumps(_status_json(), indent=2, ensure_ascii=False) + "\n"
    return Response(body, mimetype="application/json")


#: Each page's rule and view; the view's name is its endpoint (``url_for("contact", ...)``).
PAGES: tuple[tuple[str, Callable[..., str | Response]], ...] = (
    ("/", today), ("/pipeline", pipeline), ("/contacts/<email>", contact),
    ("/import", import_page), ("/insights", insights), ("/health", health),
    ("/api/status", api_status),
)


def init(app: Flask) -> None:
    """Register the template helpers and every page as a GET route."""
    zone = app.config["AUTOMATION_CONFIG"].me.timezone  # the app's, looked up once: the
    # board formats some 300 times a page, and each look-up goes through the app context.
    app.jinja_env.filters["local"] = lambda iso, fmt="%a %b %d, %H:%M": _local(iso, fmt, zone)
    app.jinja_env.globals.update(slot=_slot, statuses=[s.value for s in Status])
    for rule, view in PAGES:
        app.add_url_rule(rule, view.__name__, view, methods=["GET"])
