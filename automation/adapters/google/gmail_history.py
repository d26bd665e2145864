"""Reading what changed in Gmail: the history since a cursor, a bounded full sync when the
history is gone, and fetching the new messages at the least cost.

- ``read`` costs O(new messages): ``history.list(startHistoryId, historyTypes=messageAdded,
  messageDeleted)`` from the stored cursor (2 units a page), bounded per call.
- ``fetch`` gets only the new messages, in batches of at most 50: ``format=metadata`` (5
  units) unless the thread is tracked (or the headers show a watched sender, a reply to one
  of our messages or a bounce), then ``format=raw``.
- ``recent`` is the fallback when the history id is too old (404): recent Sent and Inbox
  mail, bounded, and the mailbox's history id now from ``getProfile``. History ids are
  "typically valid for at least a week, but in some rare circumstances may be valid for only
  a few hours" (developers.google.com/gmail/api/guides/sync).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from automation.adapters.google.gmail_mime import (
    MAX_BODY_BYTES,
    decode_raw,
    headers_message,
    wants_body,
)
from automation.adapters.google.http import GoogleApi, GoogleApiError
from automation.app.ports import MailItem, Watch
from automation.core.mailsafe import header_addresses, parse_message
from automation.errors import AuthError, BackendError

FULL_SYNC_DAYS = 30
FULL_SYNC_CAP = 200  # messages per label (Sent, Inbox) in a fallback sync
MAX_NEW_PER_SYNC = 300  # more waits for the next tick: a tick stays short after a long pause
_SKIP_LABELS = frozenset({"DRAFT", "SPAM", "TRASH"})


@dataclass(frozen=True)
class MessageRef:
    """A Gmail message known by id, before it is fetched."""

    id: str
    thread_id: str | None
    labels: tuple[str, ...]

    @property
    def folder(self) -> str:
        return "sent" if "SENT" in self.labels else "inbox"

    @property
    def key(self) -> str:
        return f"{self.folder}:{self.id}"


@dataclass
class HistoryRead:
    """What one history read saw: new Sent/Inbox messages, the cursor after them, the threads
    where any message was added or deleted (drafts included), and the DRAFT messages added."""

    refs: list[MessageRef]
    cursor: str
    changed: set[str] = field(default_factory=set)
    added_drafts: list[str] = field(default_factory=list)


class HistoryGone(Exception):
    """The stored history id is older than Gmail keeps (404)."""


class GmailHistory:
    """History reads and message fetches of one mailbox."""

    def __init__(self, api: GoogleApi) -> None:
        self.api = api

    @property
    def _users(self) -> Any:
        return self.api.service.users()

    def read(self, cursor: str) -> HistoryRead:
        """Changes since ``cursor`` (raises HistoryGone when Gmail no longer has them)."""
        refs: dict[str, MessageRef] = {}
        seen = HistoryRead([], cursor)
        page: str | None = None
        while True:
            request = self._users.history().list(
                userId="me", startHistoryId=cursor,
                historyTypes=["messageAdded", "messageDeleted"], maxResults=500, pageToken=page)
            try:
                answer = self.api.call(request, "history.list")
            except GoogleApiError as exc:
                if exc.status == 404 or (exc.status == 400 and not page):
                    raise HistoryGone(cursor) from exc
                raise
            for record in answer.get("history", []):
                _note(record, refs, seen)
                if len(refs) >= MAX_NEW_PER_SYNC:
                    # Resume after this record next time: the rest is not lost, only later.
                    seen.refs, seen.cursor = list(refs.values()), str(record["id"])
                    return seen
            page = answer.get("nextPageToken")
            if not page:
                seen.refs, seen.cursor = list(refs.values()), str(answer["historyId"])
                return seen

    def recent(self) -> tuple[list[MessageRef], str]:
        """Recent Sent and Inbox mail (bounded, oldest first) and the history id to go on from."""
        # The profile is read first: whatever arrives while listing is seen again next time.
        profile = self.api.call(self._users.getProfile(userId="me"), "getProfile")
        refs: dict[str, MessageRef] = {}
        for label in ("SENT", "INBOX"):
            page: str | None = None
            count = 0
            while count < FULL_SYNC_CAP:
                request = self._users.messages().list(
                    userId="me", labelIds=[label], q=f"newer_than:{FULL_SYNC_DAYS}d",
                    maxResults=min(500, FULL_SYNC_CAP - count), pageToken=page)
                answer = self.api.call(request, "messages.list")
                for m in answer.get("messages", []):
                    refs.setdefault(m["id"], MessageRef(m["id"], m.get("threadId"), (label,)))
                    count += 1
                page = answer.get("nextPageToken")
                if not page:
                    break
        return list(reversed(list(refs.values()))), str(profile["historyId"])

    def addressed(self) -> set[str]:
        """To and Cc of the newest Sent and Drafts messages (``Mailbox.addressed``)."""
        # messages.list with labelIds (SENT, DRAFT), then messages.get format=metadata with
        # metadataHeaders: "Only return message headers that are listed" (users.messages.get);
        # 5 + 5 units a message, at most FULL_SYNC_CAP a label, read for a new database only.
        ids: list[str] = []
        for label in ("SENT", "DRAFT"):
            answer = self.api.call(self._users.messages().list(
                userId="me", labelIds=[label], maxResults=FULL_SYNC_CAP), "messages.list")
            ids += [m["id"] for m in answer.get("messages", [])]
        answers, failures = self.api.batch_get(
            [(i, self._users.messages().get(userId="me", id=i, format="metadata",
                                            metadataHeaders=["To", "Cc"])) for i in ids],
            "messages.get")
        _problems(failures)  # an expired token stops here; another message missed is skipped
        return {a for answer in answers.values() for a in header_addresses(
            headers_message(answer.get("payload", {}).get("headers", [])), "To", "Cc")}

    def fetch(self, refs: list[MessageRef], watch: Watch) -> tuple[list[MailItem], list[str]]:
        """Fetch ``refs``: tracked threads as raw, the rest as metadata (raw if watched)."""
        if not refs:
            return [], []
        tracked = set(watch.thread_ids)
        by_id = {r.id: r for r in refs}
        full = [r.id for r in refs if r.thread_id in tracked]
        meta_ids = [r.id for r in refs if r.thread_id not in tracked]
        items: dict[str, MailItem] = {}
        problems: list[str] = []
        if meta_ids:
            answers, failures = self.api.batch_get(
                [(i, self._users.messages().get(userId="me", id=i, format="metadata"))
                 for i in meta_ids], "messages.get")
            problems += _problems(failures)
            for gid, answer in answers.items():
                headers = headers_message(answer.get("payload", {}).get("headers", []))
                if wants_body(headers, watch):
                    full.append(gid)
                else:
                    items[gid] = _item(by_id[gid], answer, headers, has_body=False)
        if full:
            answers, failures = self.api.batch_get(
                [(i, self._users.messages().get(userId="me", id=i, format="raw"))
                 for i in full], "messages.get")
            problems += _problems(failures)
            for gid, answer in answers.items():
                items[gid] = _parsed(by_id[gid], answer, problems)
        return [items[r.id] for r in refs if r.id in items], problems


def _note(record: dict[str, Any], refs: dict[str, MessageRef], seen: HistoryRead) -> None:
    """One history record into ``refs`` (new Sent/Inbox messages) and ``seen``."""
    for change in record.get("messagesAdded", []) + record.get("messagesDeleted", []):
        if thread := change.get("message", {}).get("threadId"):
            seen.changed.add(thread)
    for added in record.get("messagesAdded", []):
        m = added.get("message", {})
        labels = tuple(m.get("labelIds", ()))
        if m.get("id") and not _SKIP_LABELS & set(labels):
            refs.setdefault(m["id"], MessageRef(m["id"], m.get("threadId"), labels))
        elif m.get("id") and "DRAFT" in labels:
            seen.added_drafts.append(m["id"])


def _parsed(ref: MessageRef, answer: dict[str, Any], problems: list[str]) -> MailItem:
    """A ``format=raw`` answer as an item; a message that cannot be parsed whole (too big,
    too deep, broken) is kept headers-only with a problem, never fails the sync."""
    parsed = parse_message(decode_raw(str(answer.get("raw", ""))), max_bytes=MAX_BODY_BYTES)
    if parsed.problem:
        problems.append(f"Gmail message {ref.id}: {parsed.problem}")
    return _item(ref, answer, parsed.message, has_body=parsed.has_body)


def _problems(failures: dict[str, BackendError]) -> list[str]:
    for error in failures.values():
        if isinstance(error, AuthError):
            raise error
    return [f"Gmail message {gid}: {error}" for gid, error in failures.items()]


def _item(ref: MessageRef, answer: dict[str, Any], message: EmailMessage, *,
          has_body: bool) -> MailItem:
    received = None
    if answer.get("internalDate"):
        received = datetime.fromtimestamp(int(answer["internalDate"]) / 1000, UTC)
    return MailItem(key=ref.key, folder=ref.folder, message=message,
                    thread_id=answer.get("threadId") or ref.thread_id, has_body=has_body,
                    received_at=received)


def oldest_first(items: list[MailItem]) -> list[MailItem]:
    return sorted(items, key=lambda i: i.received_at or datetime.min.replace(tzinfo=UTC))

