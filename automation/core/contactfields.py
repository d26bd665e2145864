"""Field hygiene for imported contacts: one spelling per address, no control characters.

Import files come from tools the user does not control; every field may end up in a mail
header (a name in To:, a company in a subject), so each is cleaned here before it is stored,
and an address is accepted only when a mail server would take it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from types import ModuleType
from zoneinfo import ZoneInfo, available_timezones

__all__ = ["MAX_FIELD_CHARS", "bad_zone_reason", "bare_address", "bare_addresses", "clean",
           "normalise_email", "printable", "split_emails", "zone_name"]

_LOCAL_CHARS = r'[^@\s\x00-\x1f\x7f<>()\[\],;:\\"]+'
# Domain labels are word characters or hyphens (IDN letters included); the last one has 2+.
_EMAIL_RE = re.compile(_LOCAL_CHARS + r"@(?:[\w-]+\.)+[\w-]{2,}")
# What email-validator accepts before the @ without SMTPUTF8: RFC 5322's dot-atom of ASCII
# atext. An address that matches this and _EMAIL_RE's domain needs no other check than the
# domain's (cached); anything else takes the full path (tests/core/test_email_precheck.py
# proves both agree).
_ATEXT = r"a-z0-9!#$%&'*+/=?^_`{|}~-"
_FAST_EMAIL_RE = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@((?:[\w-]+\.)+[\w-]{{2,}})")
# Many such addresses, one a line: none of them can hold a line break, so the only way to
# match is at the breaks, one address a line.
_FAST_ONE = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@(?:[\w-]+\.)+[\w-]{{2,}}"
_FAST_EMAILS_RE = re.compile(rf"{_FAST_ONE}(?:\n{_FAST_ONE})*")
_DOMAINS_RE = re.compile(r"@([^\n]*)")
_ANGLE_RE = re.compile(r"<([^<>]*)>")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: The csv module's own default limit: a longer field is a stray quote, not a contact's data.
MAX_FIELD_CHARS = 131_072
_MULTI_EMAIL_RE = re.compile(r"\s*(?::::|[;,])\s*")


def normalise_email(raw: str) -> str | None:
    """Return ``raw`` as a lower-case bare address, or None if it is not a plausible one.

    Accepts ``Name <a@b.org>``, ``<a@b.org>`` and ``mailto:a@b.org``. Plausible means one
    ``@``, a non-empty local part, a dotted domain, and no spaces or control characters (so the
    result is always safe in a mail header).
    """
    # Not email.utils.parseaddr: it turns "<mailto:a@b.org>" into "mailto" and silently
    # repairs some broken input, where we want to reject it and say so.
    if (address := bare_address(raw)) is not None:  # the common case
        return address
    s = _visible(raw).strip()
    if "<" in s and (m := _ANGLE_RE.search(s)):
        s = m.group(1).strip()
    if s[:7].lower() == "mailto:":
        s = s[7:].strip()
    s = s.lower()
    return s if _EMAIL_RE.fullmatch(s) and _valid_syntax(s) else None


def bare_address(raw: str) -> str | None:
    """``raw`` as ``normalise_email`` returns it when it is a bare ASCII dot-atom address with a
    valid domain (most are); None when only ``normalise_email`` can tell."""
    if raw.isascii() and (m := _FAST_EMAIL_RE.fullmatch(lower := raw.strip().lower())) \
            and _domain_ok(m.group(1)):
        return lower
    return None


def bare_addresses(raws: Sequence[str]) -> list[str] | None:
    """``[bare_address(raw) for raw in raws]`` when that holds no None, else None: a file's
    column of ordinary addresses checked in a few passes over all of them, not one per
    address (tests/core/test_email_precheck.py proves both agree)."""
    if not "".join(raws).isascii():
        return None
    lower = "\n".join(map(str.strip, raws)).lower()
    if lower.count("\n") != len(raws) - 1 or not _FAST_EMAILS_RE.fullmatch(lower):
        return None  # a line break inside an address, or one address that is not ordinary
    if not all(map(_domain_ok, set(_DOMAINS_RE.findall(lower)))):
        return None
    return lower.split("\n")


# Zero-width and other invisible format characters (Unicode category Cf): "pri\u200bya@x.com"
# looks like priya@x.com and must not become a second contact, drafted twice.
def _visible(raw: str) -> str:
    """NFKC (fullwidth ａ becomes a) without invisible characters: one spelling per address."""
    if raw.isascii():
        return raw  # nothing to fold, nothing invisible: the common case stays cheap
    text = unicodedata.normalize("NFKC", raw)
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def _valid_syntax(address: str) -> bool:
    """RFC 5321/5322 syntax by ``email-validator`` (a@-x.com, .a@x.com, a..b@x.com and
    a@x_y.com pass a simple pattern but no mail server takes them). No DNS is asked;
    ``test_environment`` lets the reserved ``.test`` names of test data through."""
    local, _, domain = address.rpartition("@")
    if not _domain_ok(domain):
        return False
    validator = _email_validator()
    try:  # the local part alone: the domain check (IDNA) is the costly half, cached above
        validator.syntax.validate_email_local_part(local, allow_smtputf8=False)
    except validator.EmailNotValidError:
        return False
    return True


# A domain email-validator accepts, told without importing it (compiling its tables is about
# 40 ms, a fifth of an import's start-up, for the one domain most files hold): dot-separated
# ASCII labels of letters, digits and inner hyphens, 63 at most each, the last ending in a
# letter, and room for "postmaster@" before it within 254 characters. No "--" (Punycode
# "xn--" needs IDNA's rules; "ab--" is refused) and no special-use name: email-validator
# decides those, and any other domain (tests/core/test_email_domains.py holds both to the
# same verdict).
_PLAIN_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_DOMAIN_RE = re.compile(rf"(?:{_PLAIN_LABEL}\.)+(?:[a-z0-9][a-z0-9-]{{0,61}})?[a-z]")
_PLAIN_DOMAIN_MAX = 254 - len("postmaster@")
#: The last labels of the names email-validator refuses as special-use (``test`` among them,
#: which it allows here): a domain ending in one is asked of it.
_SPECIAL_USE = frozenset(("arpa", "invalid", "local", "localhost", "onion", "test", "alt",
                          "example", "internal", "home"))


def _plain_domain(domain: str) -> bool:
    """Whether ``domain`` is one email-validator accepts, told without it (see above)."""
    return (len(domain) <= _PLAIN_DOMAIN_MAX and "--" not in domain
            and _PLAIN_DOMAIN_RE.fullmatch(domain) is not None
            and domain.rpartition(".")[2] not in _SPECIAL_USE)


@lru_cache(maxsize=4096)
def _domain_ok(domain: str) -> bool:
    if _plain_domain(domain):
        return True
    validator = _email_validator()
    try:
        validator.validate_email(f"postmaster@{domain}", check_deliverability=False,
                                 test_environment=True)
    except validator.EmailNotValidError:
        return False
    return True


@cache
def _email_validator() -> ModuleType:
    """``email_validator``, imported when the first address is checked: compiling its RFC
    tables costs every command's start-up otherwise (an import checks 100,000 addresses with
    one import, a pass that reads no address none)."""
    import email_validator
    import email_validator.syntax

    return email_validator


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def printable(text: str) -> bool:
    """``text.isprintable()``, five times cheaper for ASCII text (most import files): an ASCII
    character is printable unless it is a control character (below 0x20, or 0x7F), so the
    text's bytes without the printable ones are empty (tests/core/test_printable.py)."""
    if text.isascii():
        return not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return text.isprintable()


