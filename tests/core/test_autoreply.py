"""Out-of-office notices: markers, return days in nine languages, business days."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from automation.core.autoreply import body_signal, next_business_day, return_day, subject_signal

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=NY)  # a Tuesday


@pytest.mark.parametrize(("text", "zone", "back"), [
    ("I'm back on Monday, December 14.", NY, "2026-12-14"),
    ("I will be away December 21-January 1.", NY, "2027-01-04"),  # Jan 1 holiday, then weekend
    ("Returning 12/14/2026.", NY, "2026-12-14"),  # month first in the US
    ("Zurück am 11.01.2027.", BERLIN, "2027-01-11"),  # day first elsewhere
    ("Ich bin ab dem 4. Januar wieder erreichbar.", BERLIN, "2027-01-04"),
    ("Ich bin bis einschließlich 25.12.2026 nicht im Büro.", BERLIN, "2026-12-28"),
    ("Je serai de retour le 4 janvier 2027.", ZoneInfo("Europe/Paris"), "2027-01-04"),
    ("Je suis absent du 14/12 au 18/12 inclus.", ZoneInfo("Europe/Paris"), "2026-12-21"),
    ("Estoy fuera hasta el 15 de diciembre.", ZoneInfo("Europe/Madrid"), "2026-12-15"),
    ("Estarei de volta em 11/01/2027.", ZoneInfo("America/Sao_Paulo"), "2027-01-11"),
    ("Sarò di ritorno il 7 gennaio.", ZoneInfo("Europe/Rome"), "2027-01-07"),
    ("Sarò in ferie dal 21 dicembre al 6 gennaio.", ZoneInfo("Europe/Rome"), "2027-01-07"),
    ("Ik ben terug op 4 januari.", ZoneInfo("Europe/Amsterdam"), "2027-01-04"),
    ("Ik ben afwezig tot en met 18-12-2026.", ZoneInfo("Europe/Amsterdam"), "2026-12-21"),
    ("Wracam 7 stycznia 2027.", ZoneInfo("Europe/Warsaw"), "2027-01-07"),
    ("Jag är tillbaka den 7 januari.", ZoneInfo("Europe/Stockholm"), "2027-01-07"),
    ("I'm away until further notice.", NY, None),
])
def test_return_day(text: str, zone: ZoneInfo, back: str | None) -> None:
    got = return_day(text, NOW, zone)
    assert (got.isoformat() if got else None) == back


def test_snooze_moves_past_weekends_and_the_contacts_holidays() -> None:
    assert next_business_day(date(2026, 12, 26), NY) == date(2026, 12, 28)  # Saturday
    assert next_business_day(date(2026, 12, 25), NY) == date(2026, 12, 28)  # Christmas
    assert next_business_day(date(2026, 11, 26), NY) == date(2026, 11, 27)  # Thanksgiving
    assert next_business_day(date(2026, 11, 26), BERLIN) == date(2026, 11, 26)
    assert next_business_day(date(2026, 10, 3), BERLIN) == date(2026, 10, 5)  # German Unity
    assert next_business_day(date(2026, 12, 16), ZoneInfo("Asia/Kathmandu")) == date(2026, 12, 16)


@pytest.mark.parametrize("subject", ["AUTO: Pat is out of the office", "RE: Ausente: Diez minutos",
                                     "Abwesend: Zehn Minuten", "Fuori sede", "Afwezig: Tien minuten",
                                     "Out of Office Re: Ten minutes", "Autosvar: Tio minuter"])
def test_subject_markers_anywhere(subject: str) -> None:
    assert subject_signal(subject)


def test_subject_of_a_person_is_no_marker() -> None:
    assert not subject_signal("Re: Ten minutes to learn about your work?")


def test_body_signal_only_for_a_notice_that_answers_nothing() -> None:
    assert body_signal("I am out of the office until Friday, December 18.")
    assert not body_signal("I'm out of the office until the 14th, but option 3 works for me.")
    assert not body_signal("Happy to talk! Is Thursday good?")
