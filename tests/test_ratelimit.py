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
