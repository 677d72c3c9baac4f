"""Client-side rate limiting, so a normal run never provokes a 429.

Two independent rolling-window limiters (`RateLimiter` holds both):

    burst   `requests_per_10s` calls per rolling 10 s — every non-search call
            (HubSpot: 100 / 10 s on Free/Starter, 190 on Pro/Enterprise, per private app)
    search  `search_per_second` calls per rolling second — CRM search only
            (HubSpot: 5 / s per account; search is exempt from the 10-second bucket)

A call occupies its slot from the moment it starts until one full window after it *finished*:
HubSpot counts a request when it arrives, which is somewhere between the two, so counting from
the finish keeps any N+1 calls more than one window apart at HubSpot too, whatever the latency.

`RateLimiter.observe` reads HubSpot's ``X-HubSpot-RateLimit-*`` headers (sent on non-search
answers) so that other integrations spending the same budget slow us down instead of causing
429s: a lower `-Max` lowers our own ceiling, and a `-Remaining` at or below the low-water mark
holds new calls for one `-Interval-Milliseconds` when other apps spent the budget, or lowers our
ceiling by the low-water mark when our own calls did (our window then spaces the next ones).

Clock and sleep are injectable; all state is guarded by one lock per limiter (thread-safe).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

Clock = Callable[[], float]
Sleep = Callable[[float], None]

# How long to wait before looking again when only in-flight calls (whose finish time is not
# known yet) fill the window.
_IN_FLIGHT_POLL_S = 0.05


class RollingWindowLimiter:
    """At most `max_calls` calls in any rolling `period` seconds (see the module docstring)."""

    def __init__(
        self, max_calls: int, period: float, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        if max_calls < 1 or period <= 0:
            raise ValueError("a rate limiter needs max_calls >= 1 and period > 0")
        self._max_calls = max_calls
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._finished: deque[float] = deque()  # finish times, oldest first
        self._in_flight = 0
        self._paused_until = 0.0
        self.waited_s = 0.0  # total time spent waiting, for run summaries

    @property
    def max_calls(self) -> int:
        """The current ceiling (may have been lowered by `lower_max_calls`)."""
        return self._max_calls

    def lower_max_calls(self, max_calls: int) -> None:
        """Lower the ceiling (never raises it above what was configured)."""
        with self._lock:
            self._max_calls = max(1, min(self._max_calls, max_calls))

    def pause(self, seconds: float) -> None:
        """Hold every new call for `seconds` from now (used on low budget and on 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def acquire(self) -> None:
        """Block until a call may start, then count it as in flight."""
        while True:
            with self._lock:
                now = self._clock()
                horizon = now - self.period
                while self._finished and self._finished[0] <= horizon:
                    self._finished.popleft()
                if now < self._paused_until:
                    wait = self._paused_until - now
                elif len(self._finished) + self._in_flight < self._max_calls:
                    self._in_flight += 1
                    return
                elif len(self._finished) + self._in_flight - self._max_calls < len(self._finished):
                    # enough finished calls will leave the window once the oldest ones expire
                    excess = len(self._finished) + self._in_flight - self._max_calls
                    wait = self._finished[excess] + self.period - now
                else:
                    wait = _IN_FLIGHT_POLL_S
            wait = max(wait, 1e-6)
            self.waited_s += wait
            self._sleep(wait)

    def used(self) -> int:
        """Our calls in the window now: finished within the last period, and in flight."""
        with self._lock:
            horizon = self._clock() - self.period
            return sum(1 for t in self._finished if t > horizon) + self._in_flight

    def release(self) -> None:
        """Mark one in-flight call as finished now."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._finished.append(self._clock())

    @contextmanager
    def slot(self) -> Iterator[None]:
        """``with limiter.slot(): call()`` — acquire before, release after (even on error)."""
        self.acquire()
        try:
            yield
        finally:
            self.release()


def per_second_limiter(
    rate: float, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
) -> RollingWindowLimiter:
    """A limiter for `rate` calls per second; fractional rates keep the same average.

    4 -> 4 calls per 1 s; 4.5 -> 4 calls per 0.889 s; 0.5 -> 1 call per 2 s.
    """
    if rate <= 0:
        raise ValueError("the search rate must be positive")
    calls = max(1, int(rate))
    return RollingWindowLimiter(calls, calls / rate, clock=clock, sleep=sleep)


class RateLimiter:
    """The burst limiter, the search limiter and the reading of HubSpot's rate-limit headers."""

    def __init__(
        self,
        requests_per_10s: int = 100,
        search_per_second: float = 4,
        *,
        low_water: int | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.burst = RollingWindowLimiter(requests_per_10s, 10.0, clock=clock, sleep=sleep)
        self.search = per_second_limiter(search_per_second, clock=clock, sleep=sleep)
        self._low_water = low_water
        self.budget_pauses = 0  # times HubSpot's headers told us to hold back

    def limiter(self, *, search: bool) -> RollingWindowLimiter:
        """The limiter that governs a call of this kind."""
        return self.search if search else self.burst

    @contextmanager
    def slot(self, *, search: bool = False) -> Iterator[None]:
        """Hold a slot of the right limiter for the duration of one HTTP call."""
        with self.limiter(search=search).slot():
            yield

    def observe(self, headers: Mapping[str, str] | None) -> float:
        """Adjust to HubSpot's ``X-HubSpot-RateLimit-*`` headers; returns the pause started (s).

        Absent or malformed headers (search answers carry none) change nothing.
        """
        if not headers:
            return 0.0
        remaining = _int_header(headers, "X-HubSpot-RateLimit-Remaining")
        maximum = _int_header(headers, "X-HubSpot-RateLimit-Max")
        interval_ms = _int_header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        if maximum is not None and maximum > 0 and maximum < self.burst.max_calls:
            self.burst.lower_max_calls(maximum)
        if remaining is None:
            return 0.0
        low_water = self._low_water
        if low_water is None:
            low_water = max(2, (maximum or self.burst.max_calls) // 20)
        if remaining > low_water:
            return 0.0
        # Every call HubSpot still counts has finished within our window too, so this never
        # overstates the others. When the budget went to us alone, our own window already spaces
        # the next calls: keep `low_water` for the portal's other apps instead of pausing a whole
        # interval (a full pause after each burst would add 10 s to every large push).
        others = (maximum or self.burst.max_calls) - remaining - self.burst.used()
        if others <= 0:
            self.burst.lower_max_calls(max(1, (maximum or self.burst.max_calls) - low_water))
            return 0.0
        pause_s = (interval_ms / 1000.0) if interval_ms and interval_ms > 0 else self.burst.period
        self.burst.pause(pause_s)
        self.budget_pauses += 1
        return pause_s


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None
