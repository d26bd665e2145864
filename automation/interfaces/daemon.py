"""The home-server daemon: ticks on a schedule, one instance, signals, backoff, digest.

- each tick runs under the *tick* lock with its health recorded (``app/tick.py``:
  ``recorded_tick``; ``run --once`` uses ``tick_guarded``, the same under a waiting lock).
- ``run_daemon`` holds the *daemon* lock for its lifetime and runs a tick every
  ``[daemon] interval_seconds`` (``--interval`` overrides) with the ``schedule`` library, plus
  the morning digest (``digest.py``).
- SIGTERM/SIGINT: the current tick finishes (up to ``STOP_GRACE_SECONDS``; past that it is
  interrupted, which is safe: every side effect is journaled and reconciled at the next start)
  and the daemon exits 0. SIGHUP: reload the config and templates; a bad config is reported
  (log and ``status``) and the old one kept.
- A failing tick never crash-loops: the error and its fix go to ``status`` and the next try
  waits ``interval * 2**n`` seconds, at most ``MAX_BACKOFF_SECONDS``; signals, reloads and the
  digest keep working meanwhile.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType

import schedule

from automation.adapters.clock import Clock, system_clock
from automation.adapters.failures import explain
from automation.adapters.lock import PidLock, daemon_lock_path
from automation.adapters.store import Store
from automation.app import health
from automation.app.digest import digest_due, send_digest
from automation.app.services import Services
from automation.app.tick import recorded_tick
from automation.bootstrap import compose_services, open_backends
from automation.config import Config, load_config
from automation.errors import AlreadyRunning, AuthError, BackendError, UserError

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30 * 60
STOP_GRACE_SECONDS = 5.0
DIGEST_CHECK_SECONDS = 30
_IDLE_SLICE_SECONDS = 0.2


class _StopNow(BaseException):
    """Raised in the main thread when a stop request outlives the grace period."""


# -- the daemon ----------------------------------------------------------------------------------

@dataclass
class DaemonState:
    """What the loop carries between steps (``svc`` is None until the backends open)."""

    config_path: Path
    config: Config
    store: Store
    clock: Clock
    interval_override: float | None
    svc: Services | None = None
    stop: bool = False
    reload: bool = False
    in_step: bool = False
    failures: int = 0
    next_try: float = 0.0  # time.monotonic() before which the tick backs off
    digest_logged: str | None = None

    @property
    def interval(self) -> float:
        return self.interval_override or float(self.config.daemon.interval_seconds)


def backoff_seconds(interval: float, failures: int) -> float:
    """``interval * 2**failures``, capped at ``MAX_BACKOFF_SECONDS``."""
    return min(interval * (2 ** min(failures, 20)), float(MAX_BACKOFF_SECONDS))


def _services(state: DaemonState) -> Services:
    if state.svc is None:
        mailbox, calendar = open_backends(state.config, state.store)
        state.svc = compose_services(state.config, state.store, mailbox, calendar, state.clock)
    return state.svc


def step(state: DaemonState) -> None:
    """One scheduled tick, unless backing off; failures are recorded, never raised."""
    if state.stop:
        return
    if time.monotonic() < state.next_try:
        log.debug("backing off: next try in %.0fs", state.next_try - time.monotonic())
        digest_step(state)
        return
    state.in_step = True
    recorded = False  # whether recorded_tick ran (it records its own failure)
    try:
        svc = _services(state)
        with svc.locks.tick(0):
            recorded = True
            report = recorded_tick(svc)
            _maybe_digest(state, svc)
    except AlreadyRunning as exc:
        log.info("skipping this round: a tick is in progress elsewhere (%s)", exc)
        return
    except Exception as exc:  # never crash-loop: record, back off, keep the loop alive
        _failed(state, exc, recorded=recorded)
        return
    finally:
        state.in_step = False
    if state.failures:
        log.info("the tick works again after %d failure(s)", state.failures)
    state.failures, state.next_try = 0, 0.0
    counts = ", ".join(f"{k} {v}" for k, v in report.counts().items() if v)
    log.info("tick done: %s", counts or "nothing to do")
    for problem in report.problems:
        log.warning("%s", problem)


def _failed(state: DaemonState, exc: Exception, *, recorded: bool) -> None:
    state.failures += 1
    delay = backoff_seconds(state.interval, state.failures)
    state.next_try = time.monotonic() + delay
    error, fix = health.describe_failure(exc, data_dir=str(state.config.data_dir))
    fix = explain(exc) or fix  # a locked, read-only or full database says which and how
    now = state.clock()
    try:
        if not recorded:  # it failed before a tick could start (e.g. opening the backends)
            health.record_failure(state.store, "tick", error, fix, now)
        health.set_retry_at(state.store, "tick", now + timedelta(seconds=delay))
    except sqlite3.Error as db_exc:
        log.error("could not record the failure: %s", db_exc)
    if isinstance(exc, AuthError):
        state.svc = None  # re-open the backends (and re-read the token) on the next try
    log.error("tick failed (%d in a row): %s; next try in %.0fs. Fix: %s",
              state.failures, error, delay, fix)
    log.debug("tick failure details", exc_info=exc)


def _maybe_digest(state: DaemonState, svc: Services) -> None:
    now = svc.clock()
    day = digest_due(svc, now)
    if day is None:
        return
    try:
        send_digest(svc, now, day, log_it=state.digest_logged != day.isoformat())
        state.digest_logged = day.isoformat()
    except BackendError as exc:
        state.digest_logged = day.isoformat()  # the lines were logged; only the draft waits
        log.warning("could not draft the digest (the next check retries): %s", exc)
    except Exception as exc:  # the digest must never take the tick down with it
        log.error("digest failed: %s", health.describe_failure(exc)[0])


def digest_step(state: DaemonState) -> None:
    """The digest on its own schedule, so it comes on time while the tick backs off."""
    if state.stop or state.svc is None or digest_due(state.svc, state.clock()) is None:
        return
    try:
        with state.svc.locks.tick(0):
            _maybe_digest(state, state.svc)
    except AlreadyRunning:
        return


def reload(state: DaemonState) -> bool:
    """Reload config and templates; on any problem keep the old ones and say why."""
    state.reload = False
    now = state.clock()
    try:
        new = load_config(state.config_path)
        if new.database != state.config.database:
            raise UserError(f"the database moved to {new.database}; restart the daemon to use "
                            "it (a reload keeps the database it was started with)")
        mailbox, calendar = open_backends(new, state.store)
    except (UserError, BackendError) as exc:
        error, fix = health.describe_failure(exc)
        health.record_failure(state.store, "reload", error, fix, now)
        log.error("reload failed, keeping the previous configuration: %s", error)
        return False
    for warning in new.warnings:
        log.warning("%s (%s)", warning, state.config_path)
    state.config = new
    state.svc = compose_services(new, state.store, mailbox, calendar, state.clock)
    state.next_try = 0.0  # a reload is the user's "try again now"
    health.clear_failure(state.store, "reload")
    log.info("reloaded configuration and templates from %s", state.config_path)
    return True


def _install_signals(state: DaemonState) -> dict[int, object]:
    def request_stop(signum: int, frame: FrameType | None) -> None:
        if state.stop and state.in_step:
            raise _StopNow  # asked twice: do not wait for the grace period
        state.stop = True
        log.info("%s received: finishing the current step, then exiting",
                 signal.Signals(signum).name)
        if state.in_step:
            signal.setitimer(signal.ITIMER_REAL, STOP_GRACE_SECONDS)

    def grace_over(signum: int, frame: FrameType | None) -> None:
        if state.in_step:
            raise _StopNow

    def request_reload(signum: int, frame: FrameType | None) -> None:
        state.reload = True

    handlers = {signal.SIGTERM: request_stop, signal.SIGINT: request_stop,
                signal.SIGHUP: request_reload, signal.SIGALRM: grace_over}
    return {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}


def run_daemon(config_path: Path, config: Config, *, interval: float | None = None,
               clock: Clock = system_clock) -> int:
    """Run until SIGTERM/SIGINT; returns the exit code (0). Raises AlreadyRunning."""
    # A brief wait: a `status` probing the lock at this very instant must not refuse us.
    lock = PidLock(daemon_lock_path(config.database)).acquire(wait=1.0)
    store = Store.open(config.database)
    state = DaemonState(config_path=config_path, config=config, store=store, clock=clock,
                        interval_override=interval)
    previous = _install_signals(state)
    try:
        health.clear_failure(store, "reload")
        log.info("daemon started: pid %s, a tick every %gs, database %s",
                 os.getpid(), state.interval, config.database)
        _loop(state)
    except _StopNow:
        log.info("stopped mid-tick; unfinished work is reconciled at the next start")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        store.close()
        lock.release()
    log.info("daemon stopped")
    return 0


def _loop(state: DaemonState) -> None:
    # The ignores below: schedule's hints say an int interval, but it builds
    # timedelta(seconds=interval), which takes the float a short --interval gives.
    scheduler = schedule.Scheduler()
    interval = state.interval
    job = scheduler.every(interval).seconds.do(step, state)  # type: ignore[arg-type]
    scheduler.every(DIGEST_CHECK_SECONDS).seconds.do(digest_step, state)
    step(state)  # the first tick at once, not one interval after start
    while not state.stop:
        if state.reload:
            reload(state)
            if state.interval != interval:  # reschedule at the new interval
                scheduler.cancel_job(job)
                interval = state.interval
                job = scheduler.every(interval).seconds.do(step, state)  # type: ignore[arg-type]
            step(state)
        scheduler.run_pending()
        idle = scheduler.idle_seconds
        time.sleep(min(_IDLE_SLICE_SECONDS, max(idle or 0.0, 0.0)) or 0.01)
