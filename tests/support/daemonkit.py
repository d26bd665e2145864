"""Running the real ``automation`` command as a separate process, for daemon and crash tests.

Signals, locks held across processes and SIGKILL need a real process: ``Proc`` starts
``python -m automation --config CONFIG ...`` with its own environment (``AUTOMATION_NOW``),
collects stdout and stderr line by line in background threads, and waits for log lines.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.workspace import REPO


def cli_env(now: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AUTOMATION_NOW", "AUTOMATION_CONFIG")}
    if now is not None:
        env["AUTOMATION_NOW"] = now
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


class Proc:
    """One ``automation`` process; ``err``/``out`` grow as it writes."""

    def __init__(self, config: Path, *args: str, now: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.args = [sys.executable, "-m", "automation", "--config", str(config), *args]
        self.popen = subprocess.Popen(self.args, env=env or cli_env(now), cwd=str(REPO),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, errors="replace")
        self._out: list[str] = []
        self._err: list[str] = []
        self._threads = [threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
                         for stream, sink in ((self.popen.stdout, self._out),
                                              (self.popen.stderr, self._err))]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _pump(stream, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def out(self) -> str:
        return "".join(self._out)

    @property
    def err(self) -> str:
        return "".join(self._err)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_for(self, predicate: Callable[[str], bool] | str, timeout: float = 30.0) -> str:
        """Wait until ``predicate(stderr)`` (or the text appears); fail with the log if not."""
        check = (lambda err: predicate in err) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check(self.err):
                return self.err
            if not self.alive():
                self.finish(5)
                if check(self.err):
                    return self.err
                raise AssertionError(f"process exited {self.popen.returncode} first:\n{self.err}")
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting; stderr:\n{self.err}")

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def finish(self, timeout: float = 30.0) -> int:
        """Wait for the exit; returns the code (a signal is negative)."""
        code = self.popen.wait(timeout)
        for thread in self._threads:
            thread.join(5)
        return code

    def stop(self) -> None:
        """Test clean-up: SIGTERM, then SIGKILL if it lingers."""
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        self.finish(15)


def contacts_csv(path: Path, count: int, *, domain: str = "example.com") -> Path:
    """A plain CSV of ``count`` contacts, c000@…, c001@…, in a few time zones, each at their
    own company (so the one-awaiting-reply-per-employer rule holds no one back)."""
    zones = ["America/New_York", "America/Chicago", "Europe/Berlin", "", "America/Los_Angeles"]
    rows = ["First Name,Last Name,Email,Company,Title,Timezone"]
    for i in range(count):
        rows.append(f"Person{i:03d},Tester,c{i:03d}@{domain},Company {i:03d},"
                    f"Role {i % 5},{zones[i % len(zones)]}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
