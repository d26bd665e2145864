"""The Gmail Mailbox: drafts through the Gmail API, and reply tracking through its history.

- ``create_draft`` sends ``raw`` (base64url of the message) in the JSON body — media uploads
  would ignore a test endpoint — with ``threadId`` for replies. ``drafts.create`` is never
  retried blindly: after an ambiguous failure the draft is looked up by its Message-ID
  (``rfc822msgid:``). httplib2 silently re-sends a POST once when a connection drops; the
  transport counts what it puts on the wire, and only a create that went out twice is
  checked for a copy (from the history and ``drafts.list``), so a create costs 10 units.
- ``sync`` costs O(new messages): ``history.list(startHistoryId, historyTypes=messageAdded)``
  from the stored cursor, then only the new messages, in batches of at most 50 —
  ``format=metadata`` unless the thread is tracked (or the headers show a watched sender or a
  reply to one of our messages), then ``format=raw``. An expired history id (404) falls back
  to a bounded full sync of recent Sent and Inbox mail, re-seeded from ``getProfile``.
- Gmail stamps its own Message-ID on a sent draft: sent mail is matched by ``thread_id``.
- Drafts are tracked by **draft id**: "the draft resource is simply a container that provides a
  stable ID because the underlying message IDs change every time the message is replaced"
  (developers.google.com/gmail/api/guides/drafts); ``Draft.id`` is "The immutable ID of the
  draft" (the discovery document). ``drafts_present`` costs one ``drafts.list`` and no
  ``messages.get``; the Message-ID is only the fallback for a record without a draft id. The
  history sync also reports the threads where a message was deleted (a draft edited, sent or
  deleted leaves a ``messageDeleted`` there), so an idle pass need not list drafts at all.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import HeaderParser
from typing import Any

from automation.adapters.google.http import GoogleApi, GoogleApiError
from automation.app.ports import DraftRef, MailItem, SyncResult, Watch
from automation.core.mailsafe import header_addresses, header_text, message_ids, parse_message
from automation.errors import AuthError, BackendError

log = logging.getLogger(__name__)

FULL_SYNC_DAYS = 30
FULL_SYNC_CAP = 200  # messages per label (Sent, Inbox) in a fallback sync
#: Larger messages are read headers-only, as on the local backend.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_NEW_PER_SYNC = 300  # more waits for the next tick: a tick stays short after a long pause
_SKIP_LABELS = frozenset({"DRAFT", "SPAM", "TRASH"})


@dataclass(frozen=True)
class _Ref:
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


@dataclass(frozen=True)
class _DraftEntry:
    draft_id: str
    gmail_id: str
    thread_id: str | None


class HistoryGone(Exception):
    """The stored history id is older than Gmail keeps (404)."""


def encode_raw(message: EmailMessage) -> str:
    return base64.urlsafe_b64encode(message.as_bytes(policy=policy.SMTP)).decode("ascii")


def headers_message(headers: list[dict[str, str]]) -> EmailMessage:
    """A headers-only EmailMessage from ``payload.headers`` of a ``format=metadata`` answer."""
    lines = []
    for header in headers:
        name, value = header.get("name", ""), header.get("value", "")
        if name and ":" not in name and name.isprintable():
            lines.append(f"{name}: {' '.join(value.split())}")
    return HeaderParser(policy=policy.default).parsestr("\n".join(lines) + "\n\n")


_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
_BOUNCE_SUBJECT = re.compile(r"(?i)undeliver|delivery status notification|delivery fail|"
                             r"mail delivery|returned mail|failure notice")


def looks_like_bounce(message: EmailMessage) -> bool:
    """A delivery report, judged by headers alone: it names the failed address only inside."""
    # Raw, bounded header reads: the structured parse costs seconds on a hostile From.
    senders = header_addresses(message, "From")
    return (message.get_content_type() == "multipart/report"
            or bool(header_text(message, "X-Failed-Recipients"))
            or any(s.partition("@")[0] in _BOUNCE_SENDERS for s in senders)
            or bool(_BOUNCE_SUBJECT.search(header_text(message, "Subject"))))


def wants_body(message: EmailMessage, watch: Watch) -> bool:
    """Is this a message the service tracks: from a watched address, a reply to one of ours,
    or a bounce (which may come in a thread of its own, from a stranger)?"""
    senders = set(header_addresses(message, "From"))
    if senders & {a.lower() for a in watch.addresses}:
        return True
    refs = (set(message_ids(header_text(message, "In-Reply-To")))
            | set(message_ids(header_text(message, "References"))))
    return bool(refs & set(watch.message_ids)) or looks_like_bounce(message)


class GmailMailbox:
    """Mailbox port over the Gmail API (see module docstring). One instance, one thread."""

    def __init__(self, api: GoogleApi) -> None:
        self.api = api
        # Gmail message id → our Message-ID header. A Gmail message never changes (an edit
        # makes a new one), so this cache cannot go stale; it saves a get per draft per tick.
        self._message_ids: dict[str, str] = {}
        self._added_drafts: list[str] = []  # DRAFT messages the last history read saw added
        #: The history id of this process's last sync: a copy left by a re-sent create is
        #: among the DRAFT messages added since.
        self._history_mark: str | None = None

    @property
    def _users(self) -> Any:
        return self.api.service.users()

    # -- drafts ---------------------------------------------------------------------------

    def create_draft(self, message: EmailMessage, *, thread_id: str | None = None) -> DraftRef:
        message_id = str(message["Message-ID"])
        body: dict[str, Any] = {"raw": encode_raw(message)}
        if thread_id:
            body["threadId"] = thread_id
        request = self._users.drafts().create(userId="me", body={"message": body})
        try:
            made = self.api.call(request, "drafts.create", idempotent=False)
        except GoogleApiError as exc:
            if exc.status == 404 and thread_id:
                log.warning("thread %s is gone from Gmail; drafting %s outside it", thread_id,
                            message_id)
                return self.create_draft(message, thread_id=None)
            # A quota refusal was not acted on; any other retryable failure may have been
            # created before it failed: look it up.
            if exc.retryable and not exc.quota:
                found = self._find_quietly(message_id)
                if found is not None:
                    log.info("draft %s was created despite the error (%s)", message_id, exc)
                    return found
            raise
        except BackendError as exc:
            if isinstance(exc, AuthError) or not exc.retryable:
                raise
            found = self._find_quietly(message_id)
            if found is None:
                raise
            return found
        ref = DraftRef(made["id"], message_id, made["message"].get("threadId"))
        self._message_ids[made["message"]["id"]] = message_id
        if self.api.last_sends > 1:  # the transport re-sent it: Gmail may hold a copy
            try:
                self._drop_duplicates(ref, made["message"]["id"])
            except AuthError:
                raise
            except BackendError as exc:  # the draft exists; the next sync's sweep cleans up
                log.warning("could not check draft %s for a duplicate: %s", message_id, exc)
        return ref

    def _find_quietly(self, message_id: str) -> DraftRef | None:
        try:
            return self.find_draft(message_id)
        except AuthError:
            raise
        except BackendError as exc:
            log.warning("could not look draft %s up after a failure: %s", message_id, exc)
            return None

    def _search(self, message_id: str) -> list[_DraftEntry]:
        return self._list_drafts(f"rfc822msgid:{message_id.strip().strip('<>')}")

    def _drop_duplicates(self, keep: DraftRef, gmail_id: str) -> None:
        """httplib2 re-sends a request once when the connection drops before the answer: a
        create that had committed is then done twice. Only one draft may carry a Message-ID.

        Called only when the create went on the wire more than once, so a create costs its 10
        units and nothing more. Judged from the history since the last sync (what was added
        since) and ``drafts.list``, never from search: Gmail search is an index with no
        read-after-write promise, so ``rfc822msgid:`` right after the create can miss the
        copy. With no sync yet in this process every draft is checked. Whatever this misses,
        the next sync's ``_sweep`` catches (the copy's DRAFT message is in the history there).
        """
        listed = {e.gmail_id: e for e in self._list_drafts()}
        candidates = list(listed)
        if self._history_mark is not None:
            try:
                self._history(self._history_mark)
                candidates = self._added_drafts
            except HistoryGone:
                pass
        entries = self._with_message_ids([listed[g] for g in candidates
                                          if g in listed and g != gmail_id])
        for entry in entries:
            if self._message_ids.get(entry.gmail_id) == keep.message_id \
                    and entry.draft_id != keep.draft_id:
                log.warning("deleting a duplicate draft %s of %s", entry.draft_id,
                            keep.message_id)
                self._delete(entry.draft_id)

    def _with_message_ids(self, entries: list[_DraftEntry]) -> list[_DraftEntry]:
        """``entries``, with the Message-ID of each (cached; one metadata get per new one)."""
        unknown = [e.gmail_id for e in entries if e.gmail_id not in self._message_ids]
        if unknown:
            answers, _ = self.api.batch_get(
                [(gid, self._users.messages().get(userId="me", id=gid, format="metadata",
                                                  metadataHeaders=["Message-ID"]))
                 for gid in unknown], "messages.get")
            for gid, answer in answers.items():
                msg = headers_message(answer.get("payload", {}).get("headers", []))
                self._message_ids[gid] = str(msg.get("Message-ID", "")).strip()
        return entries

    def _sweep(self, added_drafts: list[str], watch: Watch) -> list[str]:
        """Delete copies of our drafts that new DRAFT messages turn out to be: a draft whose
        Message-ID is one of ours but whose draft id is not on record (``watch.draft_ids``).
        Returns problems (a failed sweep is retried when the copy shows up again)."""
        if not added_drafts or not watch.draft_ids:
            return []
        try:
            listed = {e.gmail_id: e for e in self._list_drafts()}
            fresh = [listed[g] for g in added_drafts if g in listed]
            for entry in self._with_message_ids(fresh):
                mid = self._message_ids.get(entry.gmail_id, "")
                if mid in watch.message_ids and entry.draft_id not in watch.draft_ids:
                    log.warning("deleting a duplicate draft %s of %s", entry.draft_id, mid)
                    self._delete(entry.draft_id)
        except AuthError:
            raise
        except BackendError as exc:
            return [f"could not check new drafts for duplicates: {exc}"]
        return []

    def find_draft(self, message_id: str) -> DraftRef | None:
        found = self._search(message_id)
        if not found:
            return None
        keep, extras = found[0], found[1:]
        for extra in extras:
            log.warning("deleting a duplicate draft %s of %s", extra.draft_id, message_id)
            self._delete(extra.draft_id)
        self._message_ids[keep.gmail_id] = message_id
        return DraftRef(keep.draft_id, message_id, keep.thread_id)

    def _list_drafts(self, query: str | None = None) -> list[_DraftEntry]:
        entries: list[_DraftEntry] = []
        page: str | None = None
        while True:
            request = self._users.drafts().list(userId="me", q=query, maxResults=500,
                                                pageToken=page)
            answer = self.api.call(request, "drafts.list")
            for draft in answer.get("drafts", []):  # Gmail omits an empty list
                msg = draft.get("message", {})
                entries.append(_DraftEntry(draft["id"], msg.get("id", ""), msg.get("threadId")))
            page = answer.get("nextPageToken")
            if not page:
                return entries

    def draft_message_ids(self) -> set[str]:
        entries = self._list_drafts()
        unknown = [e.gmail_id for e in entries if e.gmail_id not in self._message_ids]
        if unknown:
            requests = [(gid, self._users.messages().get(
                userId="me", id=gid, format="metadata", metadataHeaders=["Message-ID"]))
                for gid in unknown]
            answers, failures = self.api.batch_get(requests, "messages.get")
            if failures:
                # An incomplete answer would look like drafts the user sent or discarded.
                raise next(iter(failures.values()))
            for gid, answer in answers.items():
                msg = headers_message(answer.get("payload", {}).get("headers", []))
                self._message_ids[gid] = str(msg.get("Message-ID", "")).strip()
        return {self._message_ids[e.gmail_id] for e in entries
                if self._message_ids.get(e.gmail_id)}

    def drafts_present(self, refs: Sequence[DraftRef]) -> dict[str, DraftRef]:
        if not refs:
            return {}
        listed = {e.draft_id: e for e in self._list_drafts()}
        found: dict[str, DraftRef] = {}
        for ref in refs:
            entry = listed.get(ref.draft_id)
            if entry is None and not ref.draft_id:
                # No draft id on record: the Message-ID is all there is (a search, 5 units).
                hits = self._search(ref.message_id)
                entry = hits[0] if hits else None
            if entry is not None:
                found[ref.message_id] = DraftRef(entry.draft_id, ref.message_id,
                                                 entry.thread_id or ref.thread_id)
        return found

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

    def _delete(self, draft_id: str) -> bool:
        """Delete one draft; False if it was already gone."""
        try:
            self.api.call(self._users.drafts().delete(userId="me", id=draft_id), "drafts.delete")
        except GoogleApiError as exc:
            if exc.status in (400, 404, 410):  # gone (or an id Gmail no longer knows)
                return False
            raise
        return True

    def delete_draft(self, ref: DraftRef) -> None:
        if ref.draft_id and self._delete(ref.draft_id):
            return
        # An edit in Gmail's UI gives the draft a new id: find it by its Message-ID.
        for entry in self._search(ref.message_id):
            self._delete(entry.draft_id)

    def _on_draft(self, ref: DraftRef, make: Callable[[str], Any], method: str) -> Any:
        """``make(draft_id)`` executed on ``ref``'s draft; when Gmail answers that the id is
        gone, once more on the draft that carries its Message-ID (an edit in Gmail's UI may
        give the draft a new id). None if no such draft is left."""
        tried: set[str] = set()
        draft_id: str | None = ref.draft_id
        while True:
            if not draft_id or draft_id in tried:
                found = [e.draft_id for e in self._search(ref.message_id)
                         if e.draft_id not in tried]
                if not found:
                    return None
                draft_id = found[0]
            tried.add(draft_id)
            try:
                return self.api.call(make(draft_id), method)
            except GoogleApiError as exc:
                if exc.status not in (400, 404, 410):
                    raise
                draft_id = None

    def read_draft(self, ref: DraftRef) -> EmailMessage | None:
        answer = self._on_draft(ref, lambda i: self._users.drafts().get(
            userId="me", id=i, format="raw"), "drafts.get")
        if answer is None:
            return None
        raw = answer.get("message", {}).get("raw", "")
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        return parse_message(data, max_bytes=MAX_BODY_BYTES).message

    def replace_draft(self, ref: DraftRef, message: EmailMessage, *,
                      thread_id: str | None = None) -> DraftRef | None:
        """``drafts.update``: "Replaces a draft's content", keeping the draft id
        (developers.google.com/gmail/api/reference/rest/v1/users.drafts/update). A repeat
        replaces it again with the same content, so the call is safe to retry."""
        body: dict[str, Any] = {"raw": encode_raw(message)}
        if thread_id or ref.thread_id:
            body["threadId"] = thread_id or ref.thread_id
        made = self._on_draft(ref, lambda i: self._users.drafts().update(
            userId="me", id=i, body={"id": i, "message": body}), "drafts.update")
        if made is None:
            return None
        message_id = str(message["Message-ID"])
        self._message_ids[made["message"]["id"]] = message_id
        return DraftRef(made["id"], message_id, made["message"].get("threadId"))

    # -- sync -----------------------------------------------------------------------------

    def sync(self, cursor: str | None, watch: Watch,
             known: Callable[[str], bool] = lambda key: False) -> SyncResult:
        if cursor is None or not cursor.isdigit():
            return self._full_sync(cursor, watch, known, [])
        try:
            refs, new_cursor, changed = self._history(cursor)
        except HistoryGone:
            note = (f"Gmail no longer has history since {cursor} (the service was off a long "
                    f"time); re-read the last {FULL_SYNC_DAYS} days of Sent and Inbox")
            log.warning(note)
            return self._full_sync(cursor, watch, known, [note])
        self._history_mark = new_cursor
        wanted = [r for r in refs if not known(r.key)]
        items, problems = self._fetch(wanted, watch)
        problems += self._sweep(self._added_drafts, watch)
        return SyncResult(items=items, cursor=cursor if problems else new_cursor,
                          problems=problems, changed_threads=frozenset(changed))

    def _history(self, cursor: str) -> tuple[list[_Ref], str, set[str]]:
        """New messages since ``cursor``, the cursor after them (bounded per call), and the
        threads where any message was added or deleted (drafts included)."""
        refs: dict[str, _Ref] = {}
        changed: set[str] = set()
        self._added_drafts = []
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
                for change in record.get("messagesAdded", []) + record.get("messagesDeleted", []):
                    if thread := change.get("message", {}).get("threadId"):
                        changed.add(thread)
                for added in record.get("messagesAdded", []):
                    m = added.get("message", {})
                    labels = tuple(m.get("labelIds", ()))
                    if m.get("id") and not _SKIP_LABELS & set(labels):
                        refs.setdefault(m["id"], _Ref(m["id"], m.get("threadId"), labels))
                    elif m.get("id") and "DRAFT" in labels:
                        self._added_drafts.append(m["id"])
                if len(refs) >= MAX_NEW_PER_SYNC:
                    # Resume after this record next time: the rest is not lost, only later.
                    return list(refs.values()), str(record["id"]), changed
            page = answer.get("nextPageToken")
            if not page:
                return list(refs.values()), str(answer["historyId"]), changed

    def _full_sync(self, cursor: str | None, watch: Watch, known: Callable[[str], bool],
                   problems: list[str]) -> SyncResult:
        """Recent Sent and Inbox mail (bounded), and a fresh cursor from ``getProfile``."""
        # The profile is read first: whatever arrives while listing is seen again next time.
        profile = self.api.call(self._users.getProfile(userId="me"), "getProfile")
        self._history_mark = str(profile["historyId"])
        refs: dict[str, _Ref] = {}
        for label in ("SENT", "INBOX"):
            page: str | None = None
            count = 0
            while count < FULL_SYNC_CAP:
                request = self._users.messages().list(
                    userId="me", labelIds=[label], q=f"newer_than:{FULL_SYNC_DAYS}d",
                    maxResults=min(500, FULL_SYNC_CAP - count), pageToken=page)
                answer = self.api.call(request, "messages.list")
                for m in answer.get("messages", []):
                    refs.setdefault(m["id"], _Ref(m["id"], m.get("threadId"), (label,)))
                    count += 1
                page = answer.get("nextPageToken")
                if not page:
                    break
        wanted = [r for r in reversed(list(refs.values())) if not known(r.key)]
        items, fetch_problems = self._fetch(wanted, watch)
        items.sort(key=lambda i: i.received_at or datetime.min.replace(tzinfo=UTC))
        problems = problems + fetch_problems
        return SyncResult(items=items, cursor=cursor if fetch_problems else
                          str(profile["historyId"]), problems=problems)

    def _fetch(self, refs: list[_Ref], watch: Watch) -> tuple[list[MailItem], list[str]]:
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
            problems += self._problems(failures)
            for gid, answer in answers.items():
                headers = headers_message(answer.get("payload", {}).get("headers", []))
                if wants_body(headers, watch):
                    full.append(gid)
                else:
                    items[gid] = self._item(by_id[gid], answer, headers, has_body=False)
        if full:
            answers, failures = self.api.batch_get(
                [(i, self._users.messages().get(userId="me", id=i, format="raw"))
                 for i in full], "messages.get")
            problems += self._problems(failures)
            for gid, answer in answers.items():
                items[gid] = self._parsed(by_id[gid], answer, problems)
        return [items[r.id] for r in refs if r.id in items], problems

    @classmethod
    def _parsed(cls, ref: _Ref, answer: dict[str, Any], problems: list[str]) -> MailItem:
        """A ``format=raw`` answer as an item; a message that cannot be parsed whole (too
        big, too deep, broken) is kept headers-only with a problem, never fails the sync."""
        raw = str(answer.get("raw", ""))
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except ValueError:
            data = b""
        parsed = parse_message(data, max_bytes=MAX_BODY_BYTES)
        if parsed.problem:
            problems.append(f"Gmail message {ref.id}: {parsed.problem}")
        return cls._item(ref, answer, parsed.message, has_body=parsed.has_body)

    @staticmethod
    def _problems(failures: dict[str, BackendError]) -> list[str]:
        for error in failures.values():
            if isinstance(error, AuthError):
                raise error
        return [f"Gmail message {gid}: {error}" for gid, error in failures.items()]

    @staticmethod
    def _item(ref: _Ref, answer: dict[str, Any], message: EmailMessage, *,
              has_body: bool) -> MailItem:
        received = None
        if answer.get("internalDate"):
            received = datetime.fromtimestamp(int(answer["internalDate"]) / 1000, UTC)
        return MailItem(key=ref.key, folder=ref.folder, message=message,
                        thread_id=answer.get("threadId") or ref.thread_id, has_body=has_body,
                        received_at=received)
