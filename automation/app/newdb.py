"""A new database beside a mailbox that already holds the user's mail: ask before writing.

A deleted or emptied database is created again without a word, and re-importing the contacts
would then draft first outreach to people written to before (the old database knew; the new
one does not). So the first pass of a database with no history looks at the mailbox: if Sent
or Drafts already hold mail, the database is *guarded*: each pass says so, and no first
outreach goes to anyone in Sent or Drafts until the user confirms with
``automation run --once --accept-new-database`` (remembered in the database, so a daemon
goes on by itself after that). A new database beside an empty mailbox is a new start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from automation.app.ports import Store
from automation.app.services import Services

CURSOR = "new_database"
GUARDED, ACCEPTED, ESTABLISHED = "guarded", "accepted", "established"
ACCEPT_HINT = "automation run --once --accept-new-database"


@dataclass(frozen=True)
class NewDatabase:
    """A guarded pass: ``addressed`` are the people the mailbox says were written to."""

    addressed: frozenset[str]

    def warning(self, database: str) -> str:
        return (f"NEW DATABASE: {database} has no history, but the mailbox already holds mail "
                f"to {len(self.addressed)} address(es). No first outreach goes to them until "
                f"you confirm: {FIX}")


def check(svc: Services, *, accept: bool = False, dry_run: bool = False) -> NewDatabase | None:
    """The guard for this pass (None: draft as usual). Call it before anything is observed:
    a database with no history is one no pass has written to yet."""
    store = svc.store
    state = store.get_cursor(CURSOR)
    if accept:
        if state != ACCEPTED and not dry_run:
            with store.transaction():
                store.set_cursor(CURSOR, ACCEPTED)
        return None
    if state in (ACCEPTED, ESTABLISHED):
        return None
    if state is None and store.has_history():
        _set(svc, ESTABLISHED, dry_run)  # a database from before this check: it knows
        return None
    addressed = frozenset(svc.mailbox.addressed())
    if state is None and not addressed:
        _set(svc, ESTABLISHED, dry_run)  # nothing written before: a new start
        return None
    _set(svc, GUARDED, dry_run)  # guarded until the user says so, whatever is drafted meanwhile
    return NewDatabase(addressed)


def _set(svc: Services, state: str, dry_run: bool) -> None:
    if not dry_run and svc.store.get_cursor(CURSOR) != state:
        with svc.store.transaction():
            svc.store.set_cursor(CURSOR, state)


FIX = (f"if you restored or moved the old database, put it back; if this new start is meant, "
       f"run `{ACCEPT_HINT}`")


def failures(store: Store) -> list[dict[str, Any]]:
    """The guard as an entry of ``status``'s "failing" list (derived, never stored)."""
    if store.get_cursor(CURSOR) != GUARDED:
        return []
    return [{"source": "new_database", "error": "the database is new but the mailbox already "
             "holds mail: no first outreach goes to anyone in Sent or Drafts", "fix": FIX,
             "since": None, "count": 1, "retry_at": None}]
