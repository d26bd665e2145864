"""Patterns compiled on first use (core/lazyre.py) match exactly as ``re.compile`` does, and
importing the reply reader's tables compiles none of them."""

from __future__ import annotations

import re
import subprocess
import sys

from automation.core.lazyre import lazy_compile

TEXT = "Option 2 works; Tuesday at 14:00 or 3pm.\nThanks, Sam"


def test_a_lazy_pattern_matches_as_the_compiled_one() -> None:
    source, flags = r"(?P<n>\d{1,2})(?::(?P<m>\d\d)|\s?pm)", re.IGNORECASE | re.MULTILINE
    lazy, eager = lazy_compile(source, flags), re.compile(source, flags)
    assert lazy.pattern == eager.pattern
    assert [m.groupdict() for m in lazy.finditer(TEXT)] == \
        [m.groupdict() for m in eager.finditer(TEXT)]
    assert lazy.search(TEXT).span() == eager.search(TEXT).span()
    assert lazy.sub("#", TEXT) == eager.sub("#", TEXT)
    assert lazy.split(TEXT) == eager.split(TEXT)
    assert lazy.findall(TEXT) == eager.findall(TEXT)
    assert lazy.match(TEXT) is None and eager.match(TEXT) is None
    assert lazy.flags == eager.flags and lazy.groupindex == eager.groupindex


def test_compiled_once_on_first_use_not_before() -> None:
    lazy = lazy_compile(r"\bworks\b")
    assert vars(lazy)["_compiled"] is None  # built, not compiled
    assert lazy.search(TEXT)
    compiled = vars(lazy)["_compiled"]
    assert isinstance(compiled, re.Pattern)
    lazy.sub("", TEXT)
    assert vars(lazy)["_compiled"] is compiled


def test_a_bad_pattern_still_fails_when_used() -> None:
    lazy = lazy_compile(r"(unclosed")
    try:
        lazy.search(TEXT)
    except re.error:
        return
    raise AssertionError("a bad pattern matched")


PROBE = """
import sys
import automation.core.replies, automation.core.picks, automation.core.autoreply
import automation.core.phrases, automation.core.bounces, automation.core.quotes
import automation.core.zones, automation.core.newtext
from automation.core.lazyre import _LazyPattern
compiled = [f"{name}.{attr}" for name, module in list(sys.modules.items())
            if name.startswith("automation.")
            for attr, value in vars(module).items()
            if isinstance(value, _LazyPattern) and vars(value)["_compiled"] is not None]
print(len([v for m in list(sys.modules.values()) for v in vars(m).values()
           if isinstance(v, _LazyPattern)]), compiled)
"""


def test_importing_the_reply_reader_compiles_none_of_its_tables() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True,
                          text=True, timeout=120)
    count, compiled = done.stdout.split(" ", 1)
    assert int(count) > 30  # the tables are lazy...
    assert compiled.strip() == "[]"  # ...and none was compiled by importing
