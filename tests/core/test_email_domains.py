"""The domain check of an address gives email-validator's verdict, and tells the plain domains
most files hold (``example.com``) without importing it.

The oracle is email-validator itself, asked as the check always asked it; the generated
domains sit on every edge the shortcut draws (label and domain lengths, hyphens, Punycode,
digits at the end, the special-use names of the installed email-validator, case, underscores).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import email_validator
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from automation.core import contactfields


def validator_accepts(domain: str) -> bool:
    """What the domain check asked email-validator before it had a shortcut."""
    try:
        validate_email(f"postmaster@{domain}", check_deliverability=False,
                       test_environment=True)
    except EmailNotValidError:
        return False
    return True


_LABEL = st.one_of(
    st.text(st.sampled_from("abz09-"), min_size=0, max_size=8),
    st.text(st.sampled_from("ab0-_Z"), min_size=0, max_size=4),
    st.integers(60, 66).map(lambda n: "a" * (n - 1) + "b"),  # around the 63 of a label
    st.sampled_from(["xn--bcher-kva", "xn--x", "ab--c", "a--b", "-a", "a-", "0", "9a"]),
)
_LAST = st.one_of(_LABEL, st.sampled_from([*email_validator.SPECIAL_USE_DOMAIN_NAMES, "com",
                                           "c0", "co1", "org", "x"]))


@st.composite
def domains(draw: st.DrawFn) -> str:
    labels = draw(st.lists(_LABEL, min_size=0, max_size=4))
    if draw(st.booleans()):  # long domains, around the 243 that leave room for "postmaster@"
        labels += ["a" * 60] * draw(st.integers(3, 4)) + ["b" * draw(st.integers(0, 12))]
    return ".".join([*labels, draw(_LAST)])


@settings(max_examples=3000, deadline=None)
@given(domains())
@example("example.com")
@example("a.b")
@example("x.test")
@example("mail.example.local")
@example("a" * 63 + ".com")
@example("a" * 64 + ".com")
@example(".".join(["a" * 59] * 4) + ".com")  # 243 characters
@example(".".join(["a" * 59] * 4) + ".coms")  # 244
def test_the_domain_check_is_email_validators_verdict(domain: str) -> None:
    expected = validator_accepts(domain)
    if contactfields._plain_domain(domain):  # the shortcut accepts only what it accepts
        assert expected, domain
    assert contactfields._domain_ok.__wrapped__(domain) == expected, domain


def test_a_plain_file_is_imported_without_email_validator(tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text("Name,Email\n" + "".join(f"P{i},p{i}@mail.example.com\n"
                                               for i in range(500)), encoding="utf-8")
    probe = ("import sys\nfrom pathlib import Path\n"
             "from automation.core.importers import read_contacts\n"
             f"result = read_contacts(Path({str(source)!r}))\n"
             "print(len(result.records), 'email_validator' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.split() == ["500", "False"]
