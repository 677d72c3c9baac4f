"""Client-side rate limiting: rolling windows, the search bucket, HubSpot's rate-limit headers."""

from __future__ import annotations

import threading
import time

import pytest

from connector.hubspot.ratelimit import RateLimiter, RollingWindowLimiter, per_second_limiter
from tests.fakes import FakeClock


def max_in_any_window(starts: list[float], period: float) -> int:
    """The most start times that fall in any half-open window [t, t + period)."""
    best = 0
    for i, start in enumerate(starts):
        best = max(best, sum(1 for other in starts[i:] if other < start + period))
    return best


def run_calls(limiter: RollingWindowLimiter, clock: FakeClock, count: int, latency: float = 0.0) -> list[float]:
    starts: list[float] = []
    for _ in range(count):
        with limiter.slot():
            starts.append(clock.now)
            clock.now += latency
    return starts


class TestRollingWindowLimiter:
    @pytest.mark.parametrize("latency", [0.0, 0.05, 0.7])
    def test_never_more_than_max_calls_in_any_rolling_window(self, latency: float) -> None:
        """However long calls take, no rolling 10 s window ever holds more than N call starts."""
        clock = FakeClock()
        limiter = RollingWindowLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
        starts = run_calls(limiter, clock, 450, latency)
        assert max_in_any_window(starts, 10.0) <= 100

    def test_first_max_calls_go_without_waiting(self) -> None:
        """A fresh limiter lets a full window of calls through at once."""
        clock = FakeClock()
        limiter = RollingWindowLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
        run_calls(limiter, clock, 100)
        assert clock.sleeps == []

    def test_next_call_waits_one_window_after_the_oldest_finished(self) -> None:
        """Call N+1 starts exactly one period after call 1 finished (finish, not start, counts)."""
        clock = FakeClock()
        limiter = RollingWindowLimiter(3, 10.0, clock=clock, sleep=clock.sleep)
        starts = run_calls(limiter, clock, 4, latency=1.0)
        assert starts[3] == pytest.approx(starts[0] + 1.0 + 10.0)

    def test_throughput_is_not_throttled_below_the_limit(self) -> None:
        """Over a long run the limiter allows close to N calls per period."""
        clock = FakeClock()
        limiter = RollingWindowLimiter(10, 1.0, clock=clock, sleep=clock.sleep)
        starts = run_calls(limiter, clock, 100)
        assert starts[-1] - starts[0] < 10.0

    def test_pause_holds_new_calls(self) -> None:
        """After pause(s) the next call starts no sooner than s later."""
        clock = FakeClock()
        limiter = RollingWindowLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
        limiter.pause(4.0)
        start = clock.now
        starts = run_calls(limiter, clock, 1)
        assert starts[0] == pytest.approx(start + 4.0)

    def test_lower_max_calls_never_raises_the_ceiling(self) -> None:
        """Lowering works, raising above the configured ceiling does not."""
        limiter = RollingWindowLimiter(100, 10.0)
        limiter.lower_max_calls(150)
        assert limiter.max_calls == 100
        limiter.lower_max_calls(40)
        assert limiter.max_calls == 40

    def test_slot_releases_on_error(self) -> None:
        """A call that raises still frees its in-flight slot."""
        clock = FakeClock()
        limiter = RollingWindowLimiter(1, 1.0, clock=clock, sleep=clock.sleep)
        with pytest.raises(RuntimeError), limiter.slot():
            raise RuntimeError("boom")
        run_calls(limiter, clock, 1)
        assert clock.sleeps == [pytest.approx(1.0)]

    def test_rejects_nonsense_limits(self) -> None:
        """Zero calls or a zero period is a programming error."""
        with pytest.raises(ValueError):
            RollingWindowLimiter(0, 10.0)
        with pytest.raises(ValueError):
            RollingWindowLimiter(1, 0)

    def test_threads_share_one_budget(self) -> None:
        """Concurrent callers together stay within the window (real clock, short window)."""
        limiter = RollingWindowLimiter(5, 0.2)
        starts: list[float] = []
        lock = threading.Lock()

        def worker() -> None:
            for _ in range(5):
                with limiter.slot():
                    with lock:
                        starts.append(time.monotonic())
                    time.sleep(0.001)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(starts) == 20
        assert max_in_any_window(sorted(starts), 0.2) <= 5


class TestPerSecondLimiter:
    @pytest.mark.parametrize(("rate", "calls", "period"), [(4, 4, 1.0), (4.5, 4, 4 / 4.5), (0.5, 1, 2.0)])
    def test_fractional_rates_keep_the_average(self, rate: float, calls: int, period: float) -> None:
        """A rate becomes whole calls per (possibly shorter or longer) window."""
        limiter = per_second_limiter(rate)
        assert limiter.max_calls == calls
        assert limiter.period == pytest.approx(period)


