"""The Store port, one Protocol per table group, composed into ``Store``.

``adapters/store`` is the SQLite implementation (one part per group here) and
``tests/contract`` checks that what is written is read back the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from automation.app.ports.listing import ContactListing
from automation.app.ports.mail import Watch
from automation.app.ports.passes import PassStore
from automation.core.models import Contact, Interval, Interview, MessageRow, Slot, Status

if TYPE_CHECKING:  # built only by the steps that read or write them (core.records)
    from automation.core.records import ContactRecord, Intent, TimelineEntry, UserUpdate


@dataclass(frozen=True)
class MessageFacts:
    """What the pipeline's timing reads of one contact's messages (``effects.contact_state``),
    aggregated by the database."""

    #: The latest ``sent_at`` of a sent outreach or follow-up.
    last_outbound_at: datetime | None = None
    #: The latest ``sent_at`` of a sent or logged message, or of an inbound one in
    #: ``real_inbound`` (a person writing).
    last_exchange_at: datetime | None = None
    follow_ups: int = 0  # follow-up drafts ever made
    thank_you_drafted: bool = False
    pending: tuple[tuple[str, str], ...] = ()  # (kind, Message-ID) of drafts still drafted
    discarded: tuple[tuple[str, datetime], ...] = ()  # (kind, when) of drafts the user deleted


class ImportStream(Protocol):
    """An import written while its file is read (``ContactStore.import_stream``)."""

    def __enter__(self) -> ImportStream: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Stop writing; left without ``finish``, nothing of the stream stays."""

    def take(self, records: Sequence[ContactRecord], total: int) -> None:
        """The file's records read so far (the list only grows; ``total``: rows in the file)."""

    def finish(self, records: Sequence[ContactRecord]) -> list[tuple[int, str]] | None:
        """The file's final records: ``upsert_contacts``' outcomes when the stream wrote them
        all, or None when it wrote none of them (then call ``upsert_contacts``)."""


