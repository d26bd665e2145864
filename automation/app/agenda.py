"""Read models of the dashboard's Today and Pipeline pages: what needs the user, and the board.

Like ``queries``, these only read the store (no lock, no mailbox, no calendar, no writes) and
return plain JSON-ready dicts; every time is an ISO string and every slot carries its label in
the user's zone, so an interface formats nothing itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from automation.app.effects import REAL_INBOUND, contact_state, contact_states_of
from automation.app.health import failing, template_failures
from automation.app.ports import Store
from automation.app.prep import prep_sheet_of
from automation.app.services import Services
from automation.config import Config
from automation.core import pipeline as core
from automation.core.compose import slot_label
from automation.core.models import TERMINAL, Contact, Interview, Slot, Status
from automation.core.offerwindow import notice_lapses_at

#: The board's main columns, in pipeline order; the side exits are shown collapsed.
MAIN_COLUMNS = (Status.NEW, Status.DRAFTED, Status.SENT, Status.REPLIED, Status.SCHEDULED,
                Status.INTERVIEWED, Status.THANKED, Status.NURTURING)
SIDE_EXITS = (Status.DECLINED, Status.NO_RESPONSE, Status.BOUNCED, Status.OPTED_OUT)
#: Entries shown per list on Today (each list says how many more there are).
TODAY_LIMIT = 15
#: Cards shown per column (the most recently changed first); the count is always complete.
CARDS_PER_COLUMN = 12
_NEXT = {
    Status.NEW: "outreach is drafted on the next run",
    Status.DRAFTED: "send the outreach draft",
    Status.REPLIED: "book a time",
    Status.THANKED: "check in",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def slot_view(slot: Slot, zone: ZoneInfo, option: int | None = None) -> dict[str, Any]:
    """``{"option", "start", "end", "label"}`` of one slot, labelled in ``zone``."""
    return {"option": option, "start": slot.start.isoformat(), "end": slot.end.isoformat(),
            "label": slot_label(slot, zone)}


def _latest_reply(store: Store, contact: Contact) -> dict[str, Any] | None:
    replies = [m for m in store.messages_for(contact.id or 0) if m.direction == "inbound"]
    if not replies:
        return None
    last = replies[-1]
    return {"at": _iso(last.sent_at or last.created_at), "subject": last.subject,
            "from": last.detail.get("from", ""), "text": last.detail.get("summary", ""),
            "classification": last.classification}


def _suggested_referral(store: Store, contact: Contact) -> dict[str, str] | None:
    for entry in reversed(store.timeline(contact.id or 0)):
        if entry.event == "referral_offered" and "referral" in entry.detail:
            ref = entry.detail["referral"]
            if store.find_contact(ref.get("email", "")) is None:
                return {"name": ref.get("name", ""), "email": ref.get("email", "")}
            return None
    return None


def reason_head(reason: str) -> str:
    """The part of a needs_attention reason before the quoted text ("reply needs you (names
    options [2, 3])" of "reply needs you (names options [2, 3]): Hi! ...")."""
    return reason.split(": ", 1)[0]


def attention_item(store: Store, contact: Contact, zone: ZoneInfo) -> dict[str, Any]:
    """One flagged contact on Today: who, why, the reply's first lines, the offered slots
    (numbered as in the outreach) and the person they suggested, if any."""
    reason = contact.needs_attention or ""
    reply = _latest_reply(store, contact)
    return {
        "email": contact.email, "name": contact.display_name, "company": contact.company,
        "status": str(contact.status), "reason": reason,
        # The flag repeats the reply's first line after its colon; shown beside the reply,
        # the part before it says why.
        "why": reason_head(reason) if reply else reason,
        "is_reply": "reply" in reason_head(reason),
        "reply": reply,
        "offered": [slot_view(s, zone, i) for i, s in
                    enumerate(store.offered_slots(contact.id or 0), 1)],
        "referral": _suggested_referral(store, contact),
        "interview": store.interview_for(contact.id or 0) is not None,
    }


def _contacts(store: Store, ids: list[int]) -> dict[int, Contact]:
    """The contacts of ``ids`` by id, read in one query (without their aliases)."""
    return {c.id or 0: c for c in store.contacts_with_ids(ids)}