def clean(value: str) -> str:
    """Strip ``value`` and replace runs of control characters (CR/LF…) by one space."""
    # Any field may end up in a mail header (a name in To:, a company in a subject); a CR/LF
    # that survives here is a header-injection hole.
    if value.isprintable():
        return value.strip()
    return _CONTROL_RE.sub(" ", value).strip()


def split_emails(cell: str) -> list[str]:
    """Split a cell that may hold several addresses (Google joins them with " ::: ")."""
    if ":::" in cell or cell.count("@") > 1:
        return [p for p in _MULTI_EMAIL_RE.split(cell) if p]
    return [cell]


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


@lru_cache(maxsize=1024)
def zone_name(name: str) -> str | None:
    """The canonical IANA name for ``name`` (case-insensitive), or None if unknown."""
    try:
        ZoneInfo(name)
        return name
    except (KeyError, ValueError):
        # Users type "europe/london"; the tz database is case-sensitive on disk.
        return _zones_by_lower_name().get(name.lower())


_OFFSET_RE = re.compile(r"(?:utc|gmt)?\s*[+-]\d{1,2}(?::?\d{2})?", re.IGNORECASE)


def bad_zone_reason(zone: str) -> str:
    if _OFFSET_RE.fullmatch(zone):
        return (
            f"time zone {zone!r} is a UTC offset, not a place (imported without a time zone; "
            "use an IANA name such as 'America/New_York' so daylight saving is right)"
        )
    return (
        f"unknown time zone {zone!r} (imported without a time zone; "
        "use an IANA name such as 'Europe/Berlin')"
    )
