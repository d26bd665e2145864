"""A reply that picks "option N" means option N of the message it answers.

After a follow-up offered other times, a reply to the outreach still picks among the
outreach's slots; a pick of one that is no longer free is flagged with fresh alternatives,
and nothing is booked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tests.e2e.test_pipeline_cli import PRIYA, Story, at
from tests.support import play
from tests.support.workspace import Workspace

EMAIL = "priya.raman@example.com"


def offers(story: Story) -> list[datetime]:
    return [datetime.fromisoformat(o["start"]) for o in story.show(EMAIL)["offered"]]


def answer(story: Story, to_message_id: str, text: str, when: datetime) -> None:
    """Priya answers the message ``to_message_id`` (her client threads it by its id)."""
    reply = EmailMessage()
    reply["From"] = f"Priya Raman <{EMAIL}>"
    reply["To"] = "Alex Rivera <alex@example.org>"
    reply["Subject"] = "Re: A question about your path"
    reply["Date"] = format_datetime(when)
    reply["Message-ID"] = make_msgid(domain="example.com")
    reply["In-Reply-To"] = to_message_id
    reply["References"] = to_message_id
    reply.set_content(f"Hi Alex,\n\n{text}\n\nPriya\n")
    play.deliver(story.ws.maildir, reply)


def outreach_then_follow_up(workspace: Workspace) -> tuple[Story, str, list[datetime]]:
    """The outreach is sent; its holds lapse; a follow-up offering other times is sent."""
    workspace.set_config("cadence", "follow_up_after_business_days", "1")
    workspace.set_config("cadence", "hold_days", "0")
    story = Story(workspace)
    story.start(PRIYA)
    outreach = story.send(EMAIL, "outreach", at(7, 9))
    story.run(at(7, 9, 5))
    first = offers(story)
    assert "Drafted follow-up" in story.run(at(8, 9))
    story.send(EMAIL, "follow_up", at(8, 9, 5))
    story.run(at(8, 9, 10))
    assert offers(story) != first  # the follow-up offered another set of times
    return story, outreach, first


def test_option_n_of_the_outreach_after_a_follow_up_offered_other_times(
        workspace: Workspace) -> None:
    story, outreach, first = outreach_then_follow_up(workspace)
    later = offers(story)
    answer(story, outreach, "Option 3 works for me.", at(8, 9, 15))
    out = story.run(at(8, 9, 20))
    assert f"Booked {EMAIL}" in out, out
    start = datetime.fromisoformat(story.show(EMAIL)["interview"]["start"])
    assert start == first[2] and start != later[2]


def test_a_picked_slot_no_longer_free_is_flagged_with_alternatives(
        workspace: Workspace) -> None:
    story, outreach, first = outreach_then_follow_up(workspace)
    when = first[0] + timedelta(hours=1)  # the outreach's first slot is past by now
    answer(story, outreach, "Option 1 works for me.", when)
    out = story.run(when + timedelta(minutes=5))
    shown = story.show(EMAIL)
    assert shown["interview"] is None and shown["status"] == "replied"
    assert "Booked" not in out
    flag = shown["needs_attention"]
    assert flag.startswith("reply needs you") and "is in the past; nothing was booked" in flag
    assert "Next free slots: " in flag and "--at" in flag, flag
