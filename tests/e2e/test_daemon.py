"""The daemon as a real process: one instance, locks, signals, reload, backoff, health, digest.

Each test starts ``python -m automation daemon`` on a fresh workspace with ``AUTOMATION_NOW``
fixed, reads its log lines (plain lines on stderr), and talks to it the way a user would:
signals, ``run --once``, ``status``, ``contacts``, ``show``, editing the config.
"""

from __future__ import annotations

import json
import mailbox
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from automation.adapters import lock
from automation.adapters.lock import PidLock, daemon_lock_path, tick_lock_path
from automation.adapters.store import Store
from automation.app import health
from automation.errors import AlreadyRunning
from tests.support.daemonkit import Proc, cli_env, contacts_csv
from tests.support.workspace import REPO, Workspace

MONDAY = "2026-12-07T08:30:00-05:00"
EARLY = "2026-12-07T07:30:00-05:00"  # before the 08:00 digest


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for proc in started:
        proc.stop()


def start(procs: list[Proc], ws: Workspace, *args: str, now: str = MONDAY) -> Proc:
    proc = Proc(ws.config, *args, now=now)
    procs.append(proc)
    return proc


def seed(ws: Workspace, count: int = 5, now: str = MONDAY) -> None:
    ws.ok("import", str(contacts_csv(ws.root.parent / "contacts.csv", count)), now=now)


def status(ws: Workspace) -> dict:
    return ws.ok("status", "--json", now=MONDAY).json()


def ticks_done(err: str) -> int:
    return err.count("tick done:")


def finished_status(ws: Workspace, timeout: float = 60.0) -> dict:
    """``status --json`` once its last tick has ended. A daemon ticking every second is in a
    tick about as often as between two, and a tick in progress has no outcome yet (``status``
    shows it as running); reading just once failed at random on a loaded machine."""
    deadline = time.monotonic() + timeout
    while True:
        data = status(ws)
        if (data["last_tick"] or {}).get("outcome") is not None or time.monotonic() > deadline:
            return data
        time.sleep(0.1)


def test_second_daemon_refused_and_sigterm_exits_zero(workspace: Workspace,
                                                       procs: list[Proc]) -> None:
    seed(workspace)
    first = start(procs, workspace, "daemon", "--interval", "1")
    first.wait_for("tick done: drafted 5")
    second = start(procs, workspace, "daemon", "--interval", "1")
    assert second.finish(30) == 1
    assert f"already running (pid {first.pid})" in second.err
    assert "tick done" not in second.err
    assert first.alive()
    began = time.monotonic()
    first.signal(signal.SIGTERM)
    assert first.finish(10) == 0
    assert time.monotonic() - began < 5
    assert "SIGTERM received" in first.err and "daemon stopped" in first.err
    assert status(workspace)["daemon"] == {"running": False, "pid": None}


def test_sigint_exits_zero(workspace: Workspace, procs: list[Proc]) -> None:
    daemon = start(procs, workspace, "daemon", "--interval", "1")
    daemon.wait_for("tick done")
    daemon.signal(signal.SIGINT)
    assert daemon.finish(10) == 0
    assert "SIGINT received" in daemon.err


def test_sigterm_mid_tick_stops_within_seconds_and_loses_nothing(workspace: Workspace,
                                                                 procs: list[Proc]) -> None:
    workspace.set_config("cadence", "daily_outreach_cap", "500")
    workspace.set_config("availability", "max_per_day", "200")
    workspace.set_config("availability", "hours", '["07:00-21:00"]')
    workspace.set_config("availability", "days", '["mon","tue","wed","thu","fri","sat","sun"]')
    workspace.set_config("availability", "horizon_days", "30")
    seed(workspace, 200)
    daemon = start(procs, workspace, "--log-level", "debug", "daemon", "--interval", "60")
    daemon.wait_for(lambda err: err.count("drafted outreach for contact") >= 3)
    began = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.finish(20) == 0
    elapsed = time.monotonic() - began
    assert elapsed < 10, elapsed
    drafted_before = len(workspace.drafts())
    assert 0 < drafted_before
    # Whatever the tick did not finish, the next one does, exactly once.
    workspace.ok("run", "--once", now=MONDAY)
    ids = [str(d["Message-ID"]) for d in workspace.drafts()]
    assert len(ids) == len(set(ids)) == 200
    assert {c["status"] for c in workspace.contacts()} == {"drafted"}
    last = status(workspace)["last_tick"]
    assert last["outcome"] == "ok"


