"""Business days: weekdays that are not public holidays, in one person's country.

Pure: the holiday dates come from the ``holidays`` package (rules, not a network service), and
the country from the IANA zone's entry in ``zone.tab`` (``pytz.country_timezones`` ships that
table; ``zoneinfo`` has none). A zone with no country (``UTC``, ``Etc/GMT+5``) has no public
holidays: weekends are still skipped.

The same calendar decides which dates a contact is offered slots on and when a follow-up or the
next contact at an employer is due, so "3 business days" means 3 of *their* working days.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import IO
from zoneinfo import ZoneInfo

WEEKDAYS = (0, 1, 2, 3, 4)

__all__ = ["BusinessCalendar", "WEEKDAYS", "country_for_zone", "fresh_holidays", "holiday_table",
           "seed_holidays"]


# ``pytz`` and ``holidays`` are imported on first use: together they cost a command's whole
# start-up budget, and most commands (``--help``, ``contacts --json``) never count a day.
# pytz is not imported even then when its zone files lie in a folder (as pip installs them):
# its ``zone.tab`` is read where ``pytz.open_resource`` would open it, and importing pytz is
# a few ms of every pass that asks a zone's country.
@cache
def _pytz_folder() -> str | None:
    """The folder ``pytz.open_resource`` reads (``PYTZ_TZDATADIR``, else the ``zoneinfo``
    folder beside pytz's module), found without importing pytz; None when its ``zone.tab``
    is not a file there (pytz then finds its resources itself)."""
    folder = os.environ.get("PYTZ_TZDATADIR")
    if folder is None:
        spec = importlib.util.find_spec("pytz")
        if spec is None or spec.origin is None:
            return None
        folder = os.path.join(os.path.dirname(spec.origin), "zoneinfo")
    return folder if os.path.isfile(os.path.join(folder, "zone.tab")) else None


@cache
def _zone_countries() -> dict[str, str]:
    # zone.tab read here, as ``pytz.country_timezones`` reads it, but without first checking
    # that each of the ~600 zones pytz knows has its file (an open() apiece, a tenth of
    # ``contacts --json`` at 10,000 contacts): ``_has_file`` checks only the zones asked of.
    countries: dict[str, str] = {}
    with _open_pytz("zone.tab") as table:
        for raw in table:
            line = raw.decode("UTF-8")
            if not line.startswith("#"):
                code, _, zone = line.split(None, 4)[:3]
                countries[zone] = code
    return countries


def _open_pytz(name: str) -> IO[bytes]:
    folder = _pytz_folder()
    if folder is not None:
        return open(os.path.join(folder, name), "rb")  # noqa: SIM115 (the caller closes it)
    import pytz

    return pytz.open_resource(name)  # type: ignore[no-any-return]


@cache
def _has_file(zone: str) -> bool:
    """``pytz.resource_exists(zone)`` for a zone named in its zone.tab."""
    folder = _pytz_folder()
    if folder is None:
        import pytz

        return bool(pytz.resource_exists(zone))
    if os.environ.get("PYTZ_SKIPEXISTSCHECK", ""):  # pytz's switch: every listed zone exists
        return True
    parts = zone.lstrip("/").split("/")
    return os.pardir not in parts and os.path.isfile(os.path.join(folder, *parts))


def country_for_zone(zone: str | None) -> str | None:
    """The ISO 3166 country code of an IANA zone (``Europe/Madrid`` → ``ES``), or None:
    ``pytz.country_timezones`` read backwards."""
    if not zone:
        return None
    country = _zone_countries().get(zone)
    return country if country is not None and _has_file(zone) else None


# Holiday tables by (country, year). The first table costs the holidays package's import,
# which loads every country's rules (a quarter of a second, each process): a caller that kept
# the tables an earlier process computed gives them back with ``seed_holidays``, and a pass
# that counts business days in known countries and years never imports the package.
_tables: dict[tuple[str, int], frozenset[date]] = {}
_fresh: dict[tuple[str, int], frozenset[date]] = {}


def holiday_table(country: str, year: int) -> frozenset[date]:
    """``country``'s public holidays in ``year`` (none for a country the package lacks)."""
    table = _tables.get((country, year))
    if table is None:
        table = _tables[country, year] = _fresh[country, year] = _computed(country, year)
    return table


def _computed(country: str, year: int) -> frozenset[date]:
    import holidays

    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:  # a country the package has no rules for
        return frozenset()


def seed_holidays(tables: Mapping[tuple[str, int], frozenset[date]]) -> None:
    """Use ``tables`` ((country, year) → its public holidays, as ``fresh_holidays`` gave them
    in an earlier process with the same holidays package) instead of computing them."""
    for key, table in tables.items():
        _tables.setdefault(key, table)


def fresh_holidays() -> dict[tuple[str, int], frozenset[date]]:
    """The tables computed in this process since the last call, for the caller to keep."""
    fresh = dict(_fresh)
    for key in fresh:
        _fresh.pop(key, None)
    return fresh


@cache
def _week_days_ahead(days: tuple[int, ...], count: int, weekday: int) -> int:
    """How many calendar days ``add_business_days`` steps from a ``weekday`` with no holiday
    in the way: the working week alone fixes it, so it is counted once per weekday."""
    start = datetime(2001, 1, 1 + weekday, tzinfo=ZoneInfo("UTC"))  # 2001-01-01 is a Monday
    end = BusinessCalendar(ZoneInfo("UTC"), None, days).add_business_days(start, count)
    return (end.date() - start.date()).days


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days in ``zone``: ``days`` (weekday numbers) minus ``country``'s holidays.

    ``extra_closed`` adds dates that are closed regardless (used by tests and by callers
    that know better, e.g. a company shutdown week).
    """

    zone: ZoneInfo
    country: str | None = None
    days: tuple[int, ...] = WEEKDAYS
    extra_closed: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def for_zone(cls, zone: ZoneInfo, days: Iterable[int] = WEEKDAYS) -> BusinessCalendar:
        """The calendar of someone living in ``zone``: its country's holidays, if any."""
        return cls(zone=zone, country=country_for_zone(zone.key), days=tuple(days))

    def holiday(self, day: date) -> bool:
        """Whether ``day`` is a public holiday (or an extra closed date) here."""
        if day in self.extra_closed:
            return True
        return self.country is not None and day in holiday_table(self.country, day.year)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.days and not self.holiday(day)

    def add_business_days(self, start: datetime, count: int) -> datetime:
        """``start`` plus ``count`` business days, counted on local dates in ``zone``.

        The local time of day is kept: Friday 09:00 + 4 business days is Thursday 09:00, or
        Friday if a holiday falls in between. ``count`` <= 0 returns ``start`` in ``zone``.
        """
        local = start.astimezone(self.zone)
        day, left = local.date(), count
        for _ in range(count * 14 + 366):  # bound: a calendar with no open day never loops
            if left <= 0:
                break
            day += timedelta(days=1)
            if self.is_business_day(day):
                left -= 1
        return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=self.zone)

    def earliest_end(self, start: datetime, count: int) -> datetime:
        """The earliest ``add_business_days(start, count)`` can be, read from no holiday
        table: the working week alone (weekends skipped, holidays and ``extra_closed`` not).
        Closed days only ever push the end later, so this is never after the real end."""
        local = start.astimezone(self.zone)
        ahead = _week_days_ahead(self.days, count, local.weekday())
        return datetime.combine(local.date() + timedelta(days=ahead), local.time(),
                                tzinfo=self.zone)

    def within_business_days(self, start: datetime, count: int, moment: datetime) -> bool:
        """``moment <= add_business_days(start, count)``, without reading the holidays when
        the working week alone decides (``earliest_end``). The contact table asks this of
        every answered contact, and building the holiday tables of each country and year
        cost it a quarter of a second."""
        return (moment <= self.earliest_end(start, count)
                or moment <= self.add_business_days(start, count))

    def business_days_between(self, start: datetime, end: datetime) -> int:
        """How many business days after ``start``'s local date end on or before ``end``'s."""
        first = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count
