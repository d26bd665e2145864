"""Unsent drafts never offer times that have passed: refreshed in place, or flagged if edited.

Each story runs on the local backend (a real Maildir) and on Gmail (the loopback fake, where
the refresh is a ``drafts.update`` on the same draft id).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.e2e.test_google_e2e import (  # noqa: F401  (fixtures)
    GmailStory,
    fake,
    google_workspace,
    no_backoff,
)
from tests.e2e.test_pipeline_cli import MONDAY, PRIYA, Story, at
from tests.support.fakegoogle import FakeGoogle
from tests.support.workspace import Workspace, write_csv

EMAIL = "priya.raman@example.com"
PERSONAL = "We met at the career night, and your talk stayed with me."


class Backend:
    """One backend's story, plus what only that backend can show: draft ids, edits."""

    def __init__(self, story: Story, draft_ids: Callable[[], list[str]],
                 edit: Callable[[str, str], None]) -> None:
        self.story = story
        self.draft_ids = draft_ids
        self.edit = edit  # (Message-ID, line to add at the top of the text)


def _local(ws: Workspace) -> Backend:
    drafts = ws.maildir / "Drafts"

    def files() -> list[Path]:
        return sorted(p for sub in ("cur", "new") for p in (drafts / sub).iterdir())

    def edit(message_id: str, line: str) -> None:  # the user edits it in neomutt
        for path in files():
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if str(message["Message-ID"]) == message_id:
                text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
                message.set_content(f"{line}\n\n{text}")
                path.write_bytes(message.as_bytes(policy=policy.SMTP))
                return
        raise AssertionError(f"no draft {message_id}")

    return Backend(Story(ws), lambda: [p.name.split(":")[0] for p in files()], edit)


def _google(ws: Workspace, fake_google: FakeGoogle) -> Backend:
    story = GmailStory(google_workspace(ws, fake_google), fake_google,
                       fake_google.clock_now)  # type: ignore[attr-defined]

    def edit(message_id: str, line: str) -> None:  # the user edits it in Gmail
        draft_id = story._draft_id(message_id)
        text = fake_google.message(fake_google.mailbox.draft(draft_id).message_id).email
        body = text.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        fake_google.edit_draft(draft_id, body=f"{line}\n\n{body}")

    return Backend(story, lambda: [d.id for d in fake_google.drafts()], edit)


@pytest.fixture(params=["local", "google"])
def backend(request: pytest.FixtureRequest, workspace: Workspace) -> Backend:
    if request.param == "local":
        return _local(workspace)
    return _google(workspace, request.getfixturevalue("fake"))


def starts(backend: Backend) -> list[datetime]:
    return [datetime.fromisoformat(o["start"]) for o in backend.story.show(EMAIL)["offered"]]


def text_of(backend: Backend) -> str:
    (draft,) = backend.story.ws.drafts()
    return draft.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_an_untouched_draft_whose_times_lapsed_is_refreshed_in_place(backend: Backend) -> None:
    """On Dec 11 the Dec 7 outreach offered Dec 8-10, no longer held: the next run replaces
    it (same draft, same Message-ID) with fresh times the contact can still be given."""
    story = backend.story
    story.start(PRIYA)
    (before,) = story.ws.drafts()
    old_text, old_ids, old_starts = text_of(backend), backend.draft_ids(), starts(backend)
    assert max(old_starts) < at(11, 0)
    out = story.run(at(11, 9))
    assert (f"Refreshed the outreach draft to {EMAIL}: its times had lapsed; now offers "
            in out), out
    (after,) = story.ws.drafts()
    assert after["Message-ID"] == before["Message-ID"] and after["To"] == before["To"]
    new_starts = starts(backend)
    assert len(new_starts) == 3 and min(new_starts) >= at(12, 9)  # 24 hours' notice
    new_text = text_of(backend)
    assert new_text != old_text and "Fri, Dec 11" not in new_text
    assert all(f"{s:%b} {s.day}," in new_text for s in new_starts)
    if isinstance(story, GmailStory):  # drafts.update: the draft keeps its id
        assert backend.draft_ids() == old_ids
        assert story.fake.call_count("drafts.update") == 1
    else:  # the same folder, the old file removed
        assert len(backend.draft_ids()) == 1 and backend.draft_ids() != old_ids
    timeline = [e["event"] for e in story.show(EMAIL)["timeline"]]
    assert timeline.count("refreshed") == 1
    story.quiet(at(11, 9, 5))  # idempotent: the fresh offer stands
    story.send(EMAIL, "outreach", at(11, 10))
    assert f"{EMAIL}: → sent (outreach sent)" in story.run(at(11, 10, 5))
    assert starts(backend) == new_starts


