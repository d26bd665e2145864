"""The store's set-based reads of the idle pass (part of the ``Store`` port).

An idle pass at 10,000 contacts must not decode every contact of the running pipeline: these
reads pick, in a query or two, the few that a rule can act on now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from automation.core.models import Contact, Interview


class Awaiting(NamedTuple):
    """A contact awaiting a first reply, as the employer gate reads it (no full ``Contact``).
    (A tuple: a pass makes hundreds, and a frozen dataclass's generated methods cost every
    process its import.)"""

    id: int
    email: str
    status: str
    company: str
    timezone: str  # as stored ("" unknown; not checked: ``zone_of`` does that)
    sent_at: datetime | None  # when the first Sent copy of the outreach was sent


class PassStore(Protocol):
    """Set-based reads of the pass: only what a rule can act on, not every contact decoded."""

    def awaiting(self, statuses: Sequence[str], kind: str,
                 companies: Sequence[str] | None = None) -> list[Awaiting]:
        """Every contact in ``statuses`` (only those stored with one of ``companies``, when
        given), in id order, with the ``sent_at`` of its first Sent copy of ``kind`` (None
        when none was sent)."""

    def companies_of(self, statuses: Sequence[str]) -> list[str]:
        """The company names, as stored and each once, of the contacts in ``statuses``."""

    def timed_candidates(self, real_inbound: Sequence[str], *, sent_before: datetime,
                         exchanged_before: datetime, ended_before: datetime) -> list[int]:
        """Ids, in order, of every contact time alone may act on (``core.timing.may_be_due``
        with these ``DueBounds``, read from messages and interviews; ``real_inbound`` as in
        ``message_facts``), and perhaps a few more: never fewer. A nurturing contact counts
        only while an update exists that no check-in draft of theirs (withdrawn ones aside)
        carried: a check-in is written with news or not at all (``exchanges.fresh_update``)."""

    def contacts_with_ids(self, ids: Sequence[int]) -> list[Contact]:
        """The contacts of ``ids`` that exist, in id order (without their aliases)."""

    def latest_interviews_of(self, ids: Sequence[int]) -> dict[int, Interview]:
        """``latest_interviews`` of the contacts of ``ids``."""

    def upcoming_interviews(self, now: datetime) -> list[Interview]:
        """The confirmed interviews that end after ``now``, earliest start first."""
