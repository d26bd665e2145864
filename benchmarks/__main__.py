"""``make bench``: one table of measures, each with its peer or floor measured in the same run.

    python -m benchmarks [--repeat N] [--only idle,startup,...]

Columns: the measure, its median and min–max over the runs, the peer or floor and its median,
the ratio (ours / peer; for rates peer / ours, so above 1 is slower either way), the target, and
ok/short. Workloads are generated here (see ``workloads.py``); nothing comes from outside.
Exit status 1 when a row is short, so a regression shows in CI logs if someone runs it there.
"""

from __future__ import annotations

import argparse
import compileall
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.cases import CASES
from benchmarks.harness import Row


def _fmt(value: float | None, row: Row) -> str:
    if value is None:
        return "—"
    if row.unit == "s":
        if value < 0.01:  # a per-call figure: a fraction of a millisecond must show
            return f"{value * 1000:.2f} ms"
        return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"
    if row.metric == "count":
        return f"{value:,.0f} {row.unit}"
    return f"{value:,.0f} {row.unit}" if value >= 100 else f"{value:,.1f} {row.unit}"


def table(rows: list[Row]) -> Table:
    out = Table(title="make bench (medians)", show_lines=False)
    for name, justify in (("measure", "left"), ("median", "right"), ("min–max", "right"),
                          ("peer / floor", "left"), ("peer", "right"), ("ratio", "right"),
                          ("target", "right"), ("", "left")):
        out.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        values = row.values(row.runs)
        target = "—" if row.target is None else (
            ("≥ " if row.metric == "rate" else "≤ ") + _fmt(row.target, row))
        if row.max_ratio is not None:
            target += f", ×{row.max_ratio:g}"
        ok = row.ok
        out.add_row(row.measure, _fmt(row.median, row),
                    f"{_fmt(min(values), row)}–{_fmt(max(values), row)}",
                    row.peer_label or "—", _fmt(row.peer_median, row),
                    "—" if row.ratio is None else f"{row.ratio:.2f}", target,
                    "" if ok is None else ("ok" if ok else "[red]short[/]"))
    return out


def compile_package() -> None:
    """Write the package's bytecode, as installing it does (pip compiles every module).

    A process importing from source writes its own ``.pyc`` on first use, unless
    ``PYTHONDONTWRITEBYTECODE`` is set (CI runners and sandboxes often set it): then every
    measured process would compile each module it imports again, about half the start-up of
    a short command, which no installed copy pays, while the peers (khal, mailmerge) are
    installed, compiled packages. Stale bytecode is recompiled (it is checked by mtime).
    """
    import automation

    compileall.compile_dir(Path(automation.__file__).parent, quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (default 5)")
    parser.add_argument("--only", default="", help="comma-separated cases: " + ", ".join(CASES))
    args = parser.parse_args(argv)
    chosen = [c for c in args.only.split(",") if c] or list(CASES)
    unknown = set(chosen) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {sorted(unknown)}; choose from {', '.join(CASES)}")
    console = Console(stderr=True)
    compile_package()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as name:
        for case in chosen:
            with console.status(f"benchmark: {case}"):
                rows += CASES[case](Path(name), args.repeat)
    Console(width=160).print(table(rows))
    return 1 if any(r.ok is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