def test_run_once_waits_for_a_tick_in_progress_then_says_already_running(
        workspace: Workspace, procs: list[Proc], monkeypatch: pytest.MonkeyPatch) -> None:
    seed(workspace)
    monkeypatch.setattr(lock, "TICK_LOCK_WAIT_SECONDS", 1.5)
    holder = subprocess.Popen(  # another process in the middle of a tick
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from automation.adapters.lock import PidLock; PidLock(Path(sys.argv[1])).acquire(); "
         "print('held', flush=True); time.sleep(60)",
         str(tick_lock_path(workspace.root / "automation.db"))],
        cwd=str(REPO), env=cli_env(None), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        result = workspace.run("run", "--once", now=MONDAY)
        waited = time.monotonic() - began
        assert result.code == 1
        assert f"already running (pid {holder.pid})" in result.err
        assert waited >= 1.5
        assert workspace.drafts() == []  # it did nothing while it could not lock
        assert status(workspace)["last_tick"] is None
    finally:
        holder.kill()
        holder.wait()
    # The holder died without unlocking (as after SIGKILL): the kernel freed the lock.
    workspace.ok("run", "--once", now=MONDAY)
    assert len(workspace.drafts()) == 5


def test_run_once_works_while_the_daemon_idles_between_ticks(workspace: Workspace,
                                                           procs: list[Proc]) -> None:
    seed(workspace, 3)
    daemon = start(procs, workspace, "daemon", "--interval", "3600")
    daemon.wait_for("tick done")
    seed(workspace, 6)  # three more arrive; the daemon sleeps for an hour
    result = workspace.ok("run", "--once", now=MONDAY)
    assert result.out.count("Drafted outreach") == 3
    assert daemon.alive()


def test_read_commands_work_while_the_daemon_runs(workspace: Workspace,
                                                  procs: list[Proc]) -> None:
    seed(workspace, 40)
    workspace.set_config("cadence", "daily_outreach_cap", "100")
    daemon = start(procs, workspace, "daemon", "--interval", "1")
    daemon.wait_for("daemon started")
    deadline = time.monotonic() + 6
    reads = 0
    while time.monotonic() < deadline:  # read while the daemon ticks and writes
        assert len(workspace.contacts()) == 40
        workspace.ok("show", "c000@example.com", now=MONDAY)
        data = status(workspace)
        reads += 1
    daemon.wait_for(lambda err: ticks_done(err) >= 2)
    data = finished_status(workspace)
    assert data["daemon"] == {"running": True, "pid": daemon.pid}
    assert data["last_tick"]["outcome"] == "ok" and data["last_tick"]["pid"] == daemon.pid
    assert data["failing"] == []
    text = workspace.ok("status", now=MONDAY).out
    assert f"Daemon: running (pid {daemon.pid})" in text and "Last run:" in text
    assert reads >= 3


