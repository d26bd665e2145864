"""A Hypothesis state machine over the effectful ``tick`` with injected backend failures.

Modelled on vdirsyncer's sync state machine: two worlds receive the same script — the user
sends or deletes drafts, contacts answer (a question, a pick of an offered option, a
decline), time passes — and both tick after every step. In one world the memory Mailbox and
Calendar raise ``BackendError`` on armed calls, before the call or after it happened (a
timeout); the other never fails. A user action applies only when it makes sense in both
worlds (the faulty one may lag behind). After every step, in each world: no draft created
twice, at most one calendar event per contact and each belongs to a stored interview, every
status change is in the timeline and follows ``pipeline.allowed``. Before time passes, and at
the end, the faulty world ticks without faults until a tick succeeds (the daemon retries well
within the hours a step lets pass); then both worlds must hold the same story.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from automation.app.services import Services
from automation.app.tick import tick
from automation.core import pipeline as core
from automation.core.models import TERMINAL, Status
from automation.errors import BackendError
from tests.support.memworld import (
    Faults,
    FaultyCalendar,
    FaultyMailbox,
    add_contact,
    discard,
    kind_of,
    open_world,
    reply,
    send,
)

NY = ZoneInfo("America/New_York")
START = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
PEOPLE = ("ada@example.com", "bob@example.com")
ANSWERS = {
    "question": "Thanks for reaching out! Could you tell me a bit more first?",
    "pick": "Option 2 works for me.",
    "decline": "Thanks, but I will pass.",
}
#: Every call of both ports, before or after it happened; the writes (drafts, events) thrice
#: as often, since the reads that start a tick (sync, busy) would otherwise stop most ticks
#: before a draft or an event is attempted, and so is find_draft: it runs only once a draft
#: went missing (sent or deleted), the moments a discard or a refresh is decided.
WRITES = ("create_draft", "delete_draft", "put_event", "find_draft")
OPS = [(op, when) for op in FaultyMailbox.OPS + FaultyCalendar.OPS
       for when in ("before", "after") for _ in range(3 if op in WRITES else 1)]
#: Ticks without faults that the daemon would run before the clock moves on.
RETRIES = 4


class World:
    """One workspace: services over memory ports that may fail."""

    def __init__(self, folder: Path) -> None:
        self.faults = Faults()
        self.svc: Services = open_world(
            folder, START, mailbox=FaultyMailbox(self.faults),
            calendar=FaultyCalendar(self.faults),
            cadence={"daily_outreach_cap": 10, "hold_days": 30},
            availability={"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                          "min_notice_hours": 48, "horizon_days": 30})
        for email in PEOPLE:
            add_contact(self.svc, email, email.split("@")[0].title() + " Example")

    @property
    def mailbox(self) -> FaultyMailbox:
        return self.svc.mailbox  # type: ignore[return-value]

    @property
    def calendar(self) -> FaultyCalendar:
        return self.svc.calendar  # type: ignore[return-value]

    def tick(self) -> bool:
        """One tick; False if a backend failure stopped it (the daemon backs off)."""
        try:
            tick(self.svc)
        except BackendError as exc:
            note(f"tick failed: {exc}")
            event(f"tick failed: {exc}")
            return False
        return True

    def drafts_to(self, email: str) -> list[Any]:
        return [m for m, _ in self.mailbox.drafts.values() if email in str(m["To"])]

    def sent_to(self, email: str) -> int:
        return sum(1 for i in self.mailbox.items
                   if i.folder == "sent" and email in str(i.message["To"]))

    def story(self) -> dict[str, Any]:
        """What must be the same with and without faults (Message-IDs are random: left out)."""
        store = self.svc.store
        result: dict[str, Any] = {}
        for c in store.list_contacts():
            interview = store.interview_for(c.id)
            result[c.email] = {
                "status": c.status, "flag": c.needs_attention, "snoozed": c.snoozed_until,
                "timeline": [(e.at, e.event, e.old_status, e.new_status, e.cause)
                             for e in store.timeline(c.id)],
                "drafts": sorted(kind_of(self.svc, m) for m in self.drafts_to(c.email)),
                "sent": self.sent_to(c.email),
                "interview": interview and (interview.start, interview.end, interview.status,
                                            interview.sequence),
                "holds": store.holds_for(c.id, self.svc.clock()),
            }
        result["events"] = sorted((e.attendee_email, e.start, e.status, e.sequence)
                                  for e in self.calendar.events.values())
        result["pending"] = sorted(i.kind for i in store.pending_intents())
        return result

    def check(self) -> None:
        """What holds after every step, whatever failed."""
        created = self.mailbox.created
        twice = [mid for mid, n in Counter(created).items() if n > 1]
        assert not twice, f"drafts created twice: {twice}"
        store = self.svc.store
        uids = {i.uid for c in store.list_contacts()
                if (i := store.interview_for(c.id)) is not None}
        assert set(self.calendar.events) <= uids, "an event no interview knows"
        per_contact = Counter(e.attendee_email for e in self.calendar.events.values())
        assert all(n == 1 for n in per_contact.values()), f"duplicate events: {per_contact}"
        for c in store.list_contacts():
            kinds = Counter(row.kind for mid in created
                            if (row := store.message_by_id(mid)) and row.contact_id == c.id)
            assert kinds["outreach"] <= 1 and kinds["thank_you"] <= 1, (c.email, kinds)
            status = Status.NEW
            for entry in store.timeline(c.id):
                if entry.event != "status":
                    continue
                assert entry.old_status == status, f"{c.email}: a status change not recorded"
                new = Status(entry.new_status)
                assert core.allowed(status, new) or (status, new) == (
                    Status.REPLIED, Status.SCHEDULED), f"{c.email}: {status} → {new}"
                status = new
            assert c.status == status, f"{c.email} is {c.status}, its timeline says {status}"

    def settled(self) -> None:
        """What holds once the world has caught up: nothing half done, no draft to a dead end."""
        store = self.svc.store
        assert store.pending_intents() == [], store.pending_intents()
        orphans = [mid for mid in self.mailbox.created if store.message_by_id(mid) is None]
        assert not orphans, f"drafts the database never recorded: {orphans}"
        for c in self.svc.store.list_contacts():
            if c.status in TERMINAL:
                assert not self.drafts_to(c.email), f"a draft to {c.status} {c.email}"


class TickMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.faulty = World(Path(self.tmp.name) / "faulty")
        self.clean = World(Path(self.tmp.name) / "clean")
        self.failed_ticks = 0

    def teardown(self) -> None:
        try:
            self.converge()
        finally:
            self.faulty.svc.close()
            self.clean.svc.close()
            self.tmp.cleanup()

    @property
    def worlds(self) -> tuple[World, World]:
        return self.faulty, self.clean

    def tick_both(self) -> None:
        assert self.clean.tick(), "a tick failed without any fault"
        if not self.faulty.tick():
            self.failed_ticks += 1

    def converge(self) -> None:
        for op in self.faulty.faults.fired:
            event(f"fault fired: {op}")
        self.faulty.faults.disarm()
        for _ in range(RETRIES):
            if self.faulty.tick():
                break
        else:
            raise AssertionError(f"no tick succeeded in {RETRIES} fault-free tries")
        assert self.clean.tick()
        for world in self.worlds:
            world.check()
            world.settled()
        faulty, clean = self.faulty.story(), self.clean.story()
        for email in PEOPLE:
            event(f"converged with {email.split('@')[0]} {clean[email]['status']}")
        for key in clean:
            assert faulty[key] == clean[key], f"{key} differs after faults:\n" \
                f"with:    {faulty[key]}\nwithout: {clean[key]}"

    # -- the world and the user ----------------------------------------------------------------

    @initialize()
    def outreach_is_drafted(self) -> None:
        self.tick_both()

    @rule(faults=st.lists(st.sampled_from(OPS), min_size=1, max_size=3))
    def backend_fails(self, faults: list[tuple[str, str]]) -> None:
        """Arm failures and tick; the ones this tick did not reach stay armed for later."""
        for fault in faults:
            self.faulty.faults.arm(*fault)
        self.tick_both()

    @rule()
    def daemon_ticks(self) -> None:
        self.tick_both()

    def common_drafts(self) -> list[tuple[Any, Any]]:
        """The drafts both worlds have, paired by contact and kind."""
        pairs = []
        for who in PEOPLE:
            mine = [sorted(w.drafts_to(who), key=lambda m, w=w: kind_of(w.svc, m))
                    for w in self.worlds]
            kinds = [[kind_of(w.svc, m) for m in drafts]
                     for w, drafts in zip(self.worlds, mine, strict=True)]
            if kinds[0] == kinds[1]:
                pairs += list(zip(*mine, strict=True))
        return pairs

    @rule(data=st.data(), keep=st.sampled_from([True, True, True, False]))
    def user_handles_a_draft(self, data: st.DataObject, keep: bool) -> None:
        """Send (or, now and then, delete) a draft both worlds have."""
        pairs = self.common_drafts()
        if not pairs:
            return
        pair = data.draw(st.sampled_from(pairs), label="draft")
        for world, message in zip(self.worlds, pair, strict=True):
            (send if keep else discard)(world.svc, message)
        self.tick_both()

    @rule()
    def user_sends_every_draft(self) -> None:
        for pair in self.common_drafts():
            for world, message in zip(self.worlds, pair, strict=True):
                send(world.svc, message)
        self.tick_both()

    @rule(who=st.sampled_from(PEOPLE),
          answer=st.sampled_from(["pick", "pick", "question", "decline"]))
    def contact_answers(self, who: str, answer: str) -> None:
        if not (self.faulty.sent_to(who) == self.clean.sent_to(who) > 0):
            return
        for world in self.worlds:
            reply(world.svc, who, ANSWERS[answer])
        self.tick_both()

    @rule(hours=st.sampled_from([6, 30, 100, 24 * 8]))
    def time_passes(self, hours: int) -> None:
        self.converge()
        for world in self.worlds:
            world.svc.clock.advance(hours=hours)
        self.tick_both()

    @invariant()
    def nothing_duplicated_or_lost(self) -> None:
        for world in self.worlds:
            world.check()


# derandomize: CI runs the same 25 scripts every time, so a red run can be replayed; random
# search passes too (seeds 1-6; 1001, 2002 with 200 scripts each). A rare divergence around
# deleted drafts under faults came from the discard rule counting passes: a pass that failed
# looking the missing draft up moved the discard to another pass at the same moment. It now
# needs a second look at a later moment (test_observe's failed-passes test replays it).
TickMachine.TestCase.settings = settings(
    derandomize=True, max_examples=25, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_tick_with_backend_failures = TickMachine.TestCase
