"""Progress of a long run: a `progress` event per phase every few seconds, so a run is never silent.

A container's log shows what the run is doing, how far it got and when it expects to finish:
`{"event": "progress", "phase": "contacts", "done": 1200, "total": 2800, "rate": 95.1, "eta_s": 17}`.
A heartbeat thread emits the event while a phase runs, also while one HTTP call or the rate limiter
holds the run, so no gap between log lines is longer than `every_s` (5 s) plus one event.

On a terminal the commands pass a `Display` (a progress bar per phase) instead: the bar is the
heartbeat there, and only the closing `progress.done` event is logged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol


class Display(Protocol):
    """Where a terminal shows phases as they run (e.g. a rich progress bar)."""

    def start(self, name: str, total: int | None) -> None:
        """A phase began."""

    def update(self, name: str, done: int) -> None:
        """A phase's count of items done."""

    def stop(self, name: str) -> None:
        """A phase ended."""


@dataclass
class Phase:
    """One phase's counters; `advance` may be called from any thread."""

    name: str
    total: int | None
    started: float
    done: int = 0
    display: Display | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def advance(self, n: int = 1) -> None:
        """Count `n` more items done."""
        with self._lock:
            self.done += n
            done = self.done
        if self.display is not None:
            self.display.update(self.name, done)


class Progress:
    """Phases of one run, reported as structlog `progress` events."""

    def __init__(
        self,
        log: Any,
        every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        display: Display | None = None,
    ) -> None:
        self._log = log
        self._every = every_s
        self._clock = clock
        self._display = display

    @contextmanager
    def phase(self, name: str, total: int | None = None) -> Iterator[Phase]:
        """Track a phase: events every `every_s` while it runs, and one when it ends."""
        phase = Phase(name, total, self._clock(), display=self._display)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self._every):
                self._emit("progress", phase)

        thread = threading.Thread(target=beat, name=f"progress-{name}", daemon=True)
        if self._display is not None:
            self._display.start(name, total)
        else:
            thread.start()
        try:
            yield phase
        finally:
            stop.set()
            if self._display is not None:
                self._display.stop(name)
            else:
                thread.join()
            self._emit("progress.done", phase)

    def _emit(self, event: str, phase: Phase) -> None:
        elapsed = max(self._clock() - phase.started, 1e-9)
        rate = phase.done / elapsed
        fields: dict[str, Any] = {"phase": phase.name, "done": phase.done, "elapsed_s": round(elapsed, 1)}
        if phase.total is not None:
            fields["total"] = phase.total
            if rate > 0 and phase.done < phase.total:
                fields["eta_s"] = round((phase.total - phase.done) / rate)
        fields["rate"] = round(rate, 1)
        self._log.info(event, **fields)
