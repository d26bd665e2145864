"""Crash safety, proved: SIGKILL at random points of real ticks, then restart, to quiescence.

A 200-contact workload (``tests/support/crashkit.py``) runs round after round: the user sends drafts,
contacts pick a slot, decline or stay silent, and ``AUTOMATION_NOW`` advances three days a
round. In each round ``automation run --once`` is started as a real process and killed with
SIGKILL at a random moment (a seeded RNG picks either a random delay, or the k-th draft or
event the tick reports plus a few random milliseconds, so kills land inside the work); then
it is restarted until a run finds nothing to do. The same rounds run once more without any
kill, as the reference.

At the end: zero duplicate drafts (Message-IDs; per contact and kind) and events, no draft the
database does not know, no unfinished intent, every status change in the timeline with its
cause, ``PRAGMA integrity_check`` ok, and every contact where the reference run put it.
"""

from __future__ import annotations

import os
import random
import signal
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import googleapiclient.http
import pytest

from tests.support.crashkit import (
    USER,
    WORKLOAD_CONFIG,
    GoogleWorld,
    LocalWorld,
    MovableNow,
    Scenario,
    World,
    audit,
    slow_disk_env,
    statuses,
)
from tests.support.daemonkit import Proc, cli_env, contacts_csv
from tests.support.fakegoogle import FakeGoogle
from tests.support.googlekit import write_token
from tests.support.workspace import Workspace

pytestmark = pytest.mark.slow

START = datetime.fromisoformat("2026-12-07T08:30:00-05:00")
CONTACTS = 200
ROUNDS = 12
SEED = int(os.environ.get("CRASH_SEED", "20261207"))
#: Attempts per round at most, to land at least one kill in it.
KILL_TRIES = 8
ACTIVITY = ("drafted ", " interview ", "calendar event")
#: How long a write lingers between being done and being recorded, in the killed runs.
SLOW_WRITE_SECONDS = 0.02


@dataclass
class Tally:
    kills: int = 0
    runs: int = 0
    finished_before_kill: int = 0
    failed_runs: int = 0
    seconds: float = 0.0
    by_phase: Counter[str] = field(default_factory=Counter)
    #: per round, the first clean run's reported drafts/events and duration (the reference's
    #: tell the killing run how much work a round holds, so kills can land inside it)
    work: list[tuple[int, float]] = field(default_factory=list)


def configure(ws: Workspace) -> None:
    for (section, key), value in WORKLOAD_CONFIG.items():
        ws.set_config(section, key, value)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


#: Runs ``automation --log-level info run --once`` at a given time.
Runner = Callable[[datetime], Ran]


def subprocess_runner(config: Path) -> Runner:
    def run(now: datetime) -> Ran:
        proc = Proc(config, "--log-level", "info", "run", "--once", now=now.isoformat())
        code = proc.finish(300)
        return Ran(code, proc.out, proc.err)
    return run


def in_process_runner(ws: Workspace) -> Runner:
    def run(now: datetime) -> Ran:
        result = ws.run("--log-level", "info", "run", "--once", now=now.isoformat())
        return Ran(result.code, result.out, result.err)
    return run


def run_once(runner: Runner, now: datetime, *, fail_ok: bool = False) -> Ran:
    ran = runner(now)
    assert ran.code == 0 or (fail_ok and ran.code == 1), f"exit {ran.code}\n{ran.out}\n{ran.err}"
    return ran


def activity(err: str) -> int:
    return sum(err.count(a) for a in ACTIVITY)


def kill_at_random(config: Path, now: datetime, rng: random.Random, tally: Tally,
                   work: tuple[int, float], slow_disk: Path | None) -> bool:
    """Start a tick and SIGKILL it at a random point (if it is still running by then).

    ``work`` is (drafts and events reported, seconds) of the round's reference run. With
    ``slow_disk``, each local write lingers a little before the caller records it (see
    ``crashkit.SLOW_DISK``), so kills often land in that window.
    """
    env = cli_env(now.isoformat())
    if slow_disk is not None:
        env = slow_disk_env(slow_disk, SLOW_WRITE_SECONDS, env)
    proc = Proc(config, "--log-level", "info", "run", "--once", env=env)
    tally.runs += 1
    reported, seconds = work
    if reported and rng.random() < 0.6:
        nth = rng.randint(1, reported)  # inside the work: after the n-th draft/event reported
        deadline = time.monotonic() + 120
        while proc.alive() and time.monotonic() < deadline:
            if activity(proc.err) >= nth:
                break
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.03))
        phase = "mid-work"
    else:
        time.sleep(rng.uniform(0.05, seconds))  # anywhere: start-up, sync, decisions, writes
        phase = "anywhere"
    if proc.alive():
        proc.signal(signal.SIGKILL)
        code = proc.finish(30)
        if code == -signal.SIGKILL:
            tally.kills += 1
            tally.by_phase[phase] += 1
            return True
    code = proc.finish(30)
    tally.finished_before_kill += 1
    tally.failed_runs += code != 0
    return False