def test_sighup_reloads_a_good_config_and_keeps_the_old_on_a_bad_one(
        workspace: Workspace, procs: list[Proc]) -> None:
    seed(workspace, 6)
    workspace.set_config("cadence", "daily_outreach_cap", "1")
    daemon = start(procs, workspace, "daemon", "--interval", "1")
    daemon.wait_for("tick done: drafted 1")
    good = workspace.config.read_text()

    workspace.config.write_text(good + "\n[cadence\nthis is not toml\n")
    daemon.signal(signal.SIGHUP)
    daemon.wait_for("reload failed, keeping the previous configuration")
    ticks = ticks_done(daemon.err)
    daemon.wait_for(lambda err: ticks_done(err) >= ticks + 2)  # still ticking, old config
    assert len(workspace.drafts()) == 1
    with Store.open(workspace.root / "automation.db") as store:  # `status` needs a good config
        (failure,) = [f for f in health.failing(store) if f["source"] == "reload"]
    assert "not valid TOML" in failure["error"] and "SIGHUP" in failure["fix"]
    assert daemon.alive()

    workspace.config.write_text(good)
    workspace.set_config("cadence", "daily_outreach_cap", "4")
    daemon.signal(signal.SIGHUP)
    daemon.wait_for("reloaded configuration and templates")
    daemon.wait_for("drafted 3")
    assert len(workspace.drafts()) == 4
    assert [f for f in status(workspace)["failing"] if f["source"] == "reload"] == []

    # Templates reload too: a new subject for the next outreach.
    template = workspace.root / "templates" / "outreach.txt.j2"
    text = template.read_text()
    template.write_text("Subject: Reloaded subject for {{ contact.first_name }}\n" +
                        text.split("\n", 1)[1])
    workspace.set_config("cadence", "daily_outreach_cap", "5")
    before = daemon.err.count("tick done: drafted 1")
    daemon.signal(signal.SIGHUP)
    daemon.wait_for(lambda err: err.count("reloaded configuration") >= 2)
    daemon.wait_for(lambda err: err.count("tick done: drafted 1") > before)
    subjects = [str(d["Subject"]) for d in workspace.drafts()]
    assert sum(s.startswith("Reloaded subject for") for s in subjects) == 1


def break_drafts_folder(ws: Workspace) -> Path:
    """Drafts can no longer be written (works as root too, unlike chmod)."""
    tmp = ws.maildir / "Drafts" / "tmp"
    shutil.rmtree(tmp)
    tmp.write_text("not a folder\n")
    return tmp


def test_a_failing_backend_backs_off_keeps_running_and_shows_in_status(
        workspace: Workspace, procs: list[Proc]) -> None:
    seed(workspace, 3)
    tmp = break_drafts_folder(workspace)
    daemon = start(procs, workspace, "daemon", "--interval", "1")
    daemon.wait_for("tick failed (1 in a row)")
    # The second failure is waited for, not slept towards: a 6 s sleep ended just as the third
    # try (t=6) ran, and the folder was then mended in the middle of it.
    daemon.wait_for("tick failed (2 in a row)")
    time.sleep(1)  # backoff: no third try before t=6, where 1 s ticks would have made ~3 more
    failures = daemon.err.count("tick failed (")
    # Without backoff, 1 s ticks would have failed ~3 times by now; with it: t=0, 2.
    assert failures == 2, daemon.err
    assert "next try in 2s" in daemon.err and "next try in 4s" in daemon.err
    assert daemon.alive()
    data = status(workspace)
    assert data["daemon"]["running"] is True
    assert data["last_tick"]["outcome"] == "failed"
    (failure,) = [f for f in data["failing"] if f["source"] == "tick"]
    assert re.search(r"cannot (write a draft|read the drafts)", failure["error"])
    assert "retries with backoff" in failure["fix"] and failure["retry_at"]
    assert failure["count"] == failures
    text = workspace.ok("status", now=MONDAY).out
    assert "Failing:" in text and "fix:" in text

    tmp.unlink()
    tmp.mkdir()
    daemon.signal(signal.SIGHUP)  # "try again now", instead of waiting out the backoff
    daemon.wait_for("the tick works again")
    data = finished_status(workspace)
    assert data["failing"] == [] and data["last_tick"]["outcome"] == "ok"
    assert len(workspace.drafts()) == 3


def test_junk_busy_ics_is_a_warning_in_status_and_the_rest_goes_on(
        workspace: Workspace, procs: list[Proc]) -> None:
    seed(workspace, 2)
    junk = workspace.root / "junk.ics"
    junk.write_bytes(b"BEGIN:VCALENDAR\r\nthis is \x00 not a calendar\r\n")
    workspace.set_config("availability", "busy_ics", f'["{junk}"]')
    daemon = start(procs, workspace, "daemon", "--interval", "1")
    daemon.wait_for("tick done: drafted 2")
    warnings = [f for f in status(workspace)["failing"] if f["source"] == "warning"]
    assert warnings and "junk.ics" in warnings[0]["error"]
    assert len(workspace.drafts()) == 2


