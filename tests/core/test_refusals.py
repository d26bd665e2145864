"""Opt-outs, declines and redirects in nine languages, and what is not one."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from automation.core.replies import Kind, classify

TZ = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=TZ)


def reply(body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Sam Doe <sam@example.com>"
    msg["To"] = "Alex Rivera <alex@example.org>"
    msg["Subject"] = "Re: Ten minutes?"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(body)
    return msg


@pytest.mark.parametrize(("body", "kind"), [
    ("Please don't reach out again.", Kind.OPT_OUT),
    ("Bitte nehmen Sie mich aus Ihrem Verteiler.", Kind.OPT_OUT),
    ("Merci de ne plus m'écrire.", Kind.OPT_OUT),
    ("Por favor, no me vuelva a escribir.", Kind.OPT_OUT),
    ("Por favor, não me contacte mais.", Kind.OPT_OUT),
    ("Per favore non contattarmi più.", Kind.OPT_OUT),
    ("Haal mij alstublieft van uw lijst.", Kind.OPT_OUT),
    ("Proszę więcej do mnie nie pisać.", Kind.OPT_OUT),
    ("Vänligen kontakta mig inte igen.", Kind.OPT_OUT),
    ("Thanks, but I don't do informational interviews anymore.", Kind.DECLINE),
    ("I'm not taking these calls this quarter.", Kind.DECLINE),
    ("Lo siento, no puedo.", Kind.DECLINE),
    ("Purtroppo non ho tempo in questo periodo.", Kind.DECLINE),
    ("Tyvärr har jag inte tid just nu.", Kind.DECLINE),
    # Scheduling, not refusing: the sentence names a day.
    ("Non posso martedì, ma giovedì va bene.", Kind.HUMAN),
    ("No puedo el miércoles, ¿el jueves?", Kind.HUMAN),
    ("Ik kan helaas niet op dinsdag, donderdag wel.", Kind.HUMAN),
    ("Nie mogę w poniedziałek, może we wtorek?", Kind.HUMAN),
])
def test_refusals_in_nine_languages(body: str, kind: Kind) -> None:
    assert classify(reply(body), now=NOW, tz=TZ).kind is kind


def test_a_colleague_only_in_cc_is_the_referral() -> None:
    msg = reply("I'm not the right person, but my colleague Dana (cc'd) is.",
                Cc="Dana Lee <dana.lee@example.com>")
    verdict = classify(msg, now=NOW, tz=TZ)
    assert (verdict.kind, verdict.redirect_to) == (Kind.REDIRECT, ("Dana Lee", "dana.lee@example.com"))


def test_a_cc_without_words_of_redirection_is_no_referral() -> None:
    msg = reply("Option 2 works for me.", Cc="My Assistant <assistant@example.com>")
    assert classify(msg, now=NOW, tz=TZ).redirect_to is None
