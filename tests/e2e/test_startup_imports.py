"""Start-up stays cheap: ``automation --help`` and ``contacts --json`` on an empty workspace
import none of the heavy libraries (dateparser, the Google client stack, icalendar, Jinja2,
Flask, the tick, rich: neither prints a table...). Each used to be imported by command registration, costing most of a
second per command; ``make bench`` times it, this test keeps the cause from coming back."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Module prefixes neither command needs. Each is imported by the commands that use it.
HEAVY = (
    "dateparser", "googleapiclient", "google.auth", "google_auth_oauthlib", "httplib2",
    "icalendar", "recurring_ical_events", "jinja2", "flask", "waitress", "holidays", "pytz",
    "mailparser_reply", "flufl", "email_validator", "schedule", "rich", "email.message",
    "mailbox",
    "automation.app.tick", "automation.adapters.google", "automation.adapters.local",
    "automation.interfaces.daemon", "automation.interfaces.web", "automation.core.compose",
)

#: Runs the CLI in a fresh interpreter, then writes the names in sys.modules to argv[1].
PROBE = """
import json, sys
from automation.interfaces.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
built = sorted(f"{name}.{k}" for name, m in list(sys.modules.items())
               if name.startswith("automation") for k, v in vars(m).items()
               if isinstance(v, type) and "__dataclass_fields__" in vars(v)
               and v.__module__ == name)
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules), "dataclasses": built}, fh)
"""


def probe(tmp_path: Path, *args: str) -> dict:
    report = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", PROBE, str(report), *args], check=True,
                   capture_output=True, timeout=120)
    data = json.loads(report.read_text())
    assert data["code"] in (0, None)
    return data


def loaded(tmp_path: Path, *args: str) -> list[str]:
    return probe(tmp_path, *args)["modules"]


def heavy_in(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.fixture
def empty_workspace(tmp_path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "automation", "init", str(tmp_path / "ws")],
                   check=True, capture_output=True, timeout=120)
    return tmp_path / "ws" / "automation.toml"


def test_help_imports_no_command_module_and_no_heavy_library(tmp_path: Path) -> None:
    modules = loaded(tmp_path, "--help")
    assert heavy_in(modules) == []
    assert [m for m in modules if m.endswith("_cmds")] == []


def test_contacts_json_on_an_empty_workspace_imports_no_heavy_library(
        tmp_path: Path, empty_workspace: Path) -> None:
    modules = loaded(tmp_path, "--config", str(empty_workspace), "contacts", "--json")
    assert "automation.interfaces.cli.contacts_cmds" in modules  # the probe ran the command
    assert heavy_in(modules) == []


#: What an idle pass (nothing new in the mailbox, the calendar files unchanged) needs none of:
#: each is imported by the step that uses it (reading a reply's date, rendering a draft,
#: parsing a changed .ics file, validating an imported address, printing a table).
IDLE_HEAVY = (
    "dateparser", "googleapiclient", "google.auth", "google_auth_oauthlib", "httplib2",
    "icalendar", "recurring_ical_events", "jinja2", "flask", "waitress", "holidays",
    "pytz",  # a zone's country comes from pytz's zone.tab, read without importing pytz
    "mailparser_reply", "flufl", "email_validator", "schedule", "rich", "html.parser",
    "automation.adapters.google", "automation.interfaces.daemon", "automation.interfaces.web",
    "hashlib",  # (and OpenSSL with it): only a changed calendar file is hashed
    # Only a message read or written needs the email package's policies, header classes and
    # parsers, and only a file written or looked inside needs the stdlib's mailbox (which
    # brings email.message and email.generator): the folders are listed without it.
    "email.policy", "email.headerregistry", "email.parser", "email.contentmanager",
    "mailbox", "email.message", "email.generator",
    "automation.core.mailsafe", "automation.core.mime", "automation.core.bounces",
    # An import's rows, an event to write, the timeline, intents, the user's updates: a
    # dataclass compiles its methods when its module is imported (about a millisecond each).
    "automation.core.records",
)


def test_an_idle_pass_on_an_empty_workspace_imports_no_heavy_library(
        tmp_path: Path, empty_workspace: Path) -> None:
    args = ("--config", str(empty_workspace), "run", "--once")
    first = loaded(tmp_path, *args)  # the first pass creates the database and the Maildir
    modules = loaded(tmp_path, *args)
    assert "automation.app.tick" in first and "automation.app.tick" in modules  # it ran
    assert [m for m in modules if any(m == h or m.startswith(h + ".") for h in IDLE_HEAVY)] == []


#: Value types an idle pass never builds. Python compiles a dataclass's methods from source
#: when its class statement runs (about a millisecond a class, at every start).
IDLE_UNBUILT = ("ContactRecord", "SkippedRow", "EventSpec", "TimelineEntry", "Intent",
                "UserUpdate")


def test_an_idle_pass_builds_no_dataclass_it_does_not_use(tmp_path: Path,
                                                          empty_workspace: Path) -> None:
    args = ("--config", str(empty_workspace), "run", "--once")
    probe(tmp_path, *args)
    built = probe(tmp_path, *args)["dataclasses"]
    assert "automation.core.models.Contact" in built  # the probe saw the pass's own
    assert [d for d in built if d.rsplit(".", 1)[1] in IDLE_UNBUILT] == []


#: The use cases that write: drafting, composing (templates, threads, invitations), booking
#: and the slot search. An idle pass finds nothing due and nothing pending: it needs none.
IDLE_UNWRITTEN = (
    "automation.app.drafting", "automation.app.booking", "automation.app.threads",
    "automation.app.invitation", "automation.app.slotchecks", "automation.core.compose",
    "automation.core.slotsearch", "automation.core.contacthours",
)


def test_an_idle_pass_imports_no_use_case_that_writes(tmp_path: Path,
                                                     empty_workspace: Path) -> None:
    args = ("--config", str(empty_workspace), "run", "--once")
    loaded(tmp_path, *args)
    modules = loaded(tmp_path, *args)
    assert "automation.app.followups" in modules and "automation.app.outreach" in modules
    assert [m for m in modules if m in IDLE_UNWRITTEN] == []


def test_an_idle_pass_decides_for_nobody_without_importing_the_pipeline(
        tmp_path: Path, empty_workspace: Path) -> None:
    """The store finds nobody past the due bounds and no new mail: no decision is built, so
    neither the pipeline nor its decisions' dataclasses are imported."""
    args = ("--config", str(empty_workspace), "run", "--once")
    loaded(tmp_path, *args)
    modules = loaded(tmp_path, *args)
    assert "automation.core.timing" in modules  # the due bounds were asked...
    assert [m for m in modules if m in ("automation.core.pipeline", "automation.core.decision",
                                        "automation.app.gate")] == []  # ...nothing decided


