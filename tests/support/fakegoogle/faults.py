"""Fault injection: queued faults, random faults, slowness.

A fault is an HTTP status (429, 500, 503, 403 = user rate limit, ...) or one of two transport
faults: ``"timeout"`` (hold the request for ``hang_seconds``, then drop the connection without a
reply) and ``"drop"`` (drop it at once). With ``after_commit=True`` the call's state change
happens first and the client still sees the fault: the ambiguous case an intent journal handles.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

TRANSPORT_FAULTS = ("timeout", "drop")


@dataclass(frozen=True)
class Fault:
    status: int | str
    after_commit: bool = False

    @property
    def is_transport(self) -> bool:
        return self.status in TRANSPORT_FAULTS


@dataclass
class _Queued:
    fault: Fault
    times: int
    method_contains: str


@dataclass
class _Random:
    rate: float
    statuses: tuple[int | str, ...]
    rng: random.Random
    method_contains: str
    after_commit: bool


class FaultPlan:
    """What to break and when. The caller holds the fake's lock."""

    def __init__(self) -> None:
        self._queued: list[_Queued] = []
        self._random: _Random | None = None
        self._slow: list[tuple[float, str]] = []
        self.served: list[tuple[str, int | str]] = []

    def inject(
        self,
        status: int | str = 503,
        times: int = 1,
        method_contains: str = "",
        after_commit: bool = False,
    ) -> None:
        _check_status(status)
        self._queued.append(_Queued(Fault(status, after_commit), times, method_contains))

    def fault_rate(
        self,
        rate: float,
        statuses: Iterable[int | str] = (429, 500, 503),
        seed: int | None = None,
        method_contains: str = "",
        after_commit: bool = False,
    ) -> None:
        if rate <= 0:
            self._random = None
            return
        chosen = tuple(statuses)
        for status in chosen:
            _check_status(status)
        self._random = _Random(rate, chosen, random.Random(seed), method_contains, after_commit)

    def slow(self, seconds: float, method_contains: str = "") -> None:
        self._slow = [(s, m) for s, m in self._slow if m != method_contains]
        if seconds > 0:
            self._slow.append((seconds, method_contains))

    def clear(self) -> None:
        self._queued.clear()
        self._random = None
        self._slow.clear()

    def pick(self, method_id: str, *, named_only: bool = False) -> Fault | None:
        """The fault this call suffers, if any (consumes one queued injection).

        ``named_only``: only faults whose ``method_contains`` names this call (the token
        endpoint is hit only by faults aimed at it, e.g. ``method_contains="oauth2.token"``).
        """
        for queued in self._queued:
            if named_only and not queued.method_contains:
                continue
            if queued.method_contains in method_id:
                queued.times -= 1
                if queued.times <= 0:
                    self._queued.remove(queued)
                self.served.append((method_id, queued.fault.status))
                return queued.fault
        chance = self._random
        if named_only and (chance is None or not chance.method_contains):
            return None
        if chance and chance.method_contains in method_id and chance.rng.random() < chance.rate:
            status = chance.rng.choice(chance.statuses)
            self.served.append((method_id, status))
            return Fault(status, chance.after_commit)
        return None

    def delay_for(self, method_id: str) -> float:
        return max((s for s, m in self._slow if m in method_id), default=0.0)


def _check_status(status: int | str) -> None:
    if isinstance(status, str) and status not in TRANSPORT_FAULTS:
        raise ValueError(f"unknown fault {status!r}; use an HTTP status or {TRANSPORT_FAULTS}")