def _drafts(config: Config, store: Store, now: datetime, zone: ZoneInfo
            ) -> tuple[list[dict[str, Any]], int]:
    """The first TODAY_LIMIT drafts waiting, oldest first, and how many more there are."""
    rows, total = store.drafts_waiting(TODAY_LIMIT)
    items = []
    contacts = _contacts(store, [row.contact_id or 0 for row in rows])
    for row in rows:
        contact = contacts.get(row.contact_id or 0) or store.get_contact(row.contact_id or 0)
        holds = store.holds_for(contact.id or 0, now)
        lapse = notice_lapses_at(holds[0].start, config.availability.min_notice_hours,
                                 config.availability.timezone) \
            if holds and row.kind in ("outreach", "follow_up") else None
        items.append({"email": contact.email, "name": contact.display_name, "kind": row.kind,
                      "subject": row.subject, "created_at": _iso(row.created_at),
                      "waiting_days": max((now - row.created_at).days, 0),
                      "slots_lapse_at": _iso(lapse),
                      "slots_lapse_label": lapse.astimezone(zone).strftime("%a %b %d, %H:%M")
                      if lapse else None})
    return items, total - len(items)


def _interviews(svc: Services, now: datetime, zone: ZoneInfo
                ) -> tuple[list[dict[str, Any]], int]:
    """The first TODAY_LIMIT interviews left this week, with their prep sheets, and how many
    more there are."""
    store = svc.store
    local = now.astimezone(zone)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    week_end = day_start + timedelta(days=7 - day_start.weekday())
    items = []
    week = store.interviews_between(now, week_end)
    contacts = _contacts(store, [i.contact_id for i in week[:TODAY_LIMIT]])
    for interview in week[:TODAY_LIMIT]:
        contact = contacts.get(interview.contact_id) or store.get_contact(interview.contact_id)
        slot = Slot(interview.start, interview.end)
        items.append({"email": contact.email, "name": contact.display_name,
                      "today": interview.start.astimezone(zone).date() == local.date(),
                      "slot": slot_view(slot, zone),
                      "their_time": slot_label(slot, contact.zone) if contact.zone else None,
                      "attendee_status": interview.attendee_status,
                      "prep": prep_sheet_of(svc, contact).as_json()})
    return items, len(week) - len(items)


def _due_soon(config: Config, store: Store, now: datetime, soon: datetime) -> list[int]:
    """Contacts that may owe a thank-you or a check-in by ``soon``, found by the database (a
    superset: ``_keep_in_touch`` decides exactly, so only these are read in full)."""
    thanks = store.interviewed_ids(soon, [str(Status.SCHEDULED), str(Status.INTERVIEWED)])
    quiet = store.quiet_since([str(Status.THANKED), str(Status.NURTURING)], sorted(REAL_INBOUND),
                              soon - timedelta(days=config.cadence.check_in_every_days))
    return list(dict.fromkeys(thanks + quiet))  # thank-yous first, then the longest quiet


def _keep_in_touch(config: Config, store: Store, now: datetime, zone: ZoneInfo
                   ) -> tuple[list[dict[str, Any]], int]:
    """Up to TODAY_LIMIT thank-yous and check-ins due within a week (the drafts themselves
    come on the run), soonest first, and how many more may be due."""
    policy = config.cadence
    soon = now + timedelta(days=7)
    items: list[dict[str, Any]] = []
    candidates = _due_soon(config, store, now, soon)
    # The most that can be looked at, read in three queries rather than three per contact.
    contacts = {c.id: c for c in store.contacts_with_ids(candidates[:3 * TODAY_LIMIT])}
    states, _ = contact_states_of(store, list(contacts.values()), zone)
    looked = 0
    for cid in candidates:
        if len(items) >= TODAY_LIMIT or looked >= 3 * TODAY_LIMIT:
            break
        looked += 1
        contact = contacts.get(cid) or store.get_contact(cid)  # gone since: as before
        state = states.get(cid) or contact_state(store, contact, zone)
        if contact.status in (Status.INTERVIEWED, Status.SCHEDULED):
            when, what = (None if state.thank_you_drafted else core.thank_you_due(state, policy),
                          "thank-you")
        else:
            when, what = core.check_in_due(state, policy), "check-in"
        if when is not None and when <= soon:
            items.append({"email": contact.email, "name": contact.display_name, "what": what,
                          "due_at": when.isoformat(),
                          "due_label": when.astimezone(zone).strftime("%a %b %d"),
                          "overdue": when <= now, "has_note": bool(contact.user_note)})
    return sorted(items, key=lambda i: i["due_at"]), len(candidates) - looked


