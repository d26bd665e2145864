"""Tests for automation.core.replies: the fixture corpus, quote stripping per client, picks, properties.

The corpus (tests/fixtures/mail/*.eml + expected.json) is the contract: every fixture must be
classified exactly as expected.json says. A per-kind accuracy table is printed so a regression
shows which family it hit.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.core.models import Slot
from automation.core.picks import Pick, find_pick
from automation.core.replies import Classification, Kind, classify, new_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
CASES = EXPECTED["cases"]
TZ = ZoneInfo(EXPECTED["timezone"])
NOW = datetime.fromisoformat(EXPECTED["now"])
OFFERED = [
    Slot(datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"]))
    for o in EXPECTED["offered"]
]


def load(name: str) -> EmailMessage:
    msg = email.message_from_bytes((FIXTURES / name).read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def pick_as_json(pick: Pick) -> dict[str, object]:
    """The Pick in expected.json's shape."""
    out: dict[str, object] = {"kind": pick.kind}
    if pick.kind == "option":
        out["index"] = pick.index
    if pick.kind == "time":
        assert pick.start is not None
        out["start"] = pick.start.isoformat()
    return out


def observed(case: dict[str, Any]) -> tuple[Classification, dict[str, object]]:
    """Classify one fixture and render the verdict in expected.json's shape."""
    result = classify(load(case["file"]), now=NOW, tz=TZ)
    got: dict[str, object] = {
        "kind": result.kind.value,
        "snooze_until": result.snooze_until.date().isoformat() if result.snooze_until else None,
        "failed_addresses": list(result.failed_addresses),
        "redirect_to": list(result.redirect_to) if result.redirect_to else None,
    }
    if case["pick"] is not None:
        got["pick"] = pick_as_json(find_pick(result.text, OFFERED, tz=TZ, now=NOW))
    return result, got


def wanted(case: dict[str, Any]) -> dict[str, object]:
    keys = ["kind", "snooze_until", "failed_addresses", "redirect_to"]
    want = {k: case[k] for k in keys}
    if case["pick"] is not None:
        want["pick"] = case["pick"]
    return want


# ---------------------------------------------------------------------------------------------
# The corpus


def test_corpus_is_complete_and_consistent() -> None:
    files = {p.name for p in FIXTURES.glob("*.eml")}
    listed = [c["file"] for c in CASES]
    assert len(files) >= 30
    assert sorted(listed) == sorted(files), "every .eml has exactly one entry in expected.json"
    assert {c["kind"] for c in CASES} == {k.value for k in Kind}
    assert {c["matching"] for c in CASES} >= {"in_reply_to", "references", "sender", "alias"}
    for case in CASES:
        assert case["note"] and case["contact"]
        if case["snooze_until"]:
            datetime.fromisoformat(case["snooze_until"])


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_fixture(case: dict[str, Any]) -> None:
    result, got = observed(case)
    assert got == wanted(case), f"{case['note']} (reason: {result.reason})"
    assert result.reason
    if result.snooze_until is not None:
        assert result.snooze_until.tzinfo is not None
        assert result.snooze_until.astimezone(TZ).time() == datetime.min.time()


def test_accuracy_by_kind(capsys: pytest.CaptureFixture[str]) -> None:
    """Per-kind accuracy over the corpus; printed always, must be 100%."""
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    picks_total = picks_right = 0
    wrong = []
    for case in CASES:
        _, got = observed(case)
        want = wanted(case)
        total[case["kind"]] += 1
        fields_ok = all(got[k] == want[k] for k in want if k != "pick")
        right[case["kind"]] += fields_ok
        if "pick" in want:
            picks_total += 1
            picks_right += got["pick"] == want["pick"]
        if got != want:
            wrong.append(case["file"])
    lines = [f"{kind:<11} {right[kind]:>3}/{total[kind]:<3}" for kind in sorted(total)]
    lines.append(f"{'picks':<11} {picks_right:>3}/{picks_total:<3}")
    with capsys.disabled():
        print("\nreplies corpus accuracy by kind:\n  " + "\n  ".join(lines))
    assert not wrong, f"misclassified: {wrong}"


# ---------------------------------------------------------------------------------------------
# new_text: quote and signature stripping per client


