"""The layer contract of pyproject.toml ``[tool.importlinter]`` holds, and it has teeth.

``lint-imports`` reads the import graph of the package: arrows point down only (interfaces →
bootstrap → adapters → app → core), the kernel imports no layer, and no sibling modules import
each other in a circle. The second test proves the contract would catch an upward import.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` on the package under ``root`` with ``root``'s pyproject.toml."""
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(root),
                                                       "PATH": "/usr/bin:/bin"})


def test_every_layer_contract_is_kept() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "Layers: interfaces -> bootstrap -> adapters -> app -> core KEPT" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(REPO / "automation", tmp_path / "automation",
                    ignore=shutil.ignore_patterns("__pycache__"))
    slots = tmp_path / "automation" / "core" / "slots.py"
    slots.write_text(slots.read_text(encoding="utf-8")
                     + "\nfrom automation.app import queries  # noqa: E402,F401\n",
                     encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Layers: interfaces -> bootstrap -> adapters -> app -> core BROKEN" in result.stdout
    assert "automation.core.slots -> automation.app.queries" in result.stdout
