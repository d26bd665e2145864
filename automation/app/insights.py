"""Read model of the dashboard's Insights page: the funnel, reply times, referrals, activity.

Counted by the database (``ReportStore``), so it stays fast with a year of history. Returns
plain numbers; the interface draws them (and lists them in a table beside each chart).
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from automation.app.ports import Store

#: The funnel's stages, in order (a contact counts in every stage it ever reached).
FUNNEL = ("drafted", "sent", "replied", "scheduled", "interviewed", "thanked")
#: The statuses counted per week on the activity chart.
ACTIVITY = ("drafted", "sent", "replied", "scheduled")
WEEKS = 12
#: Referral-tree nodes shown at most (the table below it still counts them all).
TREE_LIMIT = 60


def funnel(store: Store) -> list[dict[str, Any]]:
    """``[{"stage", "count", "rate"}]``: contacts that ever reached each stage, and the share
    of the previous stage's (``rate`` in percent, None for the first stage or from zero)."""
    reached = store.stage_counts(list(FUNNEL))
    # Later stages imply earlier ones (a reply can mark a draft as sent in the same step).
    counts, running = [], 0
    for stage in reversed(FUNNEL):
        running = max(running, reached.get(stage, 0))
        counts.append(running)
    counts.reverse()
    rows = []
    for i, stage in enumerate(FUNNEL):
        before = counts[i - 1] if i else None
        rate = round(100 * counts[i] / before, 1) if before else None
        rows.append({"stage": stage, "count": counts[i], "rate": rate})
    return rows


def reply_days(store: Store) -> dict[str, Any]:
    """``{"median", "replies"}``: median days from the outreach going out to the first reply
    (None before the first reply), and how many replies that is over."""
    delays = store.status_delays("sent", "replied")
    return {"median": round(statistics.median(delays), 1) if delays else None,
            "replies": len(delays)}


def referral_tree(store: Store) -> dict[str, Any]:
    """``{"roots", "count", "shown"}``: who introduced whom as a forest of
    ``{"email", "name", "children"}`` nodes (roots: people nobody here introduced)."""
    pairs = store.referral_pairs()
    names: dict[str, str] = {}
    children: dict[str, list[str]] = {}
    referred: set[str] = set()
    for a, a_name, b, b_name in pairs:
        names[a], names[b] = a_name or a, b_name or b
        children.setdefault(a, []).append(b)
        referred.add(b)
    shown = 0

    def node(email: str, seen: frozenset[str]) -> dict[str, Any]:
        nonlocal shown
        shown += 1
        kids = [node(k, seen | {k}) for k in children.get(email, [])
                if k not in seen and shown < TREE_LIMIT]
        return {"email": email, "name": names[email], "children": kids}

    roots = [node(r, frozenset({r})) for r in children if r not in referred
             and shown < TREE_LIMIT]
    return {"roots": roots, "count": len(pairs), "shown": shown}


def weekly_activity(store: Store, now: datetime, zone: ZoneInfo) -> list[dict[str, Any]]:
    """The last WEEKS weeks, oldest first: ``{"week" (its Monday, YYYY-MM-DD), <status>:
    count}`` of the contacts entering each ACTIVITY status that week. Weeks are counted in
    7 x 24 hours from the first Monday's midnight, so on a week with a clock change an entry
    within an hour of midnight may land in the week beside it."""
    local = now.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0,
                                                               microsecond=0)
    first = monday - timedelta(weeks=WEEKS - 1)
    counts = store.weekly_status_counts(first, WEEKS, list(ACTIVITY))
    return [{"week": (first + timedelta(weeks=i)).date().isoformat(),
             **{s: counts.get((i, s), 0) for s in ACTIVITY}} for i in range(WEEKS)]


def insights(store: Store, now: datetime, zone: ZoneInfo,
             referrals: dict[str, Any]) -> dict[str, Any]:
    """Everything the Insights page shows; ``referrals`` is ``queries.referral_yield``."""
    return {"funnel": funnel(store), "reply_days": reply_days(store),
            "referrals": referrals, "tree": referral_tree(store),
            "activity": weekly_activity(store, now, zone), "activity_kinds": list(ACTIVITY)}
