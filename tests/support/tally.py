"""Figures a test run reports at its end (not assertions): e.g. how many bad inputs the
hardening corpus put through the service and checked. Tests add to ``tally(config)``; the
root conftest prints it in the terminal summary."""

from __future__ import annotations

import pytest

TALLY = pytest.StashKey[dict[str, list[str]]]()


def tally(config: pytest.Config) -> dict[str, list[str]]:
    return config.stash.setdefault(TALLY, {})
