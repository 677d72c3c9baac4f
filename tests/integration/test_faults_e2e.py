"""The whole data path under HubSpot's failures: 429s, 5xx, dropped and lost requests, slow answers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connector.sandbox.demo import generate_portal
from tests.integration.conftest import Portal
from tests.integration.oracle import expected
from tests.integration.test_followup_e2e import expected_tasks, held_tasks
from tests.integration.test_sync_e2e import AS_OF, COMPANY_PROPS, CONTACT_PROPS, _mismatches, _nps_view

FAULTS = "429=0.05,500=0.04,502=0.03,reset=0.05,lost=0.05,slow=0.02,seed={seed}"


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_faults_change_nothing_in_the_outcome(make_portal: Any, seed: int) -> None:
    """With faults on every kind of call, values equal the oracle's and every task exists exactly once."""
    fixture = generate_portal(600, seed=29, now=AS_OF)
    # time_scale shrinks the rate-limit windows the client waits out after a 429, and slow faults.
    portal: Portal = make_portal(copy.deepcopy(fixture), faults=FAULTS.format(seed=seed), time_scale=50)
    text = portal.config.read_text(encoding="utf-8").replace("max_retries = 2", "max_retries = 8")
    portal.config.write_text(text, encoding="utf-8")
    for command in ("setup", "backfill", "sync"):
        result = portal.cli(command, "--as-of", AS_OF.isoformat()) if command != "setup" else portal.cli(command)
        assert result.exit_code == 0, result.output
    stats = portal.stats()
    assert sum(stats["faults"].values()) >= 5  # the run really went through failures
    assert stats["faults"]["lost"] + stats["faults"]["reset"] >= 2
    want = expected(fixture, AS_OF)
    view = _nps_view(portal)
    assert _mismatches(view["contacts"], want["contacts"], CONTACT_PROPS) == []
    assert _mismatches(view["companies"], want["companies"], COMPANY_PROPS) == []
    held = held_tasks(portal)
    assert set(held) == set(expected_tasks(fixture, AS_OF))
    assert all(len(tasks) == 1 for tasks in held.values())
