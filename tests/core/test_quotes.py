"""The sender's new words: localised Outlook headers, bottom-posting, inline answers."""

from __future__ import annotations

import pytest

from automation.core.newtext import _strip_quotes
from automation.core.pipeline import summary
from automation.core.quotes import cut_outlook_header, interleaved

OFFER = "Hi Pat,\n\nWould Wednesday, December 9, 10:00 AM work?\n\nAlex\n"


@pytest.mark.parametrize("header", [
    "De: Alex Rivera <alex@example.org>\nEnviado el: lunes, 7 de diciembre de 2026 9:15",
    "Von: Alex Rivera <alex@example.org>\nGesendet: Montag, 7. Dezember 2026 15:15",
    "Da: Alex Rivera <alex@example.org>\nInviato: lunedì 7 dicembre 2026 15:15",
    "Van: Alex Rivera <alex@example.org>\nVerzonden: maandag 7 december 2026 15:15",
    "De: Alex Rivera <alex@example.org>\nEnviada em: segunda-feira, 7 de dezembro de 2026",
    "De : Alex Rivera <alex@example.org>\nEnvoyé : lundi 7 décembre 2026 15:15",
    "Från: Alex Rivera <alex@example.org>\nSkickat: den 7 december 2026 15:15",
    "Od: Alex Rivera <alex@example.org>\nWysłano: poniedziałek, 7 grudnia 2026 15:15",
    "*From:* Alex Rivera [mailto:alex@example.org]\n*Sent:* Monday, December 7, 2026",
])
def test_a_localised_outlook_header_ends_the_new_text(header: str) -> None:
    assert _strip_quotes(f"Thanks, I'll check.\n\n{header}\nSubject: Ten minutes\n\n{OFFER}") \
        == "Thanks, I'll check."


def test_a_from_line_alone_is_not_a_header() -> None:
    text = "Thanks!\nFrom: my phone, so excuse typos.\nSee you then."
    assert cut_outlook_header(text) == text


def test_bottom_posting_keeps_the_text_below_the_quote() -> None:
    text = ("On Mon, Dec 7, 2026 at 9:15 AM Alex Rivera <alex@example.org> wrote:\n"
            "> Would one of these work?\n> 1. Wed\n> 2. Thu\n\nOption 2 works for me.\n")
    assert _strip_quotes(text) == "Option 2 works for me."


def test_inline_answers_keep_their_text() -> None:
    text = ("Alex Rivera wrote:\n> 1. Wed 10:00\n> 2. Thu 14:30\nThe second one.\n\n"
            "> Any questions?\nNone, thanks.\n")
    assert interleaved(text) == "The second one.\n\nNone, thanks."


def test_a_top_posted_reply_is_left_to_the_library() -> None:
    assert interleaved("Option 1.\n\nOn Mon Alex wrote:\n> 1. Wed\nwrapped line\n") is None


def test_lazily_quoted_list_lines_are_the_quote() -> None:
    text = "On Mon, Alex wrote:\n> Any of these work for me:\n  1. Wed\n  2. Thu\n"
    assert interleaved(text) is None


def test_a_greeting_only_reply_shows_the_greeting() -> None:
    assert summary("Hi Alex,") == "Hi Alex,"
    assert summary("Hi Alex,\nOption 2 works.") == "Option 2 works."
