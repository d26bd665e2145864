"""What the contact table reads (``ReportStore.contact_listing``): every contact's few dense
columns as plain rows, and the fields most contacts leave empty only for those that have them.

At 10,000 contacts the table is read by ``contacts --json`` often; each column of each row
costs a conversion out of SQLite, so the columns that are empty for most contacts (a flag, a
snooze, a referrer, tags, the name parts behind an empty name) come in a second read of only
the contacts that fill one, and the answers (for the responsiveness label) in a third.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

#: ``(id, email, name, company, role, status, timezone)`` of one contact.
ListedContact = tuple[int, str, str, str, str, str, str | None]


class ContactDetails(NamedTuple):
    """The sparse fields of one contact (read for each contact with a flag, a snooze, a
    referrer, tags or an empty ``name``; every other contact has none of them)."""

    first_name: str
    last_name: str
    needs_attention: str | None
    snoozed_until: datetime | None
    referrer_email: str | None  # None when there is no referrer (or it no longer exists)
    tags: tuple[str, ...]


class FirstAnswer(NamedTuple):
    """A contact's first inbound message of the asked kinds (``sent_at`` else ``created_at``,
    the lower row id first on a tie), and when its outreach went out."""

    at: datetime
    kind: str
    #: The earliest ``sent_at`` of a Sent copy of the contact's outreach, or None.
    outreach_sent_at: datetime | None


class ContactListing(NamedTuple):
    """The contacts of the table (``rows``, in id order) and, by contact id, the details of
    those that have any and the first answer of those that answered."""

    rows: list[ListedContact]
    details: dict[int, ContactDetails]
    answers: dict[int, FirstAnswer]
