"""The pipeline's decisions: pure functions of (contact state, observation, now, cadence).

No I/O and no clock: ``observe.py`` and ``followups.py`` read the state from the store and what
happened from the mailbox, call these functions, and carry out the actions they return. Each
function returns a ``Decision``: the actions, in order, and the state they lead to.

This module decides on what the mailbox shows (a draft sent or deleted, a reply); the state,
observations and actions are in ``core/decision.py`` and what time brings in ``core/timing.py``.
Use cases import all three from here: ``from automation.core import pipeline as core``.

The status graph (a command-line contract, see DESIGN.md)::

    new → drafted → sent → replied → scheduled → interviewed → thanked → nurturing
    side exits: declined · no_response · bounced · opted_out

Every ``SetStatus`` this module emits follows one edge of that graph (``allowed``) and carries
a cause, so the timeline can tell the whole story; a manual ``mark`` is the only way around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from automation.core.decision import (
    EARLY,
    FORWARD,
    MUST_SEND_KINDS,
    UNANSWERED_KINDS,
    Action,
    Book,
    ContactState,
    Decision,
    Draft,
    DraftGone,
    DraftSent,
    Flag,
    PendingDraft,
    Record,
    ReleaseHolds,
    Reply,
    SetStatus,
    Snooze,
    Withdraw,
    allowed,
    apply,
    decide,
)
from automation.core.models import TERMINAL, Status
from automation.core.replykinds import ANSWER_KINDS, Kind
from automation.core.timing import (
    DueBounds,
    add_business_days,
    check_in_due,
    due,
    due_bounds,
    follow_up_due,
    may_be_due,
    no_response_due,
    thank_you_due,
)

__all__ = [
    "ANSWER_KINDS", "FORWARD", "MAX_SNOOZE", "MUST_SEND_KINDS", "UNANSWERED_KINDS", "Action",
    "Book", "ContactState", "Decision", "Draft", "DraftGone", "DraftSent", "DueBounds", "Flag",
    "PendingDraft", "Record", "ReleaseHolds", "Reply", "SetStatus", "Snooze", "Withdraw",
    "add_business_days", "allowed", "apply", "check_in_due", "decide", "due", "due_bounds",
    "follow_up_due", "may_be_due", "no_response_due", "on_draft_gone", "on_reply", "on_sent",
    "summary", "thank_you_due",
]


def on_sent(state: ContactState, sent: DraftSent, now: datetime) -> Decision:
    """The user sent one of our drafts (or, with kind "manual", wrote to the contact)."""
    actions: list[Action] = []
    state = replace(state, pending=tuple(p for p in state.pending
                                         if p.message_id != sent.message_id),
                    last_exchange_at=max(filter(None, (state.last_exchange_at, sent.at))))
    if sent.kind in ("outreach", "follow_up"):
        state = replace(state, last_outbound_at=max(filter(None, (state.last_outbound_at,
                                                                  sent.at))))
    detail = {"message_id": sent.message_id, "kind": sent.kind}
    if state.needs_attention == f"{sent.kind} draft discarded":
        actions.append(Flag(None))  # the Sent copy showed up after all
    if sent.kind == "outreach" and state.status == Status.DRAFTED:
        actions.append(SetStatus(Status.SENT, "outreach sent", at=sent.at, detail=detail))
    elif sent.kind == "thank_you" and state.status == Status.INTERVIEWED:
        actions += [SetStatus(Status.THANKED, "thank-you sent", at=sent.at, detail=detail),
                    SetStatus(Status.NURTURING, "thanked: keeping in touch", at=sent.at)]
    else:
        label = "mail you wrote" if sent.kind == "manual" else sent.kind.replace("_", "-")
        actions.append(Record("sent", f"{label} sent", detail))
    return decide(state, actions, now)


def on_draft_gone(state: ContactState, gone: DraftGone, now: datetime) -> Decision:
    """Our draft vanished unsent. Never re-drafted silently: the user either hears about it
    (outreach, confirmation, thank-you) or it counts as a skipped follow-up/check-in."""
    state = replace(state, pending=tuple(p for p in state.pending
                                         if p.message_id != gone.message_id))
    detail = {"message_id": gone.message_id, "kind": gone.kind}
    if gone.kind in MUST_SEND_KINDS:
        return decide(state, [Flag(f"{gone.kind} draft discarded", detail)], now)
    if gone.kind == "follow_up":
        state = replace(state, last_outbound_at=gone.at)
    elif gone.kind == "check_in":
        state = replace(state, last_exchange_at=gone.at)
    label = gone.kind.replace("_", "-")
    return decide(state, [Record("skipped", f"you deleted the {label} draft: skipped",
                                  detail)], now)


def summary(text: str, limit: int = 140) -> str:
    """The first lines of a reply's new text, greeting dropped, for a one-line reason."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and re.match(r"(?i)(hi|hello|hey|dear|hallo|guten tag|bonjour|hola|buenos)\b",
                                   lines[0]) and len(lines[0]) < 40:
        lines = lines[1:]  # a reply that is only a greeting shows that greeting
    joined = " / ".join(lines[:2])
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"


