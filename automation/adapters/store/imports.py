"""Upserting an import's contacts: all rows in one transaction and a few statements per
thousand rows.

The rows are applied one by one to an in-memory copy of what the database knows about their
addresses (primary addresses, aliases, and the profiles of the contacts they name), exactly as
``upsert_contact`` would apply them in turn: a later row may reach, through an alias an earlier
row added, a contact created earlier in the same file. The result is then written with
``executemany`` (``bulkwrite``: a big first import builds the secondary indexes after its rows).
One statement per row (and a handful per contact before) made a 100,000-row file take a
quarter of a minute.
"""

from __future__ import annotations

import itertools
import json
import operator
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from automation.adapters.store import createdruns
from automation.adapters.store.bulkwrite import bulk_write
from automation.adapters.store.contacts import ContactTables
from automation.adapters.store.db import ts
from automation.adapters.store.freshrows import SAME_IN_NEW, all_new, insert_fresh
from automation.adapters.store.streamwrite import ImportStream
from automation.core.models import PROFILE_FIELDS, Contact

if TYPE_CHECKING:
    from automation.core.records import ContactRecord

_profile_of = operator.attrgetter(*PROFILE_FIELDS)
_email_of = operator.attrgetter("email")
_extras_of = operator.attrgetter("extra_emails")
#: Bound parameters per ``IN (...)`` query, well under SQLite's limit.
_CHUNK = 500
_COLUMNS = ("id", "email", *PROFILE_FIELDS, "tags", "referred_by", "created_at", "updated_at",
            "status_changed_at")
_INSERT = (f"INSERT INTO contacts ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(_COLUMNS))})")
_UPDATE = (f"UPDATE contacts SET {', '.join(f'{f} = ?' for f in PROFILE_FIELDS)}, tags = ?, "
           "updated_at = ?, referred_by = ? WHERE id = ?")


def _profile(record: ContactRecord) -> tuple[object, ...]:
    """A new contact's profile columns, in PROFILE_FIELDS order: empty for a missing value,
    except the time zone, the one that may be NULL. (Spelt out: an import builds 100,000.)"""
    r = record
    return (r.name or "", r.first_name or "", r.last_name or "", r.company or "", r.role or "",
            r.timezone, r.notes or "", r.phone or "", r.location or "", r.connection or "")


