"""The pipeline's view of a contact, read in a few set queries, is the one read row by row.

``effects.contact_state`` (one contact) and ``contact_states`` (every contact in some
statuses, for the idle pass) aggregate in SQLite; the reference below is how the state was
read before, from every message row of the contact. A year of generated history (the
benchmark's workload, every status) plus the rare rows (logged calls, deleted follow-ups and
check-ins, auto-replies, pending drafts) must give the same state for every contact.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from automation.adapters.store import Store
from automation.app.effects import REAL_INBOUND, contact_state, contact_states
from automation.app.employers import outreach_sent_at
from automation.core import pipeline as core
from automation.core.businessdays import country_for_zone
from automation.core.models import Contact, Status
from benchmarks.workloads import NOW, big_workspace

NY = ZoneInfo("America/New_York")


def reference_state(store: Store, contact: Contact, default_zone: ZoneInfo) -> core.ContactState:
    """The state as read row by row (the code before the set queries)."""
    cid = contact.id or 0
    rows = store.messages_for(cid)
    pending = tuple(core.PendingDraft(m.kind, m.message_id or "") for m in rows
                    if m.direction == "draft" and m.state == "drafted")
    outbound = [m.sent_at for m in rows if m.direction == "sent"
                and m.kind in ("outreach", "follow_up")]
    exchange = [m.sent_at for m in rows if m.direction in ("sent", "logged")
                or m.direction == "inbound" and m.classification in REAL_INBOUND]
    for m in rows:
        if m.direction == "draft" and m.state == "discarded" and "discarded_at" in m.detail:
            at = datetime.fromisoformat(m.detail["discarded_at"])
            (outbound if m.kind == "follow_up" else exchange if m.kind == "check_in"
             else []).append(at)
    interview = store.interview_for(cid)
    zone = contact.zone or default_zone
    return core.ContactState(
        email=contact.email, status=contact.status, zone=zone,
        needs_attention=contact.needs_attention, snoozed_until=contact.snoozed_until,
        last_outbound_at=max(filter(None, outbound), default=None),
        last_exchange_at=max(filter(None, exchange), default=None),
        follow_ups=sum(1 for m in rows if m.direction == "draft" and m.kind == "follow_up"),
        pending=pending,
        interview_end=interview.end if interview and interview.status == "confirmed" else None,
        thank_you_drafted=any(m.direction == "draft" and m.kind == "thank_you" for m in rows),
        has_note=bool(contact.user_note),
        country=country_for_zone(zone.key) or country_for_zone(default_zone.key))


def _rare_rows(store: Store) -> None:
    """What the generated year lacks: every branch of the state's reading, on a few contacts."""
    contacts = store.list_contacts()
    by_status: dict[Status, list[Contact]] = {}
    for c in contacts:
        by_status.setdefault(c.status, []).append(c)
    sent, nurturing = by_status[Status.SENT], by_status[Status.NURTURING]
    later = NOW + timedelta(days=1)
    with store.transaction():
        for c in sent[:5]:  # a follow-up drafted, then deleted by the user (later than sent)
            store.add_message(contact_id=c.id, kind="follow_up", direction="draft",
                              state="discarded", now=NOW, message_id=f"<fu{c.id}@x>",
                              detail={"discarded_at": later.isoformat()})
        for c in sent[5:10]:  # a follow-up waiting in Drafts; an auto-reply (not a person)
            store.add_message(contact_id=c.id, kind="follow_up", direction="draft",
                              state="drafted", now=NOW, message_id=f"<fw{c.id}@x>")
            store.add_message(contact_id=c.id, kind="reply", direction="inbound",
                              state="received", now=NOW, sent_at=later,
                              classification="auto_reply")
        for c in nurturing[:3]:  # a logged call (the latest exchange)
            store.add_message(contact_id=c.id, kind="logged", direction="logged",
                              state="logged", now=NOW, sent_at=NOW - timedelta(days=3))
        for c in nurturing[3:6]:  # a deleted check-in; a discarded draft with no time
            store.add_message(contact_id=c.id, kind="check_in", direction="draft",
                              state="discarded", now=NOW, message_id=f"<ci{c.id}@x>",
                              detail={"discarded_at": (NOW - timedelta(hours=5)).isoformat()})
            store.add_message(contact_id=c.id, kind="outreach", direction="draft",
                              state="discarded", now=NOW, message_id=None)
        for c in nurturing[6:9]:  # a thank-you drafted; a note; the interview cancelled
            store.add_message(contact_id=c.id, kind="thank_you", direction="draft",
                              state="sent", now=NOW, message_id=f"<ty{c.id}@x>")
            store.update_contact(c.id or 0, NOW, user_note="ask about the team")
            interview = store.interview_for(c.id or 0)
            if interview is not None:
                store.save_interview(c.id or 0, interview.uid, interview.start, interview.end,
                                     1, "cancelled", NOW)


