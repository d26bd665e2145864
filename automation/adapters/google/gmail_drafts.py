"""Our drafts in Gmail: create, find, list, replace, withdraw, and never leave two copies.

- Drafts are tracked by **draft id**: "the draft resource is simply a container that provides
  a stable ID because the underlying message IDs change every time the message is replaced"
  (developers.google.com/gmail/api/guides/drafts); ``Draft.id`` is "The immutable ID of the
  draft" (the discovery document). ``present`` costs one ``drafts.list`` and no
  ``messages.get``; the Message-ID is only the fallback for a record without a draft id.
- One ``drafts.list`` serves a whole pass: the listing is kept from the moment it is read
  until the next sync starts, one of our own changes (create, replace, delete) makes it
  stale, or ``LISTING_SECONDS`` pass; a pass decides from one snapshot of Drafts, and the
  next pass reads a new one.
- ``create`` sends ``raw`` (base64url of the message) in the JSON body — media uploads would
  ignore a test endpoint — with ``threadId`` for replies, and is never retried blindly: after
  an ambiguous failure the draft is looked up by its Message-ID (``rfc822msgid:``). httplib2
  silently re-sends a POST once when a connection drops; the transport counts what it puts
  on the wire, and only a create that went out twice is checked for a copy, so a create
  costs its 10 units (developers.google.com/gmail/api/reference/quota) and nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from automation.adapters.google.gmail_mime import encode_raw, headers_message, raw_message
from automation.adapters.google.http import GoogleApi, GoogleApiError
from automation.app.ports import DraftRef, Watch
from automation.errors import AuthError, BackendError

log = logging.getLogger(__name__)
_GONE = (400, 404, 410)  # a draft id Gmail no longer knows
#: A pass takes seconds; a listing older than this belongs to another pass.
LISTING_SECONDS = 60.0


@dataclass(frozen=True)
class DraftEntry:
    draft_id: str
    gmail_id: str
    thread_id: str | None


class GmailDrafts:
    """The drafts side of one Gmail mailbox (see module docstring). One thread.

    ``added_since_sync`` answers the Gmail ids of the DRAFT messages added since this
    process's last sync (None when it cannot tell): where a re-sent create's copy is.
    """

    def __init__(self, api: GoogleApi,
                 added_since_sync: Callable[[], list[str] | None] = lambda: None) -> None:
        self.api = api
        self.added_since_sync = added_since_sync
        # Gmail message id → our Message-ID header. A Gmail message never changes (an edit
        # makes a new one), so this cache cannot go stale; it saves a get per draft per tick.
        self.message_ids: dict[str, str] = {}
        self._listing: tuple[float, list[DraftEntry]] | None = None  # this pass's list

    @property
    def _users(self) -> Any:
        return self.api.service.users()

    def forget_listing(self) -> None:
        """A new pass begins (or we changed Drafts): the next question lists Drafts again."""
        self._listing = None

    # -- reading --------------------------------------------------------------------------

    def listing(self) -> list[DraftEntry]:
        """Every draft in the mailbox, as of this pass (one ``drafts.list`` per 500)."""
        now = self.api.pacer.clock()
        if self._listing is None or now - self._listing[0] > LISTING_SECONDS:
            self._listing = (now, self._list())
        return self._listing[1]

    def _list(self, query: str | None = None) -> list[DraftEntry]:
        entries: list[DraftEntry] = []
        page: str | None = None
        while True:
            request = self._users.drafts().list(userId="me", q=query, maxResults=500,
                                                pageToken=page)
            answer = self.api.call(request, "drafts.list")
            for draft in answer.get("drafts", []):  # Gmail omits an empty list
                msg = draft.get("message", {})
                entries.append(DraftEntry(draft["id"], msg.get("id", ""), msg.get("threadId")))
            page = answer.get("nextPageToken")
            if not page:
                return entries

    def search(self, message_id: str) -> list[DraftEntry]:
        return self._list(f"rfc822msgid:{message_id.strip().strip('<>')}")

    def with_message_ids(self, entries: Iterable[DraftEntry], *,
                         complete: bool = False) -> list[DraftEntry]:
        """``entries``, with the Message-ID of each in ``message_ids`` (cached; one metadata
        get per new one). ``complete``: a failed get fails the call instead of being left
        out (an incomplete answer would look like drafts the user sent or discarded)."""
        entries = list(entries)
        unknown = [e.gmail_id for e in entries if e.gmail_id not in self.message_ids]
        if unknown:
            answers, failures = self.api.batch_get(
                [(gid, self._users.messages().get(userId="me", id=gid, format="metadata",
                                                  metadataHeaders=["Message-ID"]))
                 for gid in unknown], "messages.get")
            if failures and complete:
                raise next(iter(failures.values()))
            for gid, answer in answers.items():
                msg = headers_message(answer.get("payload", {}).get("headers", []))
                self.message_ids[gid] = str(msg.get("Message-ID", "")).strip()
        return entries

    def all_message_ids(self) -> set[str]:
        entries = self.with_message_ids(self._list(), complete=True)
        return {self.message_ids[e.gmail_id] for e in entries if self.message_ids.get(e.gmail_id)}

    def find(self, message_id: str) -> DraftRef | None:
        found = self.search(message_id)
        if not found:
            return None
        keep, extras = found[0], found[1:]
        for extra in extras:
            log.warning("deleting a duplicate draft %s of %s", extra.draft_id, message_id)
            self.delete_id(extra.draft_id)
        self.message_ids[keep.gmail_id] = message_id
        return DraftRef(keep.draft_id, message_id, keep.thread_id)

    def present(self, refs: Sequence[DraftRef]) -> dict[str, DraftRef]:
        if not refs:
            return {}
        listed = {e.draft_id: e for e in self.listing()}
        found: dict[str, DraftRef] = {}
        for ref in refs:
            entry = listed.get(ref.draft_id)
            if entry is None and not ref.draft_id:
                # No draft id on record: the Message-ID is all there is (a search, 5 units).
                hits = self.search(ref.message_id)
                entry = hits[0] if hits else None
            if entry is not None:
                found[ref.message_id] = DraftRef(entry.draft_id, ref.message_id,
                                                 entry.thread_id or ref.thread_id)
        return found

    def read(self, ref: DraftRef) -> EmailMessage | None:
        answer = self._on_draft(ref, lambda i: self._users.drafts().get(
            userId="me", id=i, format="raw"), "drafts.get")
        if answer is None:
            return None
        return raw_message(answer.get("message", {}).get("raw", ""))

    # -- changing -------------------------------------------------------------------------

    def create(self, message: EmailMessage, thread_id: str | None) -> DraftRef:
        message_id = str(message["Message-ID"])
        body: dict[str, Any] = {"raw": encode_raw(message)}
        if thread_id:
            body["threadId"] = thread_id
        request = self._users.drafts().create(userId="me", body={"message": body})
        self.forget_listing()
        try:
            made = self.api.call(request, "drafts.create", idempotent=False)
        except GoogleApiError as exc:
            if exc.status == 404 and thread_id:
                log.warning("thread %s is gone from Gmail; drafting %s outside it", thread_id,
                            message_id)
                return self.create(message, None)
            # A quota refusal was not acted on; any other retryable failure may have been
            # created before it failed: look it up.
            found = self._find_quietly(message_id) if exc.retryable and not exc.quota else None
            if found is None:
                raise
            log.info("draft %s was created despite the error (%s)", message_id, exc)
            return found
        except BackendError as exc:
            found = None if isinstance(exc, AuthError) or not exc.retryable \
                else self._find_quietly(message_id)
            if found is None:
                raise
            return found
        ref = DraftRef(made["id"], message_id, made["message"].get("threadId"))
        self.message_ids[made["message"]["id"]] = message_id
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
            return self.find(message_id)
        except AuthError:
            raise
        except BackendError as exc:
            log.warning("could not look draft %s up after a failure: %s", message_id, exc)
            return None

    def _drop_duplicates(self, keep: DraftRef, gmail_id: str) -> None:
        """httplib2 re-sends a request once when the connection drops before the answer: a
        create that had committed is then done twice. Only one draft may carry a Message-ID.

        Judged from the DRAFT messages added since the last sync and ``drafts.list``, never
        from search: Gmail search is an index with no read-after-write promise, so
        ``rfc822msgid:`` right after the create can miss the copy. With no sync yet in this
        process, every draft is checked. Whatever this misses, the next sync's ``sweep``
        catches (the copy's DRAFT message is in the history there too).
        """
        listed = {e.gmail_id: e for e in self.listing()}
        candidates = self.added_since_sync()
        for entry in self.with_message_ids(
                listed[g] for g in (listed if candidates is None else candidates)
                if g in listed and g != gmail_id):
            if self.message_ids.get(entry.gmail_id) == keep.message_id \
                    and entry.draft_id != keep.draft_id:
                log.warning("deleting a duplicate draft %s of %s", entry.draft_id,
                            keep.message_id)
                self.delete_id(entry.draft_id)

    def sweep(self, added_drafts: list[str], watch: Watch) -> list[str]:
        """Delete copies of our drafts that new DRAFT messages turn out to be: a draft whose
        Message-ID is one of ours but whose draft id is not on record (``watch.draft_ids``).

        A new DRAFT message of a draft on record is ours (it was just made, or the user
        edited it): its Message-ID is not read, so the pass after a drafting pass costs one
        ``drafts.list``, not a ``messages.get`` per draft. Returns problems (a failed sweep
        is retried when the copy shows up again)."""
        if not added_drafts or not watch.draft_ids:
            return []
        try:
            listed = {e.gmail_id: e for e in self.listing()}
            strangers = [listed[g] for g in added_drafts
                         if g in listed and listed[g].draft_id not in watch.draft_ids]
            for entry in self.with_message_ids(strangers):
                mid = self.message_ids.get(entry.gmail_id, "")
                if mid in watch.message_ids:
                    log.warning("deleting a duplicate draft %s of %s", entry.draft_id, mid)
                    self.delete_id(entry.draft_id)
        except AuthError:
            raise
        except BackendError as exc:
            return [f"could not check new drafts for duplicates: {exc}"]
        return []

    def delete_id(self, draft_id: str) -> bool:
        """Delete one draft; False if it was already gone."""
        self.forget_listing()
        try:
            self.api.call(self._users.drafts().delete(userId="me", id=draft_id), "drafts.delete")
        except GoogleApiError as exc:
            if exc.status in _GONE:
                return False
            raise
        return True

    def delete(self, ref: DraftRef) -> None:
        if ref.draft_id and self.delete_id(ref.draft_id):
            return
        # An edit in Gmail's UI gives the draft a new id: find it by its Message-ID.
        for entry in self.search(ref.message_id):
            self.delete_id(entry.draft_id)

    def _on_draft(self, ref: DraftRef, make: Callable[[str], Any], method: str) -> Any:
        """``make(draft_id)`` executed on ``ref``'s draft; when Gmail answers that the id is
        gone, once more on the draft that carries its Message-ID (an edit in Gmail's UI may
        give the draft a new id). None if no such draft is left."""
        tried: set[str] = set()
        draft_id: str | None = ref.draft_id
        while True:
            if not draft_id or draft_id in tried:
                found = [e.draft_id for e in self.search(ref.message_id)
                         if e.draft_id not in tried]
                if not found:
                    return None
                draft_id = found[0]
            tried.add(draft_id)
            try:
                return self.api.call(make(draft_id), method)
            except GoogleApiError as exc:
                if exc.status not in _GONE:
                    raise
                draft_id = None

    def replace(self, ref: DraftRef, message: EmailMessage,
                thread_id: str | None) -> DraftRef | None:
        """``drafts.update``: "Replaces a draft's content", keeping the draft id
        (developers.google.com/gmail/api/reference/rest/v1/users.drafts/update). A repeat
        replaces it again with the same content, so the call is safe to retry."""
        body: dict[str, Any] = {"raw": encode_raw(message)}
        if thread_id or ref.thread_id:
            body["threadId"] = thread_id or ref.thread_id
        self.forget_listing()
        made = self._on_draft(ref, lambda i: self._users.drafts().update(
            userId="me", id=i, body={"id": i, "message": body}), "drafts.update")
        if made is None:
            return None
        message_id = str(message["Message-ID"])
        self.message_ids[made["message"]["id"]] = message_id
        return DraftRef(made["id"], message_id, made["message"].get("threadId"))
