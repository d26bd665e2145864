"""Wiring: the ports, store, clock and templates a use case receives, built from a Config."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from automation.clock import Clock, system_clock
from automation.compose import template_env
from automation.config import Config
from automation.ports import Calendar, Mailbox
from automation.store import Store


@dataclass
class Services:
    """Everything a use case needs, passed in explicitly (no globals, no wall-clock reads)."""

    config: Config
    store: Store
    mailbox: Mailbox
    calendar: Calendar
    clock: Clock
    templates: jinja2.Environment

    def close(self) -> None:
        self.store.close()


def open_backends(config: Config) -> tuple[Mailbox, Calendar]:
    """The Mailbox and Calendar of ``[backend] kind``."""
    if config.backend == "google":
        from automation.backends.google import open_google

        return open_google(config)
    from automation.backends.local import open_local

    return open_local(config)


def open_services(config: Config, clock: Clock = system_clock, *,
                  mailbox: Mailbox | None = None, calendar: Calendar | None = None) -> Services:
    """Open the store and the backends (or use the given ports, e.g. in-memory fakes)."""
    store = Store.open(config.database)
    try:
        if mailbox is None or calendar is None:
            opened_mailbox, opened_calendar = open_backends(config)
            mailbox = mailbox or opened_mailbox
            calendar = calendar or opened_calendar
    except BaseException:
        store.close()
        raise
    return Services(config=config, store=store, mailbox=mailbox, calendar=calendar,
                    clock=clock, templates=template_env(config.templates_dir))