def test_run_once_records_tick_health_and_dry_run_records_nothing(
        workspace: Workspace) -> None:
    seed(workspace, 2)
    workspace.ok("run", "--once", "--dry-run", now=MONDAY)
    assert status(workspace)["last_tick"] is None
    workspace.ok("run", "--once", now=MONDAY)
    last = status(workspace)["last_tick"]
    assert last["outcome"] == "ok" and last["counts"]["drafted"] == 2
    assert last["started_at"] and last["ended_at"] and last["error"] is None
    seed(workspace, 3)
    break_drafts_folder(workspace)
    assert workspace.run("run", "--once", now=MONDAY).code == 1
    data = status(workspace)
    assert data["last_tick"]["outcome"] == "failed"
    assert re.search(r"cannot (write a draft|read the drafts)", data["last_tick"]["error"])
    assert [f["source"] for f in data["failing"]] == ["tick"]
    assert data["daemon"]["running"] is False


def test_the_daemon_and_tick_locks_hold_the_pid_and_free_on_exit(tmp_path: Path) -> None:
    database = tmp_path / "automation.db"
    with PidLock(daemon_lock_path(database)).acquire() as held:
        assert lock.read_pid(held.path) is not None
        assert lock.daemon_status(database)["running"] is True
        with pytest.raises(AlreadyRunning, match=r"already running \(pid \d+\)"):
            PidLock(daemon_lock_path(database)).acquire(wait=0.2)
        PidLock(tick_lock_path(database)).acquire().release()  # independent of the tick lock
    assert lock.daemon_status(database) == {"running": False, "pid": None}
    assert (daemon_lock_path(database).stat().st_mode & 0o777) == 0o600


def digest_drafts(ws: Workspace) -> list:
    return [d for d in ws.drafts() if str(d["Subject"]).startswith(
        "Your informational-interview digest")]


def test_daily_digest_in_the_log_and_as_one_draft(workspace: Workspace,
                                                 procs: list[Proc]) -> None:
    seed(workspace, 3)
    workspace.set_config("daemon", "digest_draft", "true")
    workspace.set_config("daemon", "digest_at", '"08:00"')
    early = start(procs, workspace, "daemon", "--interval", "1", now=EARLY)
    early.wait_for(lambda err: ticks_done(err) >= 2)
    early.signal(signal.SIGTERM)
    assert early.finish(10) == 0
    assert "digest 2026" not in early.err and digest_drafts(workspace) == []

    daemon = start(procs, workspace, "daemon", "--interval", "1")
    daemon.wait_for("digest 2026-12-07: pipeline: drafted 3")
    daemon.wait_for(lambda err: ticks_done(err) >= 3)
    assert "digest 2026-12-07: 3 draft(s) wait in your Drafts folder" in daemon.err
    assert daemon.err.count("digest 2026-12-07: pipeline") == 1  # once a day, not per tick
    daemon.signal(signal.SIGTERM)
    assert daemon.finish(10) == 0
    (digest,) = digest_drafts(workspace)
    assert digest["To"].addresses[0].addr_spec == "alex@example.org"
    assert "2026-12-07" in str(digest["Subject"])
    assert "3 draft(s) wait" in digest.get_content()

    again = start(procs, workspace, "daemon", "--interval", "1")  # a restart the same day
    again.wait_for(lambda err: ticks_done(err) >= 2)
    assert "digest 2026-12-07" not in again.err
    assert len(digest_drafts(workspace)) == 1


