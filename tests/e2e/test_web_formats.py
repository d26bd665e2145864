"""The dashboard's time formats written out (pages._FORMATS) read exactly as strftime's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from automation.interfaces.web.pages import _FORMATS, _local


def _moments() -> list[datetime]:
    """Every weekday and month, both halves of the day, single- and double-digit days and
    hours, across a DST change, in a few zones."""
    start = datetime(2026, 1, 1, 0, 7, tzinfo=UTC)
    zones = [ZoneInfo(z) for z in ("America/New_York", "Asia/Kolkata", "Pacific/Chatham")]
    return [(start + timedelta(hours=37 * i, minutes=13 * i)).astimezone(zones[i % 3])
            for i in range(300)]


@pytest.mark.parametrize("fmt", sorted(_FORMATS))
def test_each_written_out_format_reads_as_strftime(fmt: str) -> None:
    for moment in _moments():
        assert _FORMATS[fmt](moment) == moment.strftime(fmt), moment


def test_the_local_filter_reads_in_the_users_zone_as_strftime_would() -> None:
    zone = ZoneInfo("America/New_York")
    app = Flask(__name__)
    app.config["AUTOMATION_CONFIG"] = SimpleNamespace(me=SimpleNamespace(timezone=zone))
    with app.app_context():
        for moment in _moments():
            iso, here = moment.isoformat(), moment.astimezone(zone)
            for fmt in (*_FORMATS, "%A %d %B %Y %I:%M %p %Z"):  # the last one not written out
                assert _local(iso, fmt) == here.strftime(fmt)
            assert _local(iso) == here.strftime("%a %b %d, %H:%M")
        assert _local(None) == _local("") == ""


def test_the_pages_filter_reads_in_the_zone_of_the_apps_config() -> None:
    from automation.interfaces.web import pages

    app = Flask(__name__)
    app.config["AUTOMATION_CONFIG"] = SimpleNamespace(
        me=SimpleNamespace(timezone=ZoneInfo("Asia/Kolkata")))
    pages.init(app)
    local = app.jinja_env.filters["local"]
    assert local("2026-12-07T13:30:00+00:00") == "Mon Dec 07, 19:00"
    assert local("2026-12-07T20:30:00+00:00", "%b %d") == "Dec 08"
    assert local(None) == ""
