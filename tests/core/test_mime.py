"""A message written once (core/mime.py) is the email package's message, byte for byte.

``build_message`` writes plain messages directly and keeps their bytes; ``email_message``
builds the same message through ``email.policy.default`` alone. On generated inputs (names,
subjects and bodies with quotes, encoded-word look-alikes, non-ASCII, control characters,
long lines, every length around the fold limit) both give the same bytes under both line
ends, the same header values, the same text and the same fingerprint; a message changed
after it was written is serialised again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from automation.core import mime
from automation.core.compose import build_message, email_message, fingerprint

NOW = datetime(2026, 12, 7, 8, 30, tzinfo=ZoneInfo("America/New_York"))
ZONES = [UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata"),
         ZoneInfo("America/St_Johns"), ZoneInfo("Pacific/Chatham")]
ASCII = "abcXYZ019 .,'\"<>@()\\;:[]=?-_!#~\t"
ODD = "éü中\u2013\u00a0\r\n\x0b\x1c\u2028\x00\x7f"

words = st.text(alphabet=ASCII, max_size=40)
odd_words = st.text(alphabet=ASCII + ODD, max_size=40)
names = st.one_of(words, odd_words, st.sampled_from(["", "Alex Rivera", "=?utf-8?q?x?=",
                                                      "Rivera, Alex", "O'Brien", "J. Doe"]))
emails = st.one_of(st.sampled_from(["alex@example.org", "first.last+tag@mail.example.com",
                                    "a@b", "no-at-sign", "two@at@signs", "\"q\"@example.org",
                                    "dot.@example.org", "ünï@example.org"]),
                   st.from_regex(r"[a-z0-9.]{1,30}@[a-z0-9.-]{1,40}", fullmatch=True))
subjects = st.one_of(words, odd_words,
                     st.integers(55, 75).map(lambda n: "S" * (n - 10) + " abc def."),
                     st.sampled_from(["A question about your path at Company 0",
                                      "Re: =?utf-8?b?Y2Fmw6k=?=", "two  spaces", " lead"]))
bodies = st.one_of(
    st.text(alphabet=ASCII + ODD + "\n", max_size=400),
    st.lists(st.integers(60, 90).map(lambda n: "x" * n), max_size=14).map("\n".join),
    st.sampled_from(["", "\n", "From me\n.\n", "trailing  \nspace \n", "caf\u00e9\n" * 12]))
message_ids = st.one_of(st.just("<1b4e28ba-2fa1-41d2-883f-0016d3cca427@example.org>"),
                        st.from_regex(r"<[a-z0-9.]{1,30}@[a-z.]{1,60}>", fullmatch=True),
                        st.sampled_from(["no-brackets@example.org", "<a b@c>", "<x@y> "]))
moments = st.builds(lambda z, m: (NOW + timedelta(minutes=m)).astimezone(z),
                    st.sampled_from(ZONES), st.integers(-10**6, 10**6))


def assert_same(fast, slow) -> None:
    """Everything a reader or writer of the message can see is the same."""
    for linesep in ("\n", "\r\n"):
        want = slow.as_bytes(policy=policy.default.clone(linesep=linesep))
        assert mime.message_bytes(fast, linesep) == want
        assert fast.as_bytes(policy=policy.default.clone(linesep=linesep)) == want
    assert fast.keys() == slow.keys()
    for name in slow.keys():
        assert str(fast[name]) == str(slow[name])
        assert mime.header_value(fast, name) == str(slow[name])
    assert fast.get_content() == slow.get_content()
    assert mime.plain_text(fast) in (None, slow.get_content())
    assert fingerprint(fast) == fingerprint(slow)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sender_name=names, sender=emails, to_name=names, to=emails, subject=subjects,
       body=bodies, now=moments, message_id=message_ids,
       in_reply_to=st.one_of(st.none(), message_ids),
       references=st.lists(message_ids, max_size=3).map(tuple))
@example(sender_name="Alex Rivera", sender="alex@example.org", to_name="First0 Last0",
         to="person0@example.com", subject="A question about your path at Company 0",
         body="Hi,\n\n" + "y" * 80 + "\n  1. Tue, Dec 8, 8:30\u20138:40 AM CST\n", now=NOW,
         message_id="<d9f6@example.org>", in_reply_to=None, references=())
def test_written_once_is_the_email_packages_message(**fields) -> None:
    try:
        slow = email_message(**fields)
        slow.as_bytes()
    except (UnicodeError, ValueError) as exc:  # the email package refuses this input...
        try:
            build_message(**fields).as_bytes()
        except type(exc):
            return  # ...and so does build_message
        raise AssertionError(f"build_message accepted what email refused: {exc!r}") from None
    assert_same(build_message(**fields), slow)


def plain(**changes):
    fields = dict(sender_name="Alex Rivera", sender="alex@example.org", to_name="Ada Lovelace",
                  to="ada@example.com", subject="A question about your path at Initech",
                  body="Hi Ada,\n\nTen minutes? 8:30\u20138:40 AM\n", now=NOW,
                  message_id="<1b4e28ba@example.org>", in_reply_to=None, references=())
    return {**fields, **changes}


def test_a_plain_draft_is_written_directly_and_parses_back_to_its_bytes() -> None:
    fast = build_message(**plain())
    assert mime.plain_text(fast) == "Hi Ada,\n\nTen minutes? 8:30\u20138:40 AM\n"  # fast path
    raw = mime.message_bytes(fast)
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed.as_bytes() == raw
    assert str(parsed["To"]) == "Ada Lovelace <ada@example.com>"
    reply = build_message(**plain(in_reply_to="<a@x.org>", references=("<b@x.org>",)))
    assert mime.header_value(reply, "References") == "<b@x.org> <a@x.org>"


def test_a_name_that_needs_quoting_or_encoding_takes_the_email_package_path() -> None:
    for name in ("Rivera, Alex", "Lucía Fernández", "=?utf-8?q?x?="):
        fast = build_message(**plain(to_name=name))
        assert mime.plain_text(fast) is None
        assert_same(fast, email_message(**plain(to_name=name)))


def test_a_message_changed_after_it_was_written_is_serialised_again() -> None:
    changes = [
        lambda m: m.__setitem__("X-Extra", "1"),
        lambda m: m.replace_header("Subject", "Another subject"),
        lambda m: m.__delitem__("To"),
        lambda m: m.set_content("New text\n"),
        lambda m: m.add_attachment(b"BEGIN:VCALENDAR\r\n", maintype="text",
                                   subtype="calendar"),
        lambda m: m.set_param("format", "flowed"),
    ]
    for change in changes:
        fast, slow = build_message(**plain()), email_message(**plain())
        for message in (fast, slow):
            change(message)
            if message.is_multipart():
                message.set_boundary("==boundary==")  # else each serialisation draws one
        assert mime.message_bytes(fast) == slow.as_bytes(policy=policy.default)
        assert mime.message_bytes(fast, "\r\n") == slow.as_bytes(policy=policy.SMTP)
        assert fingerprint(fast) == fingerprint(slow)
        assert mime.header_value(fast, "Subject") == str(slow.get("Subject", ""))
