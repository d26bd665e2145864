"""The user's word is never overwritten by a pass running at the same time (issue: `automation
mark EMAIL opted_out` during a pass came out as ``opted_out → drafted``).

"Another process" is a second connection to the same database, used at the worst moment: while
the pass creates the outreach draft, or while it reads a reply.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.adapters.memory import MemoryMailbox
from automation.adapters.store import Store
from automation.app.effects import Changes, contact_state, record_actions
from automation.app.tick import tick
from automation.core import pipeline as core
from automation.core.models import Status
from tests.support.memworld import add_contact, open_world, send

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)


class MarkedMeanwhile(MemoryMailbox):
    """While a draft is being created, the user marks its contact by hand in another process."""

    def __init__(self, database: Path, email: str, status: Status) -> None:
        super().__init__()
        self.database, self.email, self.status = database, email, status
        self.armed = False

    def _mark(self) -> None:
        if self.armed:
            self.armed = False
            with Store.open(self.database) as other:
                cid = other.require_contact(self.email).id or 0
                other.set_status(cid, self.status, MONDAY, cause="marked by hand")

    def create_draft(self, message, *, thread_id=None):
        self._mark()
        return super().create_draft(message, thread_id=thread_id)


def world(tmp_path: Path, status: Status):
    box = MarkedMeanwhile(tmp_path / "automation.db", "a@example.com", status)
    svc = open_world(tmp_path, MONDAY, mailbox=box)
    box.database = svc.config.database
    add_contact(svc, "a@example.com")
    return svc, box


def test_a_mark_while_the_outreach_is_drafted_stands(tmp_path: Path) -> None:
    svc, box = world(tmp_path, Status.OPTED_OUT)
    box.armed = True
    tick(svc)
    contact = svc.store.require_contact("a@example.com")
    assert contact.status == Status.OPTED_OUT
    assert not box.drafts  # the draft made meanwhile is taken back
    events = [e.event for e in svc.store.timeline(contact.id or 0)]
    assert "status_kept" in events and "withdrawn" in events


def test_a_decision_on_a_status_that_changed_meanwhile_is_not_applied(tmp_path: Path) -> None:
    """A reply is read (contact ``sent``), the user marks them declined, then the pass records
    its decision: the status is re-read in the transaction that would change it."""
    svc, box = world(tmp_path, Status.DECLINED)
    tick(svc)
    (draft,) = [m for m, _ in box.drafts.values()]
    send(svc, draft)
    tick(svc)
    read = svc.store.require_contact("a@example.com")  # what the pass decided on
    assert read.status == Status.SENT
    box.armed = True
    box._mark()  # the user, in another process
    decision = core.Decision(contact_state(svc.store, read, NY),
                             (core.SetStatus(Status.OPTED_OUT, "says 'remove me'"),))
    with svc.store.transaction():
        record_actions(svc.store, read, decision, MONDAY, Changes())
    contact = svc.store.require_contact("a@example.com")
    assert contact.status == Status.DECLINED
    assert [e.event for e in svc.store.timeline(contact.id or 0)][-1] == "status_kept"
