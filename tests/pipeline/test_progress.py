"""Progress events: a heartbeat per phase while it runs, and a closing event with the counts."""

from __future__ import annotations

import time

import pytest
import structlog
from structlog.testing import capture_logs

from connector.pipeline.progress import Progress


class TestProgress:
    def test_a_running_phase_reports_done_total_rate_and_eta(self) -> None:
        """While a phase runs, `progress` events carry its counts; the last one says it is done."""
        progress = Progress(structlog.get_logger("t"), every_s=0.02)
        with capture_logs() as logs, progress.phase("contacts", total=10) as phase:
            phase.advance(4)
            time.sleep(0.15)  # a slow HTTP call: the heartbeat keeps the log alive meanwhile
        beats = [e for e in logs if e["event"] == "progress"]
        assert beats
        assert all(e["phase"] == "contacts" and e["total"] == 10 and e["done"] == 4 for e in beats)
        assert all(e["eta_s"] >= 0 and e["rate"] > 0 for e in beats)
        assert logs[-1]["event"] == "progress.done"
        assert (logs[-1]["done"], logs[-1]["total"]) == (4, 10)

    def test_a_failing_phase_still_closes(self) -> None:
        """An error inside a phase ends its heartbeat and still logs where it stopped."""
        progress = Progress(structlog.get_logger("t"), every_s=10)

        def fail() -> None:
            with progress.phase("push", total=3) as phase:
                phase.advance()
                raise RuntimeError("boom")

        with capture_logs() as logs, pytest.raises(RuntimeError):
            fail()
        assert [(e["event"], e["done"]) for e in logs] == [("progress.done", 1)]

    def test_a_phase_without_total_has_no_eta(self) -> None:
        """An open-ended phase (paging through submissions) reports counts and rate only."""
        progress = Progress(structlog.get_logger("t"), every_s=10)
        with capture_logs() as logs, progress.phase("submissions") as phase:
            phase.advance(250)
        assert "total" not in logs[-1]
        assert "eta_s" not in logs[-1]
        assert logs[-1]["done"] == 250