def plain_message(body: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Sam Doe <sam@example.com>")
    msg["To"] = headers.pop("To", "Alex Rivera <alex@example.org>")
    msg["Subject"] = headers.pop("Subject", "Re: Ten minutes?")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


QUOTED_OFFER = "Any of these work for me:\n  1. Wed\n  2. Thu\n  3. Mon\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "Option 2 works.\n\nOn Mon, Dec 7, 2026 at 9:15 AM Alex Rivera <alex@example.org> wrote:\n"
            + "".join("> " + line + "\n" for line in QUOTED_OFFER.splitlines()),
            "Option 2 works.",
            id="gmail",
        ),
        pytest.param(
            "Option 2 works.\n\nOn Mon, Dec 7, 2026 at 9:15 AM Alex Rivera <\nalex@example.org> wrote:\n\n"
            "> Hi\n",
            "Option 2 works.",
            id="gmail-wrapped-attribution",
        ),
        pytest.param(
            "Option 2 works.\n\n________________________________\nFrom: Alex Rivera <alex@example.org>\n"
            "Sent: Monday, December 7, 2026 9:15 AM\nTo: Sam\nSubject: Ten minutes?\n\n"
            + QUOTED_OFFER,
            "Option 2 works.",
            id="outlook-underscores",
        ),
        pytest.param(
            "Option 2 works.\n\n-----Original Message-----\nFrom: Alex Rivera [mailto:alex@example.org]\n"
            "Sent: Monday, December 7, 2026 9:15 AM\n\n" + QUOTED_OFFER,
            "Option 2 works.",
            id="outlook-original-message",
        ),
        pytest.param(
            "Option 2 works.\n\nSent from my iPhone\n\n> On 7 Dec 2026, at 09:15, Alex Rivera "
            "<alex@example.org> wrote:\n>\n> " + QUOTED_OFFER,
            "Option 2 works.",
            id="apple-ios",
        ),
        pytest.param(
            "Option 2 passt.\n\nAm Mo., 7. Dez. 2026 um 15:15 Uhr schrieb Alex Rivera <alex@example.org>:\n"
            "> " + QUOTED_OFFER,
            "Option 2 passt.",
            id="german-attribution",
        ),
        pytest.param(
            "Option 2 passt.\n\nVon: Alex Rivera <alex@example.org>\nGesendet: Montag, 7. Dezember 2026\n"
            "An: Sam\nBetreff: Zehn Minuten?\n\n" + QUOTED_OFFER,
            "Option 2 passt.",
            id="german-outlook",
        ),
        pytest.param(
            "L'option 2 me va.\n\nLe lun. 7 déc. 2026 à 15:15, Alex Rivera <alex@example.org> a écrit :\n"
            "> " + QUOTED_OFFER,
            "L'option 2 me va.",
            id="french-attribution",
        ),
        pytest.param(
            "La opción 2 me va.\n\nEl lun, 7 dic 2026 a las 9:15, Alex Rivera (<alex@example.org>) escribió:\n"
            "> " + QUOTED_OFFER,
            "La opción 2 me va.",
            id="spanish-attribution",
        ),
        pytest.param(
            "Thanks, but I'll pass.\n\nBest,\nRobin\n",
            "Thanks, but I'll pass.",
            id="thanks-is-not-a-signature",
        ),
        pytest.param(
            "- Thursday at 2:30 works\n- or Monday\n",
            "- Thursday at 2:30 works\n- or Monday",
            id="hyphen-list-is-not-a-signature",
        ),
        pytest.param(
            "Sounds good.\n\n-- \nSam Doe\nDirector\n", "Sounds good.", id="dash-dash-signature"
        ),
        pytest.param(
            "On Mon, Dec 7, 2026 at 9:15 AM Alex Rivera <alex@example.org> wrote:\n> "
            + QUOTED_OFFER,
            "",
            id="only-a-quote",
        ),
    ],
)
def test_new_text_strips_quotes(body: str, expected: str) -> None:
    assert new_text(plain_message(body)) == expected


def test_new_text_html_stops_at_quote_and_keeps_mailto() -> None:
    msg = EmailMessage()
    msg["From"] = "sam@example.com"
    msg.set_content(
        '<div>Talk to <a href="mailto:kim@example.net">Kim Lee</a>.</div>'
        '<div class="gmail_quote">On Mon Alex wrote:<blockquote>1. Wed 2. Thu</blockquote></div>',
        subtype="html",
    )
    assert new_text(msg) == "Talk to Kim Lee <kim@example.net>."


