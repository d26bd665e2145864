"""The request's workspace: its Services, config and "now" (shared by every view module)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, g

from automation.app.services import Services
from automation.bootstrap import open_services
from automation.config import Config


def config() -> Config:
    return current_app.config["AUTOMATION_CONFIG"]


def services() -> Services:
    """This request's Services: opened on first use (backends lazily, so pages that only read
    keep working while a backend fails), closed when the request ends."""
    if "svc" not in g:
        g.svc = open_services(config(), current_app.config["AUTOMATION_CLOCK"], lazy=True)
    return g.svc


def now() -> datetime:
    return services().clock()
