"""Which offered slot a reply picks: "option 2", "#3", "the second one", "Thu 2:30pm".

Pure: no I/O, no clock reads. Times are read in the contact's zone and matched against the
offered slots; a concrete day and time that matches no offer is returned as a proposal so the
caller can check whether it is free. Weekdays, times and parts of the day are hand-written
patterns (dateparser misreads them in free text); dateparser reads only date fragments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from automation.core.lazyre import lazy_compile
from automation.core.models import Slot, require_aware
from automation.core.zones import mark_zones, zone_after

#: Languages our contacts write in; both quote stripping and date reading use them.
LANGUAGES = ("en", "de", "fr", "es")


@dataclass(frozen=True)
class Pick:
    """What a reply says about the offered slots.

    ``option``: ``index`` is a valid 0-based index into the offers. ``time``: ``start`` is an
    aware datetime proposed instead of the offers. ``ambiguous``: several offers or times named.
    ``none``: nothing usable. ``detail`` explains in a few words.
    """

    kind: Literal["option", "time", "none", "ambiguous"]
    index: int | None = None
    start: datetime | None = None
    detail: str = ""


_ORDINAL = {
    **dict.fromkeys(
        "first 1st erste ersten erster premier première 1er primera primero".split(), 1
    ),
    **dict.fromkeys(
        "second 2nd zweite zweiten zweiter deuxième seconde segunda segundo".split(), 2
    ),
    **dict.fromkeys("third 3rd dritte dritten dritter troisième tercera tercero".split(), 3),
    **dict.fromkeys("last letzte letzten dernier dernière última último".split(), -1),
}
_ACCEPT = (
    r"works?|would (?:work|be)|is (?:good|great|fine|best|perfect)|sounds|suits|fits"
    r"|please|for me|i'?ll take|passt|geht|klappt|w[äa]re|me convient|convient|me va"
    r"|marche|me viene|funciona|me sirve|est[aá] bien|perfect|ok|okay|good|fine"
)
_ORD_RE = lazy_compile(
    r"(?P<art>\b(?:the|die|der|den|das|la|le|el|l')\s*)?\b(?P<ord>" + "|".join(_ORDINAL) + r")\b"
    r"(?P<noun>\s+(?:one|option|slot|time(?:slot)?|choice|termin|vorschlag|zeit|cr[ée]neau"
    r"|horaire|opci[oó]n|horario))?(?=\s*(?:(?:" + _ACCEPT + r")\b|[.,!;)]|$))",
    re.IGNORECASE | re.MULTILINE,
)
_NUM_RE = lazy_compile(
    r"(?:\b(?:option|opt|choice|slot|number|nr|no\.|nummer|variante|vorschlag|termin|opci[oó]n"
    r"|n[uú]mero|cr[ée]neau|proposition)\s*(?:#|no\.?|nr\.?|n°|nº)?\s*|#\s*|(?<![\w:/.])(?=\d\)))"
    r"(?P<n>\d{1,2})(?![\d:]|\.\d|\s*(?:am|pm|uhr|h\b|o'clock))",
    re.IGNORECASE,
)
_BARE_NUM_RE = lazy_compile(
    r"(?:^|(?<=[\s(]))(?<!at )(?<!um )(?<!a las )(?P<n>[1-9])\.?\s+(?:" + _ACCEPT + r")\b",
    re.IGNORECASE | re.MULTILINE,
)
_PAIR_RE = lazy_compile(
    r"(?:\b(?:options?|optionen|opciones|either|choices|slots|numbers)\s*#?(?P<a>\d)"
    r"\s*(?:,|or|and|&|/|oder|und|ou|et|o|y)\s*#?(?P<b>\d)\b(?!\s*(?::|am|pm|uhr|h\b))"
    r"|\b(?P<c>\d)\s*(?:or|and|&|/|oder|und|ou|et|o|y)\s*(?P<d>\d)\b\s+(?:both|either|would|work|are))",
    re.IGNORECASE,
)
_NONE_RE = lazy_compile(
    r"none of (?:these|those|them|the)|neither (?:of|works?)|no(?:ne)? (?:of the )?(?:times|slots)"
    r" work|keiner der|keine der|passt (?:leider )?keiner|aucun(?:e)? (?:de ces|des)"
    r"|ninguno de|ninguna de",
    re.IGNORECASE,
)

_WEEKDAYS = {
    0: "monday|mon|montag|lundi|lunes",
    1: "tuesday|tues|tue|dienstag|mardi|martes",
    2: "wednesday|wed|mittwoch|mercredi|mi[ée]rcoles",
    3: "thursday|thurs|thur|thu|donnerstag|jeudi|jueves",
    4: "friday|fri|freitag|vendredi|viernes",
    5: "saturday|sat|samstag|samedi|s[áa]bado",
    6: "sunday|sun|sonntag|dimanche|domingo",
}
# Three-letter forms ("mon", "sat", "sun") are ordinary words in English and French, so they
# count only when a date or time follows.
_WEEKDAY = lazy_compile(
    r"\b(?:(?P<full>"
    + "|".join(n for v in _WEEKDAYS.values() for n in v.split("|") if len(n) > 4)
    + r")|(?P<abbr>mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b\.?(?=,?\s*(?:\d|at\b|[a-z]{3,9}\.?\s+\d)))\b",
    re.IGNORECASE,
)
_MONTHS = (
    r"jan(?:uary|uar|vier)?|feb(?:ruary|ruar)?|f[ée]v(?:rier)?|mar(?:ch)?|m[äa]rz|mars|apr(?:il)?"
    r"|avr(?:il)?|may|mai|mayo|june?|juin|juni?|july|juil(?:let)?|aug(?:ust)?|ao[uû]t|agosto"
    r"|sep(?:t(?:ember|embre)?)?|oct(?:ober|obre)?|okt(?:ober)?|nov(?:ember|iembre|embre)?"
    r"|dec(?:ember)?|d[ée]c(?:embre)?|dez(?:ember)?|dic(?:iembre)?|ene(?:ro)?|abr(?:il)?|enero"
    r"|febrero|marzo|junio|julio|octubre|noviembre|diciembre|septiembre|setiembre"
)
_MONTH_DATE = lazy_compile(
    r"\b(?:(?P<m1>" + _MONTHS + r")\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?\b"
    r"|(?P<d2>\d{1,2})(?:st|nd|rd|th|er|\.)?\s*(?:de\s+)?(?P<m2>" + _MONTHS + r")\b"
    r"(?!\s+(?:work|be|not|i|we|suit|fit)\b))"
    r"|\b(?P<num>\d{1,2}/\d{1,2}(?!\d)|\d{1,2}\.\d{1,2}\.(?!\d))",
    re.IGNORECASE,
)
_TIME = lazy_compile(
    r"(?P<h>\b\d{1,2})(?:(?::|h|\.(?=\d\d\s*(?:uhr|h\b|am|pm)))(?P<m>\d{2}))?\s*(?P<ap>am\b|pm\b|a\.m\.|p\.m\.)"
    r"|(?P<h2>\b\d{1,2})(?::|h)(?P<m2>\d{2})\b(?:\s*(?:uhr|h)\b)?"
    r"|(?P<h3>\b\d{1,2})\s*(?:uhr|h)\b"
    r"|(?:\b(?:at|um|a las|a la|around|gegen)|(?<!\w)à)\s+(?P<h4>\d{1,2})\b(?![:/.]\d|\s*(?:min|day|week|hour))"
    r"|(?P<noon>\bnoon\b|\bmittag\b|\bmidi\b|\bmediod[ií]a\b)",
    re.IGNORECASE,
)
_RELATIVE = lazy_compile(
    r"(?P<today>\btoday\b|\bheute\b|\baujourd'hui\b|\bhoy\b)"
    r"|(?P<tomorrow>\btomorrow\b|(?<!guten )(?<!am )\bmorgen\b|\bdemain\b"
    r"|(?<!la )(?<!por )\bmañana\b)",
    re.IGNORECASE,
)
_PART = lazy_compile(
    r"(?P<am>\bmorning\b|\bvormittag|\bmatin(?:ée)?\b|(?:la|por) mañana)"
    r"|(?P<pm>\bafternoon\b|\bnachmittag|\bapr[èe]s-midi\b|\btarde\b)",
    re.IGNORECASE,
)
_NEGATION = lazy_compile(
    r"\bnot\b|n't\b|\bcannot\b|\bbusy\b|\boff\b|\baway\b|\btravel+ing\b|\bexcept\b|\bnicht\b"
    r"|\bkein|\bleider\b|\bpas\b|\bno puedo\b|\bno me\b|\bno estoy\b|\bocupad[oa]\b|\bunfortunately\b",
    re.IGNORECASE,
)
_CUE = lazy_compile(
    r"\b(?:" + _ACCEPT + r"|how about|what about|could we|can we|instead|let'?s"
    r"|i can do|i'?m free|available|wie w[äa]re|pourrions|et si|podr[ií]amos|qu[ée] tal)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _When:
    """One day/time mentioned in a clause, as constraints on a slot start in the contact's zone."""

    weekday: int | None
    day: date | None
    hour: int | None
    minute: int
    exact_hour: bool  # False when "2:30" could be 02:30 or 14:30
    part: str | None  # "am" / "pm" part of day
    cued: bool
    zone: ZoneInfo | None = None  # named with the time ("11am ET"); else the contact's

    def matches(self, start: datetime) -> bool:
        if self.zone is not None:
            start = start.astimezone(self.zone)
        if self.weekday is not None and start.weekday() != self.weekday:
            return False
        if self.day is not None and start.date() != self.day:
            return False
        if self.hour is not None:
            hour_ok = (
                start.hour == self.hour if self.exact_hour else start.hour % 12 == self.hour % 12
            )
            if not hour_ok or start.minute != self.minute:
                return False
        afternoon = 12 <= start.hour < 18
        return not (self.part == "am" and start.hour >= 12 or self.part == "pm" and not afternoon)

    def concrete(self, local_now: datetime, tz: ZoneInfo) -> datetime | None:
        """The proposed start as an aware datetime, if both a day and a time were given."""
        if self.hour is None:
            return None
        if self.zone is not None:
            tz, local_now = self.zone, local_now.astimezone(self.zone)
        hour = self.hour
        if not self.exact_hour and hour < 8:
            hour += 12  # a bare "3" or "2:30" means business hours
        day = self.day
        if day is None:
            if self.weekday is None:
                return None
            day = local_now.date() + timedelta(days=(self.weekday - local_now.weekday()) % 7)
        start = datetime.combine(day, time(hour, self.minute), tzinfo=tz)
        if self.day is None and start <= local_now:
            start += timedelta(days=7)
        return start


