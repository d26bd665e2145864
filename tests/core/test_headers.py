"""Headers of mail from anywhere, read the one way replies and observe both use (mailsafe)."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from automation.core.mailsafe import header_addresses as emails
from automation.core.mailsafe import header_pairs as addresses
from automation.core.mailsafe import header_text as header


def parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_raw_utf8_and_encoded_words_are_decoded_to_text_that_can_be_stored() -> None:
    msg = parse("From: Lucía Fernández <Lucia@Example.ES>\n".encode()
                + b"Subject: =?utf-8?q?caf=C3=A9?= ok\nTo: a@example.org\n\nhi\n")
    assert header(msg, "from") == "Lucía Fernández <Lucia@Example.ES>"
    header(msg, "From").encode("utf-8")  # no surrogates left: SQLite and JSON accept it
    assert header(msg, "Subject") == "café ok"
    assert addresses(msg, "From", "To") == [("Lucía Fernández", "lucia@example.es"),
                                            ("", "a@example.org")]
    assert emails(msg, "From") == ["lucia@example.es"]


def test_missing_and_malformed_headers_never_raise() -> None:
    msg = parse(b"From: =?utf-8?q?broken\nTo: <<<@@>>>\nSubject: \xff\xfe\n\nbody\n")
    assert header(msg, "Date") == ""
    assert header(msg, "From") == "=?utf-8?q?broken"
    assert "\ufffd" in header(msg, "Subject")
    assert isinstance(emails(msg, "To"), list)
    assert addresses(msg, "Cc") == []
