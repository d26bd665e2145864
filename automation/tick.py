"""One pass of the service: reconcile → sync → decide → act. Idempotent.

Running ``tick`` twice in a row changes nothing the second time: every draft is keyed by an
intent, every observed message by its key, and every decision reads the stored state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from automation.drafting import reconcile
from automation.outreach import OutreachResult, read_availability, run_outreach
from automation.services import Services

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one tick did (or, in a dry run, would do)."""

    now: datetime
    dry_run: bool = False
    outreach: OutreachResult = field(default_factory=OutreachResult)
    events: list[str] = field(default_factory=list)  # one line per other change made
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.outreach.drafted or self.outreach.flagged or self.events)

    def counts(self) -> dict[str, int]:
        return {"drafted": len(self.outreach.drafted), "flagged": len(self.outreach.flagged),
                "capped": self.outreach.capped, "events": len(self.events),
                "problems": len(self.problems)}


def tick(svc: Services, *, dry_run: bool = False) -> TickReport:
    """Run one pass at ``svc.clock()``; ``dry_run`` writes nothing anywhere."""
    now = svc.clock()
    report = TickReport(now=now, dry_run=dry_run)
    if not dry_run:
        report.problems.extend(reconcile(svc))
    avail = read_availability(svc, now)
    report.problems.extend(avail.problems)
    report.outreach = run_outreach(svc, now, avail, dry_run=dry_run)
    return report
