"""Measuring: repeated runs, medians, and child processes measured by the kernel (``wait4``).

A benchmark row holds the runs of one measure, its peer or floor measured in the same run, and
its target; ``ok`` compares the median with the target (and, where a ratio target is set, the
ratio to the peer). Wall-clock targets live here, never in tests.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Run:
    """One measured run: wall seconds, CPU seconds (user + system), peak RSS in MiB, and a
    count the run reports (quota units, errors)."""

    wall: float
    cpu: float
    rss_mib: float = 0.0
    count: float = 0.0


@dataclass
class Row:
    """One line of the table. ``metric`` picks what is compared: "cpu", "wall", "rss", "count"
    or "rate" (a rate is work / wall seconds, where more is better)."""

    measure: str
    runs: list[Run]
    metric: str = "cpu"
    unit: str = "s"
    target: float | None = None
    peer: list[Run] = field(default_factory=list)
    peer_label: str = ""
    max_ratio: float | None = None
    work: float = 1.0  # units of work per run, for a rate

    def values(self, runs: Sequence[Run]) -> list[float]:
        pick = {"cpu": lambda r: r.cpu, "wall": lambda r: r.wall, "rss": lambda r: r.rss_mib,
                "count": lambda r: r.count,
                "rate": lambda r: self.work / r.wall if r.wall else float("inf")}[self.metric]
        return [pick(r) for r in runs]

    @property
    def median(self) -> float:
        return statistics.median(self.values(self.runs))

    @property
    def peer_median(self) -> float | None:
        return statistics.median(self.values(self.peer)) if self.peer else None

    @property
    def ratio(self) -> float | None:
        peer = self.peer_median
        if not peer:
            return None
        return peer / self.median if self.metric == "rate" else self.median / peer

    @property
    def ok(self) -> bool | None:
        if self.target is None and self.max_ratio is None:
            return None
        good = True
        if self.target is not None:
            good = self.median >= self.target if self.metric == "rate" else \
                self.median <= self.target
        if self.max_ratio is not None and self.ratio is not None:
            good = good and self.ratio <= self.max_ratio
        return good


def measure(fn: Callable[[], object], repeat: int) -> list[Run]:
    """Run ``fn`` in this process ``repeat`` times; CPU from ``os.times``."""
    runs = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), _cpu()
        fn()
        runs.append(Run(time.perf_counter() - t0, _cpu() - c0))
    return runs


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


#: Runs the measured command and reports what the kernel counted for it alone. A child's
#: peak RSS (``ru_maxrss``) starts from the memory of the process it was spawned from (Linux
#: keeps the high-water mark of the address space that ``exec`` replaces), so a command
#: started straight from this process, which holds the generated workloads, would report
#: this process's size; spawned from this small interpreter (``-S``: no site, a few MiB) it
#: reports its own. Wall time is taken here too, so the shim's start-up is not counted.
_SHIM = """
import os, sys, time
t0 = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
_, status, u = os.wait4(pid, 0)
wall = time.perf_counter() - t0
out = f"{wall} {u.ru_utime + u.ru_stime} {u.ru_maxrss} {os.waitstatus_to_exitcode(status)}"
os.write(int(os.environ["BENCH_REPORT_FD"]), out.encode())
"""


def run_process(argv: Sequence[str], *, env: dict[str, str] | None = None,
                cwd: str | None = None, check: bool = True) -> Run:
    """Run a command to its end; its own wall time, CPU time and peak RSS, as the kernel
    counted them (through ``_SHIM``)."""
    read, write = os.pipe()
    shim_env = {**(os.environ if env is None else env), "BENCH_REPORT_FD": str(write)}
    proc = subprocess.Popen([sys.executable, "-S", "-c", _SHIM, *argv], env=shim_env,
                            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            pass_fds=(write,))
    os.close(write)
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.wait()
    with os.fdopen(read, "rb") as fh:
        report = fh.read().split()
    if proc.returncode != 0 or len(report) != 4:
        raise RuntimeError(f"{' '.join(argv)} could not be measured: {err.decode()[-2000:]}")
    wall, cpu, maxrss, code = float(report[0]), float(report[1]), int(report[2]), int(report[3])
    if check and code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {err.decode()[-2000:]}")
    return Run(wall, cpu, maxrss / 1024)


def repeat_process(argv: Sequence[str], repeat: int, **kwargs: object) -> list[Run]:
    return [run_process(argv, **kwargs) for _ in range(repeat)]  # type: ignore[arg-type]
