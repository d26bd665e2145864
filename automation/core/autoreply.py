"""Out-of-office replies: recognise them and read the day the person is back.

Real responders often send no ``Auto-Submitted`` or ``X-Autoreply`` header; what gives them
away is a marker anywhere in the subject ("AUTO:", "Abwesend", "Fuori sede", ...) or the body's
own words ("I am out of the office until ..."). The return day is read in English, German,
French, Spanish, Portuguese, Italian, Dutch, Polish and Swedish, in the forms people write:
a cue ("back on", "ab dem", "de volta em", "terug op", "wracam", ...) then a date, a range
("away July 10-31": back the next business day after it), numeric dates in the sender's
order. The snooze never ends on a weekend or a public holiday of the contact's country.

Pure: no I/O, no clock; ``now`` and the zone are arguments.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from automation.core.businessdays import holiday_table
from automation.core.lazyre import lazy_compile

# dateparser is imported on first use (a notice's free-text date): it costs tens of
# milliseconds, and most passes read no notice.
LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl", "pl", "sv")
TEXT_LIMIT = 4_000  # an out-of-office notice is short; a long text is a person writing
TRIES = 6  # dates tried per kind of cue: bounds the (slow) date parsing of one notice

_SUBJECT = lazy_compile(
    r"^\s*(?:auto|away|absent|abwesend|ausente|afwezig|fr[åa]nvaro|autosvar)\s*:"
    r"|auto(?:matic|matische|matisch)?[\s-]*(?:reply|antwort|antwoord|response|respons\b)"
    r"|autorespon|out of (?:the )?office|\booo\b|abwesenheit|abwesend|nicht im b[üu]ro"
    r"|fuori sede|\bafwezig|\bausente|absence du bureau|r[ée]ponse automatique"
    r"|respuesta autom[áa]tica|resposta autom[áa]tica|risposta automatica"
    r"|odpowied[źz] automatyczna|poza biurem|autosvar|fr[åa]nvaro|\bvacation\b|\bon leave\b",
    re.IGNORECASE,
)
_BODY = lazy_compile(
    r"out of (?:the )?office|i am (?:currently )?away|i'?m (?:currently )?away|on (?:annual )?leave"
    r"|on (?:vacation|holiday)|limited access to (?:e-?mail|my e-?mail)|automat(?:ic|ed) (?:reply|response)"
    r"|nicht im b[üu]ro|im urlaub|abwesend|wieder erreichbar|au[ßs]er haus"
    r"|absente? du bureau|je suis (?:actuellement )?absente?|en cong[ée]s?|de retour le"
    r"|fuera de la oficina|de vacaciones|ausente|estou de f[ée]rias|fora do escrit[óo]rio"
    r"|de volta em|fuori sede|in ferie|di ritorno|fuori ufficio|afwezig|op vakantie"
    r"|niet op kantoor|na urlopie|poza biurem|nieobecn|p[åa] semester|ledig till|fr[åa]nvarande"
    r"|tillbaka den",
    re.IGNORECASE,
)
# A person who is away but answers the question is not an auto-reply.
_PERSON = lazy_compile(r"\?|\boption\b|works for me|would work|how about|can we|could we|let'?s",
                     re.IGNORECASE)


def subject_signal(subject: str) -> str:
    """The out-of-office marker in ``subject``, or ''."""
    m = _SUBJECT.search(subject)
    return m.group().strip() if m else ""


def body_signal(text: str) -> str:
    """The out-of-office words of a short notice that asks and answers nothing, or ''."""
    if len(text) > TEXT_LIMIT or _PERSON.search(text):
        return ""
    m = _BODY.search(text)
    return m.group() if m else ""


# -- dates -----------------------------------------------------------------------------------

_WORD = r"[^\W\d_]{3,12}\.?"
_NUMERIC = r"\d{1,2}[./-]\d{1,2}(?:[./-](?:\d{4}|\d{2}))?(?![\d:])"
_NAMED = (rf"(?:{_WORD},?\s+(?:den\s+|le\s+|il\s+|el\s+|o\s+)?)?"
          rf"(?:\d{{1,2}}(?:st|nd|rd|th|er|º|\.)?\s*(?:de\s+)?{_WORD}|{_WORD}\s+\d{{1,2}}"
          rf"(?:st|nd|rd|th)?\b)(?:,?\s+(?:de\s+)?\d{{4}})?")
_DATE = rf"(?:{_NUMERIC}|{_NAMED}|{_WORD})"
_DATE_RE = lazy_compile(_DATE, re.IGNORECASE)
# "July 10-31": a month, then a range of days.
_DAY_RANGE = lazy_compile(rf"({_WORD})\s+(\d{{1,2}})\s*[-–—]\s*(\d{{1,2}})\b", re.IGNORECASE)
_RANGE = lazy_compile(
    rf"(?:\bfrom|\bdu|\bdal|\bdel|\bvom|\bvan|\bod|\bfr[åa]n|\bde)?\s*({_DATE})\s*"
    r"(?:[-–—]|\bto\b|\buntil\b|\btill\b|\bthrough\b|\bau\b|\bal\b|\bbis\b(?:\s+zum)?|\btot\b"
    r"(?:\s+en\s+met)?|\bdo\b|\ba\b|\bt\.o\.m\.|\btill och med\b)"
    rf"\s*({_DATE})",
    re.IGNORECASE,
)
# Cues before the return day ("on") or the last day away ("through").
_CUES: tuple[tuple[str, str], ...] = (
    ("on", r"\bback\b(?:\s+in\s+the\s+office)?(?:\s+on)?|\breturn(?:ing|s)?\b(?:\s+to\s+(?:the|my)"
           r"\s+(?:office|desk))?(?:\s+on)?|\bzur[üu]ck\b(?:\s+am|\s+ab)?|\bab\s+dem\b|\bab\b"
           r"|\bwieder\b(?:\s+(?:im\s+b[üu]ro|da))?(?:\s+am|\s+ab)?|\bde\s+retour\b(?:\s+le)?"
           r"|\b[àa]\s+partir\s+du\b|\bregress?o\b(?:\s+el|\s+no\s+dia|\s+a|\s+em)?"
           r"|\bvuelvo\b(?:\s+el)?|\bde\s+vuelta\b(?:\s+el)?|\ba\s+partir\s+del\b"
           r"|\bde\s+volta\b(?:\s+em|\s+a|\s+no\s+dia)?|\bretorno\b(?:\s+em|\s+no\s+dia)?"
           r"|\bdi\s+ritorno\b(?:\s+il)?|\brientro\b(?:\s+il)?|\btorner[òo]\b(?:\s+il)?"
           r"|\bterug\b(?:\s+op)?|\bvanaf\b|\bweer\s+aanwezig\b(?:\s+op)?|\bwracam\b"
           r"|\btillbaka\b(?:\s+den)?|\b[åa]ter\b(?:\s+den)?"),
    ("after", r"\bthrough\b|\bthru\b|\bbis\s+einschlie(?:ß|ss)lich\b|\btot\s+en\s+met\b"
              r"|\btill\s+och\s+med\b|\bt\.o\.m\.|\bjusqu['’]\s?au\b.{0,20}?\binclus\b"),
    ("on", r"\buntil\b|\btill\b|\bbis\b(?:\s+zum|\s+am)?|\bjusqu['’]\s?au\b|\bhasta\b(?:\s+el)?"
           r"|\bat[ée]\b(?:\s+(?:ao\s+dia|dia))?|\bfino\s+al\b|\btot\b|\bdo\b|\btill\b"),
)


def return_day(text: str, now: datetime, zone: ZoneInfo) -> date | None:
    """The first business day the person is back, if the text names one after today."""
    local = now.astimezone(zone)
    base = local.replace(tzinfo=None)
    today = local.date()
    text = re.sub(r"\s+", " ", text[:TEXT_LIMIT])
    mdy = month_first(zone)
    for found in (_by_cue(text, base, mdy, 0), _by_range(text, base, mdy),
                  _by_cue(text, base, mdy, 1), _by_cue(text, base, mdy, 2)):
        if found is not None and found > today:
            return next_business_day(found, zone)
    return None


def snooze_until(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Start of the return day in ``zone`` (see ``return_day``), or None."""
    day = return_day(text, now, zone)
    return datetime.combine(day, time(0), tzinfo=zone) if day else None


