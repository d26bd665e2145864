"""Gmail's per-user quota: what each call costs, and a pacer that never earns a 429.

Google counts units per user per minute, each method at its published cost
(developers.google.com/gmail/api/reference/quota), and refuses what goes over with 429
rateLimitExceeded or 403 userRateLimitExceeded (developers.google.com/gmail/api/guides/
handle-errors). The fake enforces the same window on its own clock, counted when a request
arrives; these tests drive both clocks by hand, so they measure quota, not the machine.
"""

from __future__ import annotations

import random
import threading
import types
from pathlib import Path

import googleapiclient.http
import pytest

from automation.adapters.google.pacing import QUOTA_MARGIN, Pacer
from automation.errors import BackendError
from tests.contract.test_google_backends import message
from tests.support.fakegoogle import FakeGoogle
from tests.support.googlekit import open_on_fake


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(googleapiclient.http, "random", types.SimpleNamespace(random=lambda: 0.0))


class Transit:
    """One virtual clock for client and fake. Reading it on the fake's side (when a request
    arrives) lets a seeded, varying transit time pass first, as on a real network; sleeping
    on the client's side moves it on at once."""

    def __init__(self, seed: int = 7, most: float = 0.4) -> None:
        self.now = 0.0
        self.rng = random.Random(seed)
        self.most = most
        self._lock = threading.Lock()

    def client(self) -> float:
        with self._lock:
            return self.now

    def arrive(self) -> float:
        with self._lock:
            self.now += self.rng.uniform(0.0, self.most)
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def test_pacer_keeps_a_sliding_minute() -> None:
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(20, clock=lambda: now[0], sleep=sleep, margin=0.0)
    for _ in range(4):  # at 0, 10, 20 and 30 s
        pacer.settle(pacer.spend(5))
        now[0] += 10
    now[0] -= 10
    assert slept == [] and pacer.used() == 20
    pacer.spend(10)  # waits until the spends at 0 and 10 s leave the window
    assert now[0] == pytest.approx(70.0) and pacer.used() == 20


def test_pacer_keeps_a_margin_and_counts_from_the_answer() -> None:
    now = [0.0]
    pacer = Pacer(100, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert pacer.limit == 95  # 5% of the quota is never spent
    first = pacer.spend(50)
    now[0] = 2.0  # the answer comes two seconds later: Google counted it in between
    pacer.settle(first)
    pacer.settle(pacer.spend(45))
    pacer.spend(10)  # fits only once the first spend leaves: 60 s after its answer
    assert now[0] == pytest.approx(62.0)


def test_pacer_counts_a_request_sent_twice_twice() -> None:
    now = [0.0]
    pacer = Pacer(100, clock=lambda: now[0], sleep=lambda s: None, margin=0.0)
    pacer.settle(pacer.spend(10), sends=2)  # httplib2 re-sent it: Google counted both
    assert pacer.used() == 20


def test_a_draft_costs_its_10_units_and_nothing_more(fake: FakeGoogle, tmp_path: Path) -> None:
    """drafts.create is 10 units; no profile read, history read or list rides along."""
    mailbox, _ = open_on_fake(fake, tmp_path / "ws")
    for n in range(1, 6):
        mailbox.create_draft(message(n))
    assert len(fake.drafts()) == 5
    assert fake.quota_by_method == {"gmail.users.drafts.create": 50}


@pytest.mark.parametrize("margin", [QUOTA_MARGIN, 0.0])
def test_paced_drafting_earns_no_429_over_a_varying_network(margin: float,
                                                            tmp_path: Path) -> None:
    """96 drafts under a 200-units-a-minute quota (20 drafts a minute), over a network whose
    transit time varies by up to 0.4 s: not one 429, not one call repeated, and at least 90%
    of the quota's rate.

    A pacer that counts a call from when it left earns 429s here: Google's window holds the
    call from when it arrived, so a later call that travels faster arrives while the earlier
    one still counts. Re-stamped when the answer comes, it needs no margin for that."""
    clock = Transit()
    drafts, failures = 96, []
    with FakeGoogle(email="alex@example.org", quota_per_minute=200, clock=clock.arrive) as fake:
        mailbox, _ = open_on_fake(fake, tmp_path / "ws",
                                  pacer=Pacer(200, clock=clock.client, sleep=clock.sleep,
                                              margin=margin))
        for n in range(drafts):
            try:
                mailbox.create_draft(message(n))
            except BackendError as exc:
                failures.append(str(exc))
        assert failures == [] and fake.quota_refusals == 0
        assert fake.call_count("drafts.create") == drafts  # none refused and sent again
        assert fake.quota_by_method == {"gmail.users.drafts.create": 10 * drafts}
        assert len(fake.drafts()) == drafts
    # 19 drafts a minute fit within the 5% margin: they go in bursts of 19, a window apart,
    # so the 96th leaves five windows after the first and (96 - 1) / minutes is the rate
    # (without the margin, bursts of 20: the 96th goes in the fifth window).
    minutes = clock.now / 60
    assert (drafts - 1) / minutes >= 0.9 * 20, minutes


@pytest.mark.parametrize("status", [429, 403])
def test_the_fake_refuses_over_the_window_on_its_clock(status: int, tmp_path: Path) -> None:
    """The fake's window is a parameter (a benchmark scales it), and it counts refusals."""
    now = [0.0]
    with FakeGoogle(email="alex@example.org", quota_per_minute=20, quota_window=6.0,
                    clock=lambda: now[0], quota_overrun_status=status) as fake:
        mailbox, _ = open_on_fake(fake, tmp_path / "ws", pacer=Pacer(1000, margin=0.0))
        mailbox.create_draft(message(1))
        mailbox.create_draft(message(2))
        with pytest.raises(BackendError) as refused:
            mailbox.create_draft(message(3))
        assert refused.value.retryable and "quota" in str(refused.value)
        assert fake.quota_refusals == 1
        now[0] = 6.0  # the window has moved on
        mailbox.create_draft(message(4))
        assert fake.quota_refusals == 1 and len(fake.drafts()) == 3


@pytest.fixture
def fake():
    with FakeGoogle(email="alex@example.org") as running:
        yield running
    assert running.internal_errors == [] and running.validation_errors == []
    assert running.send_attempts == 0
