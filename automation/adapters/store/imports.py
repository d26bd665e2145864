"""Upserting an import's contacts: all rows in one transaction and a few statements per
thousand rows.

The rows are applied one by one to an in-memory copy of what the database knows about their
addresses (primary addresses, aliases, and the profiles of the contacts they name), exactly as
``upsert_contact`` would apply them in turn: a later row may reach, through an alias an earlier
row added, a contact created earlier in the same file. The result is then written with
``executemany``. One statement per row (and a handful per contact before) made a 100,000-row
file take a quarter of a minute.
"""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from automation.adapters.store.contacts import ContactTables
from automation.adapters.store.db import ts
from automation.core.models import PROFILE_FIELDS, Contact, ContactRecord, Status

_profile_of = operator.attrgetter(*PROFILE_FIELDS)
#: Bound parameters per ``IN (...)`` query, well under SQLite's limit.
_CHUNK = 500
_COLUMNS = ("id", "email", *PROFILE_FIELDS, "tags", "referred_by", "created_at", "updated_at",
            "status_changed_at")
_INSERT = (f"INSERT INTO contacts ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(_COLUMNS))})")
_UPDATE = (f"UPDATE contacts SET {', '.join(f'{f} = ?' for f in PROFILE_FIELDS)}, tags = ?, "
           "updated_at = ?, referred_by = ? WHERE id = ?")


@dataclass(slots=True)
class _Entry:
    """A contact the import touches, as it stands after the rows applied so far."""

    id: int
    email: str
    fields: dict[str, Any]
    tags: tuple[str, ...]
    referred_by: int | None
    aliases: set[str] = field(default_factory=set)
    created_line: int | None = None  # set: created by this import, from this line

    def profile(self) -> tuple[object, ...]:
        """What "unchanged" compares (``app.contacts``): profile, tags, aliases, referrer."""
        return (*self.fields.values(), self.tags, tuple(sorted(self.aliases)), self.referred_by)


class _Known:
    """What the database knows about a set of addresses, kept current as rows are applied."""

    def __init__(self, conn: sqlite3.Connection, emails: set[str]) -> None:
        self.conn = conn
        self.primary: dict[str, int] = {}
        self.alias: dict[str, int] = {}
        self.entries: dict[int, _Entry] = {}
        # Reading every address is cheaper than looking each up when the import is the bigger.
        stored = conn.execute("SELECT (SELECT count(*) FROM contacts) + "
                              "(SELECT count(*) FROM aliases)").fetchone()[0]
        if stored <= len(emails):
            self.primary = {e: i for i, e in conn.execute("SELECT id, email FROM contacts")}
            self.alias = dict(conn.execute("SELECT email, contact_id FROM aliases").fetchall())
        else:
            for chunk in _chunks(sorted(emails)):
                marks = ", ".join("?" * len(chunk))
                self.primary.update((e, i) for i, e in conn.execute(
                    f"SELECT id, email FROM contacts WHERE email IN ({marks})", chunk))
                self.alias.update((e, i) for e, i in conn.execute(
                    f"SELECT email, contact_id FROM aliases WHERE email IN ({marks})", chunk))
        self.next_id = int(conn.execute("SELECT COALESCE(max(id), 0) + 1 FROM contacts")
                           .fetchone()[0])

    def entry(self, contact_id: int) -> _Entry:
        """The contact's entry, read from the database the first time it is touched."""
        if contact_id not in self.entries:
            row = self.conn.execute("SELECT * FROM contacts WHERE id = ?",
                                    (contact_id,)).fetchone()
            aliases = {r[0] for r in self.conn.execute(
                "SELECT email FROM aliases WHERE contact_id = ?", (contact_id,))}
            contact: Contact = ContactTables._contact(row)
            self.entries[contact_id] = _Entry(
                contact_id, contact.email, {f: getattr(contact, f) for f in PROFILE_FIELDS},
                contact.tags, contact.referred_by, aliases)
        return self.entries[contact_id]


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


