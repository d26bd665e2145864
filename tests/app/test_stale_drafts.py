"""Refreshing unsent offers (app/refresh.py) over the in-memory adapters: which drafts count as
untouched, and what a refresh does under backend failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from automation.app.refresh import written_fingerprint
from automation.app.services import Services
from automation.app.tick import tick
from automation.core.compose import fingerprint
from automation.core.models import MessageRow
from tests.support.memworld import add_contact, contact, drafts, open_world

NY = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 12, 7, 8, 30, tzinfo=NY)
ADA = "ada@example.com"


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Services]:
    services = open_world(tmp_path, MONDAY)
    yield services
    services.close()


def outreach_row(svc: Services) -> MessageRow:
    (row,) = [m for m in svc.store.messages_for(contact(svc, ADA).id or 0)
              if m.kind == "outreach" and m.direction == "draft"]
    return row


def as_written_before_fingerprints(svc: Services) -> MessageRow:
    """Ada's outreach as a database from before fingerprints were recorded holds it."""
    row = outreach_row(svc)
    detail = {k: v for k, v in row.detail.items() if k != "fingerprint"}
    svc.store.update_message(row.id, detail=detail)
    return outreach_row(svc)


def refreshes(svc: Services) -> list[str]:
    return [e.cause for e in svc.store.timeline(contact(svc, ADA).id or 0)
            if e.event == "refreshed"]


def test_the_journaled_message_gives_the_fingerprint_recorded_with_the_draft(
        svc: Services) -> None:
    """Derived from the bytes the draft was created from, it is the very fingerprint that is
    recorded today: so deriving it for an older draft judges "untouched" the same way."""
    add_contact(svc, ADA, "Ada Lovelace")
    tick(svc)
    recorded = outreach_row(svc).detail["fingerprint"]
    assert written_fingerprint(svc, as_written_before_fingerprints(svc)) == recorded
    assert fingerprint(drafts(svc, ADA)[0]) == recorded


def test_an_untouched_draft_from_before_fingerprints_is_refreshed(svc: Services) -> None:
    add_contact(svc, ADA, "Ada Lovelace")
    tick(svc)
    as_written_before_fingerprints(svc)
    before = drafts(svc, ADA)[0].get_content()
    svc.clock.advance(days=4)  # the holds (hold_days = 3) lapsed, the first slots are past
    tick(svc)
    assert len(refreshes(svc)) == 1
    assert contact(svc, ADA).needs_attention is None
    (draft,) = drafts(svc, ADA)
    assert draft.get_content() != before  # fresh times, in place
    assert outreach_row(svc).detail["fingerprint"] == fingerprint(draft)


def test_an_edited_draft_from_before_fingerprints_is_flagged_not_overwritten(
        svc: Services) -> None:
    add_contact(svc, ADA, "Ada Lovelace")
    tick(svc)
    as_written_before_fingerprints(svc)
    (draft,) = drafts(svc, ADA)
    text = draft.get_content().replace("Would you have", "Might you have")
    assert "Might you have" in text
    draft.set_content(text)  # the user edits it in their client
    svc.clock.advance(days=4)
    tick(svc)
    assert refreshes(svc) == []
    assert "offers times that have passed" in (contact(svc, ADA).needs_attention or "")
    assert "Might you have" in drafts(svc, ADA)[0].get_content()
