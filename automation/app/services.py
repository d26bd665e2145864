"""What a use-case entry point receives: the store, the ports, the clock and the templates.

``bootstrap.open_services`` builds one from a Config; tests build one over in-memory fakes.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from automation.app.ports import Calendar, Mailbox, Store
from automation.config import Config
from automation.core.models import Clock


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
