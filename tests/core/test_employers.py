"""Employers and the 3B7 routine: who waits for a colleague, and when the turn frees up,
counted in the contact's business days (their zone, their public holidays)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from automation.config import parse_config
from automation.core import pipeline as core
from automation.core.businessdays import BusinessCalendar
from automation.core.employers import (
    Blocker,
    Candidate,
    employer_key,
    holding,
    outreach_order,
    waiting,
)
from automation.core.models import Cadence, Status

MADRID = ZoneInfo("Europe/Madrid")
NY = ZoneInfo("America/New_York")
SPAIN = BusinessCalendar.for_zone(MADRID)
FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=MADRID)  # Tue 8 Dec is a holiday in Spain


def sent(email: str, at: datetime | None, status: Status = Status.SENT,
         employer: str = "acme") -> Candidate:
    return Candidate(email, employer, status, at, SPAIN)


def _reference_key(company: str) -> str:
    """``employer_key`` as first written: every name through NFKD and accent stripping."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", company)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace(".", "")
    words = [w for w in re.split(r"[^\w]+", text) if w]
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    while len(words) > 1 and words[-1] in {"inc", "llc", "ltd", "co", "corp", "company",
                                           "incorporated", "limited", "corporation", "plc",
                                           "llp", "lp", "gmbh", "ag", "sa", "sas", "srl",
                                           "bv", "nv", "pty"}:
        words.pop()
    return " ".join(words)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127)),
                 st.text(), st.sampled_from(["The ACME Co.", "Acme & Sons, Inc.", "S.A.",
                                             "Société Générale SA", "ＡＣＭＥ", "the", ""])))
def test_the_ascii_shortcut_keys_every_name_as_the_full_normalisation(company: str) -> None:
    """Most company names are ASCII and skip NFKD (a third of an idle pass's employer
    check at 10,000 contacts): the key is the same as through the full normalisation."""
    assert employer_key(company) == _reference_key(company)


def test_employer_names_are_normalised() -> None:
    assert employer_key("Acme, Inc.") == employer_key("ACME") == employer_key("acme corp") \
        == "acme"
    assert employer_key("Food & Beverage Co") == employer_key("food and beverage") \
        == "food and beverage"
    assert employer_key("Gutiérrez & Partners, PR") == "gutierrez and partners pr"
    assert employer_key("Acme, S.A.") == employer_key("acme sa") == "acme"
    assert employer_key("The Company") == "company"  # a name that is all suffix keeps a word
    assert employer_key("") == ""


def test_3b_the_next_colleague_waits_three_of_the_contacts_business_days() -> None:
    """Sent Friday in Madrid: Mon 7, (Tue 8 holiday), Wed 9, Thu 10 -> free Thursday 10:00."""
    first = [sent("a@acme.es", FRIDAY)]
    until = datetime(2026, 12, 10, 10, 0, tzinfo=MADRID)
    assert holding(first, until - timedelta(seconds=1), next_after_business_days=3) == \
        {"acme": [Blocker("a@acme.es", until)]}
    assert holding(first, until, next_after_business_days=3) == {}


def test_an_unsent_outreach_holds_the_turn_until_it_is_sent() -> None:
    first = [sent("a@acme.es", None, Status.DRAFTED)]
    later = FRIDAY + timedelta(days=60)
    assert holding(first, later, next_after_business_days=3) == \
        {"acme": [Blocker("a@acme.es", None)]}


def test_replied_and_finished_contacts_never_hold_a_turn() -> None:
    done = [sent("a@acme.es", FRIDAY, status) for status in
            (Status.REPLIED, Status.SCHEDULED, Status.DECLINED, Status.NO_RESPONSE)]
    assert holding(done, FRIDAY, next_after_business_days=3) == {}


def test_one_new_contact_per_employer_goes_and_the_rest_wait() -> None:
    new = [("b@acme.es", "acme"), ("c@acme.es", "acme"), ("d@other.es", "other"),
           ("e@nowhere", "")]
    assert waiting(new, {}, 1) == {"c@acme.es": None}
    turns = {"acme": [Blocker("a@acme.es", FRIDAY)]}
    assert waiting(new, turns, 1) == {"b@acme.es": Blocker("a@acme.es", FRIDAY),
                                      "c@acme.es": Blocker("a@acme.es", FRIDAY)}
    assert waiting(new, turns, 2) == {"c@acme.es": Blocker("a@acme.es", FRIDAY)}
    assert waiting(new, turns, 0) == {}  # 0: no limit


def test_ranked_employers_come_first() -> None:
    items = [(1, "zeta"), (2, "acme"), (3, "beta"), (4, "acme"), (5, "")]
    assert outreach_order(items, {"beta": 1, "acme": 2}) == \
        [(3, "beta"), (2, "acme"), (4, "acme"), (1, "zeta"), (5, "")]


def test_7_one_follow_up_seven_business_days_after_in_the_contacts_calendar() -> None:
    policy = Cadence()
    assert (policy.follow_up_after_business_days, policy.max_follow_ups) == (7, 1)
    state = core.ContactState(email="a@acme.es", status=Status.SENT, zone=MADRID,
                              last_outbound_at=FRIDAY, country="ES")
    # Mon 7, Wed 9, Thu 10, Fri 11, Mon 14, Tue 15, Wed 16 (Tue 8 is a holiday in Spain).
    due = datetime(2026, 12, 16, 10, 0, tzinfo=MADRID)
    assert core.follow_up_due(state, policy) == due
    assert not core.due(state, due - timedelta(seconds=1), policy).actions
    [action] = core.due(state, due, policy).actions
    assert isinstance(action, core.Draft) and action.kind == "follow_up"
    after = core.ContactState(email="a@acme.es", status=Status.SENT, zone=MADRID,
                              last_outbound_at=due, country="ES", follow_ups=1)
    assert core.follow_up_due(after, policy) is None  # max_follow_ups = 1


