"""`demo`: the whole data path against its own sandbox, from the real CLI, in a folder of the test's."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from connector.commands.cli import app


def test_demo_runs_setup_backfill_and_both_reports(tmp_path: Path) -> None:
    """Exit 0; the per-company table is printed and the HTML report written with every section."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
    result = CliRunner().invoke(app, ["demo", "--size", "300", "--seed", "5", "--workdir", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    for step in ("$ nps-connector setup", "$ nps-connector backfill", "$ nps-connector report"):
        assert step in result.output
    assert "NPS per company" in result.output
    page = tmp_path / "nps-report.html"
    assert f"open {page}" in result.output
    text = page.read_text(encoding="utf-8")
    for section in ("portal", "trend", "distribution", "at-risk", "segments", "satisfaction", "closed-loop"):
        assert f'<section id="{section}"' in text
    assert (tmp_path / "nps-ledger.sqlite").exists()
