"""Slot labels and message dates, written with fewer ``strftime`` calls, read exactly as before.

``slot_label`` and ``slot_views`` run three times per outreach draft: they format each end
once (``strftime`` costs as much as the rest of a label), and ``build_message`` formats a
pass's one ``now`` once. The references below are the straightforward forms they replace.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from automation.core.compose import build_message, slot_label, slot_views
from automation.core.models import Slot

ZONES = [ZoneInfo(z) for z in ("America/New_York", "America/Chicago", "Europe/Berlin",
                               "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "UTC",
                               "America/St_Johns", "Etc/GMT+5")]


def reference_label(slot: Slot, zone: ZoneInfo) -> str:
    start, end = slot.start.astimezone(zone), slot.end.astimezone(zone)

    def clock(moment: datetime) -> str:
        return f"{moment.hour % 12 or 12}:{moment.minute:02d}"

    same_half = start.strftime("%p") == end.strftime("%p")
    first = clock(start) + ("" if same_half else f" {start.strftime('%p')}")
    return (f"{start.strftime('%a, %b')} {start.day}, {first}\u2013{clock(end)} "
            f"{end.strftime('%p')} {end.strftime('%Z')}")


# Hypothesis takes naive bounds and gives aware values in the zones it is told.
LOW = datetime(2000, 1, 1, tzinfo=UTC).replace(tzinfo=None)
HIGH = datetime(2040, 1, 1, tzinfo=UTC).replace(tzinfo=None)
instants = st.datetimes(min_value=LOW, max_value=HIGH, timezones=st.just(UTC))


@settings(max_examples=400, deadline=None)
@given(instants, st.integers(1, 24 * 60), st.sampled_from(ZONES), st.sampled_from(ZONES))
@example(datetime(2026, 11, 1, 7, 30, tzinfo=UTC), 10, ZoneInfo("America/New_York"),
         ZoneInfo("America/Chicago"))  # 01:30 CST, the second 01:30 of that night in Chicago
def test_labels_and_views_read_as_the_straightforward_form(
        start: datetime, minutes: int, zone: ZoneInfo, source: ZoneInfo) -> None:
    slot = Slot(start.astimezone(source), (start + timedelta(minutes=minutes)).astimezone(source))
    assert slot_label(slot, zone) == reference_label(slot, zone)
    (view,) = slot_views([slot], zone)
    assert view.label == reference_label(slot, zone)
    # The same instants (compared in UTC: across zones, a reading in a repeated hour never
    # compares equal to another zone's, by PEP 495).
    assert view.number == 1
    assert view.start.astimezone(UTC) == slot.start.astimezone(UTC)
    assert view.end.astimezone(UTC) == slot.end.astimezone(UTC)
    assert view.start.tzinfo is zone and view.end.tzinfo is zone


def test_labels_on_the_hour_that_repeats_say_which_one() -> None:
    """01:30 happens twice on the night clocks go back: each reading keeps its own name."""
    ny = ZoneInfo("America/New_York")
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    for start in (first, first + timedelta(hours=1)):  # then 01:30 EST
        slot = Slot(start, start + timedelta(minutes=10))
        assert slot_label(slot, ny) == reference_label(slot, ny)
    assert slot_label(Slot(first, first + timedelta(minutes=10)), ny).endswith("AM EDT")


@settings(max_examples=200, deadline=None)
@given(instants, st.sampled_from(ZONES), st.booleans())
def test_a_message_date_is_its_own_moment_in_its_own_zone(
        moment: datetime, zone: ZoneInfo, fold: bool) -> None:
    """The Date header of every ``now``, however many messages share one: equal instants in
    two zones, and the two readings of a repeated hour, are each dated as themselves."""
    local = moment.astimezone(zone)
    wall = local.replace(fold=int(fold))
    for now in (local, wall, moment, local.astimezone(ZoneInfo("Asia/Tokyo"))):
        message = build_message(sender_name="Alex Rivera", sender="alex@example.org",
                                to_name="Ada", to="ada@example.com", subject="Hello",
                                body="Hi\n", now=now, message_id="<m1@example.org>")
        assert message["Date"] == format_datetime(now)


def test_a_locale_of_its_own_names_days_and_halves_through_strftime(monkeypatch) -> None:
    """Outside the C locale the names come from ``strftime`` (the locale's), not from the
    C locale's table: here ``C.UTF-8``, whose names happen to be the same words."""
    import locale

    from automation.core import compose

    asked: list[object] = []
    real = locale.setlocale

    def query(category: int, value: object = None) -> str:
        asked.append(value)
        return real(category, value) if value is not None else "C.UTF-8"

    monkeypatch.setattr(compose.locale, "setlocale", query)
    ny = ZoneInfo("America/New_York")
    start = datetime(2026, 12, 8, 16, 50, tzinfo=UTC)  # 11:50 AM to 12:00 PM in New York
    slot = Slot(start, start + timedelta(minutes=10))
    assert slot_label(slot, ny) == reference_label(slot, ny) == "Tue, Dec 8, 11:50 AM\u201312:00 PM EST"
    assert asked == [None]  # only asked, never set
