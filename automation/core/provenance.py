"""Who may speak for a contact: the contact, or a mail system reporting on our message to them.

Pure: parsed messages and addresses in, verdicts out.

A message changes a contact's pipeline only if it comes from the contact (their address or a
known alias). Anyone else in the thread (an assistant, a colleague, a stranger who learnt a
Message-ID) is recorded and flagged for the user, never acted on: their "please remove me"
does not opt the contact out, and their "option 1 works" books nothing.

A bounce ends a pipeline only if it is a delivery report from a mail system — DSN structure
(``multipart/report; report-type=delivery-status``, RFC 3464), or a mailer-daemon/postmaster
sender whose return path is empty (RFC 5321 section 4.5.5 sends reports with a null reverse
path) — **and** it concerns our message: it carries the Message-ID of something we sent the
contact (in the returned headers or the quoted original), or it comes from the user's own
provider or from the failed address's domain. Anything else is an *unverified bounce*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.message import Message

from automation.core.mailsafe import header_addresses, header_text

#: Bytes of returned text searched for our Message-IDs (the returned headers come first).
MAX_SCAN_CHARS = 256 * 1024
MAX_SCAN_PARTS = 50

_DAEMON_LOCAL = re.compile(r"^(?:mailer-daemon|postmaster|microsoftexchange[0-9a-f]*|"
                           r"mail-daemon|mdaemon)$", re.IGNORECASE)
# Providers whose delivery reports come from a sibling domain of the user's address.
_PROVIDER_DOMAINS = {
    "gmail.com": {"googlemail.com", "google.com"},
    "googlemail.com": {"gmail.com", "google.com"},
    "outlook.com": {"hotmail.com", "outlook.com", "microsoft.com"},
    "hotmail.com": {"outlook.com", "microsoft.com"},
}


def speaks_for(message: Message, addresses: Iterable[str]) -> bool:
    """Does ``message`` come from one of ``addresses`` (the contact and their aliases)?"""
    mine = {a.strip().lower() for a in addresses}
    senders = header_addresses(message, "From")
    return bool(senders) and all(s in mine for s in senders)


def delivery_report(message: Message) -> str:
    """Why ``message`` is a delivery report from a mail system, or '' if it is not one."""
    if message.get_content_type() == "multipart/report" and (
        str(message.get_param("report-type") or "").lower() == "delivery-status"
    ):
        return "delivery-status report"
    senders = header_addresses(message, "From")
    daemon = any(_DAEMON_LOCAL.match(s.partition("@")[0]) for s in senders[:1])
    # A report travels with a null return path; a present, non-empty one is a person's mail.
    # Copies kept without a Return-Path (some sync tools drop it) still count.
    path = header_text(message, "Return-Path").strip()
    if daemon and path in ("", "<>"):
        return f"sent by {senders[0]}"
    return ""


def verify_bounce(message: Message, *, our_ids: Iterable[str], failed: Iterable[str],
                  user_email: str) -> tuple[bool, str]:
    """``(verified, why)`` for a message classified as a bounce (see module docstring)."""
    report = delivery_report(message)
    if not report:
        return False, "not a delivery report from a mail system"
    ids = [i for i in our_ids if i]
    if ids and _mentions(message, ids):
        return True, f"{report} about our message"
    sender = next(iter(header_addresses(message, "From")), "")
    domain = sender.rpartition("@")[2]
    own = user_email.rpartition("@")[2].lower()
    if domain and (_same_site(domain, own) or domain in _PROVIDER_DOMAINS.get(own, ())):
        return True, f"{report} from your own provider"
    if domain and any(_same_site(domain, a.rpartition("@")[2]) for a in failed):
        return True, f"{report} from the failed address's domain"
    return False, f"{report}, but it neither names our message nor comes from a domain it concerns"


def _same_site(a: str, b: str) -> bool:
    """``mx.example.com`` and ``example.com`` are one site; ``evil-example.com`` is not."""
    a, b = a.lower().strip("."), b.lower().strip(".")
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def _mentions(message: Message, ids: list[str]) -> bool:
    """Does the report hold one of ``ids``: in its own threading headers, a returned
    message's headers, or the returned text? Bounded in parts and characters."""
    seen = header_text(message, "In-Reply-To") + " " + header_text(message, "References")
    budget = MAX_SCAN_CHARS
    for count, part in enumerate(message.walk()):
        if count > MAX_SCAN_PARTS or budget <= 0:
            break
        if part is not message and part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                seen += " " + header_text(inner[0], "Message-ID")
        elif part.get_content_maintype() == "text":
            text = _text(part)[:budget]
            budget -= len(text)
            seen += " " + text
    return any(i in seen for i in ids)


def _text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return ""
    if isinstance(payload, bytes):
        return payload[:MAX_SCAN_CHARS].decode("ascii", errors="replace")
    return ""
