"""The Gmail Mailbox: drafts through the Gmail API, and reply tracking through its history.

The port's methods, wired from three parts: ``gmail_drafts`` (our drafts, tracked by draft
id, never two copies), ``gmail_history`` (what changed since the cursor, and fetching it at
the least cost) and ``gmail_mime`` (Gmail's message shapes).

- ``sync`` costs O(new messages): one ``history.list`` from the stored cursor, then only the
  new messages (see ``gmail_history``). An expired history id (404) falls back to a bounded
  full sync of recent Sent and Inbox mail, re-seeded from ``getProfile``.
- Gmail stamps its own Message-ID on a sent draft: sent mail is matched by ``thread_id``.
- The history sync also reports the threads where a message was deleted (a draft edited,
  sent or deleted leaves a ``messageDeleted`` there), so an idle pass need not list drafts.
  New DRAFT messages it reports are swept for copies of ours (a re-sent create).

Gmail costs, in quota units (developers.google.com/gmail/api/reference/quota): an idle pass
is one ``history.list`` (2); the pass after drafting adds one ``drafts.list`` (5) whatever
the number of drafts; a create is 10.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from typing import Any

from automation.adapters.google.gmail_drafts import GmailDrafts
from automation.adapters.google.gmail_history import (
    FULL_SYNC_CAP,
    FULL_SYNC_DAYS,
    MAX_NEW_PER_SYNC,
    GmailHistory,
    HistoryGone,
    oldest_first,
)
from automation.adapters.google.gmail_mime import (
    MAX_BODY_BYTES,
    encode_raw,
    headers_message,
    looks_like_bounce,
    wants_body,
)
from automation.adapters.google.http import GoogleApi, GoogleApiError
from automation.app.ports import DraftRef, SyncResult, Watch
from automation.app.ports.mail import create_each

__all__ = ["FULL_SYNC_CAP", "FULL_SYNC_DAYS", "MAX_BODY_BYTES", "MAX_NEW_PER_SYNC",
           "GmailMailbox", "HistoryGone", "encode_raw", "headers_message",
           "looks_like_bounce", "wants_body"]

log = logging.getLogger(__name__)


class GmailMailbox:
    """Mailbox port over the Gmail API (see module docstring). One instance, one thread."""

    def __init__(self, api: GoogleApi) -> None:
        self.api = api
        self.history = GmailHistory(api)
        self.drafts = GmailDrafts(api, self._drafts_added_since_sync)
        #: The history id of this process's last sync: a copy left by a re-sent create is
        #: among the DRAFT messages added since.
        self._history_mark: str | None = None

    @property
    def _users(self) -> Any:
        return self.api.service.users()

    # -- drafts ---------------------------------------------------------------------------

    def create_draft(self, message: EmailMessage, *, thread_id: str | None = None) -> DraftRef:
        return self.drafts.create(message, thread_id)

    def create_drafts(self, drafts: Sequence[tuple[EmailMessage, str | None]]
                      ) -> Iterator[list[DraftRef]]:
        return create_each(self, drafts)  # each drafts.create is durable on its own

    def find_draft(self, message_id: str) -> DraftRef | None:
        return self.drafts.find(message_id)

    def find_drafts(self, message_ids: Sequence[str]) -> dict[str, DraftRef]:
        # One search each: find also deletes the copies a re-sent create may have left.
        return {mid: ref for mid in message_ids if (ref := self.drafts.find(mid)) is not None}

    def draft_message_ids(self) -> set[str]:
        return self.drafts.all_message_ids()

    def addressed(self) -> set[str]:
        return self.history.addressed()

    def drafts_present(self, refs: Sequence[DraftRef]) -> dict[str, DraftRef]:
        return self.drafts.present(refs)

    def delete_draft(self, ref: DraftRef) -> None:
        self.drafts.delete(ref)

    def read_draft(self, ref: DraftRef) -> EmailMessage | None:
        return self.drafts.read(ref)

    def replace_draft(self, ref: DraftRef, message: EmailMessage, *,
                      thread_id: str | None = None) -> DraftRef | None:
        return self.drafts.replace(ref, message, thread_id)

    def _drafts_added_since_sync(self) -> list[str] | None:
        if self._history_mark is None:
            return None
        try:
            return self.history.read(self._history_mark).added_drafts
        except HistoryGone:
            return None

    def sent_in_thread(self, thread_id: str, known: Callable[[str], bool]) -> bool:
        request = self._users.threads().get(userId="me", id=thread_id, format="minimal")
        try:
            thread = self.api.call(request, "threads.get")
        except GoogleApiError as exc:
            if exc.status in (404, 410):
                return False  # nothing left in it: the draft was its only message
            raise
        for m in thread.get("messages", []):
            labels = set(m.get("labelIds", ()))
            if "DRAFT" in labels or labels & {"TRASH", "SPAM"}:
                continue
            # SCHEDULED: a message whose send the user scheduled sits in Gmail's Scheduled
            # folder until it goes; SENT and not yet synced: the history will bring it.
            if "SCHEDULED" in labels or "SENT" in labels and not known(f"sent:{m['id']}"):
                return True
        return False

    # -- sync -----------------------------------------------------------------------------

    def sync(self, cursor: str | None, watch: Watch,
             known: Callable[[str], bool] = lambda key: False) -> SyncResult:
        self.drafts.forget_listing()  # a new pass: Drafts is listed afresh when asked
        if cursor is None or not cursor.isdigit():
            return self._full_sync(cursor, watch, known, [])
        try:
            read = self.history.read(cursor)
        except HistoryGone:
            note = (f"Gmail no longer has history since {cursor} (the service was off a long "
                    f"time); re-read the last {FULL_SYNC_DAYS} days of Sent and Inbox")
            log.warning(note)
            return self._full_sync(cursor, watch, known, [note])
        self._history_mark = read.cursor
        items, problems = self.history.fetch([r for r in read.refs if not known(r.key)], watch)
        problems += self.drafts.sweep(read.added_drafts, watch)
        return SyncResult(items=items, cursor=cursor if problems else read.cursor,
                          problems=problems, changed_threads=frozenset(read.changed))

    def _full_sync(self, cursor: str | None, watch: Watch, known: Callable[[str], bool],
                   problems: list[str]) -> SyncResult:
        """Recent Sent and Inbox mail (bounded), and a fresh cursor from ``getProfile``."""
        refs, fresh = self.history.recent()
        self._history_mark = fresh
        items, fetch_problems = self.history.fetch([r for r in refs if not known(r.key)], watch)
        return SyncResult(items=oldest_first(items), cursor=cursor if fetch_problems else fresh,
                          problems=problems + fetch_problems)
