"""A deleted or emptied database beside a mailbox that holds our mail: say so, and ask.

The old database knew whom the user had written to; a new one does not, and re-importing
the contacts would draft first outreach to them again. The first pass of a new database
looks at Sent and Drafts: until ``run --once --accept-new-database``, every pass, ``status``
and ``doctor`` say so loudly, and no first outreach goes to anyone already written to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_google_e2e import fake, no_backoff, story  # noqa: F401 (fixtures)
from tests.e2e.test_pipeline_cli import PRIYA, at
from tests.support import play
from tests.support.workspace import Workspace, write_csv

NOW = "2026-12-07T09:00:00-05:00"
LATER = "2026-12-07T10:00:00-05:00"
ROWS = ["Ada,Lovelace,ada@example.com,Analytical,Eng,,",
        "Bob,Babbage,bob@example.com,Engines,Eng,,"]
CY = "Cy,Young,cy@example.com,Baseball,Eng,,"


def to(ws: Workspace, folder: str) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in ws.messages(folder))


def lose_the_database(ws: Workspace, how: str) -> None:
    db = ws.root / "automation.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if how == "deleted":
        db.unlink()
    else:
        db.write_bytes(b"")


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_new_database_drafts_no_first_outreach_to_people_written_to(
        workspace: Workspace, how: str) -> None:
    ws = workspace
    write_csv(ws.root / "c.csv", ROWS)
    ws.ok("import", str(ws.root / "c.csv"), now=NOW)
    assert "Drafted outreach" in ws.ok("run", "--once", now=NOW).out
    ada = next(m for m in ws.drafts() if "ada@" in str(m["To"]))
    play.send(ws.maildir, str(ada["Message-ID"]))  # Ada's was sent; Bob's waits in Drafts
    assert to(ws, "Sent") == ["ada@example.com"] and to(ws, "Drafts") == ["bob@example.com"]

    lose_the_database(ws, how)
    write_csv(ws.root / "c.csv", [*ROWS, CY])
    ws.ok("import", str(ws.root / "c.csv"), now=LATER)
    result = ws.ok("run", "--once", now=LATER)
    text = result.out + result.err
    assert "NEW DATABASE" in text and "--accept-new-database" in text, text
    assert "2 new contact(s) held back" in text, text
    assert to(ws, "Drafts") == ["bob@example.com", "cy@example.com"], "drafted again"
    assert to(ws, "Sent") == ["ada@example.com"]

    status = ws.ok("status", now=LATER)
    assert "new but the mailbox already holds mail" in status.out + status.err
    assert "--accept-new-database" in status.out + status.err
    doctor = ws.run("doctor", now=LATER)
    assert doctor.code != 0 and "accept-new-database" in doctor.out + doctor.err, doctor

    again = ws.ok("run", "--once", now=LATER)  # still guarded: Cy's draft changes nothing
    assert "NEW DATABASE" in again.out + again.err
    assert to(ws, "Drafts") == ["bob@example.com", "cy@example.com"]

    accepted = ws.ok("run", "--once", "--accept-new-database", now=LATER)
    assert "NEW DATABASE" not in accepted.out + accepted.err
    assert to(ws, "Drafts") == ["ada@example.com", "bob@example.com", "bob@example.com",
                                "cy@example.com"], "the user confirmed: the service goes on"
    assert "NEW DATABASE" not in ws.ok("run", "--once", now=LATER).err
    assert "accept-new-database" not in ws.ok("status", now=LATER).out


def test_a_new_database_beside_an_empty_mailbox_is_a_new_start(workspace: Workspace) -> None:
    write_csv(workspace.root / "c.csv", ROWS)
    workspace.ok("import", str(workspace.root / "c.csv"), now=NOW)
    result = workspace.ok("run", "--once", now=NOW)
    assert "NEW DATABASE" not in result.out + result.err
    assert to(workspace, "Drafts") == ["ada@example.com", "bob@example.com"]


def test_on_gmail_a_new_database_drafts_no_first_outreach_to_people_written_to(
        story, fake) -> None:  # noqa: F811 (the Gmail story's fixtures, imported above)
    """The same on the Google backend: Gmail's Sent and Drafts are read through the API."""
    story.start(PRIYA)
    story.send("priya.raman@example.com", "outreach", at(7, 9))
    ws = story.ws
    db = ws.root / "automation.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    write_csv(ws.root / "again.csv", [PRIYA, CY])
    ws.ok("import", str(ws.root / "again.csv"), now=at(7, 10).isoformat())
    result = ws.ok("run", "--once", now=at(7, 10).isoformat())
    assert "NEW DATABASE" in result.out + result.err
    to_in_drafts = sorted(str(fake.message(d.message_id).header("To")) for d in fake.drafts())
    assert len(to_in_drafts) == 1 and "cy@example.com" in to_in_drafts[0], to_in_drafts
