"""A progress bar per phase for runs on a terminal (rich), in place of the heartbeat log events."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn


class RichDisplay:
    """`pipeline.progress.Display` drawn with rich on stderr; a finished phase's bar is removed."""

    def __init__(self, console: Console | None = None) -> None:
        self._bars = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}

    def start(self, name: str, total: int | None) -> None:
        """Show a bar for the phase (an open-ended one has no total and pulses)."""
        if not self._tasks:
            self._bars.start()
        self._tasks[name] = self._bars.add_task(name, total=total)

    def update(self, name: str, done: int) -> None:
        """Move the phase's bar."""
        task = self._tasks.get(name)
        if task is not None:
            self._bars.update(task, completed=done)

    def stop(self, name: str) -> None:
        """Remove the phase's bar; stop drawing when none is left."""
        task = self._tasks.pop(name, None)
        if task is not None:
            self._bars.remove_task(task)
        if not self._tasks:
            self._bars.stop()


def terminal_display(log_format: str, stream: Any = None) -> RichDisplay | None:
    """A progress bar when stderr is a terminal and logs are meant for people; None in containers."""
    stream = stream if stream is not None else sys.stderr
    if log_format == "json" or not stream.isatty():
        return None
    return RichDisplay()
