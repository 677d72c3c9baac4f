"""Graceful stop: SIGTERM (Kubernetes, docker stop) or SIGINT (Ctrl-C) ends a run at the next safe point.

The handler only records the signal: the HTTP call in flight finishes (with it the batch it
carries, which the pipeline records in the ledger as soon as HubSpot answers). Before the next
call, and in every wait (rate limiter, retry backoff, `run`'s pause between syncs), `Interrupted`
is raised in the main thread; it unwinds through the ledger's transactions (rolled back or
committed, never half-done) and the run lock, and the CLI exits 143 (SIGTERM) or 130 (SIGINT).
Task intents are committed before each create, so the next run reconciles anything uncertain.
A second signal stops at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from connector.errors import Interrupted

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignal:
    """Records SIGTERM/SIGINT; `checkpoint()` and `sleep()` raise `Interrupted` once one arrived."""

    def __init__(self) -> None:
        self.signal_number: int | None = None
        self._event = threading.Event()

    @property
    def requested(self) -> bool:
        """Whether a stop signal has arrived."""
        return self.signal_number is not None

    def interrupted(self) -> Interrupted:
        """The error to raise for the signal that arrived."""
        number = self.signal_number or signal.SIGTERM
        name = signal.Signals(number).name
        return Interrupted(
            f"stopped by {name} at a safe point: progress is kept (the call in flight finished, its batch is "
            "recorded, task intents are in the ledger); the next run resumes from here",
            number,
        )

    def checkpoint(self) -> None:
        """Raise `Interrupted` if a stop signal arrived (called before every HubSpot request)."""
        if self.signal_number is not None:
            raise self.interrupted()

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake and raise `Interrupted` as soon as a stop signal arrives."""
        self.checkpoint()
        if seconds > 0:
            self._event.wait(seconds)
        self.checkpoint()

    def _handle(self, number: int, _frame: FrameType | None) -> None:
        if self.signal_number is not None:
            raise self.interrupted()  # the second signal: stop now, wherever the run is
        # Only record it: a handler that wrote to stderr could interrupt a write in progress.
        self.signal_number = number
        self._event.set()

    @contextmanager
    def installed(self) -> Iterator[StopSignal]:
        """Handle SIGTERM and SIGINT for the block (main thread only; elsewhere nothing changes)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous: dict[signal.Signals, Any] = {number: signal.signal(number, self._handle) for number in SIGNALS}
        try:
            yield self
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
