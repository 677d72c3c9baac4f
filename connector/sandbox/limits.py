"""Rate limits and fault injection for the sandbox, both with HubSpot's 429 bodies.

Limits (HubSpot's API usage guidelines; docs/hubspot-behaviour.md): a rolling 10-second window per token for
everything but search, search's own per-second limit per portal, a daily limit per portal.
A request answered with 429 uses up no budget. HubSpot documents no Retry-After on 429s, so
none is sent.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = ("429", "500", "502", "reset", "lost", "slow")


def rate_limit_body(policy: str) -> dict[str, Any]:
    """The body of a HubSpot 429 for a policy (TEN_SECONDLY_ROLLING, SECONDLY or DAILY).

    HubSpot's documented 429 body has `errorType` and `policyName` but no `category`; its Error
    schema requires one, so the sandbox adds `RATE_LIMITS`, the category third-party clients report
    (notes §4; docs/hubspot-behaviour.md).
    """
    messages = {
        "DAILY": "You have reached your daily limit.",
        "SECONDLY": "You have reached your secondly limit.",
        "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    }
    return {
        "status": "error",
        "message": messages[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "category": "RATE_LIMITS",
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }


class RollingWindow:
    """At most `limit` events in any rolling window of `seconds`."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.events: deque[float] = deque()

    def try_take(self, now: float) -> bool:
        """Count an event if the window has room; False (and nothing counted) when full."""
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()
        if len(self.events) >= self.limit:
            return False
        self.events.append(now)
        return True

    def remaining(self, now: float) -> int:
        """Events left in the current window."""
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()
        return max(0, self.limit - len(self.events))


@dataclass
class RateLimits:
    """The portal's limits; `time_scale` shrinks every window for fast benchmarks."""

    per_10s: int = 190
    search_per_second: int = 5
    daily: int = 1_000_000
    time_scale: float = 1.0
    clock: Callable[[], float] = field(default=lambda: 0.0)
    _burst: dict[str, RollingWindow] = field(default_factory=dict)
    _search: RollingWindow | None = None
    _daily_used: int = 0
    _day: int = -1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def interval_ms(self) -> int:
        """The burst window in milliseconds, as the headers report it."""
        return int(10_000 / self.time_scale)

    def check(self, token: str, search: bool) -> tuple[str | None, dict[str, str]]:
        """Take budget for one request: (policy violated or None, rate-limit headers)."""
        now = self.clock()
        with self._lock:
            day = int(now * self.time_scale // 86_400)
            if day != self._day:
                self._day, self._daily_used = day, 0
            if self._daily_used >= self.daily:
                return "DAILY", self._headers(token, now, search)
            if search:
                if self._search is None:
                    self._search = RollingWindow(self.search_per_second, 1.0 / self.time_scale)
                if not self._search.try_take(now):
                    return "SECONDLY", {}
            else:
                window = self._burst.setdefault(token, RollingWindow(self.per_10s, 10.0 / self.time_scale))
                if not window.try_take(now):
                    return "TEN_SECONDLY_ROLLING", self._headers(token, now, search)
            self._daily_used += 1
            return None, self._headers(token, now, search)

    def headers(self, token: str, search: bool) -> dict[str, str]:
        """The rate-limit headers as they stand, without taking budget (for injected 429s)."""
        with self._lock:
            return self._headers(token, self.clock(), search)

    def _headers(self, token: str, now: float, search: bool) -> dict[str, str]:
        if search:  # "Responses from the search API endpoints will not include any of the rate limit headers"
            return {}
        window = self._burst.get(token)
        remaining = window.remaining(now) if window else self.per_10s
        return {
            "X-HubSpot-RateLimit-Daily": str(self.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily - self._daily_used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.interval_ms),
            "X-HubSpot-RateLimit-Max": str(self.per_10s),
            "X-HubSpot-RateLimit-Remaining": str(remaining),
        }


class FaultSpecError(ValueError):
    """The --faults option is malformed."""


@dataclass
class Faults:
    """Seeded fault injection: one draw per HubSpot-API request, in arrival order."""

    shares: dict[str, float]
    seed: int = 0
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: str | None) -> Faults:
        """Parse `429=0.1,500=0.05,reset=0.05,seed=7`."""
        shares: dict[str, float] = {}
        seed = 0
        for part in (spec or "").split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, value = part.partition("=")
            key = key.strip()
            try:
                if not sep:
                    raise ValueError
                if key == "seed":
                    seed = int(value)
                    continue
                share = float(value)
            except ValueError:
                raise FaultSpecError(f"--faults: {part!r} is not KIND=SHARE") from None
            if key not in FAULT_KINDS:
                raise FaultSpecError(f"--faults: unknown kind {key!r} (known: {', '.join(FAULT_KINDS)}, seed)")
            if not 0 <= share <= 1:
                raise FaultSpecError(f"--faults: share for {key} must be between 0 and 1")
            shares[key] = share
        if sum(shares.values()) > 1:
            raise FaultSpecError("--faults: shares add up to more than 1")
        return cls(shares, seed)

    def draw(self) -> str | None:
        """The fault for the next request, or None."""
        if not self.shares:
            return None
        with self._lock:
            r = self._rng.random()
        acc = 0.0
        for kind in FAULT_KINDS:
            acc += self.shares.get(kind, 0.0)
            if r < acc:
                return kind
        return None
