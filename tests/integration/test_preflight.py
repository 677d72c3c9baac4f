"""The preflight: a writing command writes nothing until the token, its scopes and the properties are proven.

Each test counts the sandbox's applied writes (`/_sandbox/stats`) and looks for tasks in its
snapshot: a failed preflight leaves both exactly as they were.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connector.commands.cli import app
from connector.sandbox.demo import generate_portal
from tests.conftest import build_sdk
from tests.integration.conftest import SECRET, Portal, write_config
from tests.integration.test_followup_e2e import held_tasks
from tests.integration.test_sync_e2e import AS_OF

PORTAL = generate_portal(300, seed=23, now=AS_OF)  # recent detractors: a run would create tasks
ADMIN = "admin-token-with-every-scope"
EVERY_SCOPE = [
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.feedback_submissions.read",
    "crm.objects.owners.read",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
    "crm.schemas.companies.read",
    "crm.schemas.companies.write",
]
WHEN = AS_OF.isoformat()


def _limited_portal(make_sandbox: Any, tmp_path: Path, api_version: str, *, without: str | tuple[str, ...]) -> Portal:
    """A sandbox where ADMIN has every scope and SECRET (the config's token) all but `without`."""
    fixture = copy.deepcopy(PORTAL)
    dropped = (without,) if isinstance(without, str) else without
    fixture["tokens"] = [{"token": SECRET, "scopes": [s for s in EVERY_SCOPE if s not in dropped]}]
    server = make_sandbox(fixture, token=ADMIN)
    config = tmp_path / "nps-connector.toml"
    write_config(config, server.url, tmp_path / "ledger.sqlite", api_version=api_version)
    return Portal(server, config, tmp_path, api_version)


def _as_admin(portal: Portal, *args: str) -> Any:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
    env = {**clean, "NPS_HUBSPOT__ACCESS_TOKEN": ADMIN}
    return CliRunner().invoke(app, ["--config", str(portal.config), *args], env=env)


WIDE = {"COLUMNS": "250"}  # one table row per line


def _row(output: str, scope: str) -> list[str]:
    """The cells of `check`'s row for `scope`."""
    line = next(line for line in output.splitlines() if f"scopes {scope} " in line)
    return [cell.strip() for cell in line.strip("│ ").split("│")]


def _writes(portal: Portal) -> int:
    return int(portal.server.sandbox.stats()["writes"])


class TestNothingIsWrittenWhenThePreflightFails:
    @pytest.mark.parametrize("command", ["sync", "backfill"])
    def test_no_setup_exits_2_and_writes_nothing(self, make_portal: Any, command: str) -> None:
        """Before `setup`, a run names the missing properties and creates no task (it used to create them)."""
        portal: Portal = make_portal(copy.deepcopy(PORTAL))
        result = portal.cli(command, "--as-of", WHEN)
        assert result.exit_code == 2, result.output
        assert "nps-connector setup" in result.output
        assert "wrote nothing" in result.output
        assert _writes(portal) == 0
        assert held_tasks(portal) == {}

    def test_a_token_without_companies_write_exits_3_before_any_write(
        self, make_sandbox: Any, tmp_path: Path, api_version: str
    ) -> None:
        """The case that wrote tasks and contacts before exiting 3: now exit 3 naming the scope, nothing written."""
        portal = _limited_portal(make_sandbox, tmp_path, api_version, without="crm.objects.companies.write")
        assert _as_admin(portal, "setup").exit_code == 0
        writes = _writes(portal)
        result = portal.cli("sync", "--as-of", WHEN)
        assert result.exit_code == 3, result.output
        assert "crm.objects.companies.write" in result.output
        assert "nothing was written" in result.output
        assert _writes(portal) == writes
        assert held_tasks(portal) == {}

    def test_a_scope_lost_after_the_first_run_stops_the_next_sync_before_its_first_write(
        self, make_sandbox: Any, tmp_path: Path, api_version: str
    ) -> None:
        """An incremental sync checks just before its first write: new detractors, no write scope, no task."""
        portal = _limited_portal(make_sandbox, tmp_path, api_version, without="crm.objects.contacts.write")
        assert _as_admin(portal, "setup").exit_code == 0
        assert _as_admin(portal, "backfill", "--as-of", WHEN).exit_code == 0
        tasks, writes = held_tasks(portal), _writes(portal)
        contact = next(c["id"] for c in PORTAL["contacts"] if not c.get("archived") and c.get("companies"))
        stamp = AS_OF.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        answer = {"id": "990001", "contact_id": contact, "properties": {"hs_survey_type": "NPS", "hs_value": "2"}}
        answer["properties"]["hs_submission_timestamp"] = stamp
        portal.post("/_sandbox/feedback_submissions", {"feedback_submissions": [answer]})
        result = portal.cli("sync", "--as-of", WHEN)
        assert result.exit_code == 3, result.output
        assert "crm.objects.contacts.write" in result.output
        assert _writes(portal) == writes
        assert held_tasks(portal) == tasks
        # With the scope back, the next sync does the work (the task intent waited in the ledger).
        assert _as_admin(portal, "sync", "--as-of", WHEN).exit_code == 0
        assert "990001" in held_tasks(portal)

    @pytest.mark.parametrize("first", ["backfill", "sync"])
    def test_missing_read_and_write_scopes_are_all_named_before_any_write(
        self, make_sandbox: Any, tmp_path: Path, api_version: str, first: str
    ) -> None:
        """Read scopes are proven by the pull's own reads; any refusal names every missing scope at once."""
        lacking = ("crm.objects.companies.read", "crm.objects.owners.read", "crm.objects.companies.write")
        portal = _limited_portal(make_sandbox, tmp_path, api_version, without=lacking)
        assert _as_admin(portal, "setup").exit_code == 0
        writes = _writes(portal)
        result = portal.cli(first, "--as-of", WHEN)
        assert result.exit_code == 3, result.output
        for scope in lacking:
            assert scope in result.output
        assert "nothing was written" in result.output
        assert _writes(portal) == writes
        assert held_tasks(portal) == {}

    def test_a_read_refused_during_an_incremental_sync_names_every_missing_scope(
        self, make_sandbox: Any, tmp_path: Path, api_version: str
    ) -> None:
        """A sync's first refused read (the new answer's company) stops it before any write, naming all scopes."""
        lacking = ("crm.objects.companies.read", "crm.objects.contacts.write")
        portal = _limited_portal(make_sandbox, tmp_path, api_version, without=lacking)
        assert _as_admin(portal, "setup").exit_code == 0
        assert _as_admin(portal, "backfill", "--as-of", WHEN).exit_code == 0
        contact = next(c["id"] for c in PORTAL["contacts"] if not c.get("archived") and c.get("companies"))
        stamp = AS_OF.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        answer = {"id": "990003", "contact_id": contact, "properties": {"hs_survey_type": "NPS", "hs_value": "0"}}
        answer["properties"]["hs_submission_timestamp"] = stamp
        portal.post("/_sandbox/feedback_submissions", {"feedback_submissions": [answer]})
        writes = _writes(portal)
        result = portal.cli("sync", "--as-of", WHEN)
        assert result.exit_code == 3, result.output
        for scope in lacking:
            assert scope in result.output
        assert "nothing was written" in result.output
        assert _writes(portal) == writes

    def test_a_property_of_the_wrong_type_exits_2_before_any_write(self, make_portal: Any) -> None:
        """nps_score as text: setup refuses to touch it (exit 2), and a run writes nothing at all."""
        portal: Portal = make_portal(copy.deepcopy(PORTAL))
        build_sdk(portal.server.url, token=SECRET).crm.properties.core_api.create(
            "contacts",
            property_create={
                "name": "nps_score",
                "label": "NPS",
                "type": "string",
                "fieldType": "text",
                "groupName": "contactinformation",
            },
        )
        setup = portal.cli("setup")
        assert setup.exit_code == 2
        assert "never changes a type" in setup.output
        writes = _writes(portal)
        for command in ("sync", "backfill"):
            result = portal.cli(command, "--as-of", WHEN)
            assert result.exit_code == 2, result.output
            assert "nps_score" in result.output
            assert "'string'" in result.output
        assert _writes(portal) == writes
        assert held_tasks(portal) == {}


class TestCheck:
    def test_check_proves_write_scopes_and_changes_nothing(self, make_portal: Any) -> None:
        """check probes every scope, write scopes included, with requests that write nothing."""
        portal: Portal = make_portal(copy.deepcopy(PORTAL))
        assert portal.cli("setup").exit_code == 0
        writes = _writes(portal)
        result = portal.cli("check", env=WIDE)
        assert result.exit_code == 0, result.output
        for scope in EVERY_SCOPE:
            assert _row(result.output, scope)[1] == "ok"
        assert _writes(portal) == writes

    def test_check_fails_on_a_missing_write_scope(self, make_sandbox: Any, tmp_path: Path, api_version: str) -> None:
        """The token without crm.objects.companies.write used to pass `check`: now exit 3 naming it."""
        portal = _limited_portal(make_sandbox, tmp_path, api_version, without="crm.objects.companies.write")
        assert _as_admin(portal, "setup").exit_code == 0
        result = portal.cli("check", env=WIDE)
        assert result.exit_code == 3, result.output
        assert _row(result.output, "crm.objects.companies.write")[1] == "FAIL"

    def test_a_missing_schema_write_scope_is_only_a_warning(
        self, make_sandbox: Any, tmp_path: Path, api_version: str
    ) -> None:
        """Only `setup` writes property definitions: without that scope `check` warns and still passes."""
        schema_writes = ("crm.schemas.contacts.write", "crm.schemas.companies.write")
        portal = _limited_portal(make_sandbox, tmp_path, api_version, without=schema_writes)
        assert _as_admin(portal, "setup").exit_code == 0
        result = portal.cli("check", env=WIDE)
        assert result.exit_code == 0, result.output
        assert _row(result.output, "crm.schemas.contacts.write")[1] == "WARN"
        assert "needed only by `setup`" in _row(result.output, "crm.schemas.contacts.write")[2]


class TestQuietRunsPayNothing:
    def test_a_sync_that_writes_runs_the_preflight_once_and_reuses_what_the_run_proved(self, make_portal: Any) -> None:
        """The preflight runs before the first write, probing only scopes the run's own reads did not prove."""
        portal: Portal = make_portal(copy.deepcopy(PORTAL), '[log]\nformat = "json"\n')
        assert portal.cli("setup").exit_code == 0
        assert portal.cli("backfill", "--as-of", WHEN).exit_code == 0
        quiet = portal.cli("sync", "--as-of", WHEN)
        assert quiet.exit_code == 0
        assert "preflight" not in quiet.output  # nothing to write: no preflight, no extra call
        contact = next(c["id"] for c in PORTAL["contacts"] if not c.get("archived") and c.get("companies"))
        stamp = AS_OF.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        answer = {
            "id": "990002",
            "contact_id": contact,
            "properties": {"hs_survey_type": "NPS", "hs_value": "1", "hs_submission_timestamp": stamp},
        }
        portal.post("/_sandbox/feedback_submissions", {"feedback_submissions": [answer]})
        busy = portal.cli("sync", "--as-of", WHEN)
        assert busy.exit_code == 0, busy.output
        (line,) = [line for line in busy.output.splitlines() if '"preflight.passed"' in line]
        assert '"crm.objects.feedback_submissions.read"' in line.split('"already_proven"')[1]
        assert "990002" in held_tasks(portal)


class TestSetupRepairs:
    def _after_setup(self, make_portal: Any, make_sandbox: Any, tmp_path: Path, api_version: str) -> dict[str, Any]:
        """A snapshot of a portal right after `setup` (its property definitions included)."""
        first: Portal = make_portal(copy.deepcopy(PORTAL))
        assert first.cli("setup").exit_code == 0
        return dict(first.get("/_sandbox/snapshot"))

    def _portal(self, snapshot: dict[str, Any], make_sandbox: Any, tmp_path: Path, api_version: str) -> Portal:
        server = make_sandbox(snapshot, token=SECRET)
        config = tmp_path / "repaired.toml"
        write_config(config, server.url, tmp_path / "repaired.sqlite", api_version=api_version)
        return Portal(server, config, tmp_path, api_version)

    def test_setup_recreates_a_property_an_admin_deleted(
        self, make_portal: Any, make_sandbox: Any, tmp_path: Path, api_version: str
    ) -> None:
        """A run names the deleted property (exit 2, nothing written); `setup` recreates it; the run works."""
        snapshot = self._after_setup(make_portal, make_sandbox, tmp_path, api_version)
        snapshot["property_definitions"]["companies"] = [
            d for d in snapshot["property_definitions"]["companies"] if d["name"] != "nps_company_trend"
        ]
        portal = self._portal(snapshot, make_sandbox, tmp_path, api_version)
        result = portal.cli("sync", "--as-of", WHEN)
        assert result.exit_code == 2, result.output
        assert "missing companies.nps_company_trend" in result.output
        assert _writes(portal) == 0
        setup = portal.cli("setup")
        assert setup.exit_code == 0, setup.output
        assert "1 properties created, 26 already present" in setup.output
        assert portal.cli("sync", "--as-of", WHEN).exit_code == 0

    def test_a_property_lacking_an_option_stops_a_run_before_any_write(
        self, make_portal: Any, make_sandbox: Any, tmp_path: Path, api_version: str
    ) -> None:
        """An enumeration without `detractor` would refuse every detractor's value: exit 2, nothing written."""
        snapshot = self._after_setup(make_portal, make_sandbox, tmp_path, api_version)
        for defn in snapshot["property_definitions"]["contacts"]:
            if defn["name"] == "nps_category":
                defn["options"] = [o for o in defn["options"] if o["value"] != "detractor"]
        portal = self._portal(snapshot, make_sandbox, tmp_path, api_version)
        for command in ("sync", "backfill"):
            result = portal.cli(command, "--as-of", WHEN)
            assert result.exit_code == 2, result.output
            assert "contacts.nps_category lacks option values detractor" in result.output
            assert "nps-connector setup" in result.output
        assert _writes(portal) == 0
        check = portal.cli("check", env=WIDE)
        assert check.exit_code == 2
        assert "lacks option values detractor" in check.output
