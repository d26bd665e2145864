"""What a use-case entry point receives: the store, the ports, the clock and the templates.

``bootstrap.open_services`` builds one from a Config; tests build one over in-memory fakes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from automation.app.ports import Calendar, Locks, Mailbox, Store
from automation.config import Config
from automation.core.models import Clock
from automation.errors import AlreadyRunning

if TYPE_CHECKING:  # the annotation only: importing Jinja2 costs every command start-up
    import jinja2


class InProcessLocks:
    """``Locks`` for use cases composed within one process (tests over the in-memory
    adapters): a thread lock for ticks, and no daemon. ``bootstrap`` wires the file locks."""

    def __init__(self) -> None:
        self._tick = threading.Lock()

    @contextmanager
    def tick(self, wait: float | None = None) -> Iterator[None]:
        if not self._tick.acquire(timeout=5.0 if wait is None else wait):
            raise AlreadyRunning("already running (this process); wait for the tick to finish")
        try:
            yield
        finally:
            self._tick.release()

    def daemon_status(self) -> dict[str, Any]:
        return {"running": False, "pid": None}


@dataclass
class Services:
    """Everything a use case needs, passed in explicitly (no globals, no wall-clock reads)."""

    config: Config
    store: Store
    mailbox: Mailbox
    calendar: Calendar
    clock: Clock
    templates: jinja2.Environment
    locks: Locks = field(default_factory=InProcessLocks)
    #: Run by ``close`` while the store is still open (bootstrap keeps caches there).
    on_close: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        try:
            for hook in self.on_close:
                hook()
        finally:
            self.on_close.clear()
            self.store.close()