def _clauses(text: str) -> list[str]:
    flat = text.lower().replace("’", "'")
    flat = re.sub(r"\b([ap])\.m\.", r"\1m", flat)
    flat = re.sub(r"\b(" + _MONTHS + r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.", r"\1", flat)
    return [
        c.strip()
        for c in re.split(r"[!?;\n]|(?<!\d)\.(?!\d)|\s(?:but|aber|mais|pero)\s", flat)
        if c.strip()
    ]


def _parse_date(token: str, base: datetime) -> date | None:
    if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.", token):
        token = f"{m[1]}/{m[2]}"
        order = "DMY"
    else:
        order = "MDY"
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "DATE_ORDER": order}
    import dateparser  # here, not at the top: only a reply naming a date needs it (~60 ms)

    try:
        parsed = dateparser.parse(token, languages=list(LANGUAGES), settings=settings)
    except Exception:  # dateparser raises on out-of-range numbers in some versions
        return None
    return parsed.date() if parsed else None


def _whens(clause: str, local_now: datetime, zones: list[ZoneInfo]) -> list[_When]:
    """The day/time mentions in one clause; empty if the clause negates them. ``zones``
    are those ``mark_zones`` marked in the text."""
    if _NEGATION.search(clause):
        return []
    base = local_now.replace(tzinfo=None)
    weekdays = list(dict.fromkeys(_weekday(m) for m in _WEEKDAY.finditer(clause)))
    days = [d for m in _MONTH_DATE.finditer(clause) if (d := _parse_date(m.group().strip(), base))]
    if not days and (m := _RELATIVE.search(clause)):
        days = [local_now.date() + timedelta(days=0 if m["today"] else 1)]
    days = list(dict.fromkeys(days))
    hour, minute, exact, zone = None, 0, False, None
    if m := _TIME.search(clause):
        zone = zone_after(clause, m.end(), zones)
        if m["noon"]:
            hour, exact = 12, True
        else:
            h = int(m["h"] or m["h2"] or m["h3"] or m["h4"])
            minute = int(m["m"] or m["m2"] or 0)
            ap = (m["ap"] or "").replace(".", "")
            if h > 23 or minute > 59:
                return []
            if ap:
                hour, exact = h % 12 + (12 if ap == "pm" else 0), True
            else:
                hour, exact = (
                    h,
                    bool(m["h3"]) or h > 12 or h == 0 or (m["h2"] or "").startswith("0"),
                )
    part = None
    if m := _PART.search(clause):
        part = "am" if m["am"] else "pm"
    cued = bool(_CUE.search(clause))
    if len(weekdays) <= 1 and len(days) <= 1:
        pairs: list[tuple[int | None, date | None]] = [
            (weekdays[0] if weekdays else None, days[0] if days else None)
        ]
    else:  # "Wednesday or Thursday": one mention each, so the caller sees the ambiguity
        pairs = [(w, None) for w in weekdays] + [(None, d) for d in days]
    return [
        _When(w, d, hour, minute, exact, part, cued, zone)
        for w, d in pairs
        if w is not None or d is not None or hour is not None
    ]


