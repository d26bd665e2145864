"""Employers: the contacts grouped by company, their LAMP-style rank, and whose turn it is.

``employer_table`` is the read model of ``automation employers``; ``rank`` is the user's action
(``automation employers rank COMPANY N``); ``outreach_gate`` tells the outreach which new
contacts wait for a colleague's 3B window (``core.employers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from automation.app.ports import Store
from automation.app.services import Services
from automation.core.businessdays import BusinessCalendar, country_for_zone
from automation.core.employers import (
    AWAITING,
    Blocker,
    Candidate,
    employer_key,
    holding,
    outreach_order,
    waiting,
)
from automation.core.models import Contact, Status, zone_named
from automation.errors import UserError


def calendar_of(contact: Contact, user_zone: ZoneInfo) -> BusinessCalendar:
    """The contact's business days: their zone (else the user's) and their country's holidays
    (else the user's), as the follow-ups count them."""
    return zone_calendar(contact.timezone, user_zone)


@lru_cache(maxsize=1024)  # a handful of zones among thousands of contacts; never stale
def zone_calendar(timezone: str | None, user_zone: ZoneInfo) -> BusinessCalendar:
    """``calendar_of`` a contact whose ``timezone`` is this (an IANA name, empty, or invalid)."""
    zone = zone_named(timezone) or user_zone
    country = country_for_zone(zone.key) or country_for_zone(user_zone.key)
    return BusinessCalendar(zone=zone, country=country)


def outreach_sent_at(store: Store, contact: Contact) -> datetime | None:
    """When the user sent the contact's outreach (the first Sent copy), or None."""
    sent = [m.sent_at for m in store.messages_for(contact.id or 0)
            if m.direction == "sent" and m.kind == "outreach" and m.sent_at is not None]
    return min(sent, default=None)


def _candidates(svc: Services, keys: set[str]) -> list[Candidate]:
    """The contacts awaiting a first reply at the employers in ``keys``, in id order: only
    those can hold a turn a new contact waits for (read without decoding each ``Contact``,
    and only those stored with a company name of one of ``keys``)."""
    user_zone = svc.config.me.timezone
    statuses = [str(s) for s in AWAITING]
    key_of = {name: key for name in svc.store.companies_of(statuses)
              if (key := employer_key(name)) in keys}  # each spelling normalised once
    found = []
    for row in svc.store.awaiting(statuses, "outreach", list(key_of)):
        key = key_of[row.company]
        status = Status(row.status)
        found.append(Candidate(row.email, key, status,
                               row.sent_at if status == Status.SENT else None,
                               zone_calendar(row.timezone, user_zone)))  # calendar_of's
    return found


@dataclass(frozen=True)
class Gate:
    """The order new contacts get their outreach in, and who must wait for a colleague."""

    order: list[Contact]  # the new contacts that do not wait, in outreach order
    waiting: dict[str, Blocker | None]  # new contact's email → who holds the turn


def outreach_gate(svc: Services, now: datetime) -> Gate:
    """New contacts in outreach order (ranked employers first); those whose employer has no
    free turn (``max_awaiting_per_employer`` colleagues awaiting a first reply within their
    ``next_contact_after_business_days``) wait -- the 3B rule of ``core.employers``.

    Only the colleagues of new contacts awaiting a first reply (drafted, sent) take part
    (``employers.holding`` looks at no other status, and ``waiting`` at no other employer).
    The new contacts are read as rows (id, address, company): only those that do not wait
    are decoded as ``Contact`` (an idle pass, where every one waits, decodes none)."""
    store, cadence = svc.store, svc.config.cadence
    keyed = [(row.id, row.email, employer_key(row.company))
             for row in store.awaiting([str(Status.NEW)], "outreach")]
    turns = holding(_candidates(svc, {key for *_, key in keyed if key}), now,
                    next_after_business_days=cadence.next_contact_after_business_days)
    by_id = {cid: (email, key) for cid, email, key in keyed}
    order = [(cid, *by_id[cid]) for cid, _ in outreach_order(
        [(cid, key) for cid, _, key in keyed], store.employer_ranks())]
    held = waiting([(email, key) for _, email, key in order], turns,
                   cadence.max_awaiting_per_employer)
    free = [cid for cid, email, _ in order if email not in held]
    # Read after the rows: a contact that stopped being new meanwhile is not offered, one
    # made meanwhile waits for the next pass.
    contacts = {c.id: c for c in store.list_contacts(Status.NEW)} if free else {}
    return Gate(order=[contacts[cid] for cid in free if cid in contacts], waiting=held)


def rank(svc: Services, company: str, position: int) -> tuple[str, int]:
    """Rank the employer ``company`` at ``position`` (1 = first; 0 removes the rank); its new
    contacts get their outreach before unranked ones. Returns ``(employer name, position)``.
    Raises UserError when no contact works there or the position is negative."""
    if position < 0:
        raise UserError("the rank must be 1 or more (1 = first), or 0 to remove it")
    key = employer_key(company)
    names = [c.company for c in svc.store.list_contacts() if employer_key(c.company) == key]
    if not key or not names:
        raise UserError(f"no contact works at {company!r}; see `automation employers`")
    svc.store.set_employer_rank(key, names[0], position or None, svc.clock())
    return names[0], position


def employer_table(svc: Services, now: datetime) -> list[dict[str, Any]]:
    """``automation employers [--json]``: each employer (``name``, ``key``, ``rank``),
    ``contacts`` per status, and ``waiting`` (new contacts waiting for a colleague's turn),
    ranked employers first. Contacts without a company are left out."""
    contacts = svc.store.list_contacts()
    ranks = svc.store.employer_ranks()
    gate = outreach_gate(svc, now)
    rows: dict[str, dict[str, Any]] = {}
    for c in contacts:
        key = employer_key(c.company)
        if not key:
            continue
        row = rows.setdefault(key, {"name": c.company, "key": key, "rank": ranks.get(key),
                                    "contacts": {}, "waiting": []})
        row["contacts"][str(c.status)] = row["contacts"].get(str(c.status), 0) + 1
        if c.email in gate.waiting:
            blocker = gate.waiting[c.email]
            row["waiting"].append({
                "email": c.email, "behind": blocker.email if blocker else None,
                "until": blocker.until.isoformat() if blocker and blocker.until else None})
    big = 1 << 30
    return sorted(rows.values(), key=lambda r: (r["rank"] or big, r["name"].casefold()))
