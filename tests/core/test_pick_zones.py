"""A reply that names a time zone is read in that zone (core/picks.py, core/zones.py).

The user is in New York; the contact in Los Angeles unless a test says otherwise. Offers are
ten-minute slots; "11am ET" from a Pacific contact is 11:00 Eastern, not 11:00 Pacific.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from automation.core.models import Slot
from automation.core.picks import find_pick

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=NY)  # a Monday


def slot(day: int, hour: int, minute: int = 0, tz: ZoneInfo = NY) -> Slot:
    start = datetime(2026, 12, day, hour, minute, tzinfo=tz)
    return Slot(start, start + timedelta(minutes=10))


# Tue 11:00 ET (08:00 PT), Wed 12:00 ET (09:00 PT), Thu 14:00 ET (11:00 PT)
OFFERS = [slot(8, 11), slot(9, 12), slot(10, 14)]


@pytest.mark.parametrize(("text", "index"), [
    ("Tuesday 11am ET works for me.", 0),
    ("Tuesday at 11am EST works.", 0),
    ("Tuesday 11:00 Eastern works for me.", 0),
    ("Tuesday 11am (New York time) is fine.", 0),
    ("Tuesday 8am my time works.", 0),  # "my time": the contact's zone, 08:00 PT
    ("9am Pacific / 12 noon your time on Wednesday works.", 1),
    ("Wednesday noon your time works.", 1),
    ("Wednesday 9am PT is good.", 1),
    ("Wednesday 5pm London time works.", 1),  # 17:00 GMT = 12:00 ET
    ("Wednesday 17:00 UTC works.", 1),
    ("Wednesday 6pm CET works.", 1),  # 18:00 CET = 12:00 ET
    ("Thursday 2pm ET works.", 2),
    ("Thursday 11am PST works.", 2),
    ("Thursday 7pm GMT works.", 2),
    ("Thursday 20:00 Paris works for me.", 2),
])
def test_a_time_named_in_a_zone_picks_the_offer_at_that_moment(text: str, index: int) -> None:
    pick = find_pick(text, OFFERS, tz=LA, now=NOW, user_tz=NY)
    assert (pick.kind, pick.index) == ("option", index), pick


def test_eleven_eastern_from_a_pacific_contact_is_not_eleven_pacific() -> None:
    offers = [slot(8, 11), slot(8, 14)]  # 14:00 ET is 11:00 PT
    assert find_pick("Tuesday 11am ET works.", offers, tz=LA, now=NOW, user_tz=NY).index == 0
    assert find_pick("Tuesday 11am works.", offers, tz=LA, now=NOW, user_tz=NY).index == 1


def test_a_time_named_in_a_zone_that_matches_no_offer_is_proposed_in_that_zone() -> None:
    pick = find_pick("Could we do Tuesday 3pm ET instead?", OFFERS, tz=LA, now=NOW, user_tz=NY)
    assert pick.kind == "time" and pick.start == datetime(2026, 12, 8, 15, 0, tzinfo=NY)
    pick = find_pick("How about Friday 9am London time?", OFFERS, tz=LA, now=NOW, user_tz=NY)
    assert pick.kind == "time" and pick.start == datetime(2026, 12, 11, 9, 0, tzinfo=LONDON)


def test_my_time_is_the_contacts_zone_and_your_time_the_users() -> None:
    offers = [slot(8, 10, tz=LONDON), slot(8, 15, tz=LONDON)]  # 05:00 and 10:00 ET
    pick = find_pick("Tuesday 3pm my time works.", offers, tz=LONDON, now=NOW, user_tz=NY)
    assert pick.index == 1
    pick = find_pick("Tuesday 10am your time works.", offers, tz=LONDON, now=NOW, user_tz=NY)
    assert pick.index == 1


@pytest.mark.parametrize("text", [
    "Mardi à 11h est parfait.",  # French "est" (is), not Eastern
    "Mardi 11h et 14h, les deux me vont.",  # French "et" (and)
    "Dienstag um 11 Uhr ist gut.",  # German "ist" (is), not India
])
def test_lower_case_words_are_not_taken_for_zones(text: str) -> None:
    paris = ZoneInfo("Europe/Paris")
    offers = [slot(8, 11, tz=paris), slot(8, 14, tz=paris)]
    pick = find_pick(text, offers, tz=paris, now=NOW, user_tz=NY)
    if "les deux" in text:
        assert pick.kind == "ambiguous" or pick.index == 0, pick
    else:
        assert (pick.kind, pick.index) == ("option", 0), pick


def test_capitals_in_the_time_do_not_hide_the_zone() -> None:
    pick = find_pick("Wednesday 12PM ET works.", OFFERS, tz=LA, now=NOW, user_tz=NY)
    assert pick.index == 1
    pick = find_pick("Wednesday NOON your time works.", OFFERS, tz=LA, now=NOW, user_tz=NY)
    assert pick.index == 1
