"""Contacts, their aliases, their timeline and who referred whom."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from automation.adapters.store import createdruns
from automation.adapters.store.db import Database, by_name, dt, ts
from automation.core.models import PROFILE_FIELDS, Contact, Status
from automation.errors import UserError

if TYPE_CHECKING:
    from automation.core.records import TimelineEntry


class ContactTables(Database):
    """contacts, aliases, timeline, referrals"""

    # -- contacts ---------------------------------------------------------------------------

    @staticmethod
    def _contact(stored: sqlite3.Row, aliases: Sequence[str] = ()) -> Contact:
        # The empty tags and extra most contacts have skip the JSON parser: the contact table
        # builds 10,000 of these per command.
        row = by_name(stored)
        tags, extra, snoozed = row["tags"], row["extra"], row["snoozed_until"]
        return Contact(
            id=row["id"], email=row["email"], **{f: row[f] for f in PROFILE_FIELDS},
            tags=() if tags == "[]" else tuple(json.loads(tags)),
            aliases=tuple(aliases), status=Status(row["status"]),
            needs_attention=row["needs_attention"],
            snoozed_until=None if snoozed is None else dt(snoozed),
            referred_by=row["referred_by"], thread_id=row["thread_id"],
            user_note=row["user_note"],
            created_at=dt(row["created_at"]),
            status_changed_at=dt(row["status_changed_at"]),
            extra={} if extra == "{}" else json.loads(extra),
        )

    def _aliases(self, contact_id: int) -> list[str]:
        rows = self.conn.execute("SELECT email FROM aliases WHERE contact_id = ? ORDER BY email",
                                 (contact_id,))
        return [r[0] for r in rows]

    def get_contact(self, contact_id: int) -> Contact:
        row = self.conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)).fetchone()
        if row is None:
            raise UserError(f"no contact with id {contact_id}")
        return self._contact(row, self._aliases(contact_id))

    def find_contact(self, email: str) -> Contact | None:
        """The contact whose address or linked alias is ``email`` (case-insensitive)."""
        email = email.strip().lower()
        row = self.conn.execute("SELECT * FROM contacts WHERE email = ?", (email,)).fetchone()
        if row is None:
            alias = self.conn.execute("SELECT contact_id FROM aliases WHERE email = ?",
                                      (email,)).fetchone()
            if alias is None:
                return None
            row = self.conn.execute("SELECT * FROM contacts WHERE id = ?",
                                    (alias[0],)).fetchone()
        return self._contact(row, self._aliases(row["id"]))

    def require_contact(self, email: str) -> Contact:
        contact = self.find_contact(email)
        if contact is None:
            raise UserError(f"no contact {email!r}; see `automation contacts` for the list")
        return contact

    def list_contacts(self, status: Status | str | None = None) -> list[Contact]:
        if status is None:
            rows = self.conn.execute("SELECT * FROM contacts ORDER BY id").fetchall()
        else:
            rows = self.conn.execute("SELECT * FROM contacts WHERE status = ? ORDER BY id",
                                     (str(status),)).fetchall()
        aliases: dict[int, list[str]] = {}
        for a in self.conn.execute("SELECT contact_id, email FROM aliases ORDER BY email"):
            aliases.setdefault(a[0], []).append(a[1])
        return [self._contact(r, aliases.get(r["id"], ())) for r in rows]

    def contact_by_thread(self, thread_id: str) -> Contact | None:
        row = self.conn.execute("SELECT * FROM contacts WHERE thread_id = ? ORDER BY id LIMIT 1",
                                (thread_id,)).fetchone()
        return None if row is None else self._contact(row, self._aliases(row["id"]))

    def add_alias(self, contact_id: int, email: str) -> None:
        email = email.strip().lower()
        if self.conn.execute("SELECT 1 FROM contacts WHERE email = ?", (email,)).fetchone():
            return
        self.conn.execute("INSERT OR IGNORE INTO aliases VALUES (?, ?)", (email, contact_id))

    def update_contact(self, contact_id: int, now: datetime, **fields: Any) -> None:
        """Set plain columns (not status: use ``set_status``)."""
        if "status" in fields:
            raise ValueError("use set_status to change a status")
        conv = {k: (ts(v) if isinstance(v, datetime) else v) for k, v in fields.items()}
        for key in ("extra", "tags"):
            if key in conv and not isinstance(conv[key], str):
                conv[key] = json.dumps(conv[key])
        sets = ", ".join(f"{k} = ?" for k in conv)
        with self.transaction():
            self.conn.execute(f"UPDATE contacts SET {sets}, updated_at = ? WHERE id = ?",
                              (*conv.values(), ts(now), contact_id))

    def set_status(self, contact_id: int, new: Status, now: datetime, *, cause: str,
                   detail: dict[str, Any] | None = None, expect: Status | None = None) -> bool:
        """Change a contact's status and record the change with its cause in the timeline.

        With ``expect``, the status is read inside this transaction and changed only if it is
        still ``expect`` (what the decision was made on); otherwise the user (``automation
        mark``) or another pass changed it meanwhile, their word stands, and the timeline says
        so. Returns whether the status was changed.
        """
        with self.transaction():
            old = self.conn.execute("SELECT status FROM contacts WHERE id = ?",
                                    (contact_id,)).fetchone()[0]
            if expect is not None and old != str(expect):
                self.add_event(contact_id, now, "status_kept", old_status=old,
                               cause=f"kept {old}: it changed meanwhile, so {cause!r} "
                               f"(decided when it was {expect}) did not apply",
                               detail=detail)
                return False
            self.conn.execute(
                "UPDATE contacts SET status = ?, status_changed_at = ?, updated_at = ? "
                "WHERE id = ?", (str(new), ts(now), ts(now), contact_id))
            self.add_event(contact_id, now, "status", old_status=old, new_status=new,
                           cause=cause, detail=detail)
        return True

    def flag(self, contact_id: int, reason: str | None, now: datetime) -> None:
        """Set (or with None clear) ``needs_attention``, recorded in the timeline."""
        with self.transaction():
            self.conn.execute("UPDATE contacts SET needs_attention = ?, updated_at = ? "
                              "WHERE id = ?", (reason, ts(now), contact_id))
            self.add_event(contact_id, now, "flag" if reason else "unflag",
                           cause=reason or "cleared")

    def status_of(self, contact_id: int) -> Status:
        row = self.conn.execute("SELECT status FROM contacts WHERE id = ?",
                                (contact_id,)).fetchone()
        if row is None:
            raise UserError(f"no contact with id {contact_id}")
        return Status(row[0])

    def status_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, count(*) FROM contacts GROUP BY status")
        return {r[0]: r[1] for r in rows}

    # -- timeline ---------------------------------------------------------------------------

    def add_event(self, contact_id: int, now: datetime, event: str, *,
                  old_status: str | None = None, new_status: str | None = None,
                  cause: str = "", detail: dict[str, Any] | None = None) -> None:
        self.conn.execute(
            "INSERT INTO timeline (contact_id, at, event, old_status, new_status, cause, detail)"
            " VALUES (?,?,?,?,?,?,?)",
            (contact_id, ts(now), event, old_status and str(old_status),
             new_status and str(new_status), cause, json.dumps(detail or {}, default=str)),
        )

    def timeline(self, contact_id: int) -> list[TimelineEntry]:
        from automation.core.records import TimelineEntry  # not built by a pass (core.records)

        rows = self.conn.execute("SELECT * FROM timeline WHERE contact_id = ? ORDER BY id",
                                 (contact_id,))
        entries = [TimelineEntry(dt(r["at"]), r["event"], r["old_status"],  # type: ignore[arg-type]
                                 r["new_status"], r["cause"], json.loads(r["detail"]))
                   for r in rows]
        # An imported contact's "created" entry, when a run of them holds it: its first.
        created = createdruns.event(self.conn, contact_id)
        return entries if created is None else [created, *entries]

    # -- referrals ---------------------------------------------------------------------------

    def add_referral(self, referrer_id: int, referred_id: int, now: datetime) -> bool:
        cur = self.conn.execute("INSERT OR IGNORE INTO referrals (referrer_id, referred_id, "
                                "created_at) VALUES (?,?,?)", (referrer_id, referred_id, ts(now)))
        return cur.rowcount > 0

    def referrals_by(self, referrer_id: int) -> list[int]:
        rows = self.conn.execute("SELECT referred_id FROM referrals WHERE referrer_id = ? "
                                 "ORDER BY id", (referrer_id,))
        return [r[0] for r in rows]

    def referral_counts(self) -> dict[int, int]:
        rows = self.conn.execute("SELECT referrer_id, count(*) FROM referrals GROUP BY 1")
        return {r[0]: r[1] for r in rows}