def _weekday(m: re.Match[str]) -> int:
    word = (m["full"] or m["abbr"]).lower()
    return next(
        d
        for d, names in _WEEKDAYS.items()
        if any(
            re.fullmatch(n, word) or (m["abbr"] and n.startswith(word)) for n in names.split("|")
        )
    )


def _option_numbers(text: str, count: int) -> tuple[set[int], list[int]]:
    """0-based indices named by number or ordinal, and any numbers out of range."""
    flat = text.lower().replace("’", "'")
    numbers: list[int] = []
    for m in _PAIR_RE.finditer(flat):
        numbers += [int(m["a"] or m["c"]), int(m["b"] or m["d"])]
    numbers += [int(m["n"]) for m in _NUM_RE.finditer(flat)]
    numbers += [int(m["n"]) for m in _BARE_NUM_RE.finditer(flat)]
    for m in _ORD_RE.finditer(flat):
        if m["art"] or m["noun"]:
            numbers.append(_ORDINAL[m["ord"].lower()])
    chosen = {n - 1 if n > 0 else count + n for n in numbers if 1 <= n <= count or n == -1}
    return {i for i in chosen if 0 <= i < count}, [n for n in numbers if n > count]


@dataclass
class _Mentions:
    """What the day/time mentions of a reply name: offers (one each, or several), times on
    no offer, and mentions too vague to place."""

    indices: set[int]
    wide: list[set[int]]
    proposals: set[datetime]
    vague: bool = False


