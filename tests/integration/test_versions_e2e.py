"""API versions end to end: 2026-09 validation rules through the real CLI, and a 2026-03 smoke run.

The main end-to-end suites already run on 2026-09 and v3 (the `api_version` fixture); this file
adds what only one version does, and the smaller run on 2026-03.
"""

from __future__ import annotations

import copy
import json
import urllib.request
from typing import Any

import pytest

from connector.sandbox.demo import generate_portal
from tests.integration.conftest import SECRET, Portal
from tests.integration.oracle import expected
from tests.integration.test_followup_e2e import expected_tasks, held_tasks
from tests.integration.test_sync_e2e import AS_OF, COMPANY_PROPS, CONTACT_PROPS, NO_TASKS, _mismatches, _nps_view

PORTAL = generate_portal(600, seed=5, now=AS_OF)
# HubSpot's category values: "detractor" is 9 characters, so this rule refuses exactly the detractors.
SHORT_CATEGORY = {"object_type": "contacts", "property": "nps_category", "rule": "max_length", "value": 8}


def _rules(portal: Portal, method: str, body: Any = None) -> Any:
    req = urllib.request.Request(
        portal.server.url + "/_sandbox/validation_rules",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)


class TestValidationRules:
    @pytest.mark.parametrize("api_version", ["2026-09"])
    def test_a_record_a_rule_refuses_fails_alone_and_the_rest_lands(self, make_portal: Any) -> None:
        """On 2026-09 a portal rule refuses some contacts: each fails with one line naming the property, exit 1."""
        portal: Portal = make_portal(copy.deepcopy(PORTAL), NO_TASKS)
        assert portal.cli("setup").exit_code == 0
        _rules(portal, "POST", {"validation_rules": [SHORT_CATEGORY]})
        result = portal.cli("backfill", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 1, result.output
        want = expected(PORTAL, AS_OF)
        refused = {cid for cid, values in want["contacts"].items() if values["nps_category"] == "detractor"}
        assert refused
        failed_lines = [line for line in result.output.splitlines() if "push.record_failed" in line]
        assert len(failed_lines) == len(refused)
        assert all("nps_category" in line and "VALIDATION_ERROR" in line for line in failed_lines)
        view = _nps_view(portal)
        landed = {cid: v for cid, v in view["contacts"].items() if cid not in refused}
        assert _mismatches(landed, want["contacts"], CONTACT_PROPS) == []
        assert all(not view["contacts"][cid]["nps_score"] for cid in refused)
        assert _mismatches(view["companies"], want["companies"], COMPANY_PROPS) == []

        # The admin relaxes the rule: the next sync writes what was refused, and only that.
        _rules(portal, "DELETE")
        again = portal.cli("sync", "--as-of", AS_OF.isoformat())
        assert again.exit_code == 0, again.output
        assert _mismatches(_nps_view(portal)["contacts"], want["contacts"], CONTACT_PROPS) == []

    @pytest.mark.parametrize("api_version", ["v3", "2026-03"])
    def test_older_versions_do_not_enforce_rules(self, make_portal: Any) -> None:
        """HubSpot applies validation rules to API writes only from 2026-09: the same run lands whole."""
        portal: Portal = make_portal(copy.deepcopy(PORTAL), NO_TASKS)
        assert portal.cli("setup").exit_code == 0
        _rules(portal, "POST", {"validation_rules": [SHORT_CATEGORY]})
        result = portal.cli("backfill", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        assert _mismatches(_nps_view(portal)["contacts"], expected(PORTAL, AS_OF)["contacts"], CONTACT_PROPS) == []


@pytest.mark.parametrize("api_version", ["2026-03"])
def test_smoke_run_on_2026_03(make_portal: Any) -> None:
    """setup, backfill with tasks, a quiet sync and check on 2026-03: values and tasks as the oracle says."""
    portal: Portal = make_portal(copy.deepcopy(PORTAL))
    assert portal.cli("setup").exit_code == 0
    result = portal.cli("backfill", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    want = expected(PORTAL, AS_OF)
    view = _nps_view(portal)
    assert _mismatches(view["contacts"], want["contacts"], CONTACT_PROPS) == []
    assert _mismatches(view["companies"], want["companies"], COMPANY_PROPS) == []
    tasks = held_tasks(portal)
    assert set(tasks) == set(expected_tasks(PORTAL, AS_OF))
    assert all(len(t) == 1 for t in tasks.values())
    before = portal.stats()
    assert portal.cli("sync", "--as-of", AS_OF.isoformat()).exit_code == 0
    after = portal.stats()
    assert after["writes"] == before["writes"]
    assert all("/2026-03/" in key for key in after["by_route"] if key not in before["by_route"])
    check = portal.cli("check")
    assert check.exit_code == 0, check.output
    assert "2026-03" in check.output