def test_a_config_with_the_old_keys_keeps_its_values(tmp_path: Path) -> None:
    raw = {"me": {"email": "a@example.org", "timezone": "America/New_York"},
           "cadence": {"follow_up_after_business_days": 4, "max_follow_ups": 2}}
    cadence = parse_config(raw, tmp_path / "automation.toml").cadence
    assert (cadence.follow_up_after_business_days, cadence.max_follow_ups) == (4, 2)
    assert cadence.next_contact_after_business_days == 3
    assert cadence.max_awaiting_per_employer == 1
    fresh = parse_config({"me": raw["me"]}, tmp_path / "automation.toml").cadence
    assert (fresh.follow_up_after_business_days, fresh.max_follow_ups) == (7, 1)


ZONES = [MADRID, NY, ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/Berlin"), ZoneInfo("UTC")]


@settings(max_examples=80, deadline=None)
@given(zone=st.sampled_from(ZONES), count=st.integers(1, 12),
       minutes=st.integers(0, 2 * 365 * 1440))
def test_business_days_are_counted_on_the_contacts_working_dates(
        zone: ZoneInfo, count: int, minutes: int) -> None:
    """``start + n`` business days lands on a working date, exactly n working dates after
    ``start``'s local date, at the same local time of day."""
    start = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)).astimezone(zone)
    calendar = BusinessCalendar.for_zone(zone)
    result = calendar.add_business_days(start, count).astimezone(zone)
    country = calendar.country

    def working(day: date) -> bool:
        return day.weekday() < 5 and not (
            country and day in holidays.country_holidays(country, years=day.year))

    assert working(result.date())
    days = [start.date() + timedelta(days=i)
            for i in range(1, (result.date() - start.date()).days + 1)]
    assert sum(1 for d in days if working(d)) == count
    wall = datetime.combine(result.date(), start.time())
    if wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        assert result.time() == start.time()  # the wall time exists that day: it is kept


def _exact_holding(contacts: list[Candidate], now: datetime,
                   days: int) -> dict[str, list[tuple[str, datetime | None]]]:
    """The 3B rule counted the long way: every sent contact's end read from its holidays."""
    found: dict[str, list[tuple[str, datetime | None]]] = {}
    for c in contacts:
        if not c.employer or c.status not in (Status.DRAFTED, Status.SENT):
            continue
        until = None
        if c.status == Status.SENT and c.outreach_sent_at is not None:
            until = c.calendar.add_business_days(c.outreach_sent_at, days)
            if now >= until:
                continue
        found.setdefault(c.employer, []).append((c.email, until))
    return found


CLOSED = frozenset({date(2026, 12, 9), date(2026, 12, 24), date(2027, 1, 4)})


@settings(max_examples=300, deadline=None)
@given(people=st.lists(st.tuples(
           st.sampled_from(["acme", "beta", ""]),
           st.sampled_from([Status.SENT, Status.DRAFTED, Status.REPLIED]),
           st.none() | st.integers(0, 40 * 1440),
           st.sampled_from(ZONES), st.sampled_from([None, "ES", "US", "DE"]),
           st.sampled_from([(0, 1, 2, 3, 4), (0, 2, 4), (5, 6)]),
           st.booleans()), max_size=6),
       days=st.integers(0, 8), after=st.integers(0, 50 * 1440))
def test_holding_by_the_working_week_agrees_with_counting_holidays(
        people: list[tuple[str, Status, int | None, ZoneInfo, str | None, tuple[int, ...], bool]],
        days: int, after: int) -> None:
    """A sent contact who surely still holds (``earliest_end``, no holiday read) gets its
    exact end only when asked: who holds, and until when, are those of counting every
    holiday (Madrid's 8 December, closed days on both sides of the year's end)."""
    base = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    contacts = [Candidate(f"p{i}@{employer or 'none'}.test", employer, status,
                          None if at is None else base + timedelta(minutes=at),
                          BusinessCalendar(zone, country, week, CLOSED if closed else frozenset()))
                for i, (employer, status, at, zone, country, week, closed) in enumerate(people)]
    now = base + timedelta(minutes=after)
    got = holding(contacts, now, next_after_business_days=days)
    assert {k: [(b.email, b.until) for b in v] for k, v in got.items()} == \
        _exact_holding(contacts, now, days)


def test_the_exact_end_is_counted_only_when_read() -> None:
    """The pass asks only who holds a turn: a contact sent this morning surely holds it, and
    the holiday tables stay unread until someone reads ``until`` (the employers table)."""
    class Counting(BusinessCalendar):
        reads = 0

        def holiday(self, day: date) -> bool:
            type(self).reads += 1
            return super().holiday(day)

    calendar = Counting(MADRID, "ES")
    first = [Candidate("a@acme.es", "acme", Status.SENT, FRIDAY, calendar)]
    [blocker] = holding(first, FRIDAY + timedelta(hours=1), next_after_business_days=3)["acme"]
    assert Counting.reads == 0
    assert blocker.until == datetime(2026, 12, 10, 10, 0, tzinfo=MADRID)  # Tue 8 is a holiday
    assert Counting.reads > 0