def to_quiescence(runner: Runner, now: datetime, tally: Tally, *, fail_ok: bool = False,
                  limit: int = 8) -> int:
    """Restart until a run finds nothing to do; returns the runs it took."""
    for attempt in range(limit):
        began = time.monotonic()
        ran = run_once(runner, now + timedelta(seconds=attempt), fail_ok=fail_ok)
        if attempt == 0:
            tally.work.append((activity(ran.err), time.monotonic() - began))
        tally.runs += 1
        if ran.code:
            tally.failed_runs += 1
            continue
        if "Nothing to do" in ran.out and "warning:" not in ran.err:
            return attempt + 1
    raise AssertionError(f"no quiescence after {limit} runs at {now}:\n{ran.out}\n{ran.err}")


def play_rounds(ws: Workspace, world: World, *, rng: random.Random | None,
                tally: Tally, reference: Tally | None = None, runner: Runner | None = None,
                before_round: Callable[[int], None] = lambda r: None,
                fail_ok: bool = False, rounds: int = ROUNDS, limit: int = 8,
                slow_disk: Path | None = None) -> Scenario:
    scenario = Scenario(world, START)
    runner = runner or subprocess_runner(ws.config)
    began = time.monotonic()
    for round_no in range(rounds):
        scenario.act(round_no)
        before_round(round_no)
        now = scenario.now(round_no)
        if rng is not None and reference is not None:
            reported, seconds = reference.work[round_no]
            attempts, landed, k = rng.randint(1, 3), 0, 0
            # A run that outpaces its kill proves nothing: each round keeps trying (up to
            # KILL_TRIES) until at least one kill has landed, however fast the pass has become;
            # the attempts run 40 s apart, all before the round's restart at +5 minutes.
            while k < attempts or (not landed and k < KILL_TRIES):
                # Each kill leaves less work for the next attempt: aim earlier.
                share = (reported // (k + 1), max(seconds * (1 - 0.2 * k), 0.1))
                landed += kill_at_random(ws.config, now + timedelta(seconds=40 * k), rng, tally,
                                         share, slow_disk)
                k += 1
        to_quiescence(runner, now + timedelta(minutes=5), tally, fail_ok=fail_ok,
                      limit=limit)
    tally.seconds = time.monotonic() - began
    return scenario


def seed_workspace(ws: Workspace, count: int = CONTACTS) -> None:
    configure(ws)
    ws.ok("import", str(contacts_csv(ws.root / "contacts.csv", count)), now=START.isoformat())


def report(label: str, tally: Tally, reference: Tally, counts: dict[str, int],
           final: dict[str, tuple[str, bool]], ws: Workspace) -> None:
    spread = Counter(status for status, _ in final.values())
    with ws.capsys.disabled():
        print(f"\n[crash-safety {label}] seed {SEED}: {tally.kills} SIGKILLs survived "
              f"({dict(tally.by_phase)}), {tally.finished_before_kill} runs finished before "
              f"their kill, {tally.runs} runs in {tally.seconds:.0f}s (reference "
              f"{reference.runs} runs in {reference.seconds:.0f}s); {counts['messages']} "
              f"messages, {counts['events']} events, duplicates {counts['duplicates']}; "
              f"final statuses {dict(sorted(spread.items()))}")


@pytest.fixture
def reference_ws(tmp_path: Path, workspace: Workspace) -> Iterator[Workspace]:
    """A second workspace beside ``workspace`` for the kill-free reference run."""
    ref = Workspace(tmp_path / "ref", workspace.capsys, workspace.monkeypatch)
    assert ref.run("init", str(ref.root)).code == 0
    yield ref


@pytest.fixture
def fakes() -> Iterator[list[FakeGoogle]]:
    started: list[FakeGoogle] = []
    yield started
    for fake in started:
        fake.stop()
    for fake in started:
        assert fake.internal_errors == [] and fake.validation_errors == []
        assert fake.send_attempts == 0  # never a drafts.send or messages.send


def make_world(ws: Workspace, backend: str, fakes: list[FakeGoogle], *,
               hang_seconds: float = 0.2) -> World:
    """The workspace on ``backend``: its own Maildir, or its own Gmail on a loopback fake."""
    if backend == "local":
        return LocalWorld(ws.root)
    now = MovableNow(START)
    fake = FakeGoogle(email=USER, now=now, hang_seconds=hang_seconds).start()
    fakes.append(fake)
    ws.set_config("backend", "kind", '"google"')
    ws.set_config("google", "api_endpoint", f'"{fake.base_url}"')
    write_token(fake, ws.root / "token.json")
    return GoogleWorld(fake, now)


@pytest.mark.parametrize("backend", ["local", "google"])
def test_sigkill_during_ticks(backend: str, workspace: Workspace, reference_ws: Workspace,
                              fakes: list[FakeGoogle]) -> None:
    rng = random.Random(SEED)
    reference_world = make_world(reference_ws, backend, fakes)
    world = make_world(workspace, backend, fakes)
    for ws in (workspace, reference_ws):
        seed_workspace(ws)
    reference = Tally()
    play_rounds(reference_ws, reference_world, rng=None, tally=reference)
    tally = Tally()
    if isinstance(world, GoogleWorld):  # Google has made the draft/event; the answer lingers
        world.fake.slow(SLOW_WRITE_SECONDS, method_contains="drafts.create")
        world.fake.slow(SLOW_WRITE_SECONDS, method_contains="events.insert")
    scenario = play_rounds(workspace, world, rng=rng, tally=tally, reference=reference,
                           slow_disk=workspace.root.parent / "slowdisk")

    counts = audit(world, workspace.root / "automation.db")
    final = statuses(workspace.root / "automation.db")
    expected = statuses(reference_ws.root / "automation.db")
    report(backend, tally, reference, counts, final, workspace)
    assert counts["duplicates"] == 0
    assert len(final) == CONTACTS
    assert final == expected  # no status change lost, none invented
    assert tally.kills >= ROUNDS  # the kills really landed
    assert scenario.actions["reply"] > 0 and counts["events"] > 0  # the pipeline was exercised
    assert {s for s, _ in final.values()} >= {"drafted", "nurturing", "declined", "no_response"}


STORM_CONTACTS = 80
STORM_TICKS = 50
FAULTS = (429, 500, 503, "timeout")


@pytest.fixture
def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's retries back off by ``random() * 2**n`` seconds: zero here, in-process."""
    monkeypatch.setattr(googleapiclient.http, "random", types.SimpleNamespace(random=lambda: 0.0))


def test_fault_storm_on_google(workspace: Workspace, reference_ws: Workspace,
                               fakes: list[FakeGoogle], no_retry_sleep: None) -> None:
    """20% of Gmail and Calendar calls fail (429, 500, 503, timeouts; in odd rounds *after*
    the change was made, the ambiguous case) for at least 50 ticks: the same guarantees, and
    every contact ends where the fault-free reference run put it. The storm's ticks run
    in-process (the CLI's ``main``) so the client's retry back-off can be set to zero."""
    reference_world = make_world(reference_ws, "google", fakes)
    world = make_world(workspace, "google", fakes, hang_seconds=0.05)
    for ws in (workspace, reference_ws):
        seed_workspace(ws, STORM_CONTACTS)
    reference = Tally()
    play_rounds(reference_ws, reference_world, rng=None, tally=reference,
                runner=in_process_runner(reference_ws))
    fake = fakes[1]

    def storm(round_no: int) -> None:
        fake.fault_rate(0.2, FAULTS, seed=SEED + round_no, after_commit=bool(round_no % 2))

    tally = Tally()
    runner = in_process_runner(workspace)
    scenario = play_rounds(workspace, world, rng=None, tally=tally, before_round=storm,
                           runner=runner, fail_ok=True, limit=40)
    last = scenario.now(ROUNDS - 1) + timedelta(hours=1)
    while tally.runs < STORM_TICKS:  # more ticks in the storm, at rest: nothing may change
        run_once(runner, last + timedelta(minutes=tally.runs), fail_ok=True)
        tally.runs += 1
    faults = len(fake.faults_served)
    fake.clear_faults()
    to_quiescence(runner, last + timedelta(hours=1), Tally())

    counts = audit(world, workspace.root / "automation.db")
    final = statuses(workspace.root / "automation.db")
    expected = statuses(reference_ws.root / "automation.db")
    spread = Counter(status for status, _ in final.values())
    with workspace.capsys.disabled():
        print(f"\n[fault storm google] {faults} faults injected over {tally.runs} ticks "
              f"({tally.failed_runs} ticks failed and were retried) in {tally.seconds:.0f}s; "
              f"{counts['messages']} messages, {counts['events']} events, duplicates "
              f"{counts['duplicates']}; final statuses {dict(sorted(spread.items()))}")
    assert tally.runs >= STORM_TICKS and faults >= STORM_TICKS
    assert counts["duplicates"] == 0
    assert final == expected
