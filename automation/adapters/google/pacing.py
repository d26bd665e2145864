"""Gmail's quota units and the client-side pacer that keeps every call of a user within them.

developers.google.com/gmail/api/reference/quota, "Usage limits": Gmail counts quota units
per user per minute ("Per user rate limit ... per user per minute | userRateLimitExceeded";
the budget is ``[google] quota_units_per_minute``, 6,000 by default) and each method has its
published cost. drafts.create costs 10 units, so 6,000 units a minute allow 600 drafts a
minute; with ``QUOTA_MARGIN`` the pacer drafts at most 570, and never earns a 429
(developers.google.com/gmail/api/guides/handle-errors: 403 userRateLimitExceeded or 429).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: Gmail's published units per method (developers.google.com/gmail/api/reference/quota).
GMAIL_UNITS = {
    "getProfile": 1, "drafts.create": 10, "drafts.delete": 10, "drafts.get": 5,
    "drafts.update": 15,
    "drafts.list": 5, "history.list": 2, "messages.get": 5, "messages.list": 5,
    "threads.get": 10, "labels.list": 1,
}
#: Calendar has no unit table: its per-user limit counts requests (600 a minute by default).
CALENDAR_CALLS_PER_MINUTE = 600


#: The share of the quota the pacer leaves unspent. Google counts a call when it arrives and
#: our clock is not Google's, so the pacer stamps each call's units again when its answer comes
#: (later than Google counted them); the margin covers what no client can see, such as a
#: request the server counted but whose answer was lost.
QUOTA_MARGIN = 0.05


@dataclass
class Spend:
    """Units a call spent, and when they count from (re-stamped when the answer arrives)."""

    at: float
    units: int


class Pacer:
    """A sliding window of units (60 s: Google counts per user per minute), shared by every
    call of one user, that keeps ``margin`` of ``units_per_minute`` unspent.

    A token bucket whose burst is a full minute could spend twice the limit within one
    60-second window; Google counts per minute, so the pacer keeps the exact window instead.
    ``spend`` reserves a call's units before it goes out (waiting while they do not fit);
    ``settle`` re-stamps them when the answer arrives, and counts a request the transport
    sent more than once again for each copy: a spend then leaves our window no earlier than
    it leaves Google's, whose clock saw the request after we stamped it.
    """

    def __init__(self, units_per_minute: int, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, window: float = 60.0,
                 margin: float = QUOTA_MARGIN) -> None:
        self.quota = max(1, units_per_minute)
        self.limit = max(1, int(self.quota * (1.0 - margin)))
        self.clock = clock
        self.sleep = sleep
        self.window = window
        self.spent: list[Spend] = []
        self.waited = 0.0
        self._lock = threading.Lock()

    def used(self) -> int:
        """Units spent in the current window."""
        with self._lock:
            self._expire(self.clock())
            return sum(s.units for s in self.spent)

    def _expire(self, now: float) -> None:
        # Re-stamped spends are not in time order: filter, do not pop from the left.
        if self.spent and min(s.at for s in self.spent) <= now - self.window:
            self.spent = [s for s in self.spent if s.at > now - self.window]

    def spend(self, units: int) -> Spend:
        """Wait until ``units`` fit in the window, then record them; returns the record."""
        units = min(units, self.limit)
        with self._lock:
            while True:
                now = self.clock()
                self._expire(now)
                used = sum(s.units for s in self.spent)
                if used + units <= self.limit:
                    record = Spend(now, units)
                    self.spent.append(record)
                    return record
                wait = self._wait(now, used + units - self.limit)
                log.info("pacing Google calls: waiting %.1f s to stay within %d units/minute",
                         wait, self.limit)
                self.waited += wait
                self.sleep(wait)

    def _wait(self, now: float, excess: int) -> float:
        """How long until the oldest spends worth ``excess`` units leave the window."""
        wait = 0.0
        for record in sorted(self.spent, key=lambda s: s.at):
            excess -= record.units
            wait = record.at + self.window - now
            if excess <= 0:
                break
        return max(wait, 0.001)

    def settle(self, record: Spend, sends: int = 1) -> None:
        """The answer to ``record``'s call arrived (or the call failed): its units count from
        now, once per time the request went on the wire (``sends``; 0 when it never left)."""
        with self._lock:
            record.at = max(record.at, self.clock())
            if sends > 1:
                record.units *= sends
