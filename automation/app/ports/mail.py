"""The Mailbox port: the drafts we create, and what shows up in Sent and Inbox.

Adapters: ``adapters/memory.py``, ``adapters/local/maildir.py``, ``adapters/google/gmail.py``;
``tests/contract/test_mailbox_contract.py`` runs against each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the email package is imported by the code that builds or reads mail
    from email.message import EmailMessage


@dataclass(frozen=True)
class DraftRef:
    """Where a draft lives. ``message_id`` is our Message-ID header (with angle brackets)."""

    draft_id: str
    message_id: str
    thread_id: str | None = None


@dataclass(frozen=True)
class MailItem:
    """One message observed in the user's Sent or Inbox folder.

    ``key`` is unique and stable for this observation (the tick records it as processed).
    ``message`` always has the headers; ``has_body`` says whether the body was fetched too.
    """

    key: str
    folder: str  # "sent" | "inbox"
    message: EmailMessage
    thread_id: str | None = None
    has_body: bool = True
    received_at: datetime | None = None


@dataclass(frozen=True)
class Watch:
    """What the service tracks, so a backend can decide which bodies are worth fetching."""

    thread_ids: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    message_ids: frozenset[str] = frozenset()
    #: Our drafts' ids on record: a draft with one of our Message-IDs and another id is a copy.
    draft_ids: frozenset[str] = frozenset()


class LazyWatch(Watch):
    """A ``Watch`` read when a backend first looks at it: ``load`` runs once, on first use.
    Its four set queries span every contact past ``new``, and a Maildir's sync never looks
    (it reads every new file whatever is tracked)."""

    def __init__(self, load: Callable[[], Watch]) -> None:  # not the dataclass's fields
        object.__setattr__(self, "_load", load)
        object.__setattr__(self, "_loaded", None)

    def _watch(self) -> Watch:
        loaded: Watch | None = object.__getattribute__(self, "_loaded")
        if loaded is None:
            loaded = object.__getattribute__(self, "_load")()
            object.__setattr__(self, "_loaded", loaded)
        return loaded

    @property
    def thread_ids(self) -> frozenset[str]:
        return self._watch().thread_ids

    @property
    def addresses(self) -> frozenset[str]:
        return self._watch().addresses

    @property
    def message_ids(self) -> frozenset[str]:
        return self._watch().message_ids

    @property
    def draft_ids(self) -> frozenset[str]:
        return self._watch().draft_ids

    def __repr__(self) -> str:
        loaded = object.__getattribute__(self, "_loaded")
        return "LazyWatch(<not read yet>)" if loaded is None else f"LazyWatch({loaded!r})"


@dataclass(frozen=True)
class SyncResult:
    """What a sync saw. ``changed_threads``: the threads in which a message was added or
    deleted since the cursor — a draft can only have left Drafts in one of them — or None when
    the backend cannot tell (then every pending draft is looked at)."""

    items: list[MailItem]
    cursor: str | None = None
    problems: list[str] = field(default_factory=list)
    changed_threads: frozenset[str] | None = None


class Mailbox(Protocol):
    """The user's mail: drafts we create, and what shows up in Sent and Inbox.

    The service never sends: no Mailbox method can send a message.
    """

    def create_draft(self, message: EmailMessage, *, thread_id: str | None = None) -> DraftRef:
        """Store ``message`` (which carries its own Message-ID) as a draft.

        With ``thread_id`` the draft joins that thread (Gmail needs the id; a Maildir threads by
        In-Reply-To/References alone). Not idempotent on its own: callers journal an intent
        first and use ``find_draft`` after a failure.
        """
        ...

    def create_drafts(self, drafts: Sequence[tuple[EmailMessage, str | None]]
                      ) -> Iterator[list[DraftRef]]:
        """``create_draft`` of each ``(message, thread_id)``, in order, yielding the refs of
        the drafts made as they become durable: one at a time where each is durable once
        made (Gmail), all together where the backend makes many durable at once (a Maildir's
        one sync). Every ref yielded names a draft that exists; a failure raises
        ``BackendError`` after yielding those made before it.
        """
        ...

    def find_draft(self, message_id: str) -> DraftRef | None:
        """The draft whose Message-ID header is ``message_id``, or None."""
        ...

    def find_drafts(self, message_ids: Sequence[str]) -> dict[str, DraftRef]:
        """``find_draft`` of each of ``message_ids`` (those found, by Message-ID), in one look
        where the backend can: what a pass interrupted in the middle of a batch needs."""
        ...

    def draft_message_ids(self) -> set[str]:
        """Message-IDs of every draft now in the Drafts folder."""
        ...

    def drafts_present(self, refs: Sequence[DraftRef]) -> dict[str, DraftRef]:
        """Which of our drafts ``refs`` are still in Drafts: Message-ID → where it is now.

        Judged by the draft's stable identity where the backend has one (Gmail's immutable
        draft id: the user may edit the draft, its subject, its address, even its Message-ID),
        else by the Message-ID. The returned ref carries the draft's current thread.
        """
        ...

    def sent_in_thread(self, thread_id: str, known: Callable[[str], bool]) -> bool:
        """Whether the thread holds a message the user sent or scheduled to send that is not
        ``known`` yet (by ``MailItem.key``): a draft that left Drafts is on its way, not
        deleted. False when the thread is gone or the backend has no threads.
        """
        ...

    def delete_draft(self, ref: DraftRef) -> None:
        """Remove the draft (withdraw it). A draft already gone is not an error."""
        ...

    def read_draft(self, ref: DraftRef) -> EmailMessage | None:
        """The draft as it is now (the user may have edited it), or None if it is gone."""
        ...

    def replace_draft(self, ref: DraftRef, message: EmailMessage, *,
                      thread_id: str | None = None) -> DraftRef | None:
        """Replace the draft's content with ``message`` in place; None if the draft is gone.

        The draft stays where it is (Gmail: the same draft id; a Maildir: the same folder,
        the old file removed) and keeps its thread. Idempotent: replacing again with the same
        message leaves one draft.
        """
        ...

    def addressed(self) -> set[str]:
        """Lower-case addresses in To and Cc of the messages now in Sent and Drafts (the
        newest few hundred of each): whom the user's mail already went to. A new database
        uses it not to write first to people written to before."""
        ...

    def sync(self, cursor: str | None, watch: Watch,
             known: Callable[[str], bool] = lambda key: False) -> SyncResult:
        """Messages that appeared in Sent or Inbox since ``cursor`` (None: a first, bounded sync).

        ``known(key)`` lets a backend skip items already processed without fetching them.
        Items may repeat across calls (the caller deduplicates by ``key``); none is lost.
        """
        ...


def create_each(mailbox: Mailbox, drafts: Sequence[tuple[EmailMessage, str | None]]
                ) -> Iterator[list[DraftRef]]:
    """``Mailbox.create_drafts`` for a backend whose every draft is durable once made: one
    ``create_draft`` after another, each yielded as soon as it exists."""
    for message, thread_id in drafts:
        yield [mailbox.create_draft(message, thread_id=thread_id)]