def test_daemon_files_are_private(workspace: Workspace, procs: list[Proc]) -> None:
    seed(workspace, 2)
    daemon = start(procs, workspace, "daemon", "--interval", "1")
    daemon.wait_for("tick done: drafted 2")
    root = workspace.root
    private = [root / "automation.db", root / "automation.db-wal", root / "automation.db-shm",
               daemon_lock_path(root / "automation.db"), tick_lock_path(root / "automation.db")]
    box = mailbox.Maildir(str(workspace.maildir / "Drafts"), factory=None, create=False)
    private += [Path(box._path) / box._lookup(key) for key in box.iterkeys()]
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in private if p.exists()}
    assert set(modes.values()) == {"0o600"}, modes
    assert len(modes) >= 6, modes
    assert oct(root.stat().st_mode & 0o777) == "0o700"
    data = json.loads(workspace.ok("status", "--json", now=MONDAY).out)
    assert data["daemon"]["running"] is True


def test_a_long_tick_is_cut_short_after_the_grace_period_and_finished_by_the_next(
        workspace: Workspace, procs: list[Proc]) -> None:
    """SIGTERM during a tick longer than STOP_GRACE_SECONDS: the daemon stops within seconds
    anyway (the journal makes that safe); a second SIGTERM stops it at once. The next run
    finishes the work, and nothing is doubled."""
    from automation.interfaces.daemon import STOP_GRACE_SECONDS
    from tests.support.crashkit import WORKLOAD_CONFIG
    from tests.support.fakegoogle import FakeGoogle
    from tests.support.googlekit import write_token

    for (section, key), value in WORKLOAD_CONFIG.items():
        workspace.set_config(section, key, value)
    with FakeGoogle(email="alex@example.org") as fake:
        workspace.set_config("backend", "kind", '"google"')
        workspace.set_config("google", "api_endpoint", f'"{fake.base_url}"')
        write_token(fake, workspace.root / "token.json")
        seed(workspace, 60)
        fake.slow(0.25, method_contains="drafts.create")  # 60 drafts: a 15 s tick
        for signals in (1, 2):
            daemon = start(procs, workspace, "daemon", "--interval", "600")
            daemon.wait_for(lambda err: err.count("drafted outreach") >= 2)
            began = time.monotonic()
            daemon.signal(signal.SIGTERM)
            if signals == 2:
                time.sleep(0.5)
                daemon.signal(signal.SIGTERM)
            assert daemon.finish(30) == 0
            elapsed = time.monotonic() - began
            assert "stopped mid-tick" in daemon.err
            limit = 2.5 if signals == 2 else STOP_GRACE_SECONDS + 2.5
            assert elapsed < limit, (signals, elapsed)
        assert status(workspace)["last_tick"]["outcome"] == "interrupted"
        assert 0 < len(fake.drafts()) < 60
        fake.slow(0, method_contains="drafts.create")
        workspace.ok("run", "--once", now=MONDAY)
        ids = [fake.message(d.message_id).header("Message-ID") for d in fake.drafts()]
        assert len(ids) == len(set(ids)) == 60
        assert {c["status"] for c in workspace.contacts()} == {"drafted"}


def test_a_revoked_token_keeps_the_daemon_up_and_says_how_to_fix_it(
        workspace: Workspace, procs: list[Proc]) -> None:
    from tests.support.fakegoogle import FakeGoogle
    from tests.support.googlekit import write_token

    seed(workspace, 2)
    with FakeGoogle(email="alex@example.org") as fake:
        workspace.set_config("backend", "kind", '"google"')
        workspace.set_config("google", "api_endpoint", f'"{fake.base_url}"')
        fake.revoke_refresh_token(write_token(fake, workspace.root / "token.json"))
        fake.expire_access_tokens()
        daemon = start(procs, workspace, "daemon", "--interval", "1")
        daemon.wait_for("tick failed (2 in a row)")
        assert "invalid_grant" in daemon.err and daemon.alive()
        data = status(workspace)  # works although the backend cannot even open
        assert data["daemon"]["running"] is True
        (failure,) = data["failing"]
        assert "invalid_grant" in failure["error"] and "automation auth" in failure["fix"]
        write_token(fake, workspace.root / "token.json")  # the user authorized again
        daemon.signal(signal.SIGHUP)
        daemon.wait_for("the tick works again")
        daemon.wait_for("tick done")
        assert len(fake.drafts()) == 2 and status(workspace)["failing"] == []