if PROFILE_FIELDS != ("name", "first_name", "last_name", "company", "role", "timezone", "notes",
                      "phone", "location", "connection"):  # pragma: no cover
    raise ImportError("PROFILE_FIELDS changed: update adapters/store/imports._profile")


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
    """What the database knows about a set of addresses, kept current as rows are applied.

    A contact this import creates from a row without extra addresses stays a bare record in
    ``fresh`` (most rows of a big file) and becomes an ``_Entry`` only if a later row names it.
    """

    def __init__(self, conn: sqlite3.Connection, emails: set[str], tags: tuple[str, ...],
                 referred_by: int | None) -> None:
        self.conn = conn
        self.tags, self.referred_by = tags, referred_by
        self.primary: dict[str, int] = {}
        self.alias: dict[str, int] = {}
        self.entries: dict[int, _Entry] = {}
        self.fresh: dict[int, ContactRecord] = {}
        # Reading every address is cheaper than looking each up when the import is the bigger.
        stored = conn.execute("SELECT (SELECT count(*) FROM contacts) + "
                              "(SELECT count(*) FROM aliases)").fetchone()[0]
        if stored <= len(emails):
            self.primary = dict(conn.execute("SELECT email, id FROM contacts").fetchall())
            self.alias = dict(conn.execute("SELECT email, contact_id FROM aliases").fetchall())
        else:
            for chunk in _chunks(sorted(emails)):
                marks = ", ".join("?" * len(chunk))
                self.primary.update(conn.execute(
                    f"SELECT email, id FROM contacts WHERE email IN ({marks})", chunk))
                self.alias.update(conn.execute(
                    f"SELECT email, contact_id FROM aliases WHERE email IN ({marks})", chunk))
        self.next_id = int(conn.execute("SELECT COALESCE(max(id), 0) + 1 FROM contacts")
                           .fetchone()[0])

    def has_any(self, emails: Iterable[str]) -> bool:
        """Whether any of ``emails`` is a stored contact's address or alias."""
        return not (self.primary.keys().isdisjoint(emails)
                    and self.alias.keys().isdisjoint(emails))

    def preload(self, emails: Iterable[str]) -> None:
        """Read the stored contacts ``emails`` name, a chunk of them per query."""
        if not self.primary and not self.alias:
            return  # an import into an empty database: nothing stored to name
        ids = sorted({i for e in emails if (i := self.primary.get(e) or self.alias.get(e))})
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            aliases: dict[int, set[str]] = {}
            for email, contact_id in self.conn.execute(
                    f"SELECT email, contact_id FROM aliases WHERE contact_id IN ({marks})", chunk):
                aliases.setdefault(contact_id, set()).add(email)
            for row in self.conn.execute(f"SELECT * FROM contacts WHERE id IN ({marks})", chunk):
                self._add(row, aliases.get(row["id"], set()))

    def _add(self, row: sqlite3.Row, aliases: set[str]) -> None:
        contact: Contact = ContactTables._contact(row)
        self.entries[row["id"]] = _Entry(
            row["id"], contact.email, {f: getattr(contact, f) for f in PROFILE_FIELDS},
            contact.tags, contact.referred_by, aliases)

    def entry(self, contact_id: int) -> _Entry:
        """The contact's entry: a fresh record's, or read from the database when first touched."""
        if contact_id in self.entries:
            return self.entries[contact_id]
        if (record := self.fresh.pop(contact_id, None)) is not None:
            entry = self.entries[contact_id] = self.created(contact_id, record)
            return entry
        row = self.conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()
        self._add(row, {r[0] for r in self.conn.execute(
            "SELECT email FROM aliases WHERE contact_id = ?", (contact_id,))})
        return self.entries[contact_id]

    def created(self, contact_id: int, record: ContactRecord) -> _Entry:
        return _Entry(contact_id, record.email, dict(zip(PROFILE_FIELDS, _profile(record),
                                                         strict=True)),
                      self.tags, self.referred_by, created_line=record.line)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
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
                        tags: Sequence[str] = (), referred_by: int | None = None,
                        progress: Callable[[int, int], None] | None = None
                        ) -> list[tuple[int, str]]:
        """``upsert_contact`` of each record in turn, in one transaction.

        Returns ``(contact id, outcome)`` per record, outcome "created", "updated" or
        "unchanged" (no profile field, tag, alias or referrer changed). ``progress(done,
        total)`` is called as the records are written, and once at the end.
        """
        # r.email.strip().lower() of each record, and of each extra address: in C (map of
        # the methods), not a Python step per record of a 100,000-row file
        addresses = list(map(str.lower, map(str.strip, map(_email_of, records))))
        emails = set(addresses)
        emails.update(map(str.lower, map(str.strip, itertools.chain.from_iterable(
            map(_extras_of, records)))))
        with self.transaction():
            known = _Known(self.conn, emails, tuple(sorted(set(tags))), referred_by)
            if all_new(records, addresses, known.has_any):
                return self._create_all(known, records, now, progress)
            known.preload(addresses)
            new_aliases: list[tuple[str, int]] = []
            outcomes = [self._apply(known, r, e, new_aliases)
                        for r, e in zip(records, addresses, strict=True)]
            self._write(known, new_aliases, now)
        if progress is not None:
            progress(len(records), len(records))
        return outcomes

    def import_stream(self, now: datetime, *, tags: Sequence[str] = (),
                      referred_by: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> ImportStream:
        """Records written as a big first import is read (``streamwrite``); call inside the
        import's transaction, as ``upsert_contacts`` with the same arguments."""
        return ImportStream(self.conn, ts(now), json.dumps(sorted(set(tags))), referred_by,
                            progress)

    def _create_all(self, known: _Known, records: Sequence[ContactRecord], now: datetime,
                    progress: Callable[[int, int], None] | None) -> list[tuple[int, str]]:
        """What ``_apply`` and ``_write`` do for records that each create a new contact."""
        ids = range(known.next_id, known.next_id + len(records))
        with bulk_write(self.conn, {"contacts": len(records)}, SAME_IN_NEW):
            insert_fresh(self.conn, records, known.next_id, json.dumps(list(known.tags)),
                         known.referred_by, ts(now), progress)
        if progress is not None:
            progress(len(records), len(records))
        return list(zip(ids, itertools.repeat("created")))

    @staticmethod
    def _apply(known: _Known, record: ContactRecord, email: str,
               new_aliases: list[tuple[str, int]]) -> tuple[int, str]:
        """Apply one row (whose normalised address is ``email``) to ``known``."""
        contact_id = known.primary.get(email) or known.alias.get(email)
        if contact_id is None:
            contact_id, known.next_id = known.next_id, known.next_id + 1
            known.primary[record.email] = contact_id
            if not record.extra_emails:
                known.fresh[contact_id] = record
                return contact_id, "created"
            entry = known.entries[contact_id] = known.created(contact_id, record)
            before = None
        else:
            entry = known.entry(contact_id)
            before = entry.profile()
            entry.fields.update((f, v) for f, v in zip(PROFILE_FIELDS, _profile_of(record),
                                                       strict=True) if v)
            entry.tags = tuple(sorted(set(entry.tags) | set(known.tags)))
            if entry.referred_by is None:
                entry.referred_by = known.referred_by
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
        tags_json: dict[tuple[str, ...], str] = {}  # a few distinct tag sets, 100,000 rows

        def encoded(tags: tuple[str, ...]) -> str:
            if tags not in tags_json:
                tags_json[tags] = json.dumps(list(tags))
            return tags_json[tags]

        fresh_tags, ref = encoded(known.tags), known.referred_by
        created = [(i, r.email, *_profile(r), fresh_tags, ref, at, at, at, r.line)
                   for i, r in known.fresh.items()]
        created += [(e.id, e.email, *e.fields.values(), encoded(e.tags), e.referred_by, at, at,
                     at, e.created_line) for e in known.entries.values()
                    if e.created_line is not None]
        created.sort()  # by id: the order the rows created them, as the timeline tells it
        updated = [(*e.fields.values(), encoded(e.tags), at, e.referred_by, e.id)
                   for e in known.entries.values() if e.created_line is None]
        with bulk_write(self.conn, {"contacts": len(created)}, SAME_IN_NEW):
            self.conn.executemany(_INSERT, [row[:-1] for row in created])
            lines = cast(list[tuple[int, int]], [(row[0], row[-1]) for row in created])
            createdruns.write(self.conn, createdruns.runs_of(lines), at)
            self.conn.executemany(_UPDATE, updated)
            self.conn.executemany("INSERT OR IGNORE INTO aliases VALUES (?, ?)", new_aliases)

    def add_referrals(self, referrer_id: int, referred_ids: Sequence[int],
                      now: datetime) -> None:
        """``add_referral`` of each of ``referred_ids`` (the referrer itself is skipped)."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO referrals (referrer_id, referred_id, created_at) "
            "VALUES (?,?,?)",
            [(referrer_id, i, ts(now)) for i in referred_ids if i != referrer_id])