def test_a_command_still_gets_what_it_needs(tmp_path: Path, empty_workspace: Path) -> None:
    """Lazy is not missing: ``templates check`` renders, so it loads Jinja2 on its own."""
    modules = loaded(tmp_path, "--config", str(empty_workspace), "templates", "check")
    assert "jinja2" in modules


#: Runs ``main()`` as the console script does (no arguments: sys.argv), then reports the
#: collector's state as the command left it.
GC_PROBE = """
import gc, json, sys
from automation.interfaces.cli import main
sys.argv = ["automation", *sys.argv[2:]]
try:
    main()
except SystemExit:
    pass
with open(REPORT, "w") as fh:
    json.dump({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
               "threshold": gc.get_threshold()}, fh)
"""


def gc_state(tmp_path: Path, *args: str, as_script: bool = True) -> dict[str, object]:
    report = tmp_path / "gc.json"
    probe = GC_PROBE.replace("REPORT", repr(str(report)))
    if not as_script:
        probe = probe.replace("    main()", f"    main({list(args)!r})")
    subprocess.run([sys.executable, "-c", probe, "-", *args], check=True, capture_output=True,
                   timeout=120)
    return json.loads(report.read_text())


def test_the_collector_runs_for_the_commands_work_with_what_was_loaded_frozen(
        tmp_path: Path, empty_workspace: Path) -> None:
    """The collector is held while the command loads, not during its work, and then
    collects the young generation less often (``root.COMMAND_GEN0``)."""
    from automation.interfaces.cli.root import COMMAND_GEN0

    state = gc_state(tmp_path, "--config", str(empty_workspace), "contacts", "--json")
    assert state["enabled"] is True
    assert isinstance(state["frozen"], int) and state["frozen"] > 10_000
    assert state["threshold"] == [COMMAND_GEN0, *gc.get_threshold()[1:]]


def test_a_caller_of_main_with_arguments_keeps_its_collector_as_it_was(
        tmp_path: Path, empty_workspace: Path) -> None:
    """Tests (and any program) calling main([...]) in their own process: nothing frozen."""
    state = gc_state(tmp_path, "--config", str(empty_workspace), "contacts", "--json",
                     as_script=False)
    assert state == {"enabled": True, "frozen": 0, "threshold": list(gc.get_threshold())}


def test_an_idle_pass_does_not_load_the_reply_reader(tmp_path: Path, empty_workspace: Path) -> None:
    """Reading a reply (its kind, its date, the slot it picks) waits for a reply to read."""
    args = ("--config", str(empty_workspace), "run", "--once")
    loaded(tmp_path, *args)
    modules = loaded(tmp_path, *args)
    assert "automation.core.replykinds" in modules  # the pipeline compares kinds...
    assert [m for m in modules if m in ("automation.core.replies", "automation.core.picks",
                                        "automation.core.autoreply", "automation.core.newtext",
                                        "automation.core.phrases")] == []  # ...reads none