def today(svc: Services, now: datetime) -> dict[str, Any]:
    """What needs the user, most urgent first: ``attention`` (flagged contacts, replies
    first, oldest flag first), ``drafts`` (waiting in Drafts: how long, when their slots
    lapse), ``interviews`` (today's and the rest of this week's, each with its ``prep``
    sheet, ``app.prep``), ``keep_in_touch`` (thank-yous and check-ins due within a week) and ``failing``
    (each with its fix)."""
    config, store, zone = svc.config, svc.store, svc.config.me.timezone
    flagged = store.flagged_contacts()
    # Replies first: their flags are the ones that hold up a booking.
    flagged.sort(key=lambda c: "reply" not in reason_head(c.needs_attention or ""))
    attention = [attention_item(store, c, zone) for c in flagged[:TODAY_LIMIT]]
    attention.sort(key=lambda i: (not i["is_reply"], (i["reply"] or {}).get("at") or ""))
    drafts, drafts_more = _drafts(config, store, now, zone)
    keep, keep_more = _keep_in_touch(config, store, now, zone)
    interviews, interviews_more = _interviews(svc, now, zone)
    return {"now": now.isoformat(), "attention": attention,
            "attention_more": len(flagged) - len(attention),
            "drafts": drafts, "drafts_more": drafts_more,
            "interviews": interviews, "interviews_more": interviews_more,
            "keep_in_touch": keep, "keep_in_touch_more": keep_more,
            "failing": failing(store) + template_failures(store)}


def next_step(config: Config, contact: Contact, state: core.ContactState | None,
              interview: Interview | None) -> tuple[str, str | None]:
    """``(what, when)``: the contact's next step and its ISO date (None when it has none);
    ``state`` and ``interview`` are the contact's (``contact_state``, its latest interview),
    read beforehand for every card at once (``_step_inputs``)."""
    status = contact.status
    if contact.needs_attention:
        return "needs you: " + reason_head(contact.needs_attention), None
    if status in TERMINAL:
        return "", None
    policy = config.cadence
    if state is not None and status in _TIMED:
        if status == Status.SENT:
            when = core.follow_up_due(state, policy)
            return ("follow-up", _iso(when)) if when else \
                ("no_response", _iso(core.no_response_due(state, policy)))
        if status == Status.SCHEDULED:
            return "interview", _iso(interview.start if interview else None)
        if status == Status.INTERVIEWED:
            return "thank-you", _iso(core.thank_you_due(state, policy))
        return "check-in", _iso(core.check_in_due(state, policy))
    return _NEXT.get(status, ""), None


#: The statuses whose next step has a date read from the contact's messages and interview.
_TIMED = (Status.SENT, Status.SCHEDULED, Status.INTERVIEWED, Status.NURTURING)


def _step_inputs(config: Config, store: Store, contacts: list[Contact]
                 ) -> tuple[dict[int, core.ContactState], dict[int, Interview]]:
    """The states and latest interviews ``next_step`` needs for ``contacts``, in two queries
    for the whole board (one per card was most of the page's time at 10,000 contacts)."""
    timed = [c for c in contacts if c.status in _TIMED and not c.needs_attention]
    if not timed:
        return {}, {}
    return contact_states_of(store, timed, config.me.timezone)


def _card(config: Config, contact: Contact, state: core.ContactState | None,
          interview: Interview | None) -> dict[str, Any]:
    what, when = next_step(config, contact, state, interview)
    return {"email": contact.email, "name": contact.display_name, "company": contact.company,
            "tags": list(contact.tags), "last_activity": _iso(contact.status_changed_at),
            "next": what, "next_at": when}


def board(config: Config, store: Store, now: datetime, *, company: str = "",
          tag: str = "") -> dict[str, Any]:
    """The pipeline board: ``columns`` (one per status in pipeline order, side exits last,
    each with ``status``, ``count``, ``side`` and up to CARDS_PER_COLUMN ``cards``, the most
    recently changed first), filtered by ``company`` (case-insensitive substring) and ``tag``
    (exact); ``companies`` and ``tags`` list the values there are to filter by."""
    counts = store.board_counts(company, tag)
    statuses = (*MAIN_COLUMNS, *SIDE_EXITS)
    shown = {s: store.latest_in_status(s, CARDS_PER_COLUMN, company, tag) for s in statuses}
    states, interviews = _step_inputs(config, store, [c for cs in shown.values() for c in cs])
    columns = []
    for status in statuses:
        cards = [_card(config, c, states.get(c.id or 0), interviews.get(c.id or 0))
                 for c in shown[status]]
        columns.append({"status": str(status), "count": counts.get(str(status), 0),
                        "side": status in SIDE_EXITS, "cards": cards})
    companies, tags = store.companies_and_tags()
    return {"columns": columns, "total": sum(counts.values()), "company": company, "tag": tag,
            "companies": companies, "tags": tags}