class ContactStore(Protocol):
    """Contacts, aliases, the timeline and referrals."""

    def get_contact(self, contact_id: int) -> Contact:
        """The contact with this id; UserError if there is none."""

    def find_contact(self, email: str) -> Contact | None:
        """The contact whose address or linked alias is ``email`` (case-insensitive)."""

    def require_contact(self, email: str) -> Contact:
        """Like ``find_contact``, but a UserError that says how to list contacts."""

    def list_contacts(self, status: Status | str | None = None) -> list[Contact]:
        """Every contact (or those in ``status``), in id order, with their aliases."""

    def contact_by_thread(self, thread_id: str) -> Contact | None:
        """The first contact (in id order) whose thread is ``thread_id``, or None."""

    def upsert_contact(self, record: ContactRecord, now: datetime, *, tags: Sequence[str] = (),
                       referred_by: int | None = None) -> tuple[Contact, bool]:
        """Insert or update by email; a re-import updates fields, keeps status and history.

        Returns ``(contact, created)``. Empty fields in ``record`` never erase stored values."""

    def upsert_contacts(self, records: Sequence[ContactRecord], now: datetime, *,
                        tags: Sequence[str] = (), referred_by: int | None = None,
                        progress: Callable[[int, int], None] | None = None
                        ) -> list[tuple[int, str]]:
        """``upsert_contact`` of each record in turn, in one transaction, as a whole import
        file is written. Returns ``(contact id, outcome)`` per record: "created", "updated" or
        "unchanged" (no profile field, tag, alias or referrer changed). ``progress(done,
        total)`` is called as records are written and once at the end (total: the records)."""

    def import_stream(self, now: datetime, *, tags: Sequence[str] = (),
                      referred_by: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> ImportStream:
        """A stream that may write a big file's records while they are read, inside the open
        transaction, exactly as ``upsert_contacts`` with these arguments would."""

    def add_alias(self, contact_id: int, email: str) -> None:
        """Link another address to the contact (ignored if it is a contact's own address)."""

    def update_contact(self, contact_id: int, now: datetime, **fields: Any) -> None:
        """Set plain columns (not status: use ``set_status``)."""

    def set_status(self, contact_id: int, new: Status, now: datetime, *, cause: str,
                   detail: dict[str, Any] | None = None, expect: Status | None = None) -> bool:
        """Change a contact's status and record the change with its cause in the timeline.

        With ``expect``: only if the status, read in this transaction, is still ``expect``
        (else the change is recorded as not applied and False is returned)."""

    def flag(self, contact_id: int, reason: str | None, now: datetime) -> None:
        """Set (or with None clear) ``needs_attention``, recorded in the timeline."""

    def status_of(self, contact_id: int) -> Status:
        """The contact's status now (``get_contact(...).status`` without the rest); UserError
        if there is no such contact."""

    def status_counts(self) -> dict[str, int]:
        """Contacts per status name."""

    def add_event(self, contact_id: int, now: datetime, event: str, *,
                  old_status: str | None = None, new_status: str | None = None,
                  cause: str = "", detail: dict[str, Any] | None = None) -> None:
        """Append one timeline entry (call inside a transaction with the change it records)."""

    def timeline(self, contact_id: int) -> list[TimelineEntry]:
        """The contact's timeline, oldest first."""

    def add_referral(self, referrer_id: int, referred_id: int, now: datetime) -> bool:
        """Record that ``referrer_id`` introduced ``referred_id``; False if already known."""

    def add_referrals(self, referrer_id: int, referred_ids: Sequence[int],
                      now: datetime) -> None:
        """``add_referral`` of each of ``referred_ids`` (the referrer itself is skipped)."""

    def referrals_by(self, referrer_id: int) -> list[int]:
        """The contacts ``referrer_id`` introduced, in order."""

    def referral_counts(self) -> dict[int, int]:
        """Introductions per referrer id."""


class CalendarStore(Protocol):
    """Slot holds and booked interviews."""

    def add_holds(self, contact_id: int, slots: Sequence[Slot], expires_at: datetime,
                  message_id: str | None) -> None:
        """Hold ``slots`` for the contact until ``expires_at``, tied to the offering draft."""

    def active_holds(self, now: datetime) -> list[tuple[int, Interval]]:
        """Every unreleased, unexpired hold as (contact_id, interval)."""

    def holds_for(self, contact_id: int, now: datetime) -> list[Slot]:
        """The contact's live holds, earliest first."""

    def live_holds_by_contact(self, now: datetime) -> dict[int, list[Slot]]:
        """``holds_for`` of every contact with a live hold, in one query."""

    def offered_slots(self, contact_id: int) -> list[Slot]:
        """The slots of the contact's latest offer, expired or not, in offer order."""

    def release_holds(self, contact_id: int, now: datetime) -> None:
        """Release every live hold of the contact (the offer is settled)."""

    def drop_holds(self, message_id: str) -> None:
        """Forget the slots of a draft that was never sent (withdrawn or deleted): they were
        never offered, so they must not become the contact's latest offer."""

    def save_interview(self, contact_id: int, uid: str, start: datetime, end: datetime,
                       sequence: int, status: str, now: datetime,
                       event_ref: str | None = None) -> Interview:
        """Insert or update the interview ``uid``."""

    def set_attendee_status(self, uid: str, status: str) -> None:
        """Record the attendee's answer to the invitation."""

    def interview_for(self, contact_id: int) -> Interview | None:
        """The contact's latest interview, or None."""

    def latest_interviews(self, statuses: Sequence[str]) -> dict[int, Interview]:
        """``interview_for`` of every contact in ``statuses`` that has one."""

    def interviews(self, status: str = "confirmed") -> list[Interview]:
        """Every interview in ``status``, earliest first."""


class MessageStore(Protocol):
    """Tracked messages and processed mailbox items."""

    def add_message(self, *, contact_id: int | None, kind: str, direction: str, state: str,
                    now: datetime, message_id: str | None = None, thread_id: str | None = None,
                    draft_id: str | None = None, subject: str = "",
                    in_reply_to: str | None = None, sent_at: datetime | None = None,
                    classification: str | None = None,
                    detail: dict[str, Any] | None = None) -> int:
        """Record a tracked message; returns its row id."""

    def update_message(self, row_id: int, **fields: Any) -> None:
        """Set columns of a message row."""

    def messages_for(self, contact_id: int) -> list[MessageRow]:
        """The contact's messages, oldest first."""

    def message_by_id(self, message_id: str) -> MessageRow | None:
        """The first message row with this Message-ID, or None."""

    def messages_in_state(self, direction: str, state: str) -> list[MessageRow]:
        """Messages of one direction in one state, oldest first."""

    def drafts_waiting(self, limit: int) -> tuple[list[MessageRow], int]:
        """The first ``limit`` drafts of contacts still waiting in Drafts (state drafted),
        oldest first, and how many there are in all."""

    def watch(self) -> Watch:
        """What the mailbox sync looks out for, over every contact past ``new``: their
        threads (the contact's and its messages'), addresses (aliases included), the
        Message-IDs of their messages and the ids of their drafts. Empty values are left out."""

    def message_facts(self, real_inbound: Sequence[str], *, statuses: Sequence[str] = (),
                      contact_id: int | None = None,
                      contact_ids: Sequence[int] | None = None) -> dict[int, MessageFacts]:
        """``MessageFacts`` of the contact ``contact_id``, of those in ``contact_ids``, or of
        every contact in ``statuses`` (a contact with no message is absent); drafts oldest
        first."""

    def first_sent(self, kind: str, statuses: Sequence[str]) -> dict[int, datetime]:
        """Per contact in ``statuses``: when the first Sent copy of ``kind`` was sent."""

    def count_drafts_since(self, kind: str, since: datetime) -> int:
        """Drafts of ``kind`` created since ``since`` (the daily cap)."""

    def is_seen(self, key: str) -> bool:
        """Whether the mailbox item ``key`` was processed already."""

    def mark_seen(self, key: str, now: datetime) -> None:
        """Record the mailbox item ``key`` as processed."""


class JournalStore(Protocol):
    """The intent journal, sync cursors and tick health."""

    def begin_intent(self, key: str, kind: str, contact_id: int | None,
                     payload: dict[str, Any], now: datetime) -> Intent:
        """Record the intent to do ``key`` once; returns the stored one if it already exists."""

    def get_intent(self, key: str) -> Intent | None:
        """The intent ``key``, or None."""

    def intent_state(self, key: str) -> str | None:
        """The state of intent ``key`` ("pending", "done", ...), or None (without its payload)."""

    def finish_intent(self, key: str, now: datetime, result: dict[str, Any] | None = None,
                      state: str = "done") -> None:
        """Mark the intent done (or another final ``state``) with its result."""

    def pending_intents(self) -> list[Intent]:
        """Intents begun and not finished, oldest first (reconciled on start)."""

    def has_history(self) -> bool:
        """Whether any pass recorded mail here (a message, or an item seen): False for a
        new or emptied database."""

    def get_cursor(self, name: str) -> str | None:
        """The stored sync cursor ``name``, or None."""

    def set_cursor(self, name: str, value: str | None) -> None:
        """Store (or with None clear) the sync cursor ``name``."""

    def start_tick(self, now: datetime) -> int:
        """Record the start of a pass; returns its id."""

    def end_tick(self, tick_id: int, now: datetime, outcome: str, counts: dict[str, Any],
                 error: str | None = None) -> None:
        """Record how the pass ``tick_id`` ended."""

    def last_tick(self) -> dict[str, Any] | None:
        """The latest pass as a dict (started_at, ended_at, outcome, counts, error, pid)."""


class ReportStore(Protocol):
    """Aggregates for the dashboard, computed by the database (fast at 10,000 contacts)."""

    def flagged_contacts(self) -> list[Contact]:
        """Contacts with ``needs_attention`` set, in id order (without their aliases)."""

    def snoozed_contacts(self, now: datetime) -> list[Contact]:
        """Contacts snoozed past ``now``, in id order (without their aliases)."""

    def contacts_in(self, statuses: list[str]) -> list[Contact]:
        """Contacts in any of ``statuses``, in id order (without their aliases)."""

    def ids_in(self, statuses: list[str]) -> list[int]:
        """The ids of the contacts in any of ``statuses``, in order."""

    def quiet_since(self, statuses: list[str], kinds: list[str], cutoff: datetime) -> list[int]:
        """Ids of the contacts in ``statuses`` with no sent message and no inbound one
        classified as one of ``kinds`` after ``cutoff``, the longest quiet first."""

    def board_counts(self, company: str = "", tag: str = "") -> dict[str, int]:
        """Contacts per status name among those whose company contains ``company``
        (case-insensitive; "" matches all) and who carry ``tag`` ("" matches all)."""

    def latest_in_status(self, status: Status | str, limit: int, company: str = "",
                         tag: str = "") -> list[Contact]:
        """Up to ``limit`` contacts in ``status`` (filtered as ``board_counts``), the most
        recently changed first (without their aliases)."""

    def companies_and_tags(self) -> tuple[list[str], list[str]]:
        """Every non-empty company and every tag in use, each sorted."""

    def stage_counts(self, statuses: list[str]) -> dict[str, int]:
        """Per status name in ``statuses``, how many contacts have ever entered it (from the
        timeline); a status nobody entered is left out."""

    def status_delays(self, first: str, then: str) -> list[float]:
        """Days from each contact's first entry into ``first`` to its first into ``then``."""

    def weekly_status_counts(self, since: datetime, weeks: int,
                             statuses: list[str]) -> dict[tuple[int, str], int]:
        """``{(week, status): n}``: status changes into each of ``statuses`` per week of 7 x
        24 hours from ``since`` (week 0) for ``weeks`` weeks."""

    def interviewed_ids(self, now: datetime, statuses: list[str] | None = None) -> list[int]:
        """Contacts with a confirmed interview that ended by ``now`` (and, if given, whose
        status is one of ``statuses``), earliest interview first."""

    def interviews_between(self, start: datetime, end: datetime) -> list[Interview]:
        """Confirmed interviews overlapping ``[start, end)``, earliest first."""

    def referral_pairs(self) -> list[tuple[str, str, str, str]]:
        """``(referrer email, referrer name, referred email, referred name)``, in order."""

    def contact_listing(self, status: Status | str | None,
                        answer_kinds: Sequence[str]) -> ContactListing:
        """Every contact (or those in ``status``) as one ``ContactListing``, read in one
        snapshot; ``answer_kinds`` are the classifications that count as an answer."""


class MethodStore(Protocol):
    """Employer ranks and the user's updates (the 2-Hour Job Search method)."""

    def set_employer_rank(self, key: str, name: str, rank: int | None, now: datetime) -> None:
        """Rank the employer ``key`` (``core.employers.employer_key``); None removes it."""

    def employer_ranks(self) -> dict[str, int]:
        """Every ranked employer's key and rank (1 = first)."""

    def add_update(self, text: str, now: datetime) -> UserUpdate:
        """Record an update of the user's; returns it with its id."""

    def updates(self) -> list[UserUpdate]:
        """Every update, oldest first."""


class FileCacheStore(Protocol):
    """Derived data an adapter keeps between passes (``adapters/local/filecache.py``: what
    parsing each calendar file found). Only a cache: any row may be lost or wrong, and the
    adapter ignores what it cannot decode."""

    def file_cache(self, kind: str) -> dict[str, str]:
        """Every cached row of ``kind``: path → the adapter's payload."""

    def save_file_cache(self, kind: str, rows: dict[str, str], gone: Sequence[str]) -> None:
        """Replace the rows of ``kind`` for the paths in ``rows`` and delete those in ``gone``,
        in one transaction (nothing inside ``cache_read_only``)."""

    def cache_read_only(self) -> AbstractContextManager[None]:
        """Within it the cache is read but never written: a dry run writes nothing, not even
        derived data (the adapters keep what they parsed in memory instead)."""


class Store(ContactStore, CalendarStore, MessageStore, JournalStore, ReportStore, MethodStore,
            FileCacheStore, PassStore, Protocol):
    """The database a use case works with (``adapters/store`` is the SQLite one)."""

    def transaction(self) -> AbstractContextManager[Any]:
        """One atomic unit of work; nested calls join the outer transaction."""

    def close(self) -> None:
        """Close the database."""
