"""Template checking: render every template against a sample contact, without a database.

``automation templates check`` and ``automation doctor`` both use it, so a template that would
fail at the next tick is caught before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.app.invitation import sample_interview
from automation.app.outreach import template_variables
from automation.config import Me
from automation.core.compose import (
    TEMPLATE_NAMES,
    Rendered,
    default_templates_dir,
    render,
    template_env,
)
from automation.core.models import Contact, Slot
from automation.core.wordcount import measure, warnings
from automation.errors import TemplateError

#: One template's outcome: ``(name, rendered, None)`` or ``(name, None, error)``.
TemplateResult = tuple[str, Rendered | None, TemplateError | None]


def sample_me() -> Me:
    """The sender a check uses when there is no config to read ``[me]`` from."""
    return Me("Alex Rivera", "alex@example.org", ZoneInfo("America/New_York"),
              exploring="public health",
              exploring_specifically="how health organisations talk with the public")


def sample_contact() -> tuple[Contact, Contact]:
    """``(contact, referrer)``: a contact with every field a template may use, and the person
    who introduced them."""
    contact = Contact(id=1, email="jordan.okafor@example.com", name="Jordan Okafor",
                      first_name="Jordan", last_name="Okafor", company="Food & Beverage Co",
                      role="PR Manager", timezone="America/Chicago",
                      notes="Met at the PRSA mixer", user_note="the advice on portfolios",
                      connection="we met at the PRSA mixer")
    referrer = Contact(id=2, email="sam.lee@example.com", name="Sam Lee", first_name="Sam",
                       company="Bright Comms")
    return contact, referrer


def check_templates(directory: Path, me: Me) -> list[TemplateResult]:
    """Render every template in ``directory`` (or the shipped one it falls back to) against
    the sample contact, in ``TEMPLATE_NAMES`` order; templates found in neither are left out.

    Never raises a TemplateError: each failure is returned as ``(name, None, error)``.
    """
    env = template_env(directory)
    contact, referrer = sample_contact()
    start = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    slots = [Slot(start + timedelta(days=d), start + timedelta(days=d, minutes=10))
             for d in range(3)]
    results: list[TemplateResult] = []
    for name in TEMPLATE_NAMES:
        if not (directory / name).exists() and not (default_templates_dir() / name).exists():
            continue
        variables = template_variables(me, contact, slots=slots, referrer=referrer)
        variables.setdefault("interview", sample_interview(start))
        variables.setdefault("update", {"text": "I finished the health-communication course "
                                                "you mentioned", "at": start})
        try:
            results.append((name, render(env, name, variables), None))
        except TemplateError as exc:
            results.append((name, None, exc))
    return results


@dataclass(frozen=True)
class TemplateCheck:
    """One template as ``templates check`` reports it: rendered (or the error), its words of
    prose (the slot list and sign-off not counted) and the method's warnings."""

    name: str
    rendered: Rendered | None
    error: TemplateError | None
    words: int = 0
    warnings: tuple[str, ...] = ()


def measure_templates(directory: Path, me: Me) -> list[TemplateCheck]:
    """``check_templates``, each rendered template measured (``core.wordcount``)."""
    checks = []
    for name, rendered, error in check_templates(directory, me):
        if rendered is None:
            checks.append(TemplateCheck(name, None, error))
            continue
        checks.append(TemplateCheck(name, rendered, None, measure(rendered.body).words,
                                    tuple(warnings(name, rendered.body))))
    return checks
