"""Employers and the 3B7 routine (Steve Dalton, *The 2-Hour Job Search*).

Contacts are grouped by employer: their company, normalised (``employer_key``), so "Acme,
Inc." and "ACME" are one employer. At most ``max_awaiting_per_employer`` contacts of one
employer await a first reply at a time (default 1):

- **3B**: a contact whose outreach went out ``next_contact_after_business_days`` business days
  ago (3, in *their* zone and holidays) with no reply stops blocking, so the next contact at
  the same employer gets their outreach;
- **7**: ``follow_up_after_business_days`` (7) business days after it, one follow-up to the
  first contact (``pipeline.follow_up_due``, ``max_follow_ups = 1``).

A drafted outreach the user has not sent yet blocks until it is sent: the clock starts then.
Pure: the caller passes what each contact's state is and when their outreach went out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from automation.core.businessdays import BusinessCalendar
from automation.core.models import Status

#: Legal-form words that do not tell two employers apart ("Acme Inc" is "Acme").
_SUFFIXES = frozenset({
    "inc", "incorporated", "llc", "ltd", "limited", "co", "corp", "corporation", "company",
    "plc", "llp", "lp", "gmbh", "ag", "sa", "sas", "srl", "bv", "nv", "pty",
})
#: Each ASCII byte that ``\w`` does not match becomes a space: ``bytes.translate`` with this
#: table is one C loop, where ``str.translate`` with a mapping looked each character up (and
#: raised and caught a KeyError for each letter): about a tenth of the employer gate.
_ASCII_WORDS = bytes(c if c < 128 and (chr(c).isalnum() or chr(c) == "_") else 32
                     for c in range(256))
#: The statuses that hold an employer's turn (awaiting a first reply).
AWAITING = (Status.DRAFTED, Status.SENT)
_AWAITING = frozenset(AWAITING)

__all__ = ["AWAITING", "Blocker", "Candidate", "employer_key", "holding", "outreach_order", "waiting"]


def employer_key(company: str) -> str:
    """The employer a company name stands for: case, accents, punctuation and legal forms
    ("Inc.", "LLC", "Co") ignored; "&" and "and" are one. "" when there is no company."""
    company = company or ""
    if company.isascii():  # most names: NFKD leaves ASCII as it is, and marks none
        text = company.casefold()
    else:
        text = unicodedata.normalize("NFKD", company)
        text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace(".", "")  # "S.A." is "sa", "Inc." is "inc"
    if text.isascii():  # the words of re.split(r"[^\w]+"), without the regular expression
        words = text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    else:
        words = [w for w in re.split(r"[^\w]+", text) if w]
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    return " ".join(words)


@dataclass(frozen=True)
class Candidate:
    """One contact as the employer rules see it."""

    email: str
    employer: str  # employer_key of their company ("" = none: never grouped)
    status: Status
    outreach_sent_at: datetime | None  # None while the outreach is unsent
    calendar: BusinessCalendar  # their zone and public holidays


class Blocker:
    """A contact holding their employer's turn, and until when (None: until they send).

    ``until`` may instead be given as ``end``, computed on first read: whether a sent
    contact still holds is mostly known from the working week alone
    (``BusinessCalendar.earliest_end``), and the exact end reads the holiday tables (a fifth
    of a second to build), which only whoever shows the time needs."""

    __slots__ = ("_end", "_until", "email")

    def __init__(self, email: str, until: datetime | None = None, *,
                 end: Callable[[], datetime] | None = None) -> None:
        self.email = email
        self._until = until
        self._end = end

    @property
    def until(self) -> datetime | None:
        if self._end is not None:
            self._until, self._end = self._end(), None
        return self._until

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Blocker) and (self.email, self.until) == \
            (other.email, other.until)

    def __hash__(self) -> int:
        return hash(self.email)

    def __repr__(self) -> str:
        return f"Blocker({self.email!r}, {self.until!r})"


def holding(contacts: Iterable[Candidate], now: datetime, *,
            next_after_business_days: int) -> dict[str, list[Blocker]]:
    """Per employer, the contacts awaiting a first reply that still hold a turn at ``now``:
    a drafted outreach not yet sent, or one sent fewer than ``next_after_business_days``
    business days ago (in the contact's calendar) with no reply yet."""
    days = next_after_business_days
    found: dict[str, list[Blocker]] = {}
    for c in contacts:
        if not c.employer or c.status not in _AWAITING:
            continue
        blocker = Blocker(c.email)
        if c.status == Status.SENT and (sent := c.outreach_sent_at) is not None:
            if now < c.calendar.earliest_end(sent, days):  # holds, whatever the holidays
                blocker = Blocker(c.email, end=partial(c.calendar.add_business_days, sent, days))
            else:
                until = c.calendar.add_business_days(sent, days)
                if now >= until:
                    continue
                blocker = Blocker(c.email, until)
        found.setdefault(c.employer, []).append(blocker)
    return found


def waiting(new: Iterable[tuple[str, str]], turns: dict[str, list[Blocker]],
            max_awaiting: int) -> dict[str, Blocker | None]:
    """Which new contacts (``(email, employer)`` in outreach order) must wait, and behind whom
    (None: behind a colleague earlier in this same batch). Each employer lets through as many
    as it has free turns (``max_awaiting`` minus those held); 0 means no limit."""
    if max_awaiting <= 0:
        return {}
    free = {key: max_awaiting - len(held) for key, held in turns.items()}
    result: dict[str, Blocker | None] = {}
    for email, key in new:
        if not key:
            continue
        left = free.get(key, max_awaiting)
        if left <= 0:
            held = turns.get(key)
            result[email] = held[0] if held else None
        free[key] = left - 1
    return result


def outreach_order(items: Iterable[tuple[int, str]],
                   ranks: dict[str, int]) -> list[tuple[int, str]]:
    """``(contact_id, employer)`` pairs in outreach order: ranked employers first (rank 1
    first, LAMP-style), then the rest, each group in id (import) order."""
    big = 1 << 30
    return sorted(items, key=lambda item: (ranks.get(item[1], big), item[0]))