def test_an_edited_draft_is_left_alone_flagged_and_fixed_by_refresh(backend: Backend) -> None:
    """The user's edits are never overwritten by a run: the contact is flagged with the fix,
    and ``automation refresh EMAIL`` replaces the draft with fresh times on request."""
    story = backend.story
    story.start(PRIYA)
    (draft,) = story.ws.drafts()
    backend.edit(str(draft["Message-ID"]), PERSONAL)
    out = story.run(at(11, 9))
    assert f"Needs attention {EMAIL}: your draft to {EMAIL} offers times that have passed" \
        in out, out
    assert "automation refresh priya.raman@example.com" in out
    assert PERSONAL in text_of(backend)  # untouched
    assert story.show(EMAIL)["needs_attention"].startswith(f"your draft to {EMAIL}")
    story.quiet(at(11, 9, 5))  # flagged once
    result = story.ws.ok("refresh", EMAIL, now=at(11, 9, 10).isoformat())
    assert f"Refreshed the outreach draft to {EMAIL}; it now offers " in result.out
    assert story.show(EMAIL)["needs_attention"] is None
    assert PERSONAL not in text_of(backend) and min(starts(backend)) >= at(12, 9)
    assert len(story.ws.drafts()) == 1


def test_a_follow_up_whose_fresh_times_lapsed_is_refreshed_in_its_thread(
        backend: Backend) -> None:
    """A follow-up is refreshed as a reply still: same thread, same In-Reply-To."""
    story = backend.story
    story.ws.set_config("cadence", "follow_up_after_business_days", "1")
    story.start(PRIYA)
    story.send(EMAIL, "outreach", at(7, 9))
    assert "Drafted follow-up" in story.run(at(10, 9))  # the outreach's holds lapsed: fresh
    before = story.draft(EMAIL, "follow_up")
    out = story.run(at(14, 9))
    assert f"Refreshed the follow-up draft to {EMAIL}" in out, out
    after = story.draft(EMAIL, "follow_up")
    assert after["Message-ID"] == before["Message-ID"]
    assert after["In-Reply-To"] == before["In-Reply-To"] and after["Subject"] == before["Subject"]
    assert min(starts(backend)) >= at(15, 9)


def test_dry_run_shows_the_slots_each_draft_would_offer(workspace: Workspace) -> None:
    """Before anything is held, and before a stale draft is refreshed: which times exactly."""
    story = Story(workspace)
    workspace.ok("import", str(write_csv(workspace.root.parent / "c.csv", [PRIYA])),
                 now=MONDAY.isoformat())
    dry = workspace.ok("run", "--once", "--dry-run", now=MONDAY.isoformat()).out
    assert "Would draft outreach to priya.raman@example.com" in dry
    assert "(3 slots offered: Tue, Dec 8, " in dry and "Dry run: nothing was written." in dry
    assert workspace.drafts() == []
    story.run(MONDAY)
    (draft,) = workspace.drafts()
    dry = workspace.ok("run", "--once", "--dry-run", now=at(11, 9).isoformat()).out
    assert (f"Would: Refresh the outreach draft to {EMAIL} (its times lapsed); it would "
            "offer Mon, Dec 14, ") in dry, dry
    (same,) = workspace.drafts()
    assert same.as_bytes() == draft.as_bytes()  # nothing written


def test_booking_by_hand_while_the_outreach_is_unsent_warns_and_withdraws_it(
        workspace: Workspace) -> None:
    """Sending that outreach after the booking would offer times to someone already booked,
    and no run refreshes it either: it leaves Drafts, and the user is told."""
    story = Story(workspace)
    story.start(PRIYA)
    (outreach,) = workspace.drafts()
    result = workspace.ok("book", EMAIL, "--option", "2", now=at(7, 10).isoformat())
    assert (f"warning: your outreach to {EMAIL} was never sent; it is withdrawn from Drafts"
            in result.err)
    (confirmation,) = workspace.drafts()
    assert confirmation["Message-ID"] != outreach["Message-ID"]
    shown = story.show(EMAIL)
    assert [m["state"] for m in shown["messages"] if m["kind"] == "outreach"] == ["withdrawn"]
    assert "withdrawn" in [e["event"] for e in shown["timeline"]]
    out = story.run(at(8, 9))  # past the first offered slot: nothing to refresh, it is closed
    assert "Refresh" not in out and len(workspace.drafts()) == 1
