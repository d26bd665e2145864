"""``contactfields.printable`` is ``str.isprintable`` (the quick way through an ordinary CSV
chunk asks it of the whole chunk's text): for every ASCII character, and for any text."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from automation.core.contactfields import printable


def test_every_ascii_character_alone_and_among_others() -> None:
    for code in range(128):
        for text in (chr(code), f"Ana{chr(code)}", f"{chr(code)}Ana", f"A{chr(code) * 3}z"):
            assert printable(text) == text.isprintable(), repr(text)


@given(st.text())
@example("")
@example("Jane\x7fDoe")
@example("Zoë\u2028Acme")  # not ASCII: the general way
@example("tab\there")
def test_any_text(text: str) -> None:
    assert printable(text) == text.isprintable()
