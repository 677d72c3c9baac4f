"""Graceful stop: SIGTERM mid-push and SIGINT between scheduled runs, against the real CLI process.

The sandbox answers every request slowly (`slow=1.0`: 2 s / time_scale), so the run is still
pushing when the signal arrives. The run must finish the call in flight, record it, release the
lock, log `run.interrupted` and exit 143 (SIGTERM) / 130 (SIGINT) within 10 s; the next run then
converges to exactly the values and tasks of a run that was never interrupted.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from connector.ledger import Ledger
from connector.sandbox.demo import generate_portal
from tests.conftest import route_key
from tests.integration.conftest import Portal
from tests.integration.oracle import expected
from tests.integration.test_followup_e2e import expected_tasks, held_tasks
from tests.integration.test_sync_e2e import AS_OF, COMPANY_PROPS, CONTACT_PROPS, _mismatches, _nps_view

PORTAL = generate_portal(600, seed=31, now=AS_OF)
SLOW = {"faults": "slow=1.0,seed=3", "time_scale": 10}  # every request takes 0.2 s
STOP_WITHIN_S = 10.0


def _start(config: Path, *args: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
    return subprocess.Popen(
        [sys.executable, "-m", "connector", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**clean, "NPS_LOG__FORMAT": "json"},
    )


def _wait_for(condition: Any, process: subprocess.Popen[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.02)


def _stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str, float]:
    sent = time.monotonic()
    process.send_signal(signum)
    _out, err = process.communicate(timeout=STOP_WITHIN_S + 5)
    return process.returncode, err, time.monotonic() - sent


@pytest.mark.parametrize("api_version", ["2026-09"])
def test_sigterm_mid_push_stops_within_10s_and_the_rerun_converges(make_portal: Any) -> None:
    """SIGTERM while the contacts are being written: exit 143 fast, lock free, the rerun matches the oracle."""
    portal: Portal = make_portal(copy.deepcopy(PORTAL), **SLOW)
    assert portal.cli("setup").exit_code == 0
    update = route_key(portal.api_version, "POST /crm/v3/objects/{objectType}/batch/update")
    process = _start(portal.config, "backfill", "--as-of", AS_OF.isoformat())
    # The preflight's two write probes (contacts, companies) use the same route and write nothing;
    # the third batch update is the push's first (it takes 0.2 s): the run is mid-push.
    _wait_for(lambda: portal.stats()["by_route"].get(update, 0) >= 3, process)
    code, err, took = _stop(process, signal.SIGTERM)
    assert code == 143, err
    assert took < STOP_WITHIN_S
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: stopped by SIGTERM at a safe point")
    (event,) = [json.loads(line) for line in err.splitlines() if '"run.interrupted"' in line]
    assert event["signal"] == signal.SIGTERM
    assert event["write_calls"].get("contacts.batch_update", 0) >= 1  # the call in flight finished
    assert "companies.batch_update" not in event["write_calls"]  # and nothing started after it
    with Ledger(portal.workdir / "ledger.sqlite") as ledger, ledger.lock():
        pass  # the lock is free: no LockHeldError

    rerun = portal.cli("sync", "--as-of", AS_OF.isoformat())  # no cursor yet: it completes the backfill
    assert rerun.exit_code == 0, rerun.output
    want = expected(PORTAL, AS_OF)
    view = _nps_view(portal)
    assert _mismatches(view["contacts"], want["contacts"], CONTACT_PROPS) == []
    assert _mismatches(view["companies"], want["companies"], COMPANY_PROPS) == []
    held = held_tasks(portal)
    assert set(held) == set(expected_tasks(PORTAL, AS_OF))
    assert all(len(tasks) == 1 for tasks in held.values())


@pytest.mark.parametrize("api_version", ["2026-09"])
def test_sigint_between_scheduled_runs_exits_130_at_once(make_portal: Any) -> None:
    """`run --every` waiting for its next turn: Ctrl-C ends the wait at once with 130."""
    portal: Portal = make_portal(copy.deepcopy(PORTAL), "[followup]\nenabled = false\n")
    assert portal.cli("setup").exit_code == 0
    assert portal.cli("backfill", "--as-of", AS_OF.isoformat()).exit_code == 0
    process = _start(portal.config, "run", "--every", "1h")
    lines: list[str] = []

    def waiting() -> bool:
        assert process.stdout is not None
        lines.append(process.stdout.readline())
        return "next at" in lines[-1]

    _wait_for(waiting, process)
    code, err, took = _stop(process, signal.SIGINT)
    assert code == 130, err
    assert took < 2.0
    assert '"run.interrupted"' in err
    assert "Traceback" not in err
