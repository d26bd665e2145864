"""The ports the use cases talk through: a Mailbox, a Calendar and the Store.

Adapters (``adapters/memory.py``, ``adapters/local/``, ``adapters/google/``) implement them;
one contract test suite runs against each. Every method documents what it promises and what it
raises: a failing backend raises ``BackendError`` (``retryable`` says whether a later tick may
succeed) or ``AuthError``; nothing else escapes.

One module per port: ``mail`` (Mailbox and the values it carries), ``calendar``, ``store``
(one Protocol per table group, composed into ``Store``) and ``locks``; import them from here.
"""

from __future__ import annotations

from automation.app.ports.calendar import Calendar
from automation.app.ports.listing import ContactDetails, ContactListing, FirstAnswer
from automation.app.ports.locks import Locks
from automation.app.ports.mail import DraftRef, Mailbox, MailItem, SyncResult, Watch
from automation.app.ports.passes import Awaiting, PassStore
from automation.app.ports.store import (
    CalendarStore,
    ContactStore,
    FileCacheStore,
    JournalStore,
    MessageFacts,
    MessageStore,
    MethodStore,
    ReportStore,
    Store,
)

__all__ = ["Awaiting", "Calendar", "CalendarStore", "ContactDetails", "ContactListing",
           "ContactStore", "DraftRef", "FirstAnswer",
           "FileCacheStore",
           "JournalStore", "MessageFacts",
           "Locks", "MailItem", "Mailbox", "MessageStore", "MethodStore", "PassStore", "ReportStore", "Store",
           "SyncResult", "Watch"]
