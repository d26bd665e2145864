"""Unit tests of the core pieces: config validation, store, compose, intent journal."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.adapters.clock import fixed_clock, parse_now
from automation.adapters.memory import MemoryCalendar, MemoryMailbox
from automation.adapters.store import Store
from automation.app.drafting import DraftRequest, draft_once, intent_key, reconcile
from automation.bootstrap import open_services
from automation.config import parse_config
from automation.core.compose import (
    build_message,
    clean_header,
    render,
    reply_subject,
    slot_label,
    template_env,
)
from automation.core.models import ContactRecord, Slot, Status
from automation.errors import ConfigError, TemplateError, UserError

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
MINIMAL = {"me": {"name": "Alex Rivera", "email": "alex@example.org",
                  "timezone": "America/New_York"}}


def config(tmp_path: Path, **sections):
    raw = {**MINIMAL, **sections}
    return parse_config(raw, tmp_path / "automation.toml")


# -- config -----------------------------------------------------------------------------------

def test_config_reports_every_problem_with_its_key_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"me": {"email": "nope", "timezone": "Mars/Olympus"},
                      "backend": {"kind": "outlook"},
                      "availability": {"hours": ["9-12"], "days": ["funday"],
                                       "slot_minutes": 0},
                      "cadence": {"hold_days": "three"}}, tmp_path / "c.toml")
    text = str(info.value)
    for key in ("me.email", "me.timezone", "backend.kind", "availability.hours",
                "availability.days", "availability.slot_minutes", "cadence.hold_days"):
        assert key in text, key
    assert len(info.value.problems) >= 7


def test_config_defaults_paths_and_unknown_keys(tmp_path: Path) -> None:
    cfg = config(tmp_path, local={"maildir": "m", "databse": "x"}, extra={"a": 1})
    assert cfg.local.maildir == tmp_path / "m"
    assert cfg.database == tmp_path / "automation.db"
    assert cfg.availability.offer_count == 3 and cfg.availability.slot_minutes == 10
    assert "unknown key local.databse ignored" in cfg.warnings
    assert "unknown section [extra] ignored" in cfg.warnings
    assert cfg.availability.timezone == NY


def test_clock_override_needs_an_offset() -> None:
    assert parse_now("2026-12-07T08:30:00-05:00") == NOW
    with pytest.raises(UserError, match="no UTC offset"):
        parse_now("2026-12-07T08:30:00")
    with pytest.raises(UserError, match="not an ISO 8601"):
        parse_now("next monday")


# -- store ------------------------------------------------------------------------------------

def test_store_upsert_keeps_status_and_history(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        contact, created = store.upsert_contact(
            ContactRecord(email="a@example.com", line=2, name="Ann", company="A"), NOW)
        assert created
        store.set_status(contact.id, Status.DRAFTED, NOW, cause="outreach drafted")
        again, created = store.upsert_contact(
            ContactRecord(email="a@example.com", line=3, company="", role="Chief"), NOW,
            tags=["x"])
        assert not created
        assert again.status == Status.DRAFTED
        assert again.company == "A" and again.role == "Chief" and again.tags == ("x",)
        events = store.timeline(contact.id)
        assert [e.event for e in events] == ["created", "status"]
        assert events[1].cause == "outreach drafted" and events[1].new_status == "drafted"


def test_store_file_mode_wal_and_newer_schema_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.schema_version() == Store.SCHEMA_VERSION
    assert path.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO migrations VALUES ('9999_future', 0)")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="newer version"):
        Store.open(path)


def test_store_holds_expire_and_release(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db.sqlite") as store:
        contact, _ = store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)
        slot = Slot(NOW + timedelta(days=1), NOW + timedelta(days=1, minutes=10))
        store.add_holds(contact.id, [slot], NOW + timedelta(days=3), "<m@x>")
        assert store.holds_for(contact.id, NOW) == [slot]
        assert store.holds_for(contact.id, NOW + timedelta(days=3)) == []
        assert store.offered_slots(contact.id) == [slot]
        store.release_holds(contact.id, NOW)
        assert store.active_holds(NOW) == []


# -- compose ----------------------------------------------------------------------------------

def test_render_strict_undefined_names_template_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("Subject: Hi\n\nline two\n{{ contact.missing }}\n")
    with pytest.raises(TemplateError) as info:
        render(template_env(tmp_path), "t.txt.j2", {"contact": {}})
    assert info.value.template == "t.txt.j2" and info.value.line == 4
    assert "missing" in str(info.value)


def test_render_needs_a_subject_line(tmp_path: Path) -> None:
    (tmp_path / "t.txt.j2").write_text("Hello there\n")
    with pytest.raises(TemplateError, match="Subject"):
        render(template_env(tmp_path), "t.txt.j2", {})


def test_slot_label_in_zone_and_across_noon() -> None:
    start = datetime(2026, 12, 8, 10, 0, tzinfo=NY)
    assert slot_label(Slot(start, start + timedelta(minutes=10)), NY) == \
        "Tue, Dec 8, 10:00\u201310:10 AM EST"
    noon = datetime(2026, 12, 8, 11, 55, tzinfo=NY)
    assert slot_label(Slot(noon, noon + timedelta(minutes=10)), NY) == \
        "Tue, Dec 8, 11:55 AM\u201312:05 PM EST"
    assert slot_label(Slot(start, start + timedelta(minutes=10)), ZoneInfo("Europe/Berlin")) \
        == "Tue, Dec 8, 4:00\u20134:10 PM CET"


def test_headers_cannot_be_injected() -> None:
    msg = build_message(sender_name="Alex", sender="alex@example.org",
                        to_name="Eve\r\nBcc: x@example.com", to="eve@example.com",
                        subject="Hi\nX-Evil: 1", body="b", now=NOW, message_id="<m@x>")
    raw = msg.as_bytes()
    assert b"\nBcc:" not in raw and b"\nX-Evil:" not in raw
    assert clean_header("a\r\n\tb\x00c") == "a b c"
    assert reply_subject("RE: x") == "RE: x" and reply_subject("x") == "Re: x"


# -- intent journal ---------------------------------------------------------------------------

class CrashAfterCreate(MemoryMailbox):
    """Creates the draft, then dies before the service can record it (a crash or timeout)."""

    crashes = 1

    def create_draft(self, message, *, thread_id=None):
        ref = super().create_draft(message, thread_id=thread_id)
        if self.crashes:
            self.crashes -= 1
            raise RuntimeError("killed")
        return ref


def services(tmp_path: Path, mailbox) -> object:
    return open_services(config(tmp_path), fixed_clock(NOW), mailbox=mailbox,
                         calendar=MemoryCalendar())


def test_crash_between_create_and_record_yields_exactly_one_draft(tmp_path: Path) -> None:
    mailbox = CrashAfterCreate()
    svc = services(tmp_path, mailbox)
    contact, _ = svc.store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)
    msg = build_message(sender_name="Alex", sender="alex@example.org", to_name="A",
                        to="a@example.com", subject="Hi", body="b", now=NOW,
                        message_id="<outreach-1-abc@example.org>")
    request = DraftRequest(contact_id=contact.id, kind="outreach", message=msg,
                           new_status=Status.DRAFTED, cause="outreach drafted")
    key = intent_key(svc, contact.id, "outreach")
    with pytest.raises(RuntimeError):
        draft_once(svc, request, key)
    assert len(mailbox.drafts) == 1
    assert svc.store.get_contact(contact.id).status == Status.NEW
    assert reconcile(svc) == []
    assert len(mailbox.drafts) == 1  # looked up, not created again
    assert svc.store.get_contact(contact.id).status == Status.DRAFTED
    assert draft_once(svc, request, key) is None  # done: nothing more
    assert len(mailbox.drafts) == 1
    assert svc.store.pending_intents() == []
    svc.close()


def test_crash_before_create_recreates_on_reconcile(tmp_path: Path) -> None:
    class CrashBeforeCreate(MemoryMailbox):
        def create_draft(self, message, *, thread_id=None):
            raise RuntimeError("killed before the draft existed")

    failing = CrashBeforeCreate()
    svc = services(tmp_path, failing)
    contact, _ = svc.store.upsert_contact(ContactRecord(email="a@example.com", line=1), NOW)
    msg = build_message(sender_name="Alex", sender="alex@example.org", to_name="A",
                        to="a@example.com", subject="Hi", body="b", now=NOW,
                        message_id="<outreach-1-def@example.org>")
    request = DraftRequest(contact_id=contact.id, kind="outreach", message=msg,
                           new_status=Status.DRAFTED, cause="outreach drafted")
    with pytest.raises(RuntimeError):
        draft_once(svc, request, intent_key(svc, contact.id, "outreach"))
    healthy = MemoryMailbox()
    svc.mailbox = healthy
    reconcile(svc)
    assert [str(m["Message-ID"]) for m, _ in healthy.drafts.values()] == \
        ["<outreach-1-def@example.org>"]
    assert svc.store.get_contact(contact.id).status == Status.DRAFTED
    svc.close()