def test_new_text_prefers_plain_over_html() -> None:
    msg = plain_message("plain words")
    msg.add_alternative("<p>html words</p>", subtype="html")
    assert new_text(msg) == "plain words"


@pytest.mark.parametrize("charset", ["utf-8", "x-no-such-charset", "iso-2022-jp"])
def test_new_text_never_raises_on_bad_bytes(charset: str) -> None:
    raw = (
        f"From: a@example.com\nContent-Type: text/plain; charset={charset}\n"
        "Content-Transfer-Encoding: 8bit\n\nOption 2 \xff\xfe\x81 ok\n"
    ).encode("latin-1")
    text = new_text(email.message_from_bytes(raw, policy=email.policy.default))
    assert "Option 2" in text


# ---------------------------------------------------------------------------------------------
# classify: rules not covered by one fixture each


def test_bounce_beats_auto_submitted() -> None:
    msg = plain_message(
        "Delivery failed.",
        From="Mail Delivery System <MAILER-DAEMON@mx.example.org>",
        Auto_Submitted="auto-replied",
        X_Failed_Recipients="Gone@Example.com",
    )
    result = classify(msg, now=NOW, tz=TZ)
    assert result.kind is Kind.BOUNCE
    assert result.failed_addresses == ("gone@example.com",)


@pytest.mark.parametrize(
    "headers",
    [
        {"From": "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.example"},
        {"Subject": "Unzustellbar: Zehn Minuten?"},
        {"Subject": "Undeliverable: Ten minutes?"},
    ],
)
def test_other_bounce_senders_and_subjects(headers: dict[str, str]) -> None:
    assert classify(plain_message("550 5.1.1", **headers), now=NOW, tz=TZ).kind is Kind.BOUNCE


def test_read_receipt_is_automatic() -> None:
    raw = (
        b"From: sam@example.com\nSubject: Read: Ten minutes?\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nYour message was read on Tuesday at 2:30 PM.\n"
        b"--b\nContent-Type: message/disposition-notification\n\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n"
    )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert classify(msg, now=NOW, tz=TZ).kind is Kind.AUTO_REPLY


def test_auto_submitted_no_is_not_automatic() -> None:
    msg = plain_message("Option 1 works.", Auto_Submitted="no")
    assert classify(msg, now=NOW, tz=TZ).kind is Kind.HUMAN


def test_phrases_in_the_quote_are_ignored() -> None:
    body = (
        "Sure, option 3.\n\nOn Mon, Dec 7, 2026 at 9:15 AM Alex Rivera <alex@example.org> wrote:\n"
        "> If now is not a good time, reply 'unsubscribe' and talk to my colleague Kim <kim@example.net>.\n"
    )
    result = classify(plain_message(body), now=NOW, tz=TZ)
    assert (result.kind, result.redirect_to) == (Kind.HUMAN, None)


@pytest.mark.parametrize(
    ("sentence", "snooze"),
    [
        # Back the day after, Saturday the 12th: the snooze moves to the next business day.
        ("I am out of the office through Friday, December 11.", "2026-12-14"),
        ("Ich bin bis 16.12. nicht erreichbar.", "2026-12-16"),
        ("Out until Monday, December 14, back on Tuesday, December 15.", "2026-12-15"),
        ("I was away until December 1, 2026.", None),
        ("I'm away until further notice.", None),
    ],
)
def test_snooze_dates(sentence: str, snooze: str | None) -> None:
    msg = plain_message(sentence, Subject="Automatic reply: Ten minutes?")
    result = classify(msg, now=NOW, tz=TZ)
    assert result.kind is Kind.AUTO_REPLY
    got = result.snooze_until
    assert (got.date().isoformat() if got else None) == snooze
    if got:
        assert got.tzinfo is not None and (got.hour, got.minute) == (0, 0)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        classify(plain_message("hi"), now=NOW.replace(tzinfo=None), tz=TZ)


