"""Use cases over contacts: importing (with referrals)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from automation.app.services import Services
from automation.core.importers import ImportResult, read_contacts
from automation.core.models import PROFILE_FIELDS, Contact


@dataclass(frozen=True)
class ImportSummary:
    result: ImportResult
    created: int
    updated: int
    unchanged: int = 0


def import_contacts(svc: Services, path: Path, *, fmt: str = "auto", tags: Sequence[str] = (),
                    referred_by: str | None = None,
                    progress: Callable[[int, int], None] | None = None) -> ImportSummary:
    """Read ``path`` and upsert every valid row in one transaction.

    With ``referred_by`` (an existing contact's email), each imported contact records that
    person as its referrer, and the outreach will name them.
    """
    store, now = svc.store, svc.clock()
    referrer = store.require_contact(referred_by) if referred_by else None
    result = read_contacts(path, fmt, progress=progress)
    created = updated = unchanged = 0
    with store.transaction():
        for record in result.records:
            before = store.find_contact(record.email)
            contact, is_new = store.upsert_contact(
                record, now, tags=tags, referred_by=referrer.id if referrer else None)
            if is_new:
                created += 1
            elif _profile(before) == _profile(contact):
                unchanged += 1
            else:
                updated += 1
            if referrer is not None and contact.id != referrer.id:
                store.add_referral(referrer.id or 0, contact.id or 0, now)
    return ImportSummary(result=result, created=created, updated=updated, unchanged=unchanged)


def _profile(contact: Contact | None) -> tuple[object, ...]:
    if contact is None:
        return ()
    return (*(getattr(contact, f) for f in PROFILE_FIELDS), contact.tags, contact.aliases,
            contact.referred_by)
