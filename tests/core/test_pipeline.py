"""The pipeline's pure decisions, without files: (state, observation, now, policy) → actions.

Ends with a Hypothesis state machine that plays the user, the contact and the clock against
the decisions and checks the rules the issue states: no follow-up after a reply, no draft to
an opted-out or bounced contact, no status change that skips a step or lacks a cause.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from automation.core import pipeline as core
from automation.core.models import TERMINAL, Cadence, Status
from automation.core.picks import Pick
from automation.core.replies import Kind

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
# Written for a 4-business-day, two-follow-up cadence (the defaults are now 3B7's 7 and 1).
POLICY = Cadence(follow_up_after_business_days=4, max_follow_ups=2)
MON = datetime(2026, 12, 7, 9, 0, tzinfo=NY)  # a Monday


def state(status: Status = Status.SENT, **kw) -> core.ContactState:
    base = {"email": "p@example.com", "status": status, "zone": NY, "last_outbound_at": MON,
            "last_exchange_at": MON}
    return core.ContactState(**{**base, **kw})


def kinds(decision: core.Decision) -> list[str]:
    return [type(a).__name__ for a in decision.actions]


def statuses(decision: core.Decision) -> list[Status]:
    return [a.status for a in decision.actions if isinstance(a, core.SetStatus)]


# -- business days --------------------------------------------------------------------------


@pytest.mark.parametrize("start, days, expected", [
    (datetime(2026, 12, 7, 9, tzinfo=NY), 4, datetime(2026, 12, 11, 9, tzinfo=NY)),  # Mon→Fri
    (datetime(2026, 12, 11, 9, tzinfo=NY), 4, datetime(2026, 12, 17, 9, tzinfo=NY)),  # Fri→Thu
    (datetime(2026, 12, 12, 10, tzinfo=NY), 1, datetime(2026, 12, 14, 10, tzinfo=NY)),  # Sat→Mon
    (datetime(2026, 12, 7, 9, tzinfo=NY), 0, datetime(2026, 12, 7, 9, tzinfo=NY)),
])
def test_business_days_skip_weekends(start: datetime, days: int, expected: datetime) -> None:
    assert core.add_business_days(start, days, NY) == expected


def test_business_days_are_counted_in_the_contacts_zone() -> None:
    # Friday 20:00 in New York is already Saturday 10:00 in Tokyo: the weekend comes first.
    friday_evening = datetime(2026, 12, 11, 20, tzinfo=NY)
    assert core.add_business_days(friday_evening, 1, NY).date().isoformat() == "2026-12-14"
    in_tokyo = core.add_business_days(friday_evening, 1, TOKYO)
    assert in_tokyo.astimezone(TOKYO) == datetime(2026, 12, 14, 10, tzinfo=TOKYO)
    assert in_tokyo.astimezone(NY).date().isoformat() == "2026-12-13"  # Sunday evening in NY


def test_business_days_keep_wall_time_across_dst() -> None:
    before = datetime(2026, 10, 30, 9, tzinfo=NY)  # Friday; clocks fall back on Sunday
    after = core.add_business_days(before, 1, NY)
    assert after.astimezone(NY).hour == 9
    # Same-zone subtraction is wall time in Python; real elapsed time has the extra hour.
    assert after.astimezone(UTC) - before.astimezone(UTC) == timedelta(days=3, hours=1)


# -- follow-ups and no_response -------------------------------------------------------------


def test_follow_up_is_due_after_business_days_not_before() -> None:
    friday = datetime(2026, 12, 11, 9, tzinfo=NY)
    s = state(last_outbound_at=friday)
    due = datetime(2026, 12, 17, 9, tzinfo=NY)  # Thursday: the weekend does not count
    assert core.due(s, due - timedelta(minutes=1), POLICY).actions == ()
    decision = core.due(s, due, POLICY)
    (draft,) = decision.actions
    assert isinstance(draft, core.Draft) and draft.kind == "follow_up" and draft.number == 1
    assert decision.state.follow_ups == 1 and decision.state.pending_of({"follow_up"})


def test_no_second_follow_up_while_one_is_unsent() -> None:
    s = state(follow_ups=1, pending=(core.PendingDraft("follow_up", "<f1>"),))
    assert core.due(s, MON + timedelta(days=60), POLICY).actions == ()


def test_at_most_max_follow_ups_then_no_response() -> None:
    last = datetime(2026, 12, 14, 9, tzinfo=NY)
    s = state(follow_ups=2, last_outbound_at=last)
    assert core.due(s, last + timedelta(days=6, hours=23), POLICY).actions == ()
    decision = core.due(s, last + timedelta(days=7), POLICY)
    assert statuses(decision) == [Status.NO_RESPONSE]
    assert "ReleaseHolds" in kinds(decision) and "Draft" not in kinds(decision)
    assert all(a.cause for a in decision.actions if isinstance(a, core.SetStatus))


def test_max_follow_ups_zero_goes_straight_to_no_response() -> None:
    policy = replace(POLICY, max_follow_ups=0)
    decision = core.due(state(), MON + timedelta(days=7), policy)
    assert statuses(decision) == [Status.NO_RESPONSE]


def test_snooze_delays_follow_ups_until_the_return_day() -> None:
    back = datetime(2026, 12, 21, 0, tzinfo=NY)
    s = state(snoozed_until=back)
    assert core.due(s, datetime(2026, 12, 18, 9, tzinfo=NY), POLICY).actions == ()
    assert kinds(core.due(s, back, POLICY)) == ["Draft"]


def test_flagged_contacts_get_no_follow_up_and_no_no_response() -> None:
    s = state(needs_attention="reply needs you: maybe next week?")
    assert core.due(s, MON + timedelta(days=30), POLICY).actions == ()
    assert core.due(replace(s, follow_ups=2), MON + timedelta(days=30), POLICY).actions == ()


def test_a_leftover_flag_does_not_cost_the_thank_you() -> None:
    s = state(Status.SCHEDULED, interview_end=MON, has_note=True,
              needs_attention="reply needs you (may reschedule): see you then")
    assert kinds(core.due(s, MON, POLICY)) == ["SetStatus", "Draft"]


@pytest.mark.parametrize("status", sorted(TERMINAL | {Status.NEW, Status.DRAFTED,
                                                      Status.REPLIED, Status.THANKED}))
def test_time_alone_never_drafts_outside_its_statuses(status: Status) -> None:
    s = state(status, interview_end=MON, has_note=True)
    assert core.due(s, MON + timedelta(days=400), POLICY).actions == ()


# -- the interview, the thank-you and check-ins ---------------------------------------------


def test_interview_end_moves_to_interviewed_and_the_note_drafts_the_thank_you_at_once() -> None:
    end = MON + timedelta(days=2)
    s = state(Status.SCHEDULED, interview_end=end)
    assert core.due(s, end - timedelta(seconds=1), POLICY).actions == ()
    without_note = core.due(s, end, POLICY)
    assert statuses(without_note) == [Status.INTERVIEWED] and "Draft" not in kinds(without_note)
    with_note = core.due(replace(s, has_note=True), end, POLICY)
    assert kinds(with_note) == ["SetStatus", "Draft"]
    assert with_note.actions[1].kind == "thank_you"  # type: ignore[union-attr]


def test_thank_you_without_a_note_is_drafted_within_the_window() -> None:
    end = MON
    s = state(Status.INTERVIEWED, interview_end=end)
    at = core.thank_you_due(s, POLICY)
    assert at is not None and end < at <= end + timedelta(hours=POLICY.thank_you_within_hours)
    assert core.due(s, at, POLICY).actions[0] == core.Draft("thank_you",
                                                            "interview done: thank-you drafted")
    assert core.due(replace(s, thank_you_drafted=True), at, POLICY).actions == ()


def test_check_in_every_n_days_reset_by_any_exchange() -> None:
    s = state(Status.NURTURING, last_exchange_at=MON)
    assert core.due(s, MON + timedelta(days=89), POLICY).actions == ()
    assert kinds(core.due(s, MON + timedelta(days=90), POLICY)) == ["Draft"]
    # A reply on day 60 restarts the clock.
    replied = core.on_reply(s, core.Reply(Kind.HUMAN, MON + timedelta(days=60), "Great news!"),
                            MON + timedelta(days=60)).state
    assert core.due(replied, MON + timedelta(days=90), POLICY).actions == ()
    assert kinds(core.due(replied, MON + timedelta(days=150), POLICY)) == ["Draft"]


# -- sent, deleted ----------------------------------------------------------------------------


def test_outreach_sent_moves_drafted_to_sent_at_the_sent_time() -> None:
    s = state(Status.DRAFTED, last_outbound_at=None, pending=(core.PendingDraft("outreach", "<o>"),))
    at = MON + timedelta(hours=3)
    decision = core.on_sent(s, core.DraftSent("outreach", "<o>", at), at + timedelta(hours=1))
    (change,) = decision.actions
    assert change == core.SetStatus(Status.SENT, "outreach sent", at=at,
                                    detail={"message_id": "<o>", "kind": "outreach"})
    assert decision.state.pending == () and decision.state.last_outbound_at == at


def test_thank_you_sent_leads_to_nurturing_through_thanked() -> None:
    s = state(Status.INTERVIEWED, pending=(core.PendingDraft("thank_you", "<t>"),))
    decision = core.on_sent(s, core.DraftSent("thank_you", "<t>", MON), MON)
    assert statuses(decision) == [Status.THANKED, Status.NURTURING]


def test_deleted_outreach_flags_and_never_redrafts() -> None:
    s = state(Status.DRAFTED, pending=(core.PendingDraft("outreach", "<o>"),))
    decision = core.on_draft_gone(s, core.DraftGone("outreach", "<o>", MON), MON)
    assert decision.actions == (core.Flag("outreach draft discarded",
                                          {"message_id": "<o>", "kind": "outreach"}),)
    assert decision.state.status == Status.DRAFTED
    assert core.due(decision.state, MON + timedelta(days=30), POLICY).actions == ()
    # A Sent copy that turns up later heals it.
    healed = core.on_sent(decision.state, core.DraftSent("outreach", "<o>", MON), MON)
    assert kinds(healed) == ["Flag", "SetStatus"] and healed.state.needs_attention is None


def test_deleted_follow_up_counts_as_skipped_and_restarts_the_clock() -> None:
    s = state(follow_ups=1, pending=(core.PendingDraft("follow_up", "<f>"),))
    later = MON + timedelta(days=10)
    decision = core.on_draft_gone(s, core.DraftGone("follow_up", "<f>", later), later)
    assert kinds(decision) == ["Record"] and decision.state.last_outbound_at == later
    assert core.due(decision.state, later + timedelta(days=1), POLICY).actions == ()


# -- replies ---------------------------------------------------------------------------------


def reply(kind: Kind, **kw) -> core.Reply:
    return core.Reply(kind, MON + timedelta(days=1), **kw)


NOW = MON + timedelta(days=1, hours=1)


def test_human_reply_picking_an_option_books_it() -> None:
    decision = core.on_reply(state(), reply(Kind.HUMAN, summary="Option 2 works",
                                            pick=Pick("option", index=1)), NOW)
    assert statuses(decision) == [Status.REPLIED]
    assert decision.actions[-1] == core.Book("reply picked option 2", option=2)


def test_human_reply_proposing_a_time_books_that_time() -> None:
    start = datetime(2026, 12, 11, 15, tzinfo=NY)
    decision = core.on_reply(state(), reply(Kind.HUMAN, pick=Pick("time", start=start)), NOW)
    assert decision.actions[-1] == core.Book(f"reply proposed {start.isoformat()}", at=start)


@pytest.mark.parametrize("pick", [Pick("ambiguous", detail="names options [1, 2]"),
                                  Pick("none"), None])
def test_unclear_reply_needs_the_user_with_its_first_lines(pick: Pick | None) -> None:
    text = "Hi Alex,\nMaybe one of the first two?\nLet me check.\n\nPriya"
    decision = core.on_reply(state(), reply(Kind.HUMAN, summary=text, pick=pick), NOW)
    flag = decision.actions[-1]
    assert isinstance(flag, core.Flag) and flag.reason is not None
    assert flag.reason.startswith("reply needs you")
    assert "Maybe one of the first two? / Let me check." in flag.reason
    assert "Hi Alex" not in flag.reason


def test_reply_withdraws_an_unsent_follow_up_first() -> None:
    s = state(follow_ups=1, pending=(core.PendingDraft("follow_up", "<f>"),))
    decision = core.on_reply(s, reply(Kind.HUMAN, pick=Pick("option", index=0)), NOW)
    assert decision.actions[0] == core.Withdraw("<f>", "follow_up", "a reply arrived")
    assert decision.state.pending == ()


def test_reply_before_sent_detection_infers_sent_first() -> None:
    decision = core.on_reply(state(Status.DRAFTED), reply(Kind.HUMAN, pick=Pick("none")), NOW)
    assert statuses(decision) == [Status.SENT, Status.REPLIED]


def test_auto_reply_snoozes_and_is_not_a_reply() -> None:
    back = datetime(2026, 12, 14, tzinfo=NY)
    s = state(follow_ups=1, pending=(core.PendingDraft("follow_up", "<f>"),))
    decision = core.on_reply(s, reply(Kind.AUTO_REPLY, snooze_until=back), NOW)
    assert kinds(decision) == ["Snooze", "Record"]
    assert decision.state.status == Status.SENT and decision.state.pending == s.pending
    past = core.on_reply(s, reply(Kind.AUTO_REPLY, snooze_until=MON), NOW)
    assert kinds(past) == ["Record"]


def test_bounce_of_this_address_ends_and_withdraws_everything() -> None:
    s = state(pending=(core.PendingDraft("follow_up", "<f>"),))
    decision = core.on_reply(s, reply(Kind.BOUNCE, failed_address="p@example.com"), NOW)
    assert statuses(decision) == [Status.BOUNCED] and decision.state.pending == ()
    other = core.on_reply(s, reply(Kind.BOUNCE, failed_address=None), NOW)
    assert kinds(other) == ["Record"] and other.state.status == Status.SENT


def test_opt_out_from_any_running_status_withdraws_every_draft() -> None:
    for status in (Status.SENT, Status.SCHEDULED, Status.NURTURING, Status.DECLINED):
        s = state(status, pending=(core.PendingDraft("check_in", "<c>"),
                                   core.PendingDraft("confirmation", "<x>")))
        decision = core.on_reply(s, reply(Kind.OPT_OUT, summary="Please remove me."), NOW)
        assert statuses(decision) == [Status.OPTED_OUT], status
        assert decision.state.pending == ()
        withdrawn = [a.message_id for a in decision.actions if isinstance(a, core.Withdraw)]
        assert sorted(withdrawn) == ["<c>", "<x>"]  # each once


def test_decline_naming_someone_offers_the_referral() -> None:
    decision = core.on_reply(state(), reply(Kind.DECLINE, summary="Too busy, try Lee.",
                                            redirect_to=("Lee Chen", "lee@example.com")), NOW)
    assert statuses(decision) == [Status.DECLINED]
    flag = decision.actions[-1]
    assert isinstance(flag, core.Flag) and flag.reason is not None
    assert "automation refer p@example.com --name 'Lee Chen' --email lee@example.com" in flag.reason


def test_redirect_is_a_reply_that_needs_the_user() -> None:
    decision = core.on_reply(state(), reply(Kind.REDIRECT, summary="Talk to Sam",
                                            redirect_to=("Sam Patel", "sam@example.com")), NOW)
    assert statuses(decision) == [Status.REPLIED]
    assert decision.state.needs_attention and "Sam Patel <sam@example.com>" in \
        decision.state.needs_attention


def test_reply_after_booking_is_not_a_new_booking() -> None:
    s = state(Status.SCHEDULED)
    moved = core.on_reply(s, reply(Kind.HUMAN, summary="Can we do Friday at 3 instead?",
                                   pick=Pick("time", start=MON)), NOW)
    assert "Book" not in kinds(moved) and moved.state.needs_attention
    thanks = core.on_reply(s, reply(Kind.HUMAN, summary="See you then!", pick=Pick("none")), NOW)
    assert kinds(thanks) == ["Record"]


def test_allowed_graph() -> None:
    assert core.allowed(Status.SENT, Status.REPLIED)
    assert not core.allowed(Status.SENT, Status.SCHEDULED)  # a reply comes first
    assert not core.allowed(Status.DRAFTED, Status.REPLIED)
    assert core.allowed(Status.NURTURING, Status.OPTED_OUT)
    assert not core.allowed(Status.OPTED_OUT, Status.BOUNCED)
    assert not core.allowed(Status.NEW, Status.BOUNCED)
    assert not core.allowed(Status.REPLIED, Status.NO_RESPONSE)


# -- the state machine ----------------------------------------------------------------------

# Weighted towards mail that keeps the story going: terminal answers end a run early.
REPLY_KINDS = st.sampled_from([Kind.HUMAN, Kind.HUMAN, Kind.HUMAN, Kind.AUTO_REPLY,
                               Kind.AUTO_REPLY, Kind.REDIRECT, Kind.DECLINE, Kind.OPT_OUT,
                               Kind.BOUNCE])
PICKS = st.one_of(st.none(), st.just(Pick("none")), st.just(Pick("ambiguous")),
                  st.builds(lambda i: Pick("option", index=i), st.integers(0, 2)),
                  st.just(Pick("time", start=MON + timedelta(days=9))))


class PipelineMachine(RuleBasedStateMachine):
    """One contact, the user (send/delete drafts, clear flags), the contact (replies of every
    kind) and the clock, against the pure decisions."""

    @initialize(zone=st.sampled_from([NY, TOKYO, ZoneInfo("Europe/Berlin")]),
                max_follow_ups=st.integers(0, 3), business_days=st.integers(1, 5))
    def start(self, zone: ZoneInfo, max_follow_ups: int, business_days: int) -> None:
        self.policy = replace(POLICY, max_follow_ups=max_follow_ups,
                              follow_up_after_business_days=business_days)
        self.now = MON
        self.ids = itertools.count(1)
        # Outreach drafted (the outreach module's job): the pipeline starts from here.
        self.s = core.ContactState(email="p@example.com", status=Status.DRAFTED, zone=zone,
                                   pending=(core.PendingDraft("outreach", "<outreach>"),))
        self.answered = False

    def take(self, decision: core.Decision, before: core.ContactState) -> None:
        """Check one decision against the rules, then let the world carry it out."""
        status = before.status
        for action in decision.actions:
            if isinstance(action, core.SetStatus):
                assert action.cause, f"{status} → {action.status} without a cause"
                assert core.allowed(status, action.status), f"{status} → {action.status}"
                status = action.status
            if isinstance(action, core.Draft):
                assert status not in TERMINAL, f"{action.kind} drafted to a {status} contact"
                assert not (self.answered and action.kind == "follow_up"), "follow-up after reply"
        assert decision.state.status == status, "status changed without a SetStatus"
        withdrawn = [a.message_id for a in decision.actions if isinstance(a, core.Withdraw)]
        assert len(withdrawn) == len(set(withdrawn)), "a draft withdrawn twice"
        assert set(withdrawn) <= {p.message_id for p in before.pending}, "withdrew a ghost"
        s = decision.state
        pending = tuple(core.PendingDraft(p.kind, p.message_id or f"<{p.kind}-{next(self.ids)}>")
                        for p in s.pending)
        self.s = replace(s, pending=pending)
        for action in decision.actions:
            if isinstance(action, core.Book):
                self.book()

    def book(self) -> None:
        """The booking module: scheduled, a confirmation draft, an interview in a few days."""
        assert self.s.status == Status.REPLIED
        before = self.s
        self.s = replace(self.s, status=Status.SCHEDULED,
                         interview_end=self.now + timedelta(days=2),
                         pending=(*self.s.pending, core.PendingDraft("confirmation",
                                                                     f"<c-{next(self.ids)}>")))
        assert core.allowed(before.status, Status.SCHEDULED)

    @rule(hours=st.integers(1, 24 * 40))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        before = self.s
        self.take(core.due(before, self.now, self.policy), before)

    @precondition(lambda self: self.s.pending)
    @rule(data=st.data())
    def user_sends_a_draft(self, data: st.DataObject) -> None:
        draft = data.draw(st.sampled_from(self.s.pending))
        before = self.s
        self.take(core.on_sent(before, core.DraftSent(draft.kind, draft.message_id, self.now),
                               self.now), before)
        assert draft not in self.s.pending

    @precondition(lambda self: self.s.pending)
    @rule(data=st.data())
    def user_deletes_a_draft(self, data: st.DataObject) -> None:
        draft = data.draw(st.sampled_from(self.s.pending))
        before = self.s
        decision = core.on_draft_gone(before, core.DraftGone(draft.kind, draft.message_id,
                                                             self.now), self.now)
        self.take(decision, before)
        if draft.kind in core.MUST_SEND_KINDS:
            assert self.s.needs_attention == f"{draft.kind} draft discarded"

    @precondition(lambda self: self.s.needs_attention)
    @rule()
    def user_clears_the_flag(self) -> None:
        self.s = replace(self.s, needs_attention=None)  # `automation mark` keeps the status

    @rule(kind=REPLY_KINDS, pick=PICKS, snooze_days=st.integers(-3, 20), named=st.booleans())
    def mail_arrives(self, kind: Kind, pick: Pick | None, snooze_days: int, named: bool) -> None:
        reply = core.Reply(kind, self.now, summary="Hi Alex,\nthanks", pick=pick,
                           snooze_until=self.now + timedelta(days=snooze_days),
                           redirect_to=("Sam", "sam@example.com") if named else None,
                           failed_address="p@example.com" if named else None)
        before = self.s
        decision = core.on_reply(before, reply, self.now)
        self.take(decision, before)
        if kind in core.ANSWER_KINDS and before.status not in (Status.NEW,):
            self.answered = True
            assert not self.s.pending_of(core.UNANSWERED_KINDS), "unsent follow-up not withdrawn"
        if kind == Kind.AUTO_REPLY:
            assert self.s.status == before.status, "an auto-reply counted as a reply"

    @invariant()
    def nothing_waits_for_an_opted_out_or_bounced_contact(self) -> None:
        if self.s.status in (Status.OPTED_OUT, Status.BOUNCED):
            assert self.s.pending == (), "a draft stays in Drafts for a contact who left"


PipelineMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30,
                                             deadline=None,
                                             suppress_health_check=[HealthCheck.too_slow])
TestPipelineMachine = PipelineMachine.TestCase
