"""The dashboard's read models (app/agenda.py, app/insights.py) and the store's aggregates
behind them (ReportStore), over the SQLite store and the in-memory mailbox and calendar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.clock import fixed_clock
from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.app import agenda, insights, manual, queries
from automation.app.contacts import import_contacts
from automation.app.services import Services
from automation.app.tick import tick
from automation.bootstrap import open_services
from automation.config import load_config
from automation.core.models import Slot, Status
from automation.core.records import ContactRecord
from automation.interfaces.cli.setup_cmds import CONFIG_TEMPLATE
from tests.support.sqltrace import traced

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
PRIYA = "priya.raman@example.com"
EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "example_contacts.csv"


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Services]:
    config = tmp_path / "automation.toml"
    config.write_text(CONFIG_TEMPLATE.format(name="Alex Rivera", email="alex@example.org",
                                             timezone="America/New_York"))
    services = open_services(load_config(config), fixed_clock(MONDAY), mailbox=MemoryMailbox(),
                             calendar=MemoryCalendar())
    import_contacts(services, EXAMPLES, tags=["alumni"])
    tick(services)
    yield services
    services.close()


def _id(svc: Services, email: str) -> int:
    return svc.store.require_contact(email).id or 0


def test_flagged_contacts_are_exactly_those_with_a_reason(svc: Services) -> None:
    store = svc.store
    store.flag(_id(svc, PRIYA), "reply needs you (names options [2, 3]): Option 2 or 3", MONDAY)
    store.flag(_id(svc, "dana.lee@example.net"), "template error: x", MONDAY)
    expected = [(c.id, c.needs_attention) for c in store.list_contacts() if c.needs_attention]
    assert [(c.id, c.needs_attention) for c in store.flagged_contacts()] == expected
    assert len(expected) == 2


def test_today_puts_flagged_replies_first_with_their_offer_and_the_why(svc: Services) -> None:
    store = svc.store
    store.flag(_id(svc, "dana.lee@example.net"), "no free slots in the next 14 days", MONDAY)
    store.flag(_id(svc, PRIYA), "reply needs you (names options [2, 3]): Option 2 or 3", MONDAY)
    data = agenda.today(svc, MONDAY)
    first, second = data["attention"]
    assert first["email"] == PRIYA and first["is_reply"]
    assert [s["option"] for s in first["offered"]] == [1, 2, 3]
    assert first["offered"][0]["label"].endswith("EST")
    assert second["email"] == "dana.lee@example.net" and not second["is_reply"]
    assert {d["email"] for d in data["drafts"]} == {c.email for c in store.list_contacts()}
    assert all(d["kind"] == "outreach" and d["slots_lapse_at"] for d in data["drafts"])


def test_today_lists_this_weeks_interviews_with_the_prep_sheet_and_thank_yous_due(
        svc: Services) -> None:
    from automation.app import booking

    contact = svc.store.require_contact(PRIYA)
    interview = booking.book(svc, contact, option=1)
    data = agenda.today(svc, MONDAY)
    (card,) = data["interviews"]
    assert card["email"] == PRIYA and card["prep"]["questions"]
    assert card["prep"]["company"] == contact.company
    after = interview.end + timedelta(hours=1)
    due = agenda.today(svc, after)["keep_in_touch"]
    assert [(k["email"], k["what"]) for k in due] == [(PRIYA, "thank-you")]


def test_the_board_counts_every_status_and_filters_by_company_and_tag(svc: Services) -> None:
    board = agenda.board(svc.config, svc.store, MONDAY)
    assert [c["status"] for c in board["columns"]] == [s.value for s in Status]
    rows = queries.contact_table(svc.store, MONDAY)
    for column in board["columns"]:
        assert column["count"] == sum(1 for r in rows if r["status"] == column["status"])
        assert column["side"] == (column["status"] in
                                  ("declined", "no_response", "bounced", "opted_out"))
    drafted = next(c for c in board["columns"] if c["status"] == "drafted")
    assert all(card["next"] == "send the outreach draft" for card in drafted["cards"])
    company = svc.store.require_contact(PRIYA).company
    narrowed = agenda.board(svc.config, svc.store, MONDAY, company=company[:6].lower())
    assert narrowed["total"] == 1
    assert agenda.board(svc.config, svc.store, MONDAY, tag="alumni")["total"] == len(rows)
    assert agenda.board(svc.config, svc.store, MONDAY, tag="nope")["total"] == 0
    assert board["tags"] == ["alumni"] and company in board["companies"]


def _history(svc: Services) -> None:
    """Priya: sent Monday, replied two days later, booked; Dana: sent, no reply."""
    store = svc.store
    for email, days in ((PRIYA, 2), ("dana.lee@example.net", None)):
        cid = _id(svc, email)
        store.set_status(cid, Status.SENT, MONDAY, cause="sent")
        if days is not None:
            store.set_status(cid, Status.REPLIED, MONDAY + timedelta(days=days), cause="reply")
            store.set_status(cid, Status.SCHEDULED, MONDAY + timedelta(days=days),
                             cause="booked")


def test_the_funnel_counts_each_stage_reached_with_its_rate(svc: Services) -> None:
    _history(svc)
    funnel = {row["stage"]: row for row in insights.funnel(svc.store)}
    total = len(svc.store.list_contacts())
    assert funnel["drafted"]["count"] == total and funnel["drafted"]["rate"] is None
    assert funnel["sent"]["count"] == 2
    assert funnel["replied"]["count"] == 1 and funnel["replied"]["rate"] == 50.0
    assert funnel["scheduled"]["count"] == 1 and funnel["scheduled"]["rate"] == 100.0
    assert funnel["interviewed"]["count"] == 0 and funnel["thanked"]["rate"] is None
    assert insights.reply_days(svc.store) == {"median": 2.0, "replies": 1}


def test_weekly_activity_buckets_status_changes_by_week(svc: Services) -> None:
    _history(svc)
    weeks = insights.weekly_activity(svc.store, MONDAY + timedelta(days=3), NY)
    assert len(weeks) == insights.WEEKS and weeks[-1]["week"] == "2026-12-07"
    last = weeks[-1]
    assert (last["sent"], last["replied"], last["scheduled"]) == (2, 1, 1)
    assert last["drafted"] == len(svc.store.list_contacts())
    assert all(w["sent"] == 0 for w in weeks[:-1])


def test_the_referral_tree_follows_introductions(svc: Services) -> None:
    manual.refer(svc, PRIYA, name="Ana Silva", email="ana@example.org")
    manual.refer(svc, "ana@example.org", name="Ben Okoro", email="ben@example.org")
    tree = insights.referral_tree(svc.store)
    assert tree["count"] == 2
    (root,) = tree["roots"]
    assert root["email"] == PRIYA
    assert root["children"][0]["email"] == "ana@example.org"
    assert root["children"][0]["children"][0]["email"] == "ben@example.org"


def test_referral_yield_counts_held_interviews(svc: Services) -> None:
    from automation.app import booking

    interview = booking.book(svc, svc.store.require_contact(PRIYA), option=1)
    manual.refer(svc, PRIYA, name="Ana Silva", email="ana@example.org")
    assert queries.referral_yield(svc.store, MONDAY)["interviews"] == 0
    after = queries.referral_yield(svc.store, interview.end)
    assert after == {"interviews": 1, "referrals": 1, "per_interview": 1.0, "target": 5}


def test_quiet_since_finds_who_had_no_exchange_after_the_cutoff(svc: Services) -> None:
    store = svc.store
    cid = _id(svc, PRIYA)
    store.set_status(cid, Status.NURTURING, MONDAY, cause="test")
    kinds = ["human"]
    assert store.quiet_since(["nurturing"], kinds, MONDAY) == [cid]  # no exchange at all
    store.add_message(contact_id=cid, kind="reply", direction="inbound", state="received",
                      now=MONDAY, sent_at=MONDAY + timedelta(days=1), classification="human")
    assert store.quiet_since(["nurturing"], kinds, MONDAY) == []
    assert store.quiet_since(["nurturing"], kinds, MONDAY + timedelta(days=2)) == [cid]
    store.add_message(contact_id=cid, kind="reply", direction="inbound", state="received",
                      now=MONDAY, sent_at=MONDAY + timedelta(days=5),
                      classification="auto_reply")  # an auto-reply is no exchange
    assert store.quiet_since(["nurturing"], kinds, MONDAY + timedelta(days=2)) == [cid]


def test_interviews_between_and_interviewed_ids(svc: Services) -> None:
    store = svc.store
    cid = store.upsert_contact(ContactRecord(email="x@example.org", line=0), MONDAY)[0].id or 0
    slot = Slot(MONDAY + timedelta(days=1), MONDAY + timedelta(days=1, minutes=10))
    store.save_interview(cid, "uid-x", slot.start, slot.end, 0, "confirmed", MONDAY)
    assert [i.uid for i in store.interviews_between(MONDAY, MONDAY + timedelta(days=2))] == \
        ["uid-x"]
    assert store.interviews_between(MONDAY + timedelta(days=2), MONDAY + timedelta(days=3)) == []
    assert store.interviewed_ids(slot.end) == [cid]
    assert store.interviewed_ids(slot.end, ["scheduled"]) == []
    assert store.interviewed_ids(slot.start) == []


def test_today_offers_to_add_the_person_a_reply_suggested(svc: Services) -> None:
    store, cid = svc.store, _id(svc, PRIYA)
    reason = "redirect: they suggest Sam Lee <sam@example.org>; add them with automation refer"
    store.flag(cid, reason, MONDAY)
    store.add_event(cid, MONDAY, "referral_offered", cause=reason,
                    detail={"referral": {"name": "Sam Lee", "email": "sam@example.org"}})
    (item,) = agenda.today(svc, MONDAY)["attention"]
    assert item["referral"] == {"name": "Sam Lee", "email": "sam@example.org"}
    manual.refer(svc, PRIYA, name="Sam Lee", email="sam@example.org")
    assert agenda.today(svc, MONDAY)["attention"] == []  # recorded: the flag is settled


def _board_statements(svc: Services) -> tuple[dict[str, object], list[str]]:
    with traced(svc.store.conn) as statements:
        return agenda.board(svc.config, svc.store, MONDAY), statements


def test_board_next_steps_are_each_contacts_own_read_in_a_fixed_number_of_queries(
        svc: Services) -> None:
    """The cards' next steps are read for the whole board at once: the same steps as read
    contact by contact, and no more queries for five timed cards than for one."""
    from automation.app.effects import contact_state

    store = svc.store
    people = store.list_contacts()
    store.set_status(people[0].id or 0, Status.SENT, MONDAY, cause="sent")
    store.add_message(contact_id=people[0].id, kind="outreach", direction="sent", state="sent",
                      now=MONDAY, sent_at=MONDAY)
    _, one = _board_statements(svc)
    for person, status in zip(people[1:], (Status.SCHEDULED, Status.INTERVIEWED,
                                           Status.NURTURING, Status.SENT), strict=True):
        store.set_status(person.id or 0, status, MONDAY, cause="test")
    start = MONDAY + timedelta(days=2)
    store.save_interview(people[1].id or 0, "uid-board", start, start + timedelta(minutes=10),
                         0, "confirmed", MONDAY)
    board, five = _board_statements(svc)
    assert len(five) == len(one)
    cards = {card["email"]: card for column in board["columns"]  # type: ignore[attr-defined]
             for card in column["cards"]}
    steps = set()
    for person in store.list_contacts():
        state = contact_state(store, person, svc.config.me.timezone)
        want = agenda.next_step(svc.config, person, state, store.interview_for(person.id or 0))
        assert (cards[person.email]["next"], cards[person.email]["next_at"]) == want
        steps.add(want[0])
    assert {"follow-up", "interview", "thank-you", "check-in"} <= steps
    assert datetime.fromisoformat(cards[people[1].email]["next_at"]) == start


def test_today_reads_the_check_ins_due_in_a_fixed_number_of_queries(svc: Services) -> None:
    """Every contact quiet for a check-in is listed, read in the same few queries for five
    as for one (each was read by three queries of its own)."""
    store = svc.store
    people = store.list_contacts()
    long_ago = MONDAY - timedelta(days=400)

    def nurture(person: object) -> None:
        cid = person.id or 0  # type: ignore[attr-defined]
        store.set_status(cid, Status.NURTURING, long_ago, cause="test")
        store.add_message(contact_id=cid, kind="outreach", direction="sent", state="sent",
                          now=long_ago, sent_at=long_ago)

    def due_and_statements() -> tuple[list[str], list[str]]:
        with traced(store.conn) as statements:
            data = agenda.today(svc, MONDAY)
        return [i["email"] for i in data["keep_in_touch"]], statements

    nurture(people[0])
    due, one = due_and_statements()
    assert due == [people[0].email]
    for person in people[1:]:
        nurture(person)
    due, five = due_and_statements()
    assert sorted(due) == sorted(p.email for p in people)
    assert len(five) == len(one)


def test_today_reads_the_contacts_of_its_drafts_and_interviews_together(
        svc: Services) -> None:
    """The contacts of the drafts waiting and of the week's interviews on Today are read in
    one query per list, not one (and their aliases another) per entry."""
    from automation.app import booking

    store = svc.store
    people = store.list_contacts()
    for person in people[:3]:
        booking.book(svc, person, option=1)
    with traced(store.conn) as statements:
        data = agenda.today(svc, MONDAY)
    assert {i["email"] for i in data["interviews"]} == {p.email for p in people[:3]}
    assert {d["email"] for d in data["drafts"]} >= {p.email for p in people[3:]}
    one_by_one = [s for s in statements if s.startswith(("SELECT * FROM contacts WHERE id =",
                                                         "SELECT email FROM aliases"))]
    assert one_by_one == []