# ---------------------------------------------------------------------------------------------
# find_pick


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Option 2 works for me.", {"kind": "option", "index": 1}),
        ("#3 please", {"kind": "option", "index": 2}),
        ("2) is best", {"kind": "option", "index": 1}),
        ("Number 1 works.", {"kind": "option", "index": 0}),
        ("The first one works.", {"kind": "option", "index": 0}),
        ("I'd take the 2nd.", {"kind": "option", "index": 1}),
        ("The last one, please.", {"kind": "option", "index": 2}),
        ("Die zweite passt.", {"kind": "option", "index": 1}),
        ("L'option 3 me convient.", {"kind": "option", "index": 2}),
        ("La opción 1 me viene bien.", {"kind": "option", "index": 0}),
        ("Thu 2:30pm", {"kind": "option", "index": 1}),
        ("Thursday at 2:30 works", {"kind": "option", "index": 1}),
        ("Dec 10 at 2:30 works", {"kind": "option", "index": 1}),
        ("Thursday afternoon is perfect", {"kind": "option", "index": 1}),
        ("Tomorrow at 10 works", {"kind": "option", "index": 0}),
        ("Jeudi à 14h30, ça me va.", {"kind": "option", "index": 1}),
        ("El jueves a las 14:30 me viene bien.", {"kind": "option", "index": 1}),
        ("Monday at 11am", {"kind": "option", "index": 2}),
        ("1 or 3 both work", {"kind": "ambiguous"}),
        ("Options 1 and 2 are fine.", {"kind": "ambiguous"}),
        ("Wednesday or Thursday works", {"kind": "ambiguous"}),
        ("Option 7 works", {"kind": "ambiguous"}),
        ("Friday works better for me.", {"kind": "ambiguous"}),
        (
            "Could we do Friday Dec 11 at 3pm instead?",
            {"kind": "time", "start": "2026-12-11T15:00:00-05:00"},
        ),
        ("How about Friday at 3?", {"kind": "time", "start": "2026-12-11T15:00:00-05:00"}),
        ("Could we do 12/11 at 4pm?", {"kind": "time", "start": "2026-12-11T16:00:00-05:00"}),
        ("None of these work, sorry.", {"kind": "none"}),
        ("Have a great Thursday!", {"kind": "none"}),
        ("Happy to do a 10 minute call on Thursday", {"kind": "none"}),
        ("First of all, thanks for writing.", {"kind": "none"}),
        ("This is the first time I got such a nice email.", {"kind": "none"}),
        ("Call me at 555-0142.", {"kind": "none"}),
        ("> 1. Wed, Dec 9, 10:00 AM\n> 2. Thu, Dec 10, 2:30 PM", {"kind": "none"}),
    ],
)
def test_find_pick(text: str, expected: dict[str, object]) -> None:
    assert pick_as_json(find_pick(text, OFFERED, tz=TZ, now=NOW)) == expected


def test_find_pick_reads_times_in_the_contacts_zone() -> None:
    """The Thursday offer starts 14:30 in New York, which is 19:30 for a contact in London."""
    london = ZoneInfo("Europe/London")
    assert find_pick("Thursday at 19:30 works", OFFERED, tz=london, now=NOW) == Pick(
        "option", index=1, detail="option 2"
    )
    assert find_pick("Thursday at 2:30 works", OFFERED, tz=london, now=NOW).kind == "time"


# ---------------------------------------------------------------------------------------------
# Properties

slots = st.lists(
    st.builds(
        lambda d, m: Slot(
            NOW + timedelta(days=d, minutes=m), NOW + timedelta(days=d, minutes=m + 10)
        ),
        st.integers(0, 20),
        st.integers(0, 24 * 60),
    ),
    max_size=5,
)
# Words that appear around picks but name no number, day, date or ordinal.
VOCAB = (
    "the one option works work for me at please slot none of these afternoon morning pm am # ) , . ! ?"
    " la opción die passt convient could we do instead how about sounds good or and both next week"
    " time o'clock uhr h noonish"
).split() + ["\n"]
no_day_text = st.lists(
    st.sampled_from(VOCAB) | st.text(alphabet="abcdefgijklnoprsuvwxyz'", max_size=6), max_size=30
).map(" ".join)