def _refer_hint(state: ContactState, name: str, email: str) -> str:
    who = f"{name} <{email}>" if name else email
    name_opt = f" --name {name!r}" if name else f" --name {email.split('@')[0]!r}"
    return (f"suggests {who}; add them with `automation refer {state.email}{name_opt} "
            f"--email {email}`")


#: The longest an out-of-office reply snoozes a contact; the user is told when it is capped.
MAX_SNOOZE = timedelta(days=60)


def on_reply(state: ContactState, reply: Reply, now: datetime) -> Decision:
    """An inbound message from (or about) the contact.

    Auto-replies never count as a reply (they may snooze); bounces and opt-outs end the
    pipeline; any answer from the person stops follow-ups and withdraws unsent ones.
    """
    status = state.status
    detail: dict[str, Any] = {"kind": str(reply.kind), "reason": reply.reason}
    actions: list[Action] = []
    if reply.kind == Kind.AUTO_REPLY:
        return _on_auto_reply(state, reply, now, detail)
    if reply.kind == Kind.BOUNCE:
        return _on_bounce(state, reply, now, detail)
    # From here on the person answered: no follow-up or check-in waits any longer.
    state = replace(state, last_exchange_at=max(filter(None, (state.last_exchange_at,
                                                              reply.at))))
    actions += _withdraw(state, UNANSWERED_KINDS, "a reply arrived")
    if state.snoozed_until:
        actions.append(Snooze(None))
    if reply.kind == Kind.OPT_OUT:
        if not allowed(status, Status.OPTED_OUT):
            return decide(state, [*actions, Record("reply", "opt-out repeated", detail)], now)
        rest = [k for k in {p.kind for p in state.pending} if k not in UNANSWERED_KINDS]
        return decide(state, [*actions, *_withdraw(state, rest, "asked not to be contacted"),
                               SetStatus(Status.OPTED_OUT, f"asked not to be contacted: "
                                         f"{summary(reply.summary) or reply.reason}", detail=detail),
                               ReleaseHolds()], now)
    line = summary(reply.summary) or "(no text)"
    if status in (Status.DECLINED, Status.BOUNCED, Status.OPTED_OUT):
        return decide(state, [*actions, Record("reply", f"reply after {status}: {line}",
                                                 detail)], now)
    if status == Status.NO_RESPONSE:
        return decide(state, [*actions, Flag(f"reply after no_response needs you: {line}")],
                       now)
    if status == Status.DRAFTED:
        actions.append(SetStatus(Status.SENT, "a reply arrived, so the outreach was sent",
                                 at=reply.at))
        status = Status.SENT
    if reply.kind == Kind.DECLINE:
        return _on_decline(state, status, reply, line, detail, actions, now)
    if status == Status.SENT:
        cause = "replied: " + line if reply.kind == Kind.HUMAN else f"redirected: {line}"
        actions.append(SetStatus(Status.REPLIED, cause, at=reply.at, detail=detail))
        status = Status.REPLIED
    actions.append(_next_step(state, status, reply, line, detail))
    return decide(state, actions, now)