def test_the_set_queries_read_the_state_the_rows_give(tmp_path: Path) -> None:
    config = big_workspace(tmp_path / "ws", contacts=400)
    with Store.open(config.parent / "automation.db") as store:
        _rare_rows(store)
        contacts = store.list_contacts()
        assert {c.status for c in contacts} == set(Status)
        for c in contacts:
            assert contact_state(store, c, NY) == reference_state(store, c, NY), c.email
        timed = (Status.SENT, Status.SCHEDULED, Status.INTERVIEWED, Status.NURTURING)
        states = contact_states(store, timed, NY)
        assert [c.id for c, _ in states] == [c.id for c in contacts if c.status in timed]
        for c, state in states:
            assert state == reference_state(store, c, NY), c.email
        first = store.first_sent("outreach", [str(Status.SENT)])
        for c in contacts:
            expected = outreach_sent_at(store, c) if c.status == Status.SENT else None
            assert first.get(c.id or 0) == expected, c.email


def test_the_employer_gate_reads_each_awaiting_contact_as_its_rows_give(tmp_path: Path) -> None:
    """``awaiting``: every drafted and sent contact, in id order, with the company and zone
    it is stored with and the first time its outreach went out (``outreach_sent_at``)."""
    config = big_workspace(tmp_path / "ws", contacts=400)
    with Store.open(config.parent / "automation.db") as store:
        _rare_rows(store)
        statuses = [str(Status.DRAFTED), str(Status.SENT)]
        rows = store.awaiting(statuses, "outreach")
        contacts = [c for c in store.list_contacts() if str(c.status) in statuses]
        assert [r.id for r in rows] == [c.id for c in contacts]
        assert any(r.sent_at for r in rows) and any(r.status == "drafted" for r in rows)
        for row, c in zip(rows, contacts, strict=True):
            assert (row.email, row.status, row.company, row.timezone, row.sent_at) == \
                (c.email, str(c.status), c.company, c.timezone, outreach_sent_at(store, c))


def test_the_employer_gate_waits_as_when_every_contact_was_read(tmp_path: Path) -> None:
    """The gate reads only new contacts and their colleagues awaiting a reply; who waits,
    behind whom and until when are those of reading every new, drafted and sent contact."""
    from automation.app.employers import calendar_of, outreach_gate
    from automation.bootstrap import open_services
    from automation.config import load_config
    from automation.core.employers import Candidate, employer_key, holding, waiting

    config = big_workspace(tmp_path / "ws", contacts=400)
    svc = open_services(load_config(config))
    try:
        store, cadence, zone = svc.store, svc.config.cadence, svc.config.me.timezone
        with store.transaction():  # colleagues: 13 employers, spelled apart now and then
            for c in store.list_contacts():
                name = f"Company {(c.id or 0) % 13}"
                store.update_contact(c.id or 0, NOW, company=name + (", Inc." if
                                                                    (c.id or 0) % 3 else ""))
        contacts = [c for c in store.list_contacts()
                    if c.status in (Status.NEW, Status.DRAFTED, Status.SENT)]
        for later in (0, 2, 5, 9):
            now = NOW + timedelta(days=later)
            turns = holding([Candidate(c.email, employer_key(c.company), c.status,
                                       outreach_sent_at(store, c)
                                       if c.status == Status.SENT else None,
                                       calendar_of(c, zone)) for c in contacts], now,
                            next_after_business_days=cadence.next_contact_after_business_days)
            new = [c for c in contacts if c.status == Status.NEW]
            expected = waiting([(c.email, employer_key(c.company)) for c in new], turns,
                               cadence.max_awaiting_per_employer)
            gate = outreach_gate(svc, now)
            assert sorted(c.id or 0 for c in gate.order) == \
                [c.id for c in new if c.email not in expected]  # those with a turn
            assert gate.order == sorted(gate.order, key=lambda c: c.id or 0)  # none ranked
            assert {k: b and (b.email, b.until) for k, b in gate.waiting.items()} == \
                {k: b and (b.email, b.until) for k, b in expected.items()}
            if later == 0:
                assert gate.waiting  # the workspace has colleagues waiting
    finally:
        svc.store.close()


