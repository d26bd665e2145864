"""Boosters, obligates and curmudgeons: how a contact answered, read off their timeline.

The labels of *The 2-Hour Job Search*:

- ``booster``: a positive reply (a person writing back, not declining or opting out) within
  ``BOOSTER_BUSINESS_DAYS`` business days (their zone and holidays) of the outreach going out;
- ``obligate``: replied, but later, or reluctantly (declined, redirected, asked to stop);
- ``curmudgeon``: no reply by the end of the sequence (``no_response``).

Before any of that is known the label is None. The first answer decides: a late enthusiastic
reply after a silence is still an obligate, which is what the method means by the word.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from automation.core.businessdays import BusinessCalendar
from automation.core.models import Status

BOOSTER_BUSINESS_DAYS = 3
LABELS = ("booster", "obligate", "curmudgeon")
#: Inbound classifications that are a person answering, and the ones of them that are warm.
ANSWERS = frozenset({"human", "decline", "redirect", "opt_out"})
POSITIVE = frozenset({"human"})

__all__ = ["ANSWERS", "BOOSTER_BUSINESS_DAYS", "LABELS", "Answer", "first_answer_label", "label"]


class Answer(NamedTuple):
    """An inbound message from the contact: when, and how it was classified (a named tuple:
    the contact table makes one per answered contact, and a frozen dataclass took over twice
    as long to make, and its class generated code at start-up)."""

    at: datetime
    kind: str


def label(status: Status, outreach_sent_at: datetime | None, answers: list[Answer],
          calendar: BusinessCalendar,
          booster_days: int = BOOSTER_BUSINESS_DAYS) -> str | None:
    """The contact's label (see the module docstring), or None while it is not known."""
    replies = sorted((a for a in answers if a.kind in ANSWERS), key=lambda a: a.at)
    return first_answer_label(status, outreach_sent_at, replies[0] if replies else None,
                              lambda: calendar, booster_days)


def first_answer_label(status: Status, outreach_sent_at: datetime | None, first: Answer | None,
                       calendar: Callable[[], BusinessCalendar],
                       booster_days: int = BOOSTER_BUSINESS_DAYS) -> str | None:
    """``label`` from the contact's first answer alone (the earliest of its answers whose kind
    is in ``ANSWERS``, the earlier row first on a tie; None when there is none), which is all
    that decides it. ``calendar`` is called only when the answer's timing decides: the contact
    table labels 10,000 contacts and most need no business days."""
    if first is not None:
        if first.kind in POSITIVE and (  # no Sent copy seen: they answered before we looked
                outreach_sent_at is None
                or calendar().within_business_days(outreach_sent_at, booster_days, first.at)):
            return "booster"
        return "obligate"
    if status == Status.NO_RESPONSE:
        return "curmudgeon"
    return None