def _mentions(text: str, starts: list[datetime], local_now: datetime, tz: ZoneInfo,
              zones: list[ZoneInfo]) -> _Mentions:
    found = _Mentions(set(), [], set())
    for clause in _clauses(text):
        for when in _whens(clause, local_now, zones):
            hits = {i for i, s in enumerate(starts) if when.matches(s)}
            is_concrete = when.hour is not None and (
                when.day is not None or when.weekday is not None
            )
            if not is_concrete and not when.cued:
                continue  # "have a nice Thursday" is not a choice
            if len(hits) == 1:
                found.indices |= hits
            elif hits:
                found.wide.append(hits)
            elif (start := when.concrete(local_now, tz)) is not None:
                found.proposals.add(start)
            else:
                found.vague = True
    return found


def find_pick(text: str, offered: Sequence[Slot], *, tz: ZoneInfo, now: datetime,
              user_tz: ZoneInfo | None = None) -> Pick:
    """Which of ``offered`` the reply ``text`` (new text only) picks, or what it proposes instead.

    Numbers ("option 2", "#3", "2)"), ordinals ("the first one", "die zweite") and day/time
    mentions ("Thu 2:30pm", "Thursday afternoon", "tomorrow at 10") are read in the contact's
    zone ``tz``, unless the reply names a zone with the time ("11am ET", "3pm London time",
    "noon your time": the user's zone ``user_tz``, "my time": ``tz``), which then counts for
    the day and the hour. "tomorrow" is relative to ``now`` (aware). A day and time that match
    no offer come back as ``time``; several different picks as ``ambiguous``. Never returns an
    index outside ``offered``.
    """
    require_aware(now, "now")
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    text, zones = mark_zones(text, contact=tz, user=user_tz or tz)
    local_now = now.astimezone(tz)
    indices, out_of_range = _option_numbers(text, len(offered))
    said = _mentions(text, [s.start.astimezone(tz) for s in offered], local_now, tz, zones)
    indices |= said.indices
    if len(indices) > 1:
        return Pick("ambiguous", detail=f"names options {sorted(i + 1 for i in indices)}")
    if len(indices) == 1:
        (index,) = indices
        if said.proposals or any(index not in w for w in said.wide):
            return Pick("ambiguous", detail="names an option and another time")
        return Pick("option", index=index, detail=f"option {index + 1}")
    return _no_option(text, said, out_of_range)


def _no_option(text: str, said: _Mentions, out_of_range: list[int]) -> Pick:
    """The verdict on a reply that names no single offer."""
    if said.wide:
        return Pick("ambiguous", detail="a day or time that fits several offers")
    if len(said.proposals) == 1:
        (start,) = said.proposals
        return Pick("time", start=start, detail="proposes a time not on offer")
    if said.proposals:
        return Pick("ambiguous", detail="proposes several times")
    if out_of_range:
        return Pick("ambiguous", detail=f"names option {out_of_range[0]}, which was not offered")
    if _NONE_RE.search(text):
        return Pick("none", detail="none of the offers work")
    if said.vague:
        return Pick("ambiguous", detail="mentions a day or time without a usable match")
    return Pick("none", detail="no pick found")


def names_a_time(sentence: str) -> bool:
    """Whether a (lower-cased) sentence names a weekday, a clock time or a date."""
    return bool(_WEEKDAY.search(sentence) or _TIME.search(sentence)
                or _MONTH_DATE.search(sentence))
