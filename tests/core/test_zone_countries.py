"""``country_for_zone`` reads pytz's zone.tab itself (pytz's own table first opens every zone's
file); it must say what ``pytz.country_timezones`` says, for every zone there is."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytz

from automation.core.businessdays import country_for_zone


def test_every_zone_has_the_country_pytz_gives_it() -> None:
    expected = {zone: country for country, zones in pytz.country_timezones.items()
                for zone in zones}
    names = available_timezones() | set(expected) | {"", "Not/AZone", "UTC", "Etc/GMT+5",
                                                       "america/new_york", "../zone.tab"}
    assert {z: country_for_zone(z) for z in names} == {z: expected.get(z) for z in names}
    assert country_for_zone("Europe/Madrid") == "ES"
    assert country_for_zone(None) is None
