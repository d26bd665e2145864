"""The contact's side of an offer: their working hours, in their zone, on their business days.

An offer must suit both people: the slot engine takes the user's availability and, for an
outreach, one ``ContactHours`` that every offered slot must also fit (``find_slots(...,
contact=...)``). Booking a time the contact proposed does not apply it: they chose it.

Window boundaries follow the slot engine's rule (``slots.local_instant``): the first instant the
contact's clock shows that time, so 08:30 on a spring-forward night in their zone is still the
real 08:30, whatever the user's zone does that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from automation.core.businessdays import WEEKDAYS, BusinessCalendar, country_for_zone
from automation.core.models import Availability
from automation.core.slots import local_instant

DEFAULT_CONTACT_HOURS = ((time(8, 30), time(18, 0)),)
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

__all__ = ["DEFAULT_CONTACT_HOURS", "ContactHours"]


@lru_cache(maxsize=4096)
def _boundary(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return local_instant(day, clock, zone).astimezone(UTC)


@dataclass(frozen=True)
class ContactHours:
    """When a contact takes calls: ``hours`` windows on ``calendar``'s business days."""

    calendar: BusinessCalendar
    hours: tuple[tuple[time, time], ...] = DEFAULT_CONTACT_HOURS

    @classmethod
    def for_contact(cls, avail: Availability, zone: ZoneInfo | None) -> ContactHours:
        """The contact's hours from ``[availability] contact_hours``/``contact_days``.

        ``zone`` is the contact's zone, or None when unknown: then the user's zone is used.
        Holidays are those of the contact's country when their zone names one, else the
        user's country.
        """
        user_zone = avail.timezone
        where = zone or user_zone
        country = country_for_zone(where.key) or country_for_zone(user_zone.key)
        calendar = BusinessCalendar(zone=where, country=country, days=avail.contact_days)
        return cls(calendar=calendar, hours=avail.contact_hours)

    @property
    def zone(self) -> ZoneInfo:
        return self.calendar.zone

    def fits(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end)`` lies inside one window on a business day in ``zone``."""
        day = start.astimezone(self.zone).date()
        if not self.calendar.is_business_day(day):
            return False
        first, last = start.astimezone(UTC), end.astimezone(UTC)
        return any(_boundary(day, a, self.zone) <= first and last <= _boundary(day, b, self.zone)
                   for a, b in self.hours if a < b)

    def describe(self) -> str:
        """E.g. "Mon–Fri 08:30–18:00 America/Los_Angeles, US holidays skipped"."""
        days = self.calendar.days
        if tuple(days) == WEEKDAYS:
            when = "Mon–Fri"
        else:
            when = ", ".join(_DAY_NAMES[d] for d in days)
        spans = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in self.hours)
        country = self.calendar.country
        holidays = f", {country} public holidays skipped" if country else ""
        return f"{when} {spans} {self.zone.key}{holidays}"