class ImportTables(ContactTables):
    """Upserting contacts, one or a whole import file of them."""

    def upsert_contact(self, record: ContactRecord, now: datetime, *, tags: Sequence[str] = (),
                       referred_by: int | None = None) -> tuple[Contact, bool]:
        """Insert or update by email; a re-import updates fields, keeps status and history.

        Returns ``(contact, created)``. Empty fields in ``record`` never erase stored values.
        """
        with self.transaction():
            [(contact_id, outcome)] = self.upsert_contacts([record], now, tags=tags,
                                                           referred_by=referred_by)
            return self.get_contact(contact_id), outcome == "created"

    def upsert_contacts(self, records: Sequence[ContactRecord], now: datetime, *,
                        tags: Sequence[str] = (), referred_by: int | None = None
                        ) -> list[tuple[int, str]]:
        """``upsert_contact`` of each record in turn, in one transaction.

        Returns ``(contact id, outcome)`` per record, outcome "created", "updated" or
        "unchanged" (no profile field, tag, alias or referrer changed).
        """
        emails = {r.email.strip().lower() for r in records}
        emails.update(e.strip().lower() for r in records for e in r.extra_emails)
        with self.transaction():
            known = _Known(self.conn, emails)
            new_aliases: list[tuple[str, int]] = []
            tagged = tuple(sorted(set(tags)))
            outcomes = [self._apply(known, r, tagged, referred_by, new_aliases)
                        for r in records]
            self._write(known, new_aliases, now)
        return outcomes

    @staticmethod
    def _apply(known: _Known, record: ContactRecord, tags: tuple[str, ...],
               referred_by: int | None, new_aliases: list[tuple[str, int]]) -> tuple[int, str]:
        """Apply one row to ``known``; ``tags`` are sorted and distinct."""
        email = record.email.strip().lower()
        contact_id = known.primary.get(email) or known.alias.get(email)
        if contact_id is None:
            contact_id, known.next_id = known.next_id, known.next_id + 1
            profile = {f: v or "" for f, v in zip(PROFILE_FIELDS, _profile_of(record),
                                                   strict=True)}
            profile["timezone"] = record.timezone  # the one field that may be NULL
            entry = _Entry(contact_id, record.email, profile, tags, referred_by,
                           created_line=record.line)
            known.entries[contact_id] = entry
            known.primary[record.email] = contact_id
            before = None
        else:
            entry = known.entry(contact_id)
            before = entry.profile()
            entry.fields.update((f, v) for f, v in zip(PROFILE_FIELDS, _profile_of(record),
                                                       strict=True) if v)
            entry.tags = tuple(sorted(set(entry.tags) | set(tags)))
            if entry.referred_by is None:
                entry.referred_by = referred_by
        for extra in record.extra_emails:
            extra = extra.strip().lower()
            if extra in known.primary or extra in known.alias:
                continue  # someone's address already: the alias is not added (nor moved)
            known.alias[extra] = contact_id
            entry.aliases.add(extra)
            new_aliases.append((extra, contact_id))
        if before is None:
            return contact_id, "created"
        return contact_id, "unchanged" if before == entry.profile() else "updated"

    def _write(self, known: _Known, new_aliases: list[tuple[str, int]], now: datetime) -> None:
        at = ts(now)
        created = [e for e in known.entries.values() if e.created_line is not None]
        tags_json: dict[tuple[str, ...], str] = {}  # a few distinct tag sets, 100,000 rows

        def encoded(tags: tuple[str, ...]) -> str:
            if tags not in tags_json:
                tags_json[tags] = json.dumps(list(tags))
            return tags_json[tags]

        self.conn.executemany(_INSERT, [
            (e.id, e.email, *e.fields.values(), encoded(e.tags), e.referred_by, at, at, at)
            for e in created])
        new = str(Status.NEW)
        self.conn.executemany(
            "INSERT INTO timeline (contact_id, at, event, old_status, new_status, cause, detail)"
            " VALUES (?, ?, 'created', NULL, ?, 'imported', ?)",
            # json.dumps({"line": n}) without the encoder's cost per row
            [(e.id, at, new, f'{{"line": {e.created_line}}}') for e in created])
        self.conn.executemany(_UPDATE, [
            (*e.fields.values(), encoded(e.tags), at, e.referred_by, e.id)
            for e in known.entries.values() if e.created_line is None])
        self.conn.executemany("INSERT OR IGNORE INTO aliases VALUES (?, ?)", new_aliases)

    def add_referrals(self, referrer_id: int, referred_ids: Sequence[int],
                      now: datetime) -> None:
        """``add_referral`` of each of ``referred_ids`` (the referrer itself is skipped)."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO referrals (referrer_id, referred_id, created_at) "
            "VALUES (?,?,?)",
            [(referrer_id, i, ts(now)) for i in referred_ids if i != referrer_id])
