"""A workspace with a story for the dashboard's browser tests, built through the real CLI.

Monday 2026-12-07: the example contacts are imported and their outreach drafted; Priya's
outreach is sent and she answers "option 2 or option 3 would both work" — an unclear pick,
flagged for the user with her offered slots.
"""

from __future__ import annotations

import json
import mailbox
import os
import subprocess
import sys
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from tests.support import play

REPO = Path(__file__).resolve().parents[2]
MONDAY = "2026-12-07T08:30:00-05:00"
AFTER_REPLY = "2026-12-07T10:05:00-05:00"
PRIYA = "priya.raman@example.com"


class Story:
    """A workspace driven through ``python -m automation`` subprocesses."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "automation.toml"
        self.maildir = root / "mail"
        self.calendar = root / "calendar"

    def cli(self, *args: str, now: str = AFTER_REPLY, stdin: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "AUTOMATION_NOW": now}
        env.pop("AUTOMATION_CONFIG", None)
        result = subprocess.run([sys.executable, "-m", "automation", "--config",
                                 str(self.config), *args], capture_output=True, text=True,
                                env=env, cwd=REPO, input=stdin, timeout=120)
        if check:
            assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def events(self) -> list[Path]:
        return sorted(self.calendar.glob("*.ics"))

    def drafts(self) -> list[EmailMessage]:
        box = mailbox.Maildir(str(self.maildir / "Drafts"), factory=None, create=False)
        parser = BytesParser(policy=policy.default)
        found = []
        for key in sorted(box.iterkeys()):
            with box.get_file(key) as fh:
                found.append(parser.parse(fh))
        return found  # type: ignore[return-value]

    def invites_to(self, email: str) -> list[EmailMessage]:
        """Drafts to ``email`` that carry an invitation (the booking confirmations)."""
        return [d for d in self.drafts() if email in str(d.get("To", ""))
                and any(p.get_content_type() == "text/calendar" for p in d.walk())]


def flagged_reply(root: Path) -> Story:
    """The story of the module docstring, ending at AFTER_REPLY with Priya flagged."""
    subprocess.run([sys.executable, "-m", "automation", "init", str(root)], check=True,
                   capture_output=True, cwd=REPO, timeout=120)
    story = Story(root)
    story.cli("import", str(REPO / "config" / "example_contacts.csv"), now=MONDAY)
    story.cli("run", "--once", now=MONDAY)
    outreach = next(m for m in story.json("show", PRIYA)["messages"] if m["kind"] == "outreach")
    play.send(story.maildir, outreach["message_id"])
    reply = EmailMessage()
    reply["From"] = "Priya Raman <priya.raman@example.com>"
    reply["To"] = "me@example.org"
    reply["Subject"] = "Re: " + outreach["subject"]
    reply["Message-ID"] = "<reply-priya-1@example.com>"
    reply["In-Reply-To"] = reply["References"] = outreach["message_id"]
    reply["Date"] = format_datetime(datetime.fromisoformat("2026-12-07T10:00:00-05:00"))
    reply.set_content("Hi! Happy to help. Option 2 or option 3 would both work for me, "
                      "you pick.\n\nPriya\n")
    play.deliver(story.maildir, reply)
    story.cli("run", "--once")
    flag = story.json("show", PRIYA)["needs_attention"]
    assert flag and flag.startswith("reply needs you"), flag
    return story