def _by_cue(text: str, base: datetime, mdy: bool, which: int) -> date | None:
    mode, pattern = _CUES[which]
    for m in islice(re.finditer(pattern, text, re.IGNORECASE), TRIES):
        tail = text[m.end(): m.end() + 50]
        found = _first_date(tail, base, mdy)
        if found is not None:
            return found + timedelta(days=1) if mode == "after" else found
    return None


def _by_range(text: str, base: datetime, mdy: bool) -> date | None:
    """The day after a range's end ("July 10-31", "du 14/12 au 18/12", "21 dicembre al 6 gennaio")."""
    for m in islice(_DAY_RANGE.finditer(text), TRIES):
        end = _parse(f"{m[1]} {m[3]}", base, mdy)
        if end is not None:
            return end + timedelta(days=1)
    for m in islice(_RANGE.finditer(text), TRIES):
        if not (re.search(r"\d", m[1]) and re.search(r"\d", m[2])):
            continue  # "Monday to Friday" names working days, not a return
        start, end = _parse(m[1].strip(), base, mdy), _parse(m[2].strip(), base, mdy)
        if start is not None and end is not None and end >= start:
            return end + timedelta(days=1)
    return None


def _first_date(tail: str, base: datetime, mdy: bool) -> date | None:
    m = _DATE_RE.match(tail.strip(" ,:("))
    if m is None:
        return None
    return _parse(m.group(), base, mdy)


