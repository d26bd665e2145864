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

from automation.core.lazyre import lazy_compile
from automation.core.mailsafe import header_addresses, header_text

#: Bytes of returned text searched for our Message-IDs (the returned headers come first).
MAX_SCAN_CHARS = 256 * 1024
MAX_SCAN_PARTS = 50

_DAEMON_LOCAL = lazy_compile(r"^(?:mailer[-_.]?daemon|post[-_.]?master|microsoftexchange[0-9a-f]*|"
                           r"mail[-_.]?daemon|mdaemon|mail\.delivery\.system)$", re.IGNORECASE)
_DAEMON_NAME = lazy_compile(r"mailer[-_ ]?daemon|mail delivery (?:subsystem|system)", re.IGNORECASE)
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
        or _has_status_part(message)
    ):
        return "delivery-status report"
    sender = header_text(message, "From")
    senders = header_addresses(message, "From")
    if senders:
        daemon = all(_is_daemon(s) for s in senders)
    else:  # "From: <>" or "From: MAILER-DAEMON <>": a mail system with no address at all
        daemon = not sender.strip("<> ") or bool(_DAEMON_NAME.search(sender))
    # A report travels with a null return path (or the daemon's own); a person's address
    # there is a person's mail. Copies kept without a Return-Path (some sync tools drop it)
    # still count.
    paths = header_addresses(message, "Return-Path")
    path_ok = all(_is_daemon(p) for p in paths)
    if daemon and path_ok:
        return f"sent by {senders[0] if senders else 'the mail system'}"
    if header_text(message, "Return-Path").replace(" ", "") == "<>":
        return "sent with a null return path"  # only reports and notices travel so (RFC 5321)
    return ""


def _is_daemon(address: str) -> bool:
    local = address.partition("@")[0] if "@" in address else address
    return bool(_DAEMON_LOCAL.match(local))


def _has_status_part(message: Message) -> bool:
    payload = message.get_payload()
    return isinstance(payload, list) and any(
        isinstance(p, Message) and p.get_content_type() == "message/delivery-status"
        for p in payload[:MAX_SCAN_PARTS])


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
    """Does the report hold one of ``ids``: in its own threading headers, or anywhere in the
    returned headers or text? The message is already bounded in size and depth (mailsafe)."""
    seen = header_text(message, "In-Reply-To") + " " + header_text(message, "References")
    try:
        seen += message.as_bytes()[:MAX_SCAN_CHARS * 8].decode("ascii", errors="replace")
    except Exception:  # a message the generator cannot write back: the parts' text still tells
        for count, part in enumerate(message.walk()):
            if count > MAX_SCAN_PARTS:
                break
            payload = part.get_payload()
            if isinstance(payload, str):
                seen += " " + payload[:MAX_SCAN_CHARS]
    return any(i in seen for i in ids)
