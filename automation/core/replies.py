"""Understand inbound mail: what kind of message came back (a reply, an auto-reply, a bounce...).

Which offered slot a reply picks is read by ``automation.core.picks``; the reply's new text
(quotes and signature cut) by ``automation.core.newtext``, re-exported here.

Pure core: no I/O and no clock reads; ``now`` and the zone come in as arguments. The heavy
lifting is done by maintained libraries (``mailparser_reply`` strips quotes in many languages,
``flufl.bounce`` reads bounces, ``dateparser`` reads dates in many languages); this module holds
the glue and the domain rules, and patches a few gaps in those libraries (noted where they are).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message
from zoneinfo import ZoneInfo

from automation.core import autoreply, bounces, phrases
from automation.core.lazyre import lazy_compile
from automation.core.mailsafe import find_addresses, header_pairs, header_text
from automation.core.models import require_aware
from automation.core.newtext import new_text
from automation.core.picks import names_a_time
from automation.core.replykinds import Kind

log = logging.getLogger(__name__)

__all__ = ["Classification", "Kind", "classify", "new_text"]



@dataclass(frozen=True)
class Classification:
    """The verdict on one inbound message.

    ``text`` is the message's new text (quotes and signature removed) for every kind.
    ``snooze_until`` is set only for an auto-reply naming a future return day (start of that day
    in the contact's zone). ``failed_addresses`` only for a bounce (lower-case).
    ``redirect_to`` is ``(name, email)`` of a suggested person, set for a REDIRECT and also for a
    DECLINE that names someone else (so the caller may still add the referral); ``name`` may be
    empty. ``reason`` says in a few words which signal decided.
    """

    kind: Kind
    text: str
    snooze_until: datetime | None = None
    failed_addresses: tuple[str, ...] = ()
    redirect_to: tuple[str, str] | None = None
    reason: str = ""
    delayed_addresses: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Headers and bodies


def _header(msg: Message, name: str) -> str:
    """The decoded value of header ``name`` ('' if absent); never raises on malformed input."""
    # raw_items() bypasses the policy's structured header parsing, which raises on some broken
    # headers; decoding RFC 2047 words by hand is enough for matching.
    return header_text(msg, name)  # bounded: a From with 20,000 addresses costs nothing


def _addresses(msg: Message, *names: str) -> list[tuple[str, str]]:
    """``(display name, lower-case address)`` pairs from the named headers."""
    return header_pairs(msg, *names)


# ---------------------------------------------------------------------------------------------
# Bounces and auto-replies

# On-premises Exchange sends NDRs as "MicrosoftExchange<hex>@domain", not postmaster@.
_DAEMON = lazy_compile(
    r"^(?:mailer-daemon|postmaster|microsoftexchange[0-9a-f]*)(?:@|$)"
    r"|mail delivery (?:subsystem|system)",
    re.IGNORECASE,
)
# Subjects no person writes: the delivery systems' own words (en/de/fr/es).
_BOUNCE_SUBJECT = lazy_compile(
    r"^\W*(?:undeliverable|undelivered mail returned to sender|delivery status notification"
    r" \(failure\)|mail delivery failed|returned mail|failure notice|unzustellbar|non remis"
    r"|no se puede entregar)",
    re.IGNORECASE,
)


def _bounce_signal(msg: Message) -> str:
    """Why this looks like a bounce, or ''."""
    if msg.get_content_type() == "multipart/report" and (
        str(msg.get_param("report-type") or "").lower() == "delivery-status"
    ):
        return "delivery-status report"
    sender = _header(msg, "From")
    if _DAEMON.search(sender) or any(_DAEMON.search(a) for _, a in _addresses(msg, "From")):
        return f"sent by {sender or 'the mail system'}"
    if _header(msg, "X-Failed-Recipients"):
        return "X-Failed-Recipients"
    subject = _header(msg, "Subject")
    if _BOUNCE_SUBJECT.search(subject):
        return f"subject {subject[:40]!r}"
    return _prose_signal(msg)


def _prose_signal(msg: Message) -> str:
    """A report in prose only: failure words from a mail system or with a returned message."""
    text = bounces.report_text(msg)
    words = bounces.failure_prose(text)
    if not words:
        return ""
    senders = [a for _, a in _addresses(msg, "From", "Sender")]
    automatic = _header(msg, "Auto-Submitted").lower() not in ("", "no")
    if automatic or any(bounces.system_sender(a) for a in senders) or (
        msg.get_content_type() == "multipart/report" or bounces.returned_message_ids(msg, text)
    ):
        # "is not a valid user here" from an MTA is a bounce even with Auto-Submitted set.
        return f"report says {words!r}"
    return ""


def _dsn_blocks(msg: Message) -> Iterable[Message]:
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status" and part.is_multipart():
            yield from (b for b in part.get_payload() if isinstance(b, Message))


def _failures(msg: Message) -> tuple[set[str], set[str]]:
    """``(permanent, temporary)`` failed recipients, from flufl.bounce and the headers."""
    permanent: set[str] = set()
    temporary: set[str] = set()
    from flufl.bounce import all_failures  # here: only a bounce needs it (~30 ms of detectors)

    try:
        temp, perm = all_failures(msg)
        permanent |= {a.decode("ascii", "replace").lower() for a in perm}
        temporary |= {a.decode("ascii", "replace").lower() for a in temp}
    except Exception:  # flufl.bounce re-raises any detector's error; the headers still tell
        log.debug("flufl.bounce failed on this message", exc_info=True)
    for _, addr in _addresses(msg, "X-Failed-Recipients"):
        permanent.add(addr)
    for block in _dsn_blocks(msg):
        final = str(block.get("Final-Recipient", ""))
        addr = final.split(";", 1)[-1].strip().strip("<>").lower()
        if "@" in addr:
            delayed = str(block.get("Action", "")).lower().startswith("delayed")
            (temporary if delayed else permanent).add(addr)
    # Only addresses: an empty or bare-word X-Failed-Recipients entry ("<>", "joe") names no one.
    permanent = {a for a in permanent if "@" in a}
    return permanent, {a for a in temporary - permanent if "@" in a}


_AUTO_SUBJECT = lazy_compile(
    r"^\W*(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (?:the )?office"
    r"|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|absence du bureau"
    r"|respuesta autom[aá]tica|fuera de la oficina)",
    re.IGNORECASE,
)


def _auto_signal(msg: Message) -> str:
    """Why this looks like an automatic reply (RFC 3834 and vendor habits), or ''."""
    if msg.get_content_type() == "multipart/report" and (
        str(msg.get_param("report-type") or "").lower() == "disposition-notification"
    ):
        return "read receipt (disposition-notification report)"
    auto = _header(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("auto_reply", "bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoreply-From"):
        value = _header(msg, name)
        if value and value.lower() != "no":
            return f"{name}: {value}"
    if _header(msg, "X-Auto-Response-Suppress") and (
        _header(msg, "X-MS-Exchange-Inbox-Rules-Loop")
        or _header(msg, "X-MS-Exchange-Generated-Message-Source")
    ):
        return "Exchange automatic reply headers"
    subject = _header(msg, "Subject")
    if _AUTO_SUBJECT.search(subject):
        return f"subject {subject[:40]!r}"
    return ""


# ---------------------------------------------------------------------------------------------
# What a human said: opt-out, decline, redirect

_OPT_OUT = lazy_compile(
    r"remove me|unsubscribe|take me off|stop (?:e-?mailing|contacting|writing to|messaging) me"
    r"|(?:do not|don't|dont|please never) (?:contact|e-?mail|write to|message) me"
    r"|no (?:more|further) e-?mails|off your (?:mailing )?list"
    r"|entfernen sie mich|nicht mehr (?:kontaktieren|anschreiben)|keine (?:weiteren )?e-?mails mehr"
    r"|austragen|ne plus me (?:contacter|[ée]crire)|ne me (?:contactez|[ée]crivez) plus"
    r"|d[ée]sinscri|retirez[- ]moi"
    r"|no me (?:contacte|contacten|escriba|escriban)|dar(?:se|me) de baja|eliminarme de",
    re.IGNORECASE,
)
_DECLINE = lazy_compile(
    r"not a good time|no,? thanks|no,? thank you|i'?ll pass|i will pass|(?:have|need|must) to pass"
    r"|pass on this|not able to (?:help|take|do)|unable to (?:help|take)|(?:can't|cannot|can not) help"
    r"|too busy|(?:have|need|must) to decline|have to say no|not available for (?:this|these|calls)"
    r"|not interested|keine zeit|muss (?:leider )?absagen|leider nicht (?:m[öo]glich|helfen)"
    r"|pas disponible|pas le temps|dois d[ée]cliner|pas int[ée]ress[ée]"
    r"|no tengo tiempo|no puedo ayudar|no estoy disponible|tengo que (?:declinar|rechazar)"
    r"|no me interesa",
    re.IGNORECASE,
)
_REDIRECT = lazy_compile(
    r"colleague|coworker|co-worker|talk to|speak (?:to|with)|reach out to|get in touch with"
    r"|contact |better person|best person|right person|better placed|better fit|cc'?(?:ing|'d|d)\b"
    r"|copying|looping in|loop in|introduce you|ask \w+|kolleg|wenden sie sich|ansprechpartner"
    r"|coll[èe]gue|contacter|adresser [àa]|colega|compa[ñn]er[oa]|contactar|escribir a",
    re.IGNORECASE,
)
_NAME_WORD = lazy_compile(r"[A-ZÀ-Ý][\w'’.-]*$")
# Capitalised words that precede a name but are not part of it.
_NOT_NAME = frozenset(
    "please contact email e-mail mail try ask talk reach colleague kollegin kollege collègue colega"
    " hi hello cc my our mi ma mon meine mein frau herr i i'm and".split()
)


def _redirect(text: str, exclude: set[str]) -> tuple[str, str] | None:
    """``(name, email)`` of another person the text points to, or None."""
    for start, end, found in find_addresses(text):  # linear; the regex was quadratic
        addr = found.lower()
        if addr in exclude:
            continue
        window = text[max(0, start - 200) : end + 100]
        if not (_REDIRECT.search(window) or phrases.REDIRECT.search(window)):
            continue
        before = text[max(0, start - 80) : start]
        before = re.sub(
            r"(?:\s*(?:<|\(|\[|mailto:|:|,|-|–|\bat\b|\bvia\b|\bunter\b|\b[àa]\b))+\s*$", "", before
        )
        words: list[str] = []
        for word in reversed(before.split()):
            if (
                not _NAME_WORD.match(word)
                or word.lower().strip(".,") in _NOT_NAME
                or len(words) == 3
            ):
                break
            words.insert(0, word.strip(",;:"))
        return " ".join(words), addr
    return None


# ---------------------------------------------------------------------------------------------
# Classification


def classify(msg: EmailMessage, *, now: datetime, tz: ZoneInfo) -> Classification:
    """Decide what ``msg`` is: bounce, auto-reply, opt-out, decline, redirect or human.

    Signals are checked in that order (a bounce often also carries Auto-Submitted, and an
    opt-out often also declines). Phrases are looked for only in the new text, never in the
    quoted part, which holds our own outreach. ``now`` must be aware. Never raises on a
    parsed message, however malformed.
    """
    require_aware(now, "now")
    text = new_text(msg)
    why = _bounce_signal(msg)
    if why:
        permanent, temporary = _failures(msg)
        mine = {a for _, a in _addresses(msg, "To")}
        if temporary and not permanent:
            # "Delivery delayed" notices come from the same daemons, but the mail may still
            # arrive: recorded, never taken for a bad address.
            return Classification(Kind.AUTO_REPLY, text, reason=f"delivery delayed ({why})",
                                  delayed_addresses=tuple(sorted(temporary - mine)))
        failed = tuple(sorted(permanent - mine))
        return Classification(Kind.BOUNCE, text, failed_addresses=failed, reason=why)
    subject = _header(msg, "Subject")
    why = _auto_signal(msg) or (f"subject {marker!r}" if (
        marker := autoreply.subject_signal(subject)) else "")
    if why:
        return _auto_reply(text, subject, now, tz, why)
    flat = re.sub(r"\s+", " ", text.replace("’", "'"))
    exclude = {a for _, a in _addresses(msg, "From", "To", "Reply-To", "Sender")}
    redirect = _redirect(text, exclude) or _cc_redirect(msg, flat, exclude)
    if m := _OPT_OUT.search(flat) or phrases.OPT_OUT.search(flat):
        return Classification(Kind.OPT_OUT, text, reason=f"says {m.group()!r}")
    if words := autoreply.body_signal(text):  # a notice with no header that says so
        return _auto_reply(text, subject, now, tz, f"says {words!r}")
    if phrase := _declines(flat):
        return Classification(Kind.DECLINE, text, redirect_to=redirect, reason=f"says {phrase!r}")
    if redirect:
        return Classification(
            Kind.REDIRECT, text, redirect_to=redirect, reason=f"points to {redirect[1]}"
        )
    return Classification(Kind.HUMAN, text, reason="no automatic or refusal signal")


def _auto_reply(text: str, subject: str, now: datetime, tz: ZoneInfo, why: str) -> Classification:
    # The subject may carry the day too: "AUTO: Pat is out of the office (returning 12/21)".
    until = autoreply.snooze_until(f"{text}\n{subject}", now, tz)
    return Classification(Kind.AUTO_REPLY, text, snooze_until=until, reason=why)


def _declines(flat: str) -> str:
    """The decline phrase in ``flat``, unless its sentence is about a particular day or time."""
    for m in (*_DECLINE.finditer(flat), *phrases.DECLINE.finditer(flat)):
        start = max(flat.rfind(c, 0, m.start()) for c in ".!?\n")
        end = min([i for i in (flat.find(c, m.end()) for c in ".!?\n") if i >= 0] or [len(flat)])
        sentence = flat[start + 1 : end].lower()
        # "Wednesday is not a good time, but Thursday works" is scheduling, not a refusal.
        if not names_a_time(sentence) and not phrases.TIMEISH.search(sentence):
            return m.group()
    return ""


def _cc_redirect(msg: Message, flat: str, exclude: set[str]) -> tuple[str, str] | None:
    """"My colleague Dana (cc'd) is the right person": the colleague is only in Cc."""
    if not (_REDIRECT.search(flat) or phrases.REDIRECT.search(flat)):
        return None
    return next(((name, addr) for name, addr in _addresses(msg, "Cc") if addr not in exclude),
                None)
