"""The composition root: builds the store, ports, clock and templates a use case receives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from automation.adapters import holidaycache
from automation.adapters.clock import Clock, system_clock
from automation.adapters.lock import FileLocks
from automation.adapters.store import Store
from automation.app.ports import Calendar, Mailbox
from automation.app.services import Services
from automation.config import Config


def open_backends(config: Config, store: Store | None = None) -> tuple[Mailbox, Calendar]:
    """The Mailbox and Calendar of ``[backend] kind``; the local calendar keeps its parsed
    files in ``store``'s cache when one is given."""
    # Imported here: the Google client stack takes about half a second to import, which the
    # local backend and the read-only commands should not pay (nor icalendar, for the local).
    if config.backend == "google":
        from automation.adapters.google import open_google

        return open_google(config)
    from automation.adapters.local import open_local

    return open_local(config, store)


class _LazyBackends:
    """Opens the backends once, on first use of either port."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.pair: tuple[Mailbox, Calendar] | None = None

    def get(self, index: int) -> Any:
        if self.pair is None:
            self.pair = open_backends(self.config, self.store)
        return self.pair[index]


class _LazyPort:
    """A Mailbox or Calendar stand-in that opens the real one when first touched."""

    def __init__(self, backends: _LazyBackends, index: int) -> None:
        self._backends, self._index = backends, index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backends.get(self._index), name)


class _LazyTemplates:
    """The Jinja2 environment, built when a template is first rendered: read commands never
    render one, and importing Jinja2 would cost each of them its start-up time."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._env: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._env is None:
            from automation.core.compose import template_env

            self._env = template_env(self._directory)
        return getattr(self._env, name)


def compose_services(config: Config, store: Store, mailbox: Mailbox, calendar: Calendar,
                     clock: Clock) -> Services:
    """Wire opened parts into the Services a use case receives (locks beside the database;
    the holiday tables of earlier processes from the store, and the new ones kept at close)."""
    holidaycache.load(store, str(config.database))
    return Services(config=config, store=store, mailbox=mailbox, calendar=calendar,
                    clock=clock, templates=_LazyTemplates(config.templates_dir),  # type: ignore[arg-type]
                    locks=FileLocks(config.database),
                    on_close=[lambda: holidaycache.save(store)])


def open_services(config: Config, clock: Clock = system_clock, *,
                  mailbox: Mailbox | None = None, calendar: Calendar | None = None,
                  lazy: bool = False) -> Services:
    """Open the store and the backends (or use the given ports, e.g. in-memory fakes).

    ``lazy`` opens the backends on first use, so read commands (contacts, status, show) keep
    working while a backend is failing (an expired token, an unreachable API), and a tick
    records such a failure in its health like any other.
    """
    store = Store.open(config.database)
    if lazy and mailbox is None and calendar is None:
        backends = _LazyBackends(config, store)
        mailbox, calendar = _LazyPort(backends, 0), _LazyPort(backends, 1)
    try:
        if mailbox is None or calendar is None:
            opened_mailbox, opened_calendar = open_backends(config, store)
            mailbox = mailbox or opened_mailbox
            calendar = calendar or opened_calendar
    except BaseException:
        store.close()
        raise
    return compose_services(config, store, mailbox, calendar, clock)
