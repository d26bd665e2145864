"""Read non-delivery reports that carry no machine-readable recipient.

Many real mail servers (Lotus Domino, GMX, Yahoo, OpenSMTPD, old Sendmail, Japanese carriers,
filtering appliances) send a plain-text report, or a ``multipart/report`` without a
``message/delivery-status`` part, so neither flufl.bounce nor a ``Final-Recipient`` line names
the failed address. What nearly all of them do carry is the address in their prose and the
returned message's headers, with its Message-ID. This module finds both; deciding which
contact they concern (only contacts we wrote to) is the caller's job.

Pure: no I/O. Every scan is bounded (``SCAN_LIMIT`` characters) and linear.
"""

from __future__ import annotations

import re
from email.message import Message

from automation.core.lazyre import lazy_compile
from automation.core.mailsafe import part_text

SCAN_LIMIT = 64_000  # characters of a report read for addresses and ids; reports are small

# Words a delivery system uses in a report's prose (en, de, fr, es, it, nl, pt, ja): each is
# about mail that did not arrive, which a person replying to outreach does not write.
_FAILURE_PROSE = lazy_compile(
    r"could not be delivered|couldn'?t be delivered|was not delivered|undeliverable"
    r"|unable to deliver|failed to deliver|delivery (?:has )?failed|delivery failure"
    r"|trouble delivering|error (?:occurred )?while trying to deliver|permanent(?:ly)? (?:error|fatal)"
    r"|not a valid user|no such user|user unknown|unknown user|invalid user|mailbox unavailable"
    r"|recipient address rejected|address rejected|no mailbox here|does not exist|not listed in"
    r"|nicht zugestellt|unzustellbar|non remis|n'a pas pu [êe]tre remis|no se pudo entregar"
    r"|non [èe] stato possibile consegnare|niet (?:worden )?afgeleverd|n[ãa]o foi poss[íi]vel entregar"
    r"|送信できませんでした|届きませんでした|配信できませんでした|宛先不明",
    re.IGNORECASE,
)
_DELAY_PROSE = lazy_compile(
    r"delivery (?:has been )?delayed|not (?:yet )?been delivered|will (?:continue to )?(?:re)?try"
    r"|could not send message for past|warning: message still undelivered|delivery is delayed",
    re.IGNORECASE,
)
# Senders that are mail systems, not people: the local part says so.
_SYSTEM_SENDER = lazy_compile(
    r"^(?:mailer-daemon|mailer_daemon|postmaster|post_master|mail-?daemon|mmsc|sysadmin"
    r"|no-?reply|administrator|mail\.delivery\.system|microsoftexchange[0-9a-f]*)\b",
    re.IGNORECASE,
)
_ADDRESS = lazy_compile(r"[\w.+=-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_MESSAGE_ID_LINE = lazy_compile(r"^\s*Message-I[Dd]:\s*(<[^<>\s]{3,250}>)", re.MULTILINE)


def report_text(msg: Message, limit: int = SCAN_LIMIT) -> str:
    """The report's text: every non-binary part, returned headers and message included."""
    chunks: list[str] = []
    size = 0
    for part in msg.walk():
        if part.is_multipart() or size >= limit:
            continue
        ctype = part.get_content_type()
        # A multipart part whose boundary was lost is left as its raw text: still the report.
        if not ctype.startswith(("text/", "message/", "multipart/")):
            continue
        text = part_text(part)
        chunks.append(text[: limit - size])
        size += len(chunks[-1])
    return "\n".join(chunks)


def returned_message_ids(msg: Message, text: str | None = None) -> list[str]:
    """Message-IDs quoted in the report (the returned message's), the report's own left out."""
    own = str(msg.get("Message-ID", "") or "").strip()
    found = _MESSAGE_ID_LINE.findall(report_text(msg) if text is None else text)
    for part in msg.walk():  # a message/rfc822 part is parsed into headers of its own
        if part is not msg and part.get("Message-ID"):
            found.append(str(part.get("Message-ID")).strip())
    return [m for m in dict.fromkeys(found) if m != own]


def addresses_in(text: str) -> list[str]:
    """Lower-case addresses in ``text``, in order, each once."""
    return list(dict.fromkeys(a.strip(".").lower() for a in _ADDRESS.findall(text)))


def system_sender(address: str) -> bool:
    """Whether an address's local part names a mail system (MAILER-DAEMON, postmaster, ...)."""
    return bool(_SYSTEM_SENDER.match(address.strip().strip("<>")))


def failure_prose(text: str) -> str:
    """The first words of ``text`` that report a failed delivery, or ''."""
    m = _FAILURE_PROSE.search(text[:SCAN_LIMIT])
    return m.group() if m else ""


def delay_prose(text: str) -> bool:
    """Whether ``text`` reports a delivery that is only delayed."""
    return bool(_DELAY_PROSE.search(text[:SCAN_LIMIT]))
