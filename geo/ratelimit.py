"""Request limits for the hosted dashboard: a per-visitor sliding window, shared across sessions.

The hosted mode serves many visitors from one process, so expensive actions (exports, searches,
map rebuilds) are counted per visitor key and refused past `settings.HOSTED_REQUESTS_PER_MINUTE`.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from geo import settings
from geo.errors import RateLimitExceeded


class SlidingWindowLimiter:
    """At most `limit` calls per `window_s` seconds for each key. Thread-safe."""

    def __init__(self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Count one call for `key`, or raise RateLimitExceeded without counting it."""
        now = self._clock()
        with self._lock:
            calls = self._calls[key]
            while calls and now - calls[0] >= self.window_s:
                calls.popleft()
            if len(calls) >= self.limit:
                raise RateLimitExceeded(self.window_s - (now - calls[0]))
            calls.append(now)


def hosted_limiter() -> SlidingWindowLimiter:
    """The limiter the hosted app uses, with the configured allowance per minute."""
    return SlidingWindowLimiter(settings.HOSTED_REQUESTS_PER_MINUTE, 60.0)
