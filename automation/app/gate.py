"""Whether an inbound message may act for the contact it was matched to (``core.provenance``).

``observe`` matches a message to a contact by its threading headers, thread id, failed address
or sender, then asks ``held_back``: a message that may not act is still recorded in the
contact's timeline, and the contact is flagged with what to do, but nothing else changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from automation.app.services import Services
from automation.core.mailsafe import header_text
from automation.core.models import Contact
from automation.core.provenance import delivery_report, speaks_for, verify_bounce
from automation.core.replykinds import Kind

if TYPE_CHECKING:
    from automation.core.replies import Classification


def held_back(svc: Services, contact: Contact, item_message: object,
              verdict: Classification) -> tuple[str, str] | None:
    """``(reason, flag)`` when the message must not act for ``contact``, else None.

    ``flag`` is the needs-attention text ('' when the message only needs recording: a mail
    system's delay notice from someone other than the contact).
    """
    msg = item_message
    sender = header_text(msg, "From") or "an unknown sender"  # type: ignore[arg-type]
    who = contact.email
    if verdict.kind == Kind.BOUNCE:
        ours = [m.message_id or "" for m in svc.store.messages_for(contact.id or 0)
                if m.direction in ("draft", "sent")]
        ok, why = verify_bounce(msg, our_ids=ours, failed=verdict.failed_addresses,  # type: ignore[arg-type]
                                user_email=svc.config.me.email)
        if ok:
            return None
        return (f"unverified bounce from {sender}: {why}",
                f"unverified bounce for {who} from {sender} ({why}): if the address is really "
                f"bad, run `automation mark {who} bounced`")
    if speaks_for(msg, (contact.email, *contact.aliases)):  # type: ignore[arg-type]
        return None
    if verdict.kind == Kind.AUTO_REPLY and delivery_report(msg):  # type: ignore[arg-type]
        return f"{verdict.reason} from {sender}; nothing to do", ""
    return (f"from {sender}, not from {who}: recorded, not acted on",
            f"a message from {sender} in your thread with {who} was not acted on (only "
            f"{who} speaks for {who}): read it, then `automation mark`/`automation book` by "
            "hand if it should count")
