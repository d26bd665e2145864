"""A Gmail mailbox: messages, threads, drafts and the history log, with Gmail's rules.

Rules kept from the real service:
- a thread's id is the id of its first message; a message joins an existing thread only when its
  subject matches the thread's ("Re:" ignored) — for drafts the thread is named by ``threadId``,
  for inbound mail it is found through In-Reply-To/References;
- every change gets a new, larger history id; history before the retention horizon is gone (404);
- a sent draft leaves Drafts and comes back as a new message (new id, label SENT, same thread).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cached_property

from . import mime
from .errors import ApiError, not_found

SYSTEM_LABELS = ("INBOX", "SENT", "DRAFT", "UNREAD", "STARRED", "IMPORTANT", "SPAM", "TRASH",
                 "SCHEDULED")


@dataclass
class Message:
    id: str
    thread_id: str
    label_ids: list[str]
    raw: bytes
    internal_date: int
    history_id: int = 0

    @cached_property
    def email(self) -> EmailMessage:
        return mime.parse(self.raw)

    def header(self, name: str) -> str | None:
        value = self.email[name]
        return None if value is None else " ".join(str(value).split())

    def ref(self) -> dict[str, object]:
        return {"id": self.id, "threadId": self.thread_id, "labelIds": list(self.label_ids)}


@dataclass
class Draft:
    id: str
    message_id: str


@dataclass
class Mailbox:
    """All state of one user's mailbox. The caller holds the fake's lock."""

    address: str
    now: Callable[[], datetime]
    # The threads guide, "Adding drafts and messages to threads": "The requested threadId must
    # be specified ... The References and In-Reply-To headers must be set in compliance with
    # the RFC 2822 standard. The Subject headers must match." (developers.google.com/gmail/
    # api/guides/threads). All three, by default.
    strict_threading: bool = True
    messages: dict[str, Message] = field(default_factory=dict)
    threads: dict[str, list[str]] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    history_id: int = 1000
    horizon: int = 0
    scheduled: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    # Gmail search is an index with no read-after-write promise: with ``search_lag`` = N a new
    # message is found by ``q=`` searches only N requests later (listing without ``q`` sees
    # it at once). The users.messages.list reference: "q: Only return messages matching the
    # specified query. Supports the same query format as the Gmail search box."
    search_lag: int = 0
    requests: int = 0
    searchable_from: dict[str, int] = field(default_factory=dict)
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    # ---- ids and the history log -------------------------------------------------------
    def _new_id(self) -> str:
        return f"{0x18F0000000000000 + next(self._serial) * 0x1F3:x}"

    def _log(self, kind: str, msg: Message, labels: Iterable[str] = ()) -> None:
        self.history_id += 1
        msg.history_id = self.history_id
        entry = {"id": self.history_id, "kind": kind, "message": msg.ref(), "labels": list(labels)}
        self.history.append(entry)

    def expire_history(self) -> None:
        """Every id issued so far becomes too old; the (new) current id stays usable."""
        self.history_id += 1
        self.horizon = self.history_id

    def history_since(self, start: int) -> list[dict]:
        if start < self.horizon:
            raise not_found("Requested entity was not found.")
        return [h for h in self.history if h["id"] > start]

    # ---- reading ----------------------------------------------------------------------
    def message(self, message_id: str) -> Message:
        if message_id not in self.messages:
            raise not_found()
        return self.messages[message_id]

    def draft(self, draft_id: str) -> Draft:
        if draft_id not in self.drafts:
            raise not_found()
        return self.drafts[draft_id]

    def thread(self, thread_id: str) -> list[Message]:
        if thread_id not in self.threads:
            raise not_found()
        return [self.messages[m] for m in self.threads[thread_id]]

    def newest_first(self) -> list[Message]:
        order = {mid: i for i, mid in enumerate(self.messages)}
        return sorted(self.messages.values(), key=lambda m: (-m.internal_date, -order[m.id]))

    # ---- threading --------------------------------------------------------------------
    def _subject_matches(self, thread_id: str, msg: EmailMessage) -> bool:
        """"The Subject headers must match" (threads guide): the subject of the thread's
        latest message that is not a draft — the one a reply answers."""
        ids = self.threads[thread_id]
        latest = next((self.messages[m] for m in reversed(ids)
                       if "DRAFT" not in self.messages[m].label_ids), self.messages[ids[0]])
        return mime.base_subject(latest.header("Subject")) == mime.base_subject(msg["Subject"])

    def _references_thread(self, thread_id: str, msg: EmailMessage) -> bool:
        wanted = set(mime.message_ids(str(msg["In-Reply-To"] or "")))
        wanted |= set(mime.message_ids(str(msg["References"] or "")))
        return any(self.messages[m].header("Message-ID") in wanted for m in self.threads[thread_id])

    def _thread_for_draft(self, thread_id: str | None, msg: EmailMessage) -> str | None:
        if not thread_id:
            return None
        if thread_id not in self.threads:
            raise not_found()
        if not self._subject_matches(thread_id, msg):
            return None
        if self.strict_threading and not self._references_thread(thread_id, msg):
            return None
        return thread_id

    def _thread_for_inbound(self, msg: EmailMessage) -> str | None:
        wanted = mime.message_ids(str(msg["References"] or ""))
        wanted += mime.message_ids(str(msg["In-Reply-To"] or ""))
        for candidate in self.newest_first():
            if candidate.header("Message-ID") in wanted:
                if self._subject_matches(candidate.thread_id, msg):
                    return candidate.thread_id
        return None

    # ---- changes ----------------------------------------------------------------------
    def _add(self, raw: bytes, thread_id: str | None, labels: Iterable[str], when: datetime):
        msg_id = self._new_id()
        thread_id = thread_id or msg_id
        msg = Message(msg_id, thread_id, list(labels), raw, int(when.timestamp() * 1000))
        self.messages[msg_id] = msg
        if self.search_lag:
            self.searchable_from[msg_id] = self.requests + self.search_lag
        self.threads.setdefault(thread_id, []).append(msg_id)
        self._log("messageAdded", msg)
        return msg

    def _remove(self, msg: Message) -> None:
        del self.messages[msg.id]
        ids = self.threads[msg.thread_id]
        ids.remove(msg.id)
        if not ids:
            del self.threads[msg.thread_id]
        self._log("messageDeleted", msg)

    def create_draft(self, raw: bytes, thread_id: str | None = None) -> Draft:
        thread = self._thread_for_draft(thread_id, mime.parse(raw))
        msg = self._add(raw, thread, ["DRAFT"], self.now())
        draft = Draft(f"r{next(self._serial) * 7919 + 4_000_000_000_000_000_000}", msg.id)
        self.drafts[draft.id] = draft
        return draft

    def replace_draft(
        self, draft_id: str, raw: bytes, thread_id: str | None, *, in_ui: bool = False
    ) -> Draft:
        """drafts.update, or (``in_ui``) the user editing it in Gmail.

        The draft keeps its id and gets a new message: "the draft resource is simply a
        container that provides a stable ID because the underlying message IDs change every
        time the message is replaced" (developers.google.com/gmail/api/guides/drafts), and
        ``Draft.id`` is "The immutable ID of the draft" (the discovery document). A UI edit
        keeps the draft in its conversation, as Gmail's compose window does.
        """
        draft = self.draft(draft_id)
        old = self.messages[draft.message_id]
        parsed = mime.parse(raw)
        if in_ui:
            alone = self.threads[old.thread_id] == [old.id]
            keep = alone or self._subject_matches(old.thread_id, parsed)
            thread = old.thread_id if keep else None
        else:
            thread = self._thread_for_draft(thread_id, parsed)
        if thread is None and self.threads[old.thread_id] == [old.id]:
            thread = old.thread_id  # a lone draft's thread is its own: it stays
        msg = self._add(raw, thread, ["DRAFT"], self.now())
        self._remove(old)
        draft.message_id = msg.id
        return draft

    def delete_draft(self, draft_id: str) -> None:
        draft = self.draft(draft_id)
        del self.drafts[draft_id]
        self._remove(self.messages[draft.message_id])

    def send_draft(self, draft_id: str, message_id_header: str | None = None) -> Message:
        """The user presses Send: Gmail stamps its own Message-ID and files it under SENT."""
        draft = self.draft(draft_id)
        old = self.messages[draft.message_id]
        when = self.now()
        sent = self._sent_copy(old, message_id_header, when)
        del self.drafts[draft_id]
        self._remove(old)
        return sent

    def _sent_copy(self, old: Message, message_id_header: str | None, when: datetime) -> Message:
        email = mime.parse(old.raw)
        for name, value in (
            ("Message-ID", message_id_header or mime.gmail_message_id()),
            ("Date", format_datetime(when)),
            ("From", str(email["From"] or self.address)),
        ):
            del email[name]
            email[name] = value
        return self._add(email.as_bytes(), old.thread_id, ["SENT"], when)

    def schedule_send(self, draft_id: str, at: datetime) -> Message:
        """Schedule send (or undo-send's delay): the draft leaves Drafts at once, the message
        waits in the thread under SCHEDULED, and at ``at`` a SENT message replaces it.

        Gmail Help, "Schedule emails to be sent later" (support.google.com/mail/answer/9214606):
        scheduled emails wait in the "Scheduled" folder and can be cancelled, which makes
        them drafts again; undo-send holds a sent message for up to 30 seconds
        (support.google.com/mail/answer/2819488). Neither is in the API reference.
        """
        draft = self.draft(draft_id)
        old = self.messages[draft.message_id]
        del self.drafts[draft_id]
        waiting = self._add(old.raw, old.thread_id, ["SCHEDULED"], self.now())
        self._remove(old)
        self.scheduled[waiting.id] = (draft_id, at)
        return waiting

    def cancel_scheduled(self, message_id: str) -> Draft:
        """The user cancels the scheduled send (or presses Undo): the draft is back, same id."""
        draft_id, _ = self.scheduled.pop(message_id)
        waiting = self.messages[message_id]
        msg = self._add(waiting.raw, waiting.thread_id, ["DRAFT"], self.now())
        self._remove(waiting)
        self.drafts[draft_id] = Draft(draft_id, msg.id)
        return self.drafts[draft_id]

    def searchable(self, msg: Message) -> bool:
        return self.searchable_from.get(msg.id, 0) <= self.requests

    def release_due(self) -> None:
        """Send every scheduled message whose time has come (called before each request)."""
        self.requests += 1
        now = self.now()
        for message_id, (_, at) in list(self.scheduled.items()):
            if at <= now:
                del self.scheduled[message_id]
                waiting = self.messages[message_id]
                self._sent_copy(waiting, None, at)
                self._remove(waiting)

    def deliver(
        self,
        raw: bytes,
        thread_id: str | None,
        labels: Iterable[str],
        received_at: datetime | None = None,
    ) -> Message:
        when = received_at or self.now()
        domain = self.address.rpartition("@")[2] or "example.org"
        raw = mime.with_defaults(raw, when=when, domain=domain)
        if thread_id is not None and thread_id not in self.threads:
            raise KeyError(f"no thread {thread_id}")
        thread = thread_id or self._thread_for_inbound(mime.parse(raw))
        return self._add(raw, thread, labels, when)

    def modify_labels(self, message_id: str, add: Iterable[str], remove: Iterable[str]) -> Message:
        msg = self.message(message_id)
        added = [label for label in add if label not in msg.label_ids]
        removed = [label for label in remove if label in msg.label_ids]
        if "DRAFT" in added or "DRAFT" in removed or "SENT" in added:
            raise ApiError(400, "invalidArgument", "Invalid label: system labels DRAFT/SENT")
        msg.label_ids = [label for label in msg.label_ids if label not in removed] + added
        if added:
            self._log("labelAdded", msg, added)
        if removed:
            self._log("labelRemoved", msg, removed)
        return msg
