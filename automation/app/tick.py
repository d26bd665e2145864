"""One pass of the service: reconcile → sync → decide → act. Idempotent.

The sequence: finish what a crash interrupted (drafts, bookings, refreshes) → observe the
mailbox (sent drafts, replies, deleted drafts) → refresh unsent offers whose times lapsed →
decide what time brings and act (follow-ups, no_response,
interviewed, thank-yous, check-ins) → outreach to new contacts.

Running ``tick`` twice in a row changes nothing the second time: every draft is keyed by an
intent, every observed message by its key, and every decision reads the stored state.

``tick_guarded`` is how every interface runs one (``run --once``, the daemon): under the
single-instance tick lock, with its health recorded for ``status``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from automation.app import health, newdb, refresh
from automation.app.effects import Changes
from automation.app.followups import run_due
from automation.app.observe import observe
from automation.app.outreach import OutreachResult, read_availability, run_outreach
from automation.app.rsvp import check_answers
from automation.app.services import Services

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one tick did (or, in a dry run, would do)."""

    now: datetime
    dry_run: bool = False
    outreach: OutreachResult = field(default_factory=OutreachResult)
    events: list[str] = field(default_factory=list)  # one line per other change made
    problems: list[str] = field(default_factory=list)
    pipeline: Counter[str] = field(default_factory=Counter)  # pipeline changes by kind

    @property
    def changed(self) -> bool:
        return bool(self.outreach.drafted or self.outreach.flagged or self.events)

    def counts(self) -> dict[str, int]:
        return {"drafted": len(self.outreach.drafted), "flagged": len(self.outreach.flagged),
                "capped": self.outreach.capped, "waiting": self.outreach.waiting,
                "withheld": len(self.outreach.withheld),
                "events": len(self.events),
                "problems": len(self.problems),
                **{f"pipeline_{k}": v for k, v in sorted(self.pipeline.items())}}


def tick(svc: Services, *, dry_run: bool = False,
         accept_new_database: bool = False) -> TickReport:
    """Run one pass at ``svc.clock()``; ``dry_run`` writes nothing anywhere.

    A new database beside a mailbox holding mail drafts no first outreach to anyone written
    to before until ``accept_new_database`` (``newdb``).
    """
    if dry_run:  # the adapters' caches of parsed files are not written either
        with svc.store.cache_read_only():
            return _pass(svc, dry_run=True, accept_new_database=accept_new_database)
    return _pass(svc, dry_run=False, accept_new_database=accept_new_database)


def _pass(svc: Services, *, dry_run: bool, accept_new_database: bool) -> TickReport:
    now = svc.clock()
    report = TickReport(now=now, dry_run=dry_run)
    changes = Changes(dry_run=dry_run)
    guard = newdb.check(svc, accept=accept_new_database, dry_run=dry_run)
    if guard is not None:
        report.problems.append(guard.warning(str(svc.config.database)))
    if not dry_run and svc.store.pending_intents():
        _recover(svc, report, changes)
    observe(svc, changes)  # sent drafts, replies, deleted drafts
    check_answers(svc, changes)  # accepted/declined invitations → timeline, needs_attention
    avail = read_availability(svc, now)  # after observe: includes what replies booked
    report.problems.extend(avail.problems)
    refresh.refresh_stale(svc, now, avail, changes)  # unsent offers whose times lapsed
    run_due(svc, now, avail, changes)  # follow-ups, no_response, thank-yous, check-ins
    report.outreach = run_outreach(svc, now, avail, dry_run=dry_run,
                                   withheld=guard.addressed if guard else frozenset())
    report.events.extend(changes.lines)
    report.pipeline.update(changes.counts)
    report.problems.extend(changes.problems)
    return report


def _recover(svc: Services, report: TickReport, changes: Changes) -> None:
    """Finish what an earlier pass left pending (a crash, a failing backend). Each step reads
    the pending intents of its kind; the drafting and booking modules they need are imported
    only when there is one, not on every pass."""
    from automation.app.booking import complete_pending
    from automation.app.drafting import reconcile
    from automation.app.effects import pending_bookings, run_bookings

    report.problems.extend(reconcile(svc))
    report.problems.extend(complete_pending(svc))  # bookings a crash interrupted
    report.problems.extend(refresh.reconcile(svc))  # refreshed drafts a crash interrupted
    run_bookings(svc, pending_bookings(svc.store), changes)  # replies a crash interrupted


def recorded_tick(svc: Services, *, accept_new_database: bool = False) -> TickReport:
    """Run ``tick`` and record its health; the caller holds the tick lock.

    Returns the report; re-raises whatever the tick raised, after recording it as failed (an
    Exception) or interrupted (anything else, e.g. the daemon's stop request).
    """
    store = svc.store
    tick_id = store.start_tick(svc.clock())
    try:
        report = tick(svc, accept_new_database=accept_new_database)
    except BaseException as exc:
        error, fix = health.describe_failure(exc, data_dir=str(svc.config.data_dir))
        outcome = "failed" if isinstance(exc, Exception) else "interrupted"
        try:
            store.end_tick(tick_id, svc.clock(), outcome, {}, error)
            if outcome == "failed":
                health.record_failure(store, "tick", error, fix, svc.clock())
        except sqlite3.Error as db_exc:  # the database itself may be what failed
            log.error("could not record the failed tick: %s", db_exc)
        raise
    now = svc.clock()
    store.end_tick(tick_id, now, "ok", report.counts())
    health.clear_failure(store, "tick")
    health.set_warnings(store, report.problems, now)
    return report


def tick_guarded(svc: Services, *, dry_run: bool = False, wait: float | None = None,
                 accept_new_database: bool = False) -> TickReport:
    """One tick under the single-instance tick lock, with its health recorded.

    Waits up to ``wait`` seconds (default: the lock's own, see ``Locks.tick``) for a tick in
    progress, then raises AlreadyRunning "already running (pid N)". A dry run writes nothing:
    it takes no lock and records nothing.
    """
    if dry_run:
        return tick(svc, dry_run=True, accept_new_database=accept_new_database)
    with svc.locks.tick(wait):
        return recorded_tick(svc, accept_new_database=accept_new_database)
