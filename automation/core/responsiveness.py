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

from dataclasses import dataclass
from datetime import datetime

from automation.core.businessdays import BusinessCalendar
from automation.core.models import Status

BOOSTER_BUSINESS_DAYS = 3
LABELS = ("booster", "obligate", "curmudgeon")
#: Inbound classifications that are a person answering, and the ones of them that are warm.
ANSWERS = frozenset({"human", "decline", "redirect", "opt_out"})
POSITIVE = frozenset({"human"})

__all__ = ["BOOSTER_BUSINESS_DAYS", "LABELS", "Answer", "label"]


@dataclass(frozen=True)
class Answer:
    """An inbound message from the contact: when, and how it was classified."""

    at: datetime
    kind: str


def label(status: Status, outreach_sent_at: datetime | None, answers: list[Answer],
          calendar: BusinessCalendar,
          booster_days: int = BOOSTER_BUSINESS_DAYS) -> str | None:
    """The contact's label (see the module docstring), or None while it is not known."""
    replies = sorted((a for a in answers if a.kind in ANSWERS), key=lambda a: a.at)
    if replies:
        first = replies[0]
        if first.kind in POSITIVE and (  # no Sent copy seen: they answered before we looked
                outreach_sent_at is None
                or calendar.within_business_days(outreach_sent_at, booster_days, first.at)):
            return "booster"
        return "obligate"
    if status == Status.NO_RESPONSE:
        return "curmudgeon"
    return None
