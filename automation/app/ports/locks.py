"""The Locks port: single-instance locks (``adapters/lock.py`` implements it)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol


class Locks(Protocol):
    """Single-instance locks, so two ticks (or a tick and a booking) never interleave.

    ``adapters/lock.py`` keeps them as ``flock`` files beside the database, which the kernel
    releases when the holder dies.
    """

    def tick(self, wait: float | None = None) -> AbstractContextManager[Any]:
        """Hold the tick lock for the ``with`` block, waiting up to ``wait`` seconds for a tick
        in progress (None: the adapter's default); then raises AlreadyRunning
        "already running (pid N)"."""

    def daemon_status(self) -> dict[str, Any]:
        """``{"running": bool, "pid": int | None}`` of the daemon; takes no lock, writes
        nothing."""
