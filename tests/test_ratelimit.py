import ipaddress
import threading

import pytest

from geo.ratelimit import RateLimitExceeded, SlidingWindowLimiter


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_allows_up_to_the_limit_then_refuses_with_retry_time():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(3, 60.0, clock=clock)
    for _ in range(3):
        limiter.check("visitor")
    clock.now += 10
    with pytest.raises(RateLimitExceeded) as refused:
        limiter.check("visitor")
    assert refused.value.retry_after_s == pytest.approx(50.0)


def test_window_slides_and_keys_are_independent():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(2, 60.0, clock=clock)
    limiter.check("a")
    limiter.check("a")
    limiter.check("b")  # another visitor is not affected
    clock.now += 60
    limiter.check("a")  # the first calls have left the window


def test_refused_calls_are_not_counted():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(1, 60.0, clock=clock)
    limiter.check("a")
    for _ in range(5):
        with pytest.raises(RateLimitExceeded):
            limiter.check("a")
    clock.now += 60
    limiter.check("a")


def test_concurrent_callers_never_exceed_the_limit():
    limiter = SlidingWindowLimiter(50, 3600.0)
    allowed = []

    def hammer():
        for _ in range(40):
            try:
                limiter.check("shared")
                allowed.append(1)
            except RateLimitExceeded:
                pass

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 50


def test_rejects_nonsense_configuration():
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0)


def test_actions_are_weighted_by_their_cost():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(10, 60.0, clock=clock)
    limiter.check("a", cost=3)
    clock.now += 5
    limiter.check("a", cost=6)
    assert limiter.wait_s("a", cost=1) == 0 and limiter.wait_s("a", cost=2) == pytest.approx(55.0)
    limiter.check("a")
    with pytest.raises(RateLimitExceeded) as refused:
        limiter.check("a", cost=4)  # needs the first two calls (3 + 6 units) out of the window
    assert refused.value.retry_after_s == pytest.approx(60.0)
    assert limiter.wait_s("b", cost=10) == 0, "another visitor keeps a full allowance"


def test_the_costs_come_from_the_settings(monkeypatch):
    from geo import ratelimit, settings

    monkeypatch.setitem(settings.HOSTED_COSTS, "download", 25)
    assert ratelimit.cost("download") == 25
    assert settings.HOSTED_COSTS["download"] > settings.HOSTED_COSTS["rerun"], "a download costs more than a rerun"


TRUSTED = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "visitor"),
    [
        ("203.0.113.9", None, TRUSTED, "203.0.113.9"),
        ("203.0.113.9", "198.51.100.1", TRUSTED, "203.0.113.9"),  # not from a proxy: the header is ignored
        ("10.0.0.2", "198.51.100.1", [], "10.0.0.2"),  # no trusted proxies set: never the header
        ("10.0.0.2", "198.51.100.1", TRUSTED, "198.51.100.1"),
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", TRUSTED, "198.51.100.1"),  # the client forged the first entry
        ("10.0.0.2", "198.51.100.1, 10.0.0.7", TRUSTED, "198.51.100.1"),  # two proxies in a row
        ("10.0.0.2", "10.0.0.7", TRUSTED, "10.0.0.2"),
        ("10.0.0.2", "not-an-address", TRUSTED, "unknown address"),
        (None, "198.51.100.1", TRUSTED, "198.51.100.1"),  # a proxy on this machine (Streamlit reports None)
        (None, None, [], "127.0.0.1"),
        ("2001:db8::5", "198.51.100.1", TRUSTED, "2001:db8::5"),
    ],
)
def test_the_visitor_address_believes_only_trusted_proxies(peer, forwarded, trusted, visitor):
    from geo.ratelimit import client_address

    assert client_address(peer, forwarded, trusted) == visitor
