"""Run one follow-up pass against a sandbox, for the kill -9 test in test_followup_tasks.py.

Usage: python tests/pipeline/followup_crash_script.py URL LEDGER AS_OF [API_VERSION]

Reads answers, contacts and companies from the ledger file and runs `FollowupRunner`. With
FOLLOWUP_CRASH_AFTER_CREATE=1 it prints `CREATED <task ids>` after HubSpot answered the create
call and before the ledger confirms it, then sleeps so the test can kill it at exactly that point.
Logs go to stderr; stdout carries only the marker line.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from connector.config import Settings
from connector.core.followup import TaskPlan
from connector.hubspot import HubSpotClient, RetryPolicy
from connector.ledger import Ledger
from connector.logs import configure
from connector.pipeline.followup import FollowupRunner

TOKEN = "test-token"
CRASH_ENV = "FOLLOWUP_CRASH_AFTER_CREATE"


def build_settings(url: str, ledger_path: Path, api_version: str = "2026-09") -> Settings:
    """The settings both the test and this script use: default owner 103, portal 555."""
    return Settings.model_validate(
        {
            "hubspot": {"base_url": url, "access_token": TOKEN, "portal_id": "555", "api_version": api_version},
            "ledger": {"path": str(ledger_path)},
            "followup": {"default_owner_id": "103"},
        }
    )


def build_client(settings: Settings) -> HubSpotClient:
    """A client with fast retries (the sandbox answers at once)."""
    return HubSpotClient(
        settings.hubspot.base_url,
        settings.access_token(),
        requests_per_10s=10_000,
        api_version=settings.hubspot.api_version,
        retry_policy=RetryPolicy(max_retries=2, base_delay_s=0.01, max_delay_s=0.05),
    )


def _pause_after_create(_plans: Sequence[TaskPlan], ids: Sequence[str]) -> None:
    print("CREATED " + " ".join(ids), flush=True)
    time.sleep(600)  # the test kills us here: created in HubSpot, not yet confirmed in the ledger


def main(argv: Sequence[str]) -> int:
    """Run the pass; exit 0 when it finishes."""
    url, ledger_path, as_of = argv[0], Path(argv[1]), datetime.fromisoformat(argv[2])
    configure(level="warning", fmt="json")
    settings = build_settings(url, ledger_path, *argv[3:4])
    hook = _pause_after_create if os.environ.get(CRASH_ENV) == "1" else None
    with Ledger(ledger_path) as ledger:
        runner = FollowupRunner(build_client(settings), ledger, settings, after_create=hook)
        result = runner.run(ledger.answers(), ledger.contacts(), ledger.companies(), as_of)
    print(f"DONE created={len(result.created)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
