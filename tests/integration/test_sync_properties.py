"""Sync invariants over random portals (hypothesis): the numbers match the oracle, a second run changes nothing."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from connector.commands.cli import app
from connector.sandbox.demo import generate_portal
from connector.sandbox.server import SandboxOptions, serve_in_thread
from tests.conftest import TEST_OPTIONS
from tests.integration.conftest import SECRET, write_config
from tests.integration.oracle import expected
from tests.integration.test_sync_e2e import AS_OF, COMPANY_PROPS, CONTACT_PROPS, _mismatches


def _cli(config: Path, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
    return CliRunner().invoke(app, ["--config", str(config), *args], env=env)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    size=st.integers(20, 400),
    later_days=st.integers(0, 400),
    window_days=st.sampled_from([30, 90, 365]),
    min_responses=st.integers(1, 3),
)
def test_runs_match_the_oracle_and_a_second_run_changes_nothing(
    seed: int, size: int, later_days: int, window_days: int, min_responses: int
) -> None:
    """For any portal and as-of: values equal the oracle's, and repeating a run writes nothing."""
    fixture = generate_portal(size, seed=seed, now=AS_OF)
    as_of = AS_OF + timedelta(days=later_days)
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_in_thread(fixture, SandboxOptions(**{**TEST_OPTIONS, "token": SECRET})) as server,
    ):
        config = Path(tmp) / "c.toml"
        write_config(
            config,
            server.url,
            Path(tmp) / "l.sqlite",
            f"[scoring]\nwindow_days = {window_days}\nmin_company_responses = {min_responses}\n",
        )
        assert _cli(config, "setup").exit_code == 0
        # as_of may lie in the future: a simulation against the sandbox
        first = _cli(config, "backfill", "--as-of", as_of.isoformat(), "--allow-future-as-of")
        assert first.exit_code == 0, first.output
        writes = server.sandbox.stats()["writes"]
        for command in ("sync", "backfill", "sync"):
            result = _cli(config, command, "--as-of", as_of.isoformat(), "--allow-future-as-of")
            assert result.exit_code == 0, result.output
            assert server.sandbox.stats()["writes"] == writes, command
        snap = server.sandbox.portal
        want = expected(fixture, as_of, window_days=window_days, min_responses=min_responses)
        contacts = {r.id: r.properties for r in snap.records["contacts"].values() if r.live}
        companies = {r.id: r.properties for r in snap.records["companies"].values() if r.live}
        assert _mismatches(contacts, want["contacts"], CONTACT_PROPS) == []
        assert _mismatches(companies, want["companies"], COMPANY_PROPS) == []
