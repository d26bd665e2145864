"""One pass of the service: reconcile → sync → decide → act. Idempotent.

The sequence: finish what a crash interrupted (drafts, bookings) → observe the mailbox (sent
drafts, replies, deleted drafts) → decide what time brings and act (follow-ups, no_response,
interviewed, thank-yous, check-ins) → outreach to new contacts.

Running ``tick`` twice in a row changes nothing the second time: every draft is keyed by an
intent, every observed message by its key, and every decision reads the stored state.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from automation.app.booking import complete_pending
from automation.app.drafting import reconcile
from automation.app.effects import Changes, pending_bookings, run_bookings
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
                "capped": self.outreach.capped, "events": len(self.events),
                "problems": len(self.problems),
                **{f"pipeline_{k}": v for k, v in sorted(self.pipeline.items())}}


def tick(svc: Services, *, dry_run: bool = False) -> TickReport:
    """Run one pass at ``svc.clock()``; ``dry_run`` writes nothing anywhere."""
    now = svc.clock()
    report = TickReport(now=now, dry_run=dry_run)
    changes = Changes(dry_run=dry_run)
    if not dry_run:
        report.problems.extend(reconcile(svc))
        report.problems.extend(complete_pending(svc))  # bookings a crash interrupted
        run_bookings(svc, pending_bookings(svc.store), changes)  # replies a crash interrupted
    observe(svc, changes)  # sent drafts, replies, deleted drafts
    check_answers(svc, changes)  # accepted/declined invitations → timeline, needs_attention
    avail = read_availability(svc, now)  # after observe: includes what replies booked
    report.problems.extend(avail.problems)
    run_due(svc, now, avail, changes)  # follow-ups, no_response, thank-yous, check-ins
    report.outreach = run_outreach(svc, now, avail, dry_run=dry_run)
    report.events.extend(changes.lines)
    report.pipeline.update(changes.counts)
    report.problems.extend(changes.problems)
    return report
