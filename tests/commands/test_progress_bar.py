"""On a terminal a run draws a bar per phase; in containers it logs heartbeat events instead."""

from __future__ import annotations

import io
from typing import Any

import structlog
from rich.console import Console
from structlog.testing import capture_logs

from connector.commands.progress_bar import RichDisplay, terminal_display
from connector.pipeline.progress import Progress


class FakeDisplay:
    """Records what a display is told."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def start(self, name: str, total: int | None) -> None:
        self.calls.append(("start", name, total))

    def update(self, name: str, done: int) -> None:
        self.calls.append(("update", name, done))

    def stop(self, name: str) -> None:
        self.calls.append(("stop", name))


class TestDisplay:
    def test_a_display_gets_each_phase_and_replaces_the_heartbeat(self) -> None:
        """With a display, phases go to it (start, counts, stop); only the closing event is logged."""
        display = FakeDisplay()
        progress = Progress(structlog.get_logger("t"), every_s=0.001, display=display)
        with capture_logs() as logs, progress.phase("contacts", total=3) as phase:
            phase.advance(2)
            phase.advance()
        assert display.calls == [
            ("start", "contacts", 3),
            ("update", "contacts", 2),
            ("update", "contacts", 3),
            ("stop", "contacts"),
        ]
        assert [e["event"] for e in logs] == ["progress.done"]

    def test_the_rich_bar_draws_the_phase_on_a_terminal(self) -> None:
        """The bar names the phase and its count while it runs, and is gone when it ends."""
        out = io.StringIO()
        display = RichDisplay(Console(file=out, force_terminal=True, width=80))
        display.start("contacts", 10)
        display.update("contacts", 4)
        display._bars.refresh()
        shown = out.getvalue()
        display.stop("contacts")
        assert "contacts" in shown
        assert "4/10" in shown

    def test_no_bar_in_a_container_or_for_json_logs(self) -> None:
        """Without a terminal, or with JSON logs asked for, there is no bar (the heartbeat events run)."""

        class Pipe(io.StringIO):
            def isatty(self) -> bool:
                return False

        class Tty(io.StringIO):
            def isatty(self) -> bool:
                return True

        assert terminal_display("auto", Pipe()) is None
        assert terminal_display("json", Tty()) is None
        assert isinstance(terminal_display("console", Tty()), RichDisplay)
