"""SQLite persistence, split by table group; ``Store`` composes the groups.

Open with ``Store.open(path)``; use as a context manager to close. Migrations are named and
tracked in a table; a database newer than this code fails loudly.
"""

from __future__ import annotations

from automation.adapters.store.calendar import CalendarTables
from automation.adapters.store.db import Database, dt, ts
from automation.adapters.store.filecache import FileCacheTables
from automation.adapters.store.imports import ImportTables
from automation.adapters.store.journal import JournalTables
from automation.adapters.store.messages import MessageTables
from automation.adapters.store.method import MethodTables
from automation.adapters.store.migrations import MIGRATIONS
from automation.adapters.store.passreads import PassTables
from automation.adapters.store.reports import ReportTables

__all__ = ["MIGRATIONS", "Database", "Store", "dt", "ts"]


class Store(ImportTables, CalendarTables, MessageTables, JournalTables, ReportTables,
            MethodTables, FileCacheTables, PassTables):
    """The database: every table group over one connection."""