def _parse(fragment: str, base: datetime, mdy: bool) -> date | None:
    """The date ``fragment`` names; a word the pattern took in at either end is dropped."""
    words = fragment.split()
    for candidate in dict.fromkeys((fragment, " ".join(words[1:]), " ".join(words[:-1]))):
        if candidate and (found := _parse_one(candidate.strip(" ,."), base, mdy)) is not None:
            return found
    return None


def _parse_one(fragment: str, base: datetime, mdy: bool) -> date | None:
    numeric = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}|\d{2}))?\.?", fragment)
    if numeric:
        return _numeric(int(numeric[1]), int(numeric[2]), numeric[3], base, mdy)
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base}
    if re.search(r"\d", fragment):
        settings["REQUIRE_PARTS"] = ["day", "month"]
    import dateparser

    try:
        found = dateparser.parse(fragment, languages=list(LANGUAGES), settings=settings)
    except Exception:  # dateparser raises on some odd inputs (overflowing numbers, etc.)
        return None
    return found.date() if found else None


def _numeric(a: int, b: int, year: str | None, base: datetime, mdy: bool) -> date | None:
    """A numeric date: day first unless the sender writes month first (``mdy``: the US) —
    and whatever the order, a number over 12 is the day."""
    first_is_month = (mdy and a <= 12) or b > 12
    month, day = (a, b) if first_is_month else (b, a)
    years = [int(year) + (2000 if len(year) == 2 else 0)] if year else [base.year, base.year + 1]
    for y in years:
        try:
            found = date(y, month, day)
        except ValueError:
            return None
        if year or found >= base.date():
            return found
    return None


_MONTH_FIRST_ZONES = ("America/", "Pacific/Honolulu", "US/")
_SOUTH_OR_LATIN = ("America/Sao_Paulo", "America/Argentina", "America/Mexico_City",
                   "America/Bogota", "America/Lima", "America/Santiago", "America/Caracas",
                   "America/Montevideo", "America/Buenos_Aires")


def month_first(zone: ZoneInfo) -> bool:
    """Whether people in ``zone`` write numeric dates month first (the US and Canada)."""
    key = zone.key
    return key.startswith(_MONTH_FIRST_ZONES) and not key.startswith(_SOUTH_OR_LATIN)


# -- business days ---------------------------------------------------------------------------

_COUNTRY = {
    "America/New_York": "US", "America/Chicago": "US", "America/Denver": "US",
    "America/Los_Angeles": "US", "America/Phoenix": "US", "America/Anchorage": "US",
    "America/Detroit": "US", "Pacific/Honolulu": "US", "America/Toronto": "CA",
    "America/Vancouver": "CA", "America/Montreal": "CA", "America/Mexico_City": "MX",
    "America/Sao_Paulo": "BR", "America/Argentina/Buenos_Aires": "AR", "Europe/London": "GB",
    "Europe/Dublin": "IE", "Europe/Berlin": "DE", "Europe/Vienna": "AT", "Europe/Zurich": "CH",
    "Europe/Paris": "FR", "Europe/Brussels": "BE", "Europe/Madrid": "ES", "Europe/Lisbon": "PT",
    "Europe/Rome": "IT", "Europe/Amsterdam": "NL", "Europe/Warsaw": "PL",
    "Europe/Stockholm": "SE", "Europe/Oslo": "NO", "Europe/Copenhagen": "DK",
    "Europe/Helsinki": "FI", "Europe/Prague": "CZ", "Asia/Tokyo": "JP", "Asia/Kolkata": "IN",
    "Asia/Singapore": "SG", "Australia/Sydney": "AU", "Australia/Melbourne": "AU",
}


def _holidays(country: str, year: int) -> frozenset[date]:
    # The business calendar's tables: computed once, and kept between processes by the caller
    # (adapters/holidaycache.py), so reading a notice rarely imports the holidays package.
    return holiday_table(country, year)


def next_business_day(day: date, zone: ZoneInfo) -> date:
    """``day`` itself, or the first day after it that is no weekend or public holiday in the
    country of ``zone`` (weekends only when the zone's country is not known)."""
    country = _COUNTRY.get(zone.key)
    for _ in range(30):  # no country has a month of holidays; bounds the loop
        off = day.weekday() >= 5 or (country is not None and day in _holidays(country, day.year))
        if not off:
            return day
        day += timedelta(days=1)
    return day
