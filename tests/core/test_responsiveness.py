"""Boosters, obligates and curmudgeons, from the first answer and the contact's calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from automation.core.businessdays import BusinessCalendar
from automation.core.models import Status
from automation.core.responsiveness import Answer, label

MADRID = ZoneInfo("Europe/Madrid")
SPAIN = BusinessCalendar.for_zone(MADRID)
FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=MADRID)
DEADLINE = datetime(2026, 12, 10, 10, 0, tzinfo=MADRID)  # 3 business days (Tue 8 a holiday)


def test_a_warm_reply_within_three_of_their_business_days_is_a_booster() -> None:
    assert label(Status.REPLIED, FRIDAY, [Answer(DEADLINE, "human")], SPAIN) == "booster"
    assert label(Status.REPLIED, FRIDAY, [Answer(FRIDAY + timedelta(hours=2), "human")],
                 SPAIN) == "booster"


def test_a_later_or_reluctant_reply_is_an_obligate() -> None:
    late = DEADLINE + timedelta(minutes=1)
    assert label(Status.REPLIED, FRIDAY, [Answer(late, "human")], SPAIN) == "obligate"
    for kind in ("decline", "redirect", "opt_out"):
        assert label(Status.DECLINED, FRIDAY, [Answer(FRIDAY + timedelta(hours=1), kind)],
                     SPAIN) == "obligate"


def test_the_first_answer_decides_and_machines_do_not_count() -> None:
    answers = [Answer(DEADLINE + timedelta(days=1), "human"),
               Answer(FRIDAY + timedelta(hours=1), "auto_reply"),
               Answer(FRIDAY + timedelta(hours=2), "bounce")]
    assert label(Status.REPLIED, FRIDAY, answers, SPAIN) == "obligate"


def test_no_reply_by_the_end_of_the_sequence_is_a_curmudgeon() -> None:
    assert label(Status.NO_RESPONSE, FRIDAY, [], SPAIN) == "curmudgeon"
    assert label(Status.SENT, FRIDAY, [], SPAIN) is None  # still in the sequence
    assert label(Status.NEW, None, [], SPAIN) is None
