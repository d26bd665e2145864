"""The public-holiday tables business days are counted with, kept between processes.

``core.businessdays`` computes a (country, year) table with the ``holidays`` package, whose
import loads every country's rules: a quarter of a second at each ``run --once``, for dates
that change only when the package does. The tables a process computed are kept in the
store's file cache (kind ``holidays``, one row per ``CC/YEAR``) under the package's identity
(where it is installed, and its version file's size and time: an upgrade rewrites it); the
next process seeds the core with the rows of the same identity and recomputes the others.
Only a cache: a row that cannot be decoded, or of another package, is ignored and replaced.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sqlite3
from datetime import date
from functools import cache

from automation.app.ports import FileCacheStore
from automation.core.businessdays import fresh_holidays, seed_holidays

log = logging.getLogger(__name__)

KIND = "holidays"


@cache
def library_identity() -> str:
    """Which ``holidays`` package computes the tables, without importing it."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return ""
    version = os.path.join(os.path.dirname(spec.origin), "version.py")
    try:
        info = os.stat(version)
    except OSError:
        return ""
    return f"{version}:{info.st_size}:{info.st_mtime_ns}"


_loaded: set[str] = set()


def load(store: FileCacheStore, database: str) -> None:
    """Seed the core with the tables kept by an earlier process of the same package (once
    per ``database`` and process: the dashboard opens the store for each page)."""
    identity = library_identity()
    if not identity or database in _loaded:
        return
    _loaded.add(database)
    tables: dict[tuple[str, int], frozenset[date]] = {}
    for name, payload in store.file_cache(KIND).items():
        try:
            data = json.loads(payload)
            if data["library"] != identity:
                continue
            country, year = name.split("/")
            tables[country, int(year)] = frozenset(date.fromisoformat(d) for d in data["dates"])
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not ours to trust: the table is computed again and the row replaced
    seed_holidays(tables)


def save(store: FileCacheStore) -> None:
    """Keep the tables this process computed (stale rows of another package go)."""
    fresh = fresh_holidays()
    identity = library_identity()
    if not fresh or not identity:
        return
    rows = {f"{country}/{year}": json.dumps({"library": identity,
                                             "dates": sorted(d.isoformat() for d in table)})
            for (country, year), table in fresh.items()}
    try:
        stale = [name for name, payload in store.file_cache(KIND).items()
                 if name not in rows and _library_of(payload) != identity]
        store.save_file_cache(KIND, rows, stale)
    except sqlite3.Error as exc:  # a read-only or busy database: the next process recomputes
        log.debug("holiday tables not kept: %s", exc)


def _library_of(payload: str) -> object:
    try:
        return json.loads(payload).get("library")
    except (ValueError, AttributeError):
        return None