class TestRateLimiter:
    def test_search_and_burst_buckets_are_separate(self) -> None:
        """A full burst window does not hold back search calls, and the other way round."""
        clock = FakeClock()
        limits = RateLimiter(requests_per_10s=5, search_per_second=2, clock=clock, sleep=clock.sleep)
        for _ in range(5):
            with limits.slot():
                pass
        for _ in range(2):
            with limits.slot(search=True):
                pass
        assert clock.sleeps == []
        with limits.slot(search=True):
            pass
        assert clock.sleeps == [pytest.approx(1.0)]

    def test_search_limiter_allows_n_per_rolling_second(self) -> None:
        """Search calls never exceed the per-second rate in any rolling second."""
        clock = FakeClock()
        limits = RateLimiter(search_per_second=4, clock=clock, sleep=clock.sleep)
        starts = run_calls(limits.search, clock, 40, latency=0.01)
        assert max_in_any_window(starts, 1.0) <= 4

    def test_low_remaining_header_pauses_for_the_interval(self) -> None:
        """When HubSpot says the budget is nearly spent, new calls wait one interval."""
        clock = FakeClock()
        limits = RateLimiter(clock=clock, sleep=clock.sleep)
        paused = limits.observe(
            {
                "X-HubSpot-RateLimit-Remaining": "1",
                "X-HubSpot-RateLimit-Max": "190",
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            }
        )
        assert paused == pytest.approx(10.0)
        start = clock.now
        with limits.slot():
            assert clock.now == pytest.approx(start + 10.0)
        assert limits.budget_pauses == 1

    def test_low_remaining_spent_by_our_own_calls_keeps_headroom_instead_of_pausing(self) -> None:
        """181 of our calls in the window and 9 remaining: nobody else is spending; no pause, 9 kept free."""
        clock = FakeClock()
        limits = RateLimiter(requests_per_10s=190, clock=clock, sleep=clock.sleep)
        for _ in range(181):
            with limits.slot():
                pass
        headers = {
            "X-HubSpot-RateLimit-Remaining": "9",
            "X-HubSpot-RateLimit-Max": "190",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        }
        assert limits.observe(headers) == 0.0
        assert limits.budget_pauses == 0
        assert limits.burst.max_calls == 181
        start = clock.now
        with limits.slot():  # the 182nd waits for the oldest call to leave the window, not a whole pause
            pass
        assert clock.now - start == pytest.approx(10.0)
        starts = run_calls(limits.burst, clock, 400, latency=0.01)
        assert max_in_any_window(starts, 10.0) <= 181

    def test_low_remaining_with_few_calls_of_ours_still_pauses(self) -> None:
        """20 of ours and 9 remaining: the portal's other apps spent 161, so new calls wait one interval."""
        clock = FakeClock()
        limits = RateLimiter(requests_per_10s=190, clock=clock, sleep=clock.sleep)
        for _ in range(20):
            with limits.slot():
                pass
        headers = {"X-HubSpot-RateLimit-Remaining": "9", "X-HubSpot-RateLimit-Max": "190"}
        assert limits.observe(headers) == pytest.approx(10.0)
        assert limits.budget_pauses == 1

    def test_plenty_remaining_changes_nothing(self) -> None:
        """A healthy budget does not slow anything down."""
        clock = FakeClock()
        limits = RateLimiter(clock=clock, sleep=clock.sleep)
        assert limits.observe({"x-hubspot-ratelimit-remaining": "150", "x-hubspot-ratelimit-max": "190"}) == 0.0
        with limits.slot():
            pass
        assert clock.sleeps == []

    def test_lower_max_header_lowers_our_ceiling(self) -> None:
        """A portal with a smaller burst limit than configured lowers the limiter to it."""
        limits = RateLimiter(requests_per_10s=150)
        limits.observe({"X-HubSpot-RateLimit-Max": "100", "X-HubSpot-RateLimit-Remaining": "90"})
        assert limits.burst.max_calls == 100

    @pytest.mark.parametrize(
        "headers", [None, {}, {"X-HubSpot-RateLimit-Remaining": "many"}, {"Content-Type": "application/json"}]
    )
    def test_missing_or_malformed_headers_are_ignored(self, headers: dict[str, str] | None) -> None:
        """Search answers carry no rate-limit headers; garbage is not trusted."""
        limits = RateLimiter()
        assert limits.observe(headers) == 0.0
        assert limits.burst.max_calls == 100
