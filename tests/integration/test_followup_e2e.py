"""Follow-up tasks end to end: the real CLI creates exactly the tasks an independent computation expects."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connector.sandbox.demo import generate_portal
from tests.conftest import route_key
from tests.integration.conftest import Portal
from tests.integration.test_sync_e2e import AS_OF

MARKER = re.compile(r"^NPS feedback submission ID: (\d+)$", re.MULTILINE)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _plus_business_days(start: datetime, days: int) -> datetime:
    current = start
    while days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def expected_tasks(fixture: dict[str, Any], as_of: datetime) -> dict[str, dict[str, Any]]:
    """Submission id -> contact, company, owner and due date, computed straight from the contract."""
    merged = {m["from"]: m["into"] for m in fixture.get("merges", [])}
    contacts = {c["id"]: c for c in fixture["contacts"]}
    companies = {c["id"]: c for c in fixture["companies"]}
    active = {o["id"] for o in fixture["owners"] if not o.get("archived")}
    out = {}
    for sub in fixture["feedback_submissions"]:
        props = sub["properties"]
        raw = (props.get("hs_value") or "").strip()
        if props.get("hs_survey_type") != "NPS" or not sub.get("contact_id") or not raw.isdigit():
            continue
        at = _time(props["hs_submission_timestamp"])
        if int(raw) > 6 or not as_of - timedelta(days=14) <= at <= as_of:
            continue
        cid = sub["contact_id"]
        while cid in merged:
            cid = merged[cid]
        contact = contacts[cid]
        if contact.get("archived"):
            continue
        company = next((str(link["id"]) for link in contact.get("companies", []) if link.get("primary")), None)
        candidates = [contact["properties"].get("hubspot_owner_id")]
        if company:
            candidates.append(companies[company]["properties"].get("hubspot_owner_id"))
        owner = next((o for o in candidates if o and o in active), None)
        out[sub["id"]] = {
            "contact": cid,
            "company": company,
            "owner": owner,
            "due": max(_plus_business_days(at, 2), as_of),
        }
    return out


def held_tasks(portal: Portal) -> dict[str, list[dict[str, Any]]]:
    """Submission id -> the live tasks in HubSpot naming it."""
    snap = portal.get("/_sandbox/snapshot")
    out: dict[str, list[dict[str, Any]]] = {}
    for task in snap["tasks"]:
        if task.get("archived"):
            continue
        for sid in MARKER.findall(task["properties"].get("hs_task_body", "")):
            out.setdefault(sid, []).append(task)
    return out


@pytest.fixture(scope="module")
def fixture() -> dict[str, Any]:
    """A generated portal with recent detractors, merges, deleted contacts and deactivated owners."""
    return generate_portal(1500, seed=23, now=AS_OF)


@pytest.fixture
def portal(make_portal: Any, fixture: dict[str, Any]) -> Portal:
    """A set-up portal, backfilled once as of AS_OF."""
    p: Portal = make_portal(copy.deepcopy(fixture))
    assert p.cli("setup").exit_code == 0
    result = p.cli("backfill", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    return p


class TestFollowupTasks:
    def test_backfill_creates_one_task_per_eligible_answer(self, portal: Portal, fixture: dict[str, Any]) -> None:
        """Tasks correspond one-to-one to eligible answers: same contact, company, owner and due date."""
        want = expected_tasks(fixture, AS_OF)
        held = held_tasks(portal)
        assert len(want) >= 5
        assert set(held) == set(want)
        for sid, expect in want.items():
            (task,) = held[sid]
            props = task["properties"]
            assert task["associations"]["contacts"] == [expect["contact"]], sid
            assert task["associations"]["companies"] == ([expect["company"]] if expect["company"] else []), sid
            assert (props.get("hubspot_owner_id") or None) == expect["owner"], sid
            assert _time(props["hs_timestamp"]) == expect["due"], sid
            assert props["hs_task_priority"] == "HIGH"
            assert props["hs_task_status"] == "NOT_STARTED"
            assert props["hs_task_type"] == "TODO"

    def test_more_runs_create_no_task_twice(self, portal: Portal) -> None:
        """A second backfill and several syncs create none."""
        count = sum(len(v) for v in held_tasks(portal).values())
        assert portal.cli("backfill", "--as-of", AS_OF.isoformat()).exit_code == 0
        for _ in range(2):
            before = portal.stats()
            assert portal.cli("sync", "--as-of", AS_OF.isoformat()).exit_code == 0
            after = portal.stats()
            # A quiet sync: at most 3 calls plus one batch read per 100 open follow-up tasks, no write.
            assert after["writes"] == before["writes"]
            assert after["calls"] - before["calls"] <= 3 + -(-count // 100)
        assert sum(len(v) for v in held_tasks(portal).values()) == count

    def test_lost_ledger_then_backfill_duplicates_nothing(self, portal: Portal) -> None:
        """With the ledger file deleted, a backfill rebuilds it and creates no task twice."""
        before = held_tasks(portal)
        for path in portal.workdir.glob("ledger.sqlite*"):
            path.unlink()
        result = portal.cli("backfill", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        after = held_tasks(portal)
        assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}

    def test_followup_status_reaches_the_contact(self, portal: Portal, fixture: dict[str, Any]) -> None:
        """nps_followup_status is open after creation and completed once the task is done in HubSpot."""
        from tests.conftest import build_sdk
        from tests.integration.conftest import SECRET

        want = expected_tasks(fixture, AS_OF)
        contact = want[min(want)]["contact"]
        # The contact's latest answer that has a task decides the status (ids grow with time here).
        sid = max(s for s in want if want[s]["contact"] == contact)
        held = portal.properties("contacts")[contact]
        assert held["nps_followup_status"] == "open"
        assert _time(held["nps_followup_due_date"]) == want[sid]["due"]
        (task,) = held_tasks(portal)[sid]
        sdk = build_sdk(portal.server.url, token=SECRET)
        sdk.crm.objects.tasks.basic_api.update(
            task["id"], simple_public_object_input={"properties": {"hs_task_status": "COMPLETED"}}
        )
        assert portal.cli("sync", "--as-of", AS_OF.isoformat()).exit_code == 0
        assert portal.properties("contacts")[contact]["nps_followup_status"] == "completed"

    def test_dry_run_lists_tasks_without_creating_them(self, make_portal: Any, fixture: dict[str, Any]) -> None:
        """`backfill --dry-run` names the tasks it would create and creates none."""
        p: Portal = make_portal(copy.deepcopy(fixture))
        assert p.cli("setup").exit_code == 0
        result = p.cli("backfill", "--dry-run", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        want = expected_tasks(fixture, AS_OF)
        assert all(f"task for submission {sid}" in result.output for sid in list(want)[:20])
        assert held_tasks(p) == {}


class TestCrash:
    def test_kill_9_while_tasks_are_being_created(self, make_portal: Any, fixture: dict[str, Any]) -> None:
        """The real CLI killed (SIGKILL) after its create request reached HubSpot: the rerun creates none twice."""
        import os
        import signal
        import subprocess
        import sys
        import time

        from connector.sandbox.limits import Faults

        # Every request is slow (0.25 s), so the kill lands while HubSpot is still applying the create.
        p: Portal = make_portal(copy.deepcopy(fixture), faults="slow=1.0", time_scale=8)
        assert p.cli("setup").exit_code == 0
        env = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "connector", "--config", str(p.config), "backfill", "--as-of", AS_OF.isoformat()],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        route = route_key(p.api_version, "POST /crm/v3/objects/{objectType}/batch/create")
        deadline = time.monotonic() + 120
        try:
            while p.server.sandbox.stats()["by_route"].get(route, 0) == 0:
                assert proc.poll() is None, "the run ended before creating tasks"
                assert time.monotonic() < deadline
                time.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        time.sleep(1.0)  # HubSpot finishes applying the create the client never heard back from
        landed = held_tasks(p)
        assert landed  # the create did land: this is the case exactly-once must survive
        p.server.sandbox.faults = Faults.parse(None)
        result = p.cli("backfill", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        held = held_tasks(p)
        assert set(held) == set(expected_tasks(fixture, AS_OF))
        assert all(len(tasks) == 1 for tasks in held.values())
