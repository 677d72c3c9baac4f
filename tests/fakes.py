"""Test doubles for what cannot be real in a test: the clock."""

from __future__ import annotations


class FakeClock:
    """Monotonic time that only moves when something sleeps (or the test advances it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the sleep and move time on instead of waiting."""
        self.sleeps.append(seconds)
        self.now += seconds
