"""Nothing inbound that looks like a bounce or an auto-reply is dropped without a trace.

Real reports from the corpus that concern no contact (a stranger's address, an id that is not
ours) go through a pass on a real workspace; ``status`` and the digest then name each with its
subject and sender, while ordinary mail from strangers stays out of the way.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from automation.app.digest import digest_lines
from automation.bootstrap import open_services
from automation.config import load_config
from tests.support import play
from tests.support.workspace import Workspace, write_csv

MAIL = Path(__file__).resolve().parent.parent / "fixtures" / "mail"
NOW = "2026-12-08T09:00:00-05:00"


def test_unmatched_bounce_and_auto_reply_are_shown_in_status_and_digest(
        workspace: Workspace) -> None:
    # Lotus Notes report about an address nobody here wrote to; a vacation notice from a
    # stranger; a plain message from a stranger (not a machine's: not listed).
    play.deliver(workspace.maildir, (MAIL / "real/sisimai/lhost-notes-03.eml").read_bytes())
    play.deliver(workspace.maildir, (MAIL / "real/sisimai/rfc3834-01.eml").read_bytes())
    play.deliver(workspace.maildir, (MAIL / "real/talon/gmail.eml").read_bytes())
    workspace.ok("run", "--once", now=NOW)

    shown = workspace.ok("status", "--json", now=NOW).json()["unmatched"]
    assert sorted((i["kind"], i["subject"], i["from"]) for i in shown) == [
        ("auto_reply", "Away until May 5", "kijitora@example.net"),
        ("bounce", "Undeliverable message", "POSTMASTER@smtp-gw6-01.example.com"),
    ]
    text = workspace.ok("status", now=NOW).out
    assert "Unmatched bounce: Undeliverable message from POSTMASTER@smtp-gw6-01.example.com" \
        in " ".join(text.split())

    now = datetime.fromisoformat(NOW)
    svc = open_services(load_config(workspace.config), lambda: now)
    try:
        lines = digest_lines(svc, now)
    finally:
        svc.close()
    assert "unmatched bounce from POSTMASTER@smtp-gw6-01.example.com: Undeliverable message" \
        in lines
    assert "unmatched auto_reply from kijitora@example.net: Away until May 5" in lines

    workspace.ok("run", "--once", now=NOW)  # seen once: not recorded twice
    assert len(workspace.ok("status", "--json", now=NOW).json()["unmatched"]) == 2


def test_an_address_in_a_report_hits_only_a_contact_written_to(workspace: Workspace) -> None:
    """The Notes report names shironeko@example.com in its text; that contact has a draft
    but was never written to, so the report changes nothing and is kept as unmatched."""
    rows = ["Shiro,Neko,shironeko@example.com,Example,Engineer,America/New_York,"]
    workspace.ok("import", str(write_csv(workspace.root.parent / "c.csv", rows)), now=NOW)
    workspace.ok("run", "--once", now=NOW)
    play.deliver(workspace.maildir, (MAIL / "real/sisimai/lhost-notes-03.eml").read_bytes())
    workspace.ok("run", "--once", now=NOW)
    shown = workspace.ok("show", "shironeko@example.com", "--json", now=NOW).json()
    assert shown["status"] == "drafted"
    unmatched = workspace.ok("status", "--json", now=NOW).json()["unmatched"]
    assert [(i["kind"], i["subject"]) for i in unmatched] == [("bounce", "Undeliverable message")]
