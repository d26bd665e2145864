"""In-memory Mailbox and Calendar: the reference fakes, shipped in the package.

They keep the ports' contracts with no I/O, so core logic can be tested fast; the same contract
suite runs against them, the local backend and the Google backend. Helpers let a test play the
user (send or discard a draft) and the world (deliver a reply, answer an invite).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from email.message import EmailMessage

from automation.app.ports import DraftRef, MailItem, SyncResult, Watch
from automation.app.ports.mail import create_each
from automation.core.mailsafe import header_addresses
from automation.core.models import Interval
from automation.core.records import EventSpec


class MemoryMailbox:
    """Mailbox port in memory. Thread ids are minted for drafts that start a thread."""

    def __init__(self) -> None:
        self.drafts: dict[str, tuple[EmailMessage, str | None]] = {}
        self.items: list[MailItem] = []
        self._ids = itertools.count(1)

    def create_draft(self, message: EmailMessage, *, thread_id: str | None = None) -> DraftRef:
        draft_id = f"d{next(self._ids)}"
        thread = thread_id or f"t{next(self._ids)}"
        self.drafts[draft_id] = (message, thread)
        return DraftRef(draft_id, str(message["Message-ID"]), thread)

    def create_drafts(self, drafts: Sequence[tuple[EmailMessage, str | None]]
                      ) -> Iterator[list[DraftRef]]:
        return create_each(self, drafts)

    def find_draft(self, message_id: str) -> DraftRef | None:
        for draft_id, (message, thread) in self.drafts.items():
            if str(message["Message-ID"]) == message_id:
                return DraftRef(draft_id, message_id, thread)
        return None

    def find_drafts(self, message_ids: Sequence[str]) -> dict[str, DraftRef]:
        return {mid: ref for mid in message_ids if (ref := self.find_draft(mid)) is not None}

    def draft_message_ids(self) -> set[str]:
        return {str(m["Message-ID"]) for m, _ in self.drafts.values()}

    def addressed(self) -> set[str]:
        messages = [m for m, _ in self.drafts.values()]
        messages += [i.message for i in self.items if i.folder == "sent"]
        return {a.lower() for m in messages for a in header_addresses(m, "To", "Cc")}

    def drafts_present(self, refs: Sequence[DraftRef]) -> dict[str, DraftRef]:
        found = {}
        for ref in refs:
            if ref.draft_id in self.drafts:
                found[ref.message_id] = DraftRef(ref.draft_id, ref.message_id,
                                                 self.drafts[ref.draft_id][1])
            elif (other := self.find_draft(ref.message_id)) is not None:
                found[ref.message_id] = other
        return found

    def sent_in_thread(self, thread_id: str, known: Callable[[str], bool]) -> bool:
        return any(i.folder == "sent" and i.thread_id == thread_id and not known(i.key)
                   for i in self.items)

    def delete_draft(self, ref: DraftRef) -> None:
        self.drafts.pop(ref.draft_id, None)
        found = self.find_draft(ref.message_id)
        if found is not None:
            self.drafts.pop(found.draft_id, None)

    def read_draft(self, ref: DraftRef) -> EmailMessage | None:
        found = ref if ref.draft_id in self.drafts else self.find_draft(ref.message_id)
        return None if found is None else self.drafts[found.draft_id][0]

    def replace_draft(self, ref: DraftRef, message: EmailMessage, *,
                      thread_id: str | None = None) -> DraftRef | None:
        found = ref if ref.draft_id in self.drafts else self.find_draft(ref.message_id)
        if found is None:
            return None
        _, thread = self.drafts[found.draft_id]
        self.drafts[found.draft_id] = (message, thread)
        return DraftRef(found.draft_id, str(message["Message-ID"]), thread)

    def sync(self, cursor: str | None, watch: Watch,
             known: Callable[[str], bool] = lambda key: False) -> SyncResult:
        start = int(cursor or 0)
        fresh = [i for i in self.items[start:] if not known(i.key)]
        return SyncResult(items=fresh, cursor=str(len(self.items)))

    # -- playing the user and the world -----------------------------------------------------

    def send(self, message_id: str) -> MailItem:
        """The user presses Send on the draft with this Message-ID."""
        ref = self.find_draft(message_id)
        if ref is None:
            raise KeyError(message_id)
        message, thread = self.drafts.pop(ref.draft_id)
        item = MailItem(key=f"sent:{next(self._ids)}", folder="sent", message=message,
                        thread_id=thread)
        self.items.append(item)
        return item

    def deliver(self, message: EmailMessage, thread_id: str | None = None) -> MailItem:
        item = MailItem(key=f"inbox:{next(self._ids)}", folder="inbox", message=message,
                        thread_id=thread_id)
        self.items.append(item)
        return item


class MemoryCalendar:
    """Calendar port in memory; ``sends_invites`` is configurable to play either backend."""

    def __init__(self, busy: list[Interval] | None = None, *, sends_invites: bool = False) -> None:
        self.sends_invites = sends_invites
        self.busy_intervals = list(busy or [])
        self.events: dict[str, EventSpec] = {}
        self.responses: dict[str, str] = {}
        self.writes = 0

    def busy(self, window: Interval) -> tuple[list[Interval], list[str]]:
        own = [Interval(e.start, e.end) for e in self.events.values()
               if e.status != "CANCELLED"]
        return [i for i in (*self.busy_intervals, *own) if i.overlaps(window)], []

    def put_event(self, event: EventSpec) -> str:
        if self.events.get(event.uid) != event:
            self.writes += 1
        self.events[event.uid] = replace(event)
        return event.uid

    def get_event(self, uid: str) -> EventSpec | None:
        return self.events.get(uid)

    def attendee_status(self, uid: str) -> str | None:
        if uid not in self.events:
            return None
        return self.responses.get(uid, "needsAction")
