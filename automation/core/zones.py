"""Time zones named in a reply: "11am ET", "9am Pacific", "3pm London time", "noon your time".

Pure: no I/O, no clock. ``mark_zones`` finds a zone named right after a clock time and
replaces the name by a short marker (``«tza»``) that ``picks`` reads back with ``zone_after``,
so the rest of the pick reading (lower-cased, split into clauses) never sees, or misreads, the
zone's words. A small table is enough: people name a handful of zones, and the IANA database
(``zoneinfo``) knows the rules of each (EST in July means Eastern time to whoever writes it,
so every North American abbreviation maps to its region's zone, daylight time included).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from automation.core.lazyre import lazy_compile

_NY, _CHI, _DEN, _LA = "America/New_York", "America/Chicago", "America/Denver", \
    "America/Los_Angeles"
_LON, _BER, _PAR = "Europe/London", "Europe/Berlin", "Europe/Paris"

# Abbreviations that are ordinary words in lower case ("et", "est" and "cet" in French, "ist"
# in German): they count only when written in capitals.
_UPPER_ONLY = {"ET": _NY, "EST": _NY, "PT": _LA, "CT": _CHI, "CST": _CHI, "MT": _DEN,
               "MST": _DEN, "CET": _BER, "IST": "Asia/Kolkata", "MEZ": _BER}
_ANY_CASE = {
    "edt": _NY, "eastern": _NY, "pst": _LA, "pdt": _LA, "pacific": _LA, "cdt": _CHI,
    "central": _CHI, "mdt": _DEN, "mountain": _DEN, "cest": _BER, "mesz": _BER, "bst": _LON,
    "gmt": "UTC", "utc": "UTC", "wet": "Europe/Lisbon", "west": "Europe/Lisbon",
    "eet": "Europe/Athens", "eest": "Europe/Athens", "jst": "Asia/Tokyo",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney", "sgt": "Asia/Singapore",
    "hkt": "Asia/Hong_Kong",
    # Cities people name for a zone.
    "new york": _NY, "nyc": _NY, "boston": _NY, "washington": _NY, "toronto": "America/Toronto",
    "atlanta": _NY, "miami": _NY, "chicago": _CHI, "austin": _CHI, "dallas": _CHI,
    "houston": _CHI, "denver": _DEN, "phoenix": "America/Phoenix", "los angeles": _LA,
    "san francisco": _LA, "seattle": _LA, "vancouver": "America/Vancouver",
    "london": _LON, "dublin": "Europe/Dublin", "lisbon": "Europe/Lisbon", "paris": _PAR,
    "berlin": _BER, "munich": _BER, "madrid": "Europe/Madrid", "barcelona": "Europe/Madrid",
    "rome": "Europe/Rome", "milan": "Europe/Rome", "amsterdam": "Europe/Amsterdam",
    "brussels": "Europe/Brussels", "zurich": "Europe/Zurich", "vienna": "Europe/Vienna",
    "stockholm": "Europe/Stockholm", "copenhagen": "Europe/Copenhagen", "oslo": "Europe/Oslo",
    "warsaw": "Europe/Warsaw", "prague": "Europe/Prague", "athens": "Europe/Athens",
    "helsinki": "Europe/Helsinki", "istanbul": "Europe/Istanbul", "dubai": "Asia/Dubai",
    "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata", "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata", "singapore": "Asia/Singapore", "hong kong": "Asia/Hong_Kong",
    "shanghai": "Asia/Shanghai", "beijing": "Asia/Shanghai", "seoul": "Asia/Seoul",
    "tokyo": "Asia/Tokyo", "sydney": "Australia/Sydney", "melbourne": "Australia/Melbourne",
    "auckland": "Pacific/Auckland", "sao paulo": "America/Sao_Paulo",
    "são paulo": "America/Sao_Paulo", "mexico city": "America/Mexico_City",
}
_YOURS = r"(?:your|ur)\s+(?:local\s+)?time(?:\s*zone)?"
_MINE = r"my\s+(?:local\s+)?time(?:\s*zone)?"


def _alternatives(names: dict[str, str]) -> str:
    return "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in sorted(names, key=len,
                                                                           reverse=True))


# A clock time ("11am", "14:30", "3 pm", "noon"), then the zone: "11am ET", "11am (PT)",
# "3pm London time", "noon your time", "14:00 UTC+1", "9am, Pacific".
_NAMED = lazy_compile(
    r"(?P<t>(?i:\b\d{1,2}(?:[:.h]\d{2})?\s*(?:[ap]\.?m\.?|uhr|h\b)?|\bnoon\b|\bmidday\b|\bmidi\b))"
    r"\s*,?\s*\(?\s*(?:in\s+)?(?:"
    r"(?P<upper>" + _alternatives(_UPPER_ONLY) + r")"
    r"|(?i:(?P<offset>(?:utc|gmt)\s*[+\-−]\s*\d{1,2})"
    r"|(?P<any>" + _alternatives(_ANY_CASE) + r")"
    r"|(?P<yours>" + _YOURS + r")|(?P<mine>" + _MINE + r")))"
    r"(?![\w+-])(?i:\s+(?:local\s+)?time(?:\s*zone)?(?!\w))?\)?"
)
_MARK = lazy_compile(r"\s*«tz([a-z])»")
_ANY_MARK = lazy_compile(r"«tz([a-z])»")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _zone(m: re.Match[str], contact: ZoneInfo, user: ZoneInfo) -> ZoneInfo | None:
    if m["upper"]:
        return ZoneInfo(_UPPER_ONLY[m["upper"]])
    if m["offset"]:
        hours = int(re.sub(r"\D", "", m["offset"]))
        sign = -1 if re.search(r"[-−]", m["offset"]) else 1
        # Etc/GMT names count the other way round: UTC+2 is "Etc/GMT-2".
        return ZoneInfo(f"Etc/GMT{-sign * hours:+d}") if hours <= 12 else None
    if m["any"]:
        return ZoneInfo(_ANY_CASE[" ".join(m["any"].lower().split())])
    return user if m["yours"] else contact


def mark_zones(text: str, *, contact: ZoneInfo,
               user: ZoneInfo) -> tuple[str, list[ZoneInfo]]:
    """``text`` with each zone named after a clock time replaced by a marker, and the zones.

    "my time" is the contact's zone (``contact``), "your time" the user's (``user``). At most
    26 zones are marked (a reply names one or two); the rest of the text is unchanged.
    """
    zones: list[ZoneInfo] = []

    def mark(m: re.Match[str]) -> str:
        zone = _zone(m, contact, user)
        if zone is None or len(zones) == len(_LETTERS):
            return m.group()
        zones.append(zone)
        return f"{m['t']} «tz{_LETTERS[len(zones) - 1]}» "

    return _NAMED.sub(mark, text), zones


def zone_after(clause: str, end: int, zones: list[ZoneInfo]) -> ZoneInfo | None:
    """The zone marked right after position ``end`` (a clock time) in ``clause``, else the
    first zone marked anywhere in it ("9 or 10am PT"), else None."""
    m = _MARK.match(clause, end) or _ANY_MARK.search(clause)
    return zones[_LETTERS.index(m[1])] if m else None