@given(text=st.text(max_size=300), offered=slots)
@settings(max_examples=200, deadline=None)
def test_find_pick_index_always_in_range(text: str, offered: list[Slot]) -> None:
    pick = find_pick(text, offered, tz=TZ, now=NOW)
    assert pick.kind in ("option", "time", "none", "ambiguous")
    if pick.kind == "option":
        assert pick.index is not None and 0 <= pick.index < len(offered)
    else:
        assert pick.index is None
    if pick.kind == "time":
        assert pick.start is not None and pick.start.tzinfo is not None


@given(text=no_day_text)
@settings(max_examples=200, deadline=None)
def test_find_pick_needs_a_number_or_a_day(text: str) -> None:
    assert not re.search(r"\d", text)
    assert find_pick(text, OFFERED, tz=TZ, now=NOW).kind in ("none", "ambiguous")


HEADER_LINES = st.sampled_from(
    [
        b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
        b"From: =?utf-8?q?Ren=C3=A9?= <rene@example.fr>",
        b"From: <>",
        b"From: \xff\xfe@@",
        b"To: alex@example.org",
        b"Auto-Submitted: auto-replied",
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        b"Content-Type: multipart/alternative; boundary=b",
        b"Content-Type: text/html; charset=x-bogus",
        b"Content-Type: text/plain; charset*=utf-8''%E2%82",
        b"Content-Transfer-Encoding: base64",
        b"Content-Transfer-Encoding: quoted-printable",
        b"X-Failed-Recipients: a@b, ,,<>",
        b"Subject: =?utf-8?b?QXV0b21hdGlj?= reply:",
        b"Subject: Automatic reply: until 12/14",
        b"Precedence: bulk",
        b"X-Auto-Response-Suppress: All",
        b"X-MS-Exchange-Inbox-Rules-Loop: x",
    ]
)
BODY_CHUNKS = st.sampled_from(
    [
        b"--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; X@Y.Z\nAction: failed\n\n",
        b"--b\nContent-Type: text/plain\n\nback on 12/45/99999\n",
        b"--b--\n",
        b"<div class=gmail_quote>",
        b"> quoted\n",
        b"On Mon wrote:\n",
        b"=E2=80=9",
        b"\xff\xfe\x00",
        b"until 31.02.",
        b"remove me ",
        b"talk to my colleague <x@y.z>",
        b"Thursday at 99:99",
        b"option 2 ",
    ]
)


@given(
    headers=st.lists(HEADER_LINES, max_size=8),
    body=st.lists(BODY_CHUNKS | st.binary(max_size=40), max_size=10),
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_classify_never_raises(headers: list[bytes], body: list[bytes]) -> None:
    raw = b"\n".join(headers) + b"\n\n" + b"".join(body)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert_keeps_its_contract(msg, classify(msg, now=NOW, tz=TZ))


@given(raw=st.binary(max_size=2000))
@settings(max_examples=100, deadline=None)
def test_classify_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert_keeps_its_contract(msg, classify(msg, now=NOW, tz=TZ))


def assert_keeps_its_contract(msg: EmailMessage, result: Classification) -> None:
    """What ``Classification``'s docstring promises, for any message however malformed."""
    assert isinstance(result.kind, Kind) and result.reason, result
    assert result.text == new_text(msg)  # the new text, for every kind
    assert classify(msg, now=NOW, tz=TZ) == result  # the same message, the same verdict
    if result.snooze_until is not None:  # only an auto-reply naming a future return day
        assert result.kind == Kind.AUTO_REPLY and result.snooze_until > NOW
        assert result.snooze_until.astimezone(TZ).time() == datetime.min.time()
    if result.failed_addresses:  # only a bounce, lower-case
        assert result.kind == Kind.BOUNCE
        assert all(a == a.lower() and "@" in a for a in result.failed_addresses)
    if result.delayed_addresses:
        assert result.kind == Kind.AUTO_REPLY
    if result.kind == Kind.REDIRECT:
        assert result.redirect_to is not None and "@" in result.redirect_to[1]
    elif result.redirect_to is not None:  # a decline may still name someone else
        assert result.kind == Kind.DECLINE, result


def test_an_empty_or_bare_failed_recipient_names_no_address() -> None:
    raw = b"From: MAILER-DAEMON@mx.example.net\nX-Failed-Recipients: a@b.example, ,,<>, joe\n\n"
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    result = classify(msg, now=NOW, tz=TZ)
    assert result.kind == Kind.BOUNCE and result.failed_addresses == ("a@b.example",)