def _next_step(state: ContactState, status: Status, reply: Reply, line: str,
               detail: dict[str, Any]) -> Action:
    """What a person's answer leads to once its status is settled: a referral to look at, a
    booking (or a question for the user), a possible reschedule, or a line in the timeline."""
    if reply.kind == Kind.REDIRECT and reply.redirect_to:
        name, email = reply.redirect_to
        return Flag(f"redirect: {_refer_hint(state, name, email)}",
                    {"referral": {"name": name, "email": email}})
    if status == Status.REPLIED:
        return _booking(reply, line)
    if status == Status.SCHEDULED and reply.pick and reply.pick.kind != "none":
        return Flag(f"reply needs you (may reschedule): {line}")
    return Record("reply", f"reply: {line}", detail)


def _on_auto_reply(state: ContactState, reply: Reply, now: datetime,
                   detail: dict[str, Any]) -> Decision:
    """An automatic reply: never an answer; an out-of-office with a return date snoozes."""
    if reply.snooze_until and state.status not in TERMINAL and reply.snooze_until > now:
        # "Back on 1 January 2100" must not freeze a contact for ever: a snooze is capped.
        until = min(reply.snooze_until, now + MAX_SNOOZE)
        capped = " (capped at 60 days)" if until < reply.snooze_until else ""
        return decide(state, [Snooze(until),
                               Record("auto_reply", f"out of office until "
                                      f"{until.astimezone(state.zone):%Y-%m-%d}{capped}: "
                                      "follow-ups wait", detail)], now)
    return decide(state, [Record("auto_reply", f"automatic reply ({reply.reason})", detail)],
                   now)


def _on_bounce(state: ContactState, reply: Reply, now: datetime,
               detail: dict[str, Any]) -> Decision:
    """A bounce of the contact's address ends the pipeline; any other is only recorded."""
    if reply.failed_address is None or not allowed(state.status, Status.BOUNCED):
        return decide(state, [Record("bounce", f"bounce not about this contact's "
                                      f"address ({reply.reason})", detail)], now)
    failed = reply.failed_address or state.email
    return decide(state, [*_withdraw(state, None, "the address bounced"),
                           SetStatus(Status.BOUNCED, f"bounced: {failed}",
                                     detail={**detail, "failed_address": failed}),
                           ReleaseHolds()], now)


def _on_decline(state: ContactState, status: Status, reply: Reply, line: str,
                detail: dict[str, Any], actions: list[Action], now: datetime) -> Decision:
    """They said no: declined before the interview (naming who they suggest instead, if
    anyone); after booking it may be a cancellation, which the user decides."""
    if status not in EARLY:
        return decide(state, [*actions, Flag(f"reply needs you (may cancel): {line}")], now)
    left = [p for p in state.pending if p.kind not in UNANSWERED_KINDS]
    actions = [*actions, *(Withdraw(p.message_id, p.kind, "they declined") for p in left),
               SetStatus(Status.DECLINED, f"declined: {line}", detail=detail), ReleaseHolds()]
    if reply.redirect_to:
        name, email = reply.redirect_to
        actions.append(Flag(f"declined, but {_refer_hint(state, name, email)}",
                            {"referral": {"name": name, "email": email}}))
    return decide(state, actions, now)


def _booking(reply: Reply, line: str) -> Action:
    """Book what the reply picks, or hand it to the user."""
    pick = reply.pick
    if pick is not None and pick.kind == "option" and pick.index is not None:
        return Book(f"reply picked option {pick.index + 1}", option=pick.index + 1)
    if pick is not None and pick.kind == "time" and pick.start is not None:
        return Book(f"reply proposed {pick.start.isoformat()}", at=pick.start)
    why = f" ({pick.detail})" if pick is not None and pick.detail else ""
    return Flag(f"reply needs you{why}: {line}")


def _withdraw(state: ContactState, kinds: Iterable[str] | None, cause: str) -> list[Action]:
    pending = state.pending if kinds is None else state.pending_of(kinds)
    return [Withdraw(p.message_id, p.kind, cause) for p in pending]

