"""Request limits for the hosted dashboard: a per-visitor sliding window of weighted actions, shared across sessions.

The hosted mode serves many visitors from one process, so expensive actions (full page runs, panel reruns,
pricing exports, building downloads) are counted per visitor, each weighted by its cost
(`settings.HOSTED_COSTS`), and refused past `settings.HOSTED_REQUESTS_PER_MINUTE` cost units a minute.
The visitor is the connection's address, or, behind a trusted reverse proxy
(`settings.TRUSTED_PROXIES`), the address that proxy says it forwarded for (`client_address`).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable

from geo import settings
from geo.errors import RateLimitExceeded

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# What a visitor is called when the connection has no usable address (never shared with a real address).
UNKNOWN = "unknown address"


class SlidingWindowLimiter:
    """At most `limit` cost units per `window_s` seconds for each key. Thread-safe."""

    def __init__(self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._calls: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _wait(self, calls: deque[tuple[float, int]], now: float, cost: int) -> float:
        """Seconds until `cost` more units fit in the window (0: now); expired calls are dropped first."""
        while calls and now - calls[0][0] >= self.window_s:
            calls.popleft()
        excess = sum(units for _, units in calls) + cost - self.limit
        if excess <= 0:
            return 0.0
        for when, units in calls:
            excess -= units
            if excess <= 0:
                return self.window_s - (now - when)
        return self.window_s  # costlier than the whole allowance: never before a full window

    def check(self, key: str, cost: int = 1) -> None:
        """Count an action of `cost` units for `key`, or raise RateLimitExceeded without counting it."""
        now = self._clock()
        with self._lock:
            calls = self._calls[key]
            wait = self._wait(calls, now, cost)
            if wait > 0:
                raise RateLimitExceeded(wait)
            calls.append((now, cost))

    def wait_s(self, key: str, cost: int = 1) -> float:
        """Seconds before an action of `cost` units would be allowed for `key` (0: now); counts nothing."""
        now = self._clock()
        with self._lock:
            return self._wait(self._calls[key], now, cost)


def hosted_limiter() -> SlidingWindowLimiter:
    """The limiter the hosted app uses, with the configured allowance per minute."""
    return SlidingWindowLimiter(settings.HOSTED_REQUESTS_PER_MINUTE, 60.0)


def cost(action: str) -> int:
    """The weight of `action` ("rerun", "fragment", "export", "download") in `settings.HOSTED_COSTS`."""
    return settings.HOSTED_COSTS[action]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[Network] | None = None) -> str:
    """The visitor's address: `peer` (the connection's own address; None for this machine), unless `peer` is a
    trusted proxy (`trusted`, default `settings.TRUSTED_PROXIES`): then the last address in `forwarded_for`
    (the X-Forwarded-For header) that is not itself a trusted proxy, since each proxy appends the address it
    got the request from and only the trusted ones' entries can be believed.
    """
    networks = tuple(settings.TRUSTED_PROXIES if trusted is None else trusted)
    address = _address(peer) if peer else ipaddress.ip_address("127.0.0.1")
    if address is None:
        return UNKNOWN

    def is_trusted(candidate: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(candidate in network for network in networks if candidate.version == network.version)

    if not forwarded_for or not is_trusted(address):
        return str(address)
    for hop in reversed(forwarded_for.split(",")[:64]):
        hop_address = _address(hop)
        if hop_address is None:
            return UNKNOWN  # a forged or garbled entry after the trusted ones: do not guess
        if not is_trusted(hop_address):
            return str(hop_address)
    return str(address)
