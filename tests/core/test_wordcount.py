"""The method's budgets for the shipped templates, measured as ``templates check`` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.app.templates import measure_templates, sample_me
from automation.core.compose import default_templates_dir
from automation.core.wordcount import measure, prose, warnings

SHIPPED = {c.name: c for c in measure_templates(default_templates_dir(), sample_me())}

BODY = """Hi Ann,

I'm writing because you know things. Would you share one?

  1. Tue, Dec 8, 9:00–9:10 AM EST
  2. Wed, Dec 9, 4:50–5:00 PM EST

Thank you,
Alex Rivera
"""


def test_prose_leaves_out_the_slot_list_and_the_sign_off() -> None:
    assert prose(BODY) == "Hi Ann,\n\nI'm writing because you know things. Would you share one?" \
        .replace("\n\n", "\n")
    found = measure(BODY)
    assert found.words == 12 and found.questions == 1
    assert (found.about_reader, found.about_writer) == (2, 1)


def test_warnings_name_each_broken_rule() -> None:
    long = "Hi Ann,\n\n" + "I want a job. " * 20 + "\n\nThanks,\nAlex\n"
    found = warnings("outreach.txt.j2", long)
    assert any(w.startswith("82 words of prose; keep it to 75") for w in found)
    assert any("'job'" in w for w in found)
    assert any(w.startswith("asks no question") for w in found)
    assert any(w.startswith("more about you") for w in found)
    assert warnings("follow_up.txt.j2", "Hi,\n\n" + "word " * 51 + "\n\nBye\n")
    assert not warnings("thank_you.txt.j2", long)  # budgets are for outreach and follow-up


def test_the_shipped_outreach_keeps_the_method() -> None:
    """At most 75 words of prose, a question, no job words, more about them than the user."""
    check = SHIPPED["outreach.txt.j2"]
    assert check.rendered is not None and check.warnings == ()
    found = measure(check.rendered.body)
    assert found.words <= 75
    assert found.questions >= 1 and not found.job_words
    assert found.about_reader > found.about_writer


def test_the_shipped_outreach_opens_with_the_referrer_and_the_connection() -> None:
    body = SHIPPED["outreach.txt.j2"].rendered.body  # type: ignore[union-attr]
    opening = body.split("\n\n")[1]
    assert opening.startswith("Sam Lee suggested I contact you. We met at the PRSA mixer.")
    assert "I'm exploring public health, especially how health organisations talk" in opening
    assert "(" not in opening  # no "(PR Manager at Food & Beverage Co)" in brackets


def test_the_shipped_follow_up_stays_under_fifty_words() -> None:
    check = SHIPPED["follow_up.txt.j2"]
    assert check.rendered is not None and check.warnings == ()
    assert check.words < 50


def test_the_thank_you_names_their_advice_and_asks_gently_for_five_names() -> None:
    body = SHIPPED["thank_you.txt.j2"].rendered.body  # type: ignore[union-attr]
    assert "the advice on portfolios" in body
    assert "only if you're comfortable" in body
    assert "up to five people" in body
    assert "may I mention your name" in body


@pytest.mark.parametrize("name", ["outreach.txt.j2", "follow_up.txt.j2", "thank_you.txt.j2"])
def test_no_shipped_template_asks_for_a_job(name: str) -> None:
    body = SHIPPED[name].rendered.body  # type: ignore[union-attr]
    assert not measure(body).job_words


def test_templates_check_reports_words_of_prose_and_warnings(tmp_path: Path) -> None:
    (tmp_path / "outreach.txt.j2").write_text(
        "Subject: Hi\n\nHi {{ contact.first_name }},\n\nI need a job and I want a position."
        "\n\nThanks,\n{{ me.signature }}\n", encoding="utf-8")
    check = next(c for c in measure_templates(tmp_path, sample_me())
                 if c.name == "outreach.txt.j2")
    assert check.words == 11
    assert any("'job', 'position'" in w for w in check.warnings)
