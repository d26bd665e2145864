"""Quota units per method (Google's published table) and an optional per-minute limit.

developers.google.com/gmail/api/reference/quota, "Usage limits": Gmail counts quota units
per user per minute ("Per user rate limit | 15,000 quota units per user per minute |
userRateLimitExceeded"; a project may be granted less, and this service budgets 6,000), each
method at its published cost (drafts.create 10, history.list 2, ...). Calendar counts calls.
The window is a parameter so a benchmark can run a scaled quota (say 600 units per 6 s)
instead of waiting real minutes; tests keep Google's 60 s.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable

from .errors import ApiError

# https://developers.google.com/gmail/api/reference/quota (methods the service may touch).
GMAIL_UNITS = {
    "gmail.users.getProfile": 1,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.delete": 10,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.send": 100,
    "gmail.users.drafts.update": 15,
    "gmail.users.history.list": 2,
    "gmail.users.labels.get": 1,
    "gmail.users.labels.list": 1,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.send": 100,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.threads.get": 10,
    "gmail.users.threads.list": 10,
    "gmail.users.threads.modify": 10,
}
WINDOW_SECONDS = 60.0


def units_for(method_id: str) -> int:
    """Gmail's table; every other method (all of Calendar) costs one unit per call."""
    return GMAIL_UNITS.get(method_id, 1)


class QuotaMeter:
    """Counts units and, when limits are set, refuses calls over a sliding 60 s window.

    ``gmail_per_minute`` limits Gmail units; ``calendar_per_minute`` limits Calendar calls
    (they are separate quotas at Google), each over the last ``window`` seconds of this
    meter's clock, counted when the request arrives. A refused call costs nothing.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        gmail_per_minute: int | None = None,
        calendar_per_minute: int | None = None,
        overrun_status: int = 429,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self.clock = clock
        self.overrun_status = overrun_status
        self.window = window
        #: Calls refused for quota, by status (429 or 403): what a paced client never earns.
        self.refused: Counter[int] = Counter()
        self.limits = {"gmail": gmail_per_minute, "calendar": calendar_per_minute}
        self.by_method: Counter[str] = Counter()
        self._recent: dict[str, deque[tuple[float, int]]] = {"gmail": deque(), "calendar": deque()}

    @property
    def used(self) -> int:
        return sum(self.by_method.values())

    def reset(self) -> None:
        self.by_method.clear()
        self.refused.clear()
        for recent in self._recent.values():
            recent.clear()

    def charge(self, method_id: str) -> None:
        api = method_id.split(".", 1)[0]
        units = units_for(method_id)
        limit = self.limits.get(api)
        recent = self._recent.setdefault(api, deque())
        now = self.clock()
        while recent and recent[0][0] <= now - self.window:
            recent.popleft()
        if limit is not None and sum(u for _, u in recent) + units > limit:
            # developers.google.com/gmail/api/reference/quota: "Per user rate limit | ... |
            # userRateLimitExceeded" (a 403), while the errors guide lists "429 - Too Many
            # Requests" too (developers.google.com/gmail/api/guides/handle-errors): both occur.
            self.refused[self.overrun_status] += 1
            if self.overrun_status == 403:
                raise ApiError(403, "userRateLimitExceeded", "User Rate Limit Exceeded",
                               domain="usageLimits")
            raise ApiError(
                429,
                "rateLimitExceeded",
                "User-rate limit exceeded. Retry after the per-minute window.",
                domain="usageLimits",
            )
        recent.append((now, units))
        self.by_method[method_id] += units
