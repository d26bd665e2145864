"""The fast pre-check of ``normalise_email`` accepts only what email-validator accepts.

``normalise_email`` answers the common bare address (``jane.doe@example.com``) with one regular
expression and the cached domain check, skipping email-validator's local-part call. The oracle
here is the full path on its own (what ``normalise_email`` did before the pre-check): on a large
generated set, hostile input included, both give the same answer for every string.
"""

from __future__ import annotations

import re

import pytest
from email_validator import EmailNotValidError
from email_validator.syntax import validate_email_local_part
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from automation.core import contactfields
from automation.core.contactfields import normalise_email

_LOCAL = re.compile(contactfields._FAST_EMAIL_RE.pattern.partition("@")[0])


def full_path(raw: str) -> str | None:
    """``normalise_email`` without the pre-check: the oracle."""
    s = contactfields._visible(raw).strip()
    if "<" in s and (m := contactfields._ANGLE_RE.search(s)):
        s = m.group(1).strip()
    if s[:7].lower() == "mailto:":
        s = s[7:].strip()
    s = s.lower()
    return s if contactfields._EMAIL_RE.fullmatch(s) and contactfields._valid_syntax(s) else None


def validator_accepts_local(local: str) -> bool:
    try:
        validate_email_local_part(local, allow_smtputf8=False)
    except EmailNotValidError:
        return False
    return True


# Characters that matter to an address: every ASCII one (controls, specials, quotes, dots),
# lookalikes and invisibles (fullwidth, zero-width, NBSP, bidi), IDN letters and combining marks.
_CHARS = st.sampled_from(
    [chr(c) for c in range(128)]
    + list("\u00a0\u00e4\u00e9\u0130\u0131\u0307\u200b\u200d\u202e\u2028\u2060\ufeff"
           "\uff41\uff20\uff0e\u212a\u0430\u03b1\u4e2d\U0001f600")
)
_ATOM = st.text(st.sampled_from("abcxyz0189.-_+'!#$%&*/=?^`{|}~"), min_size=0, max_size=8)
_LABEL = st.text(st.sampled_from("abcz09-_\u00e4\u0430"), min_size=0, max_size=6)
_DOMAIN = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)
_WRAP = st.sampled_from(["{}", " {} ", "<{}>", "Name <{}>", "mailto:{}", "{}\n", "{}\x00",
                         "\u200b{}", "{}."])


@st.composite
def addresses(draw: st.DrawFn) -> str:
    """Mostly near-valid addresses, with hostile characters spliced in."""
    text = f"{draw(_ATOM)}@{draw(_DOMAIN)}"
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(_CHARS, max_size=3)) + text[at:]
    if draw(st.booleans()):
        text = text.upper() if draw(st.booleans()) else text.title()
    return draw(_WRAP).format(text)


HOSTILE = [
    "a@-x.com", ".a@x.com", "a.@x.com", "a..b@x.com", "a@x_y.com", "a@x..com", "a@x.c",
    "a@@x.com", "a@x.com.", "@x.com", "a@", "a b@x.com", "a\tb@x.com", "a\r\n@x.com",
    '"a b"@x.com', "a(b)@x.com", "a[b]@x.com", "a,b@x.com", "a;b@x.com", "a:b@x.com",
    "a\\b@x.com", "pri\u200bya@x.com", "\uff41@x.com", "a@\uff58.com", "\u0430@x.com",
    "a@ex\u00e4mple.pt", "a@xn--exmple-cua.pt", "a@1.2.3.4", "a@[1.2.3.4]", "a@x.123",
    "a@" + "x" * 64 + ".com", "a@" + ".".join(["x" * 63] * 5), "a" * 65 + "@x.com",
    "a@x.test", "a@localhost", "a@x.invalid", "a@x.local", "a@x.example", "A@X.COM",
    "a+b@x.com", "a/b@x.com", "a'b@x.com", "a`b@x.com", "{a}@x.com", "~@x.com",
    "a-@x.com", "a@x-.com", "a@-.com", "a@x.co-m", "a@x.-com", "a@x.c_m", "\u0130@x.com",
    "a@x.com\n", "mailto:a@x.com", "<a@x.com>", "Jane <a@x.com>", "a@\u212aelvin.com",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_addresses_get_the_answer_of_the_full_path(raw: str) -> None:
    assert normalise_email(raw) == full_path(raw)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(addresses())
@example("person1@example.com")
@example("a..b@example.com")
def test_generated_addresses_get_the_answer_of_the_full_path(raw: str) -> None:
    assert normalise_email(raw) == full_path(raw)


@settings(max_examples=2000, deadline=None)
@given(st.text(_CHARS, max_size=12) | _ATOM)
def test_the_fast_local_part_is_exactly_what_email_validator_accepts(local: str) -> None:
    """Lower case (``normalise_email`` lowers first): the pre-check says yes exactly when
    email-validator does, so it never lets through what the validator would refuse."""
    local = local.lower()
    assert (_LOCAL.fullmatch(local) is not None) == validator_accepts_local(local)


def test_the_pre_check_takes_the_common_address() -> None:
    """The fast path is really taken (else the tests above compare the full path with itself)."""
    assert contactfields._FAST_EMAIL_RE.fullmatch("jane.doe+x@example.co.uk")
    assert not contactfields._FAST_EMAIL_RE.fullmatch("jane..doe@example.com")


# --- a column of addresses at once ------------------------------------------------------------


def one_by_one(raws: list[str]) -> list[str] | None:
    """``bare_addresses``'s oracle: ``bare_address`` of each, None if one is not bare."""
    each = [contactfields.bare_address(raw) for raw in raws]
    return None if None in each else each  # type: ignore[return-value]


_ORDINARY = st.sampled_from(["ana@example.com", "Bo.Li@Example.ORG", " c+d@x.co.uk ",
                             "person1@example.com", "x@example.com\n", "\ta@b.test"])


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ORDINARY, min_size=1, max_size=6),
       st.lists(addresses() | st.sampled_from(HOSTILE) | st.text(_CHARS, max_size=8),
                max_size=2),
       st.randoms())
@example(["ana@example.com"], ["b@example.com\nc@example.com"], None)
@example(["ana@example.com"], ["\u3000b@example.com"], None)
@example(["ana@example.com"], ["b@example.com\n\n"], None)
def test_a_column_of_addresses_gets_the_answer_of_each_address(
        ordinary: list[str], odd: list[str], rng: object) -> None:
    """Ordinary addresses with at most two others among them (hostile ones, two addresses
    in one cell split by a line break, non-ASCII blanks around one): the column's answer is
    each address's, or None exactly when one of them is not bare."""
    raws = ordinary + odd
    if rng is not None:
        rng.shuffle(raws)  # type: ignore[attr-defined]
    assert contactfields.bare_addresses(raws) == one_by_one(raws)


@pytest.mark.parametrize("raw", HOSTILE)
def test_one_hostile_address_in_a_column_is_found(raw: str) -> None:
    raws = ["ana@example.com", raw, "bo@example.org"]
    assert contactfields.bare_addresses(raws) == one_by_one(raws)


def test_a_column_of_ordinary_addresses_is_answered_at_once() -> None:
    """(Else the property above compares None with None.)"""
    assert contactfields.bare_addresses(["Ana@Example.com ", "bo@example.org"]) == [
        "ana@example.com", "bo@example.org"]
