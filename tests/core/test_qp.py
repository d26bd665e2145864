"""``core.qp`` writes exactly what CPython's email package writes for a text body.

``body_encode`` is held to ``email.quoprimime.body_encode`` and ``encode_text`` to
``email.contentmanager._encode_text`` (the choice of 7bit, 8bit, quoted-printable or base64
and the encoded text) on generated bodies: long lines, "=" and escapes where a line breaks,
whitespace at line ends, CR and LF in any mix, non-ASCII text, and bodies mostly non-ASCII.
"""

from __future__ import annotations

from email import contentmanager, policy, quoprimime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from automation.core.mime import MESSAGE_POLICY
from automation.core.qp import body_encode, encode_text

# What bodies are made of: plain words, the characters quoted-printable treats specially,
# line ends of every kind, and text in other scripts.
pieces = st.one_of(
    st.text(alphabet="abc xyz", min_size=1, max_size=90),
    st.sampled_from(["=", "==", " ", "\t", "\n", "\r\n", "\r", "\u2013", "é", "日本",
                     "\x00", "\x7f", "\x0c", "\x1b", "  \n", "\t\n", "=\n", "x" * 74 + "=",
                     "y" * 75, "z" * 76, "w" * 77, "v" * 150]),
    st.text(max_size=40),
)
bodies = st.lists(pieces, max_size=40).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=255), max_size=400),
       st.integers(4, 100))
@example("a" * 73 + "=3D" + "b" * 10, 76)
@example("x" * 75 + " \n", 76)
@example("x" * 74 + "\t", 76)
def test_body_encode_is_quoprimimes(text: str, maxlinelen: int) -> None:
    assert body_encode(text, maxlinelen) == quoprimime.body_encode(text, maxlinelen)
    assert body_encode(text, maxlinelen, "\r\n") == quoprimime.body_encode(text, maxlinelen,
                                                                           "\r\n")


@settings(max_examples=800, deadline=None)
@given(bodies)
@example("Hi,\n\n" + "Would you have ten minutes? " * 4 + "\n  1. Tue, Dec 8, 1:00\u20131:10 PM"
         " CST\n")
@example("\u2013" * 200)  # mostly escapes: base64 wins
@example("a" * 100 + "\n" * 12)
@example("")
def test_encode_text_chooses_and_writes_as_set_content_does(body: str) -> None:
    for chosen in (MESSAGE_POLICY, policy.default, policy.SMTP, policy.default.clone(
            max_line_length=40), policy.default.clone(cte_type="7bit")):
        assert encode_text(body, chosen) == contentmanager._encode_text(
            body, "utf-8", None, chosen)


def test_a_maxlinelen_too_small_is_refused_as_quoprimime_refuses_it() -> None:
    for encode in (body_encode, quoprimime.body_encode):
        try:
            encode("abc", 3)
        except ValueError as exc:
            assert "at least 4" in str(exc)
        else:
            raise AssertionError("accepted maxlinelen 3")