def test_a_gate_where_every_new_contact_waits_decodes_none(tmp_path: Path) -> None:
    """Every new contact behind a colleague: the gate reads them as rows and decodes no
    ``Contact`` (an idle pass); the outreach counts each as waiting and drafts nobody."""
    from automation.app.employers import outreach_gate
    from automation.app.outreach import FreeBusy, run_outreach
    from automation.bootstrap import open_services
    from automation.config import load_config

    config = big_workspace(tmp_path / "ws", contacts=400)
    svc = open_services(load_config(config))
    try:
        store = svc.store
        contacts = store.list_contacts()
        (colleague, *_) = [c for c in contacts if c.status == Status.DRAFTED]
        new = [c for c in contacts if c.status == Status.NEW]
        with store.transaction():  # every new contact works where an outreach waits
            for c in new:
                store.update_contact(c.id or 0, NOW, company=colleague.company)
        decoded: list[object] = []
        read = store.list_contacts
        store.list_contacts = lambda *a: decoded.append(a) or read(*a)  # type: ignore[method-assign]
        gate = outreach_gate(svc, NOW)
        assert gate.order == [] and decoded == []
        assert set(gate.waiting) == {c.email for c in new}
        result = run_outreach(svc, NOW, FreeBusy([], [], []))
        assert result.waiting == len(new) and result.drafted == [] and decoded == []
    finally:
        svc.store.close()


def _told(store: Store, contact: Contact, update_id: int, state: str) -> None:
    store.add_message(contact_id=contact.id, kind="check_in", direction="draft", state=state,
                      now=NOW, message_id=f"<told{contact.id}-{update_id}@x>",
                      detail={"update_id": update_id})


def test_the_pass_picks_every_contact_time_may_act_on(tmp_path: Path) -> None:
    """``timed_candidates`` (the only contacts the idle pass decodes) holds every contact
    for which reading all of them finds something due -- a follow-up, ``no_response``,
    interviewed, a thank-you, a check-in with news -- at times from now to months later,
    before and after the user's updates, some already told to some contacts."""
    from automation.app.followups import TIMED, _without_stale_check_in
    from automation.config import load_config

    config = big_workspace(tmp_path / "ws", contacts=400)
    policy = load_config(config).cadence
    with Store.open(config.parent / "automation.db") as store:
        _rare_rows(store)
        nurturing = [c for c in store.list_contacts() if c.status == Status.NURTURING]
        sent = [c for c in store.list_contacts() if c.status == Status.SENT]
        with store.transaction():
            store.flag(sent[-1].id or 0, "", NOW)  # an empty flag stops nothing
        acted: dict[str, int] = {}
        for later in (0, 3, 8, 30, 95, 200):
            if later == 30:
                first = store.add_update("finished the data course", NOW)
                with store.transaction():
                    for c in nurturing[:4]:
                        _told(store, c, first.id, "sent")
                    for c in nurturing[4:6]:
                        _told(store, c, first.id, "withdrawn")  # withdrawn: never told
            if later == 200:
                store.add_update("started the new job", NOW)
            now = NOW + timedelta(days=later)
            bounds = core.due_bounds(now, policy)
            picked = set(store.timed_candidates(
                sorted(REAL_INBOUND), sent_before=bounds.sent_before,
                exchanged_before=bounds.exchanged_before, ended_before=bounds.ended_before))
            for c, state in contact_states(store, TIMED, NY):  # every one, the long way
                decision = _without_stale_check_in(store, c, core.due(state, now, policy))
                if decision.actions:
                    acted[str(c.status)] = acted.get(str(c.status), 0) + 1
                    assert c.id in picked, (later, c.email, decision.actions)
        assert set(acted) == {"sent", "scheduled", "interviewed", "nurturing"}, acted


def test_the_answer_check_reads_the_interviews_not_yet_ended(tmp_path: Path) -> None:
    """``upcoming_interviews``: the confirmed interviews ending after ``now``, earliest
    first -- what the invitation-answer check kept of every confirmed one."""
    config = big_workspace(tmp_path / "ws", contacts=400)
    with Store.open(config.parent / "automation.db") as store:
        every = store.interviews("confirmed")
        ends = sorted({i.end for i in every})
        assert len(ends) > 10
        for now in (ends[0] - timedelta(days=1), ends[3], ends[3] + timedelta(microseconds=1),
                    NOW, ends[-1], ends[-1] + timedelta(seconds=1)):
            assert [i.uid for i in store.upcoming_interviews(now)] == \
                [i.uid for i in every if i.end > now], now
