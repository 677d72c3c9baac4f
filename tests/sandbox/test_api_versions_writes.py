"""What differs between versions on writes: the 2026-09 batch shape, validation rules, association type ids.

Sources (HUBSPOT_API_NOTES.md §13): Spec diff of v3 vs 2026-09 (batch create 201 / update 200 with
`errors`, no 207); changelog "Breaking Change: CRM API Write Validation Enforcement Starting with the
2026-09 API Version" (11 Aug 2026); Prismatic connector changelog, 28 Oct 2026 (association type names).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hubspot
import pytest
from hubspot.crm.contacts import ApiException as ContactsApiException

from connector.sandbox.fixture import FixtureError, load_portal, snapshot
from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox, build_sdk
from tests.sandbox import DATED_VERSIONS, call, nps_contact_properties, small_portal

REQUIRED_SCORE = {"object_type": "contacts", "property": "nps_score", "rule": "required"}
SHORT_NAME = {"object_type": "companies", "property": "name", "rule": "max_length", "value": 5}
PATHS = {"v3": "/crm/v3/objects", "2026-03": "/crm/objects/2026-03", "2026-09": "/crm/objects/2026-09"}
TASK = {"hs_timestamp": "2026-10-03T10:00:00.000Z", "hs_task_subject": "Call back"}


@pytest.fixture
def server(make_sandbox: MakeSandbox) -> SandboxHTTPServer:
    return make_sandbox({**small_portal(), **nps_contact_properties(), "validation_rules": [REQUIRED_SCORE]})


@pytest.fixture
def client(server: SandboxHTTPServer) -> hubspot.HubSpot:
    return build_sdk(server)


def _score(client: hubspot.HubSpot, contact_id: str) -> str | None:
    props = client.crm.contacts.basic_api.get_by_id(contact_id, properties=["nps_score"]).properties
    value: str | None = props["nps_score"]
    return value


def _standard_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The body's `errors`, each checked to carry every field of HubSpot's StandardError (notes §13)."""
    for item in body["errors"]:
        assert {"status", "category", "message", "context", "errors", "links"} <= set(item)
        assert (item["status"], item["errors"], item["links"]) == ("error", [], {})
    assert body["numErrors"] == len(body["errors"])
    errors: list[dict[str, Any]] = body["errors"]
    return errors


class TestBatchWriteShape:
    """2026-09 batch create/update: 201/200 with `errors`; v3 and 2026-03 keep 207 (notes §4, §13)."""

    def test_2026_09_batch_update_with_failures_is_200_with_errors(self, client: hubspot.HubSpot) -> None:
        """One good record, one bad value, one missing id: 200, the good one lands, two errors."""
        body = {
            "inputs": [
                {"id": "301", "properties": {"nps_score": "9"}},
                {"id": "302", "properties": {"nps_score": "abc"}},
                {"id": "999", "properties": {"nps_score": "1"}},
            ]
        }
        status, answer = call(client, "POST", "/crm/objects/2026-09/contacts/batch/update", body)
        assert status == 200
        assert [r["id"] for r in answer["results"]] == ["301"]
        by_category = {e["category"]: e for e in _standard_errors(answer)}
        assert set(by_category) == {"VALIDATION_ERROR", "OBJECT_NOT_FOUND"}
        assert by_category["VALIDATION_ERROR"]["context"]["ids"] == ["302"]
        assert _score(client, "301") == "9"

    def test_2026_09_batch_create_with_failures_is_201_with_errors(self, client: hubspot.HubSpot) -> None:
        """Traced inputs (objectWriteTraceId), one invalid: 201, the other created, the error names its trace."""
        body = {
            "inputs": [
                {"objectWriteTraceId": "a", "properties": TASK},
                {"objectWriteTraceId": "b", "properties": {**TASK, "hs_task_priority": "URGENT"}},
            ]
        }
        status, answer = call(client, "POST", "/crm/objects/2026-09/tasks/batch/create", body)
        assert status == 201
        assert len(answer["results"]) == 1
        (error,) = _standard_errors(answer)
        assert error["context"]["objectWriteTraceId"] == ["b"]

    @pytest.mark.parametrize("version", ["v3", "2026-03"])
    def test_before_2026_09_partial_batches_are_207(self, client: hubspot.HubSpot, version: str) -> None:
        """v3 and 2026-03 answer 207 for the same partial batch update and create; entries are StandardErrors."""
        update = {"inputs": [{"id": "301", "properties": {"nps_score": "9"}}, {"id": "999", "properties": {}}]}
        status, answer = call(client, "POST", f"{PATHS[version]}/contacts/batch/update", update)
        assert status == 207
        assert answer["numErrors"] == 1
        _standard_errors(answer)  # the 207 items are full StandardErrors too
        create = {
            "inputs": [
                {"objectWriteTraceId": "a", "properties": TASK},
                {"objectWriteTraceId": "b", "properties": {**TASK, "hs_task_priority": "URGENT"}},
            ]
        }
        assert call(client, "POST", f"{PATHS[version]}/tasks/batch/create", create)[0] == 207

    @pytest.mark.parametrize("version", list(PATHS))
    def test_fully_successful_batches_carry_no_errors(self, client: hubspot.HubSpot, version: str) -> None:
        """All inputs valid: 200 / 201 without `errors` or `numErrors` on every family."""
        update = {"inputs": [{"id": "302", "properties": {"nps_score": "6"}}]}
        status, answer = call(client, "POST", f"{PATHS[version]}/contacts/batch/update", update)
        assert status == 200
        assert "errors" not in answer
        assert "numErrors" not in answer
        status, answer = call(
            client, "POST", f"{PATHS[version]}/tasks/batch/create", {"inputs": [{"properties": TASK}]}
        )
        assert status == 201
        assert "errors" not in answer

    def test_2026_09_untraced_batch_create_with_a_bad_value_fails_whole(self, client: hubspot.HubSpot) -> None:
        """Without objectWriteTraceIds a bad value still fails the whole create, as on v3 (notes §4)."""
        body = {"inputs": [{"properties": TASK}, {"properties": {**TASK, "hs_task_priority": "URGENT"}}]}
        status, answer = call(client, "POST", "/crm/objects/2026-09/tasks/batch/create", body)
        assert (status, answer["category"]) == (400, "VALIDATION_ERROR")

    def test_2026_09_batch_read_with_missing_ids_stays_207(self, client: hubspot.HubSpot) -> None:
        """Batch read keeps its 207 on 2026-09 (documented choice: the spec change names batch writes only)."""
        body = {"inputs": [{"id": "301"}, {"id": "999"}], "properties": ["email"]}
        status, answer = call(client, "POST", "/crm/objects/2026-09/contacts/batch/read", body)
        assert status == 207
        assert answer["errors"][0]["context"]["ids"] == ["999"]


class TestValidationRulesFrom202609:
    """A `required` rule refuses writes that leave the property empty, on 2026-09 only (changelog 11 Aug 2026)."""

    def test_create_without_the_property_is_400_naming_it(self, client: hubspot.HubSpot) -> None:
        """POST without nps_score: 400 VALIDATION_ERROR, HubSpot's error body, the property named."""
        status, body = call(client, "POST", "/crm/objects/2026-09/contacts", {"properties": {"email": "n@x.example"}})
        assert status == 400
        assert body["status"] == "error"
        assert body["category"] == "VALIDATION_ERROR"
        assert body["correlationId"]
        assert "nps_score" in body["message"]
        assert body["context"] == {"propertyName": ["nps_score"]}

    def test_rules_are_not_enforced_before_2026_09(self, client: hubspot.HubSpot) -> None:
        """v3 (through the typed SDK) and 2026-03 accept the same writes: HubSpot enforces rules from 2026-09."""
        assert client.crm.contacts.basic_api.create({"properties": {"email": "v3@x.example"}}).id
        client.crm.contacts.basic_api.update("301", {"properties": {"nps_score": ""}})
        create = {"properties": {"email": "d@x.example"}}
        assert call(client, "POST", "/crm/objects/2026-03/contacts", create)[0] == 201
        clear = {"properties": {"nps_score": ""}}
        assert call(client, "PATCH", "/crm/objects/2026-03/contacts/302", clear)[0] == 200
        batch = {"inputs": [{"properties": {"email": "e@x.example"}}]}
        assert call(client, "POST", "/crm/objects/2026-03/contacts/batch/create", batch)[0] == 201

    def test_patch_clearing_the_property_is_400(self, client: hubspot.HubSpot) -> None:
        """PATCH setting nps_score to "" is refused; the stored value stays."""
        client.crm.contacts.basic_api.update("301", {"properties": {"nps_score": "8"}})
        status, body = call(client, "PATCH", "/crm/objects/2026-09/contacts/301", {"properties": {"nps_score": ""}})
        assert (status, body["category"]) == (400, "VALIDATION_ERROR")
        assert _score(client, "301") == "8"

    def test_update_leaving_the_property_alone_passes(self, client: hubspot.HubSpot) -> None:
        """An update that does not touch an empty required property is accepted (documented choice)."""
        status, _ = call(client, "PATCH", "/crm/objects/2026-09/contacts/302", {"properties": {"firstname": "Kat"}})
        assert status == 200

    def test_batch_update_with_one_violation_lands_the_others(self, client: hubspot.HubSpot) -> None:
        """Validation is per record: the violating record is an `errors` item in the 200, the rest lands."""
        body = {
            "inputs": [
                {"id": "301", "properties": {"nps_score": ""}},
                {"id": "302", "properties": {"nps_score": "7"}},
            ]
        }
        status, answer = call(client, "POST", "/crm/objects/2026-09/contacts/batch/update", body)
        assert status == 200
        assert [r["id"] for r in answer["results"]] == ["302"]
        (error,) = _standard_errors(answer)
        assert error["category"] == "VALIDATION_ERROR"
        assert error["context"] == {"propertyName": ["nps_score"], "ids": ["301"]}
        assert _score(client, "302") == "7"

    def test_batch_create_with_one_violation_lands_the_others(self, client: hubspot.HubSpot) -> None:
        """Even without objectWriteTraceIds, a rule violation fails only its record: 201 with one error."""
        body = {
            "inputs": [
                {"properties": {"email": "ok@x.example", "nps_score": "10"}},
                {"properties": {"email": "bad@x.example"}},
            ]
        }
        status, answer = call(client, "POST", "/crm/objects/2026-09/contacts/batch/create", body)
        assert status == 201
        assert [r["properties"]["email"] for r in answer["results"]] == ["ok@x.example"]
        (error,) = _standard_errors(answer)
        assert error["context"] == {"propertyName": ["nps_score"]}

    def test_batch_upsert_with_one_violation_lands_the_others(self, client: hubspot.HubSpot) -> None:
        """Upsert by email: a new record without nps_score fails, an existing one updated lands."""
        body = {
            "inputs": [
                {"id": "bo@acme.example", "idProperty": "email", "properties": {"nps_score": "5"}},
                {"id": "new@x.example", "idProperty": "email", "properties": {"firstname": "New"}},
            ]
        }
        status, answer = call(client, "POST", "/crm/objects/2026-09/contacts/batch/upsert", body)
        assert status == 200
        assert [(r["id"], r["new"]) for r in answer["results"]] == [("301", False)]
        (error,) = _standard_errors(answer)
        assert error["context"]["ids"] == ["new@x.example"]
        assert _score(client, "301") == "5"

    def test_max_length_rule(self, make_sandbox: MakeSandbox) -> None:
        """A max_length rule refuses longer values on 2026-09 and lets v3 write them."""
        server = make_sandbox({**small_portal(), "validation_rules": [SHORT_NAME]})
        client = build_sdk(server)
        status, body = call(client, "PATCH", "/crm/objects/2026-09/companies/201", {"properties": {"name": "Acme Ltd"}})
        assert (status, body["category"]) == (400, "VALIDATION_ERROR")
        assert '"name":"name"' in body["message"]
        assert call(client, "PATCH", "/crm/objects/2026-09/companies/201", {"properties": {"name": "Acm"}})[0] == 200
        client.crm.companies.basic_api.update("201", {"properties": {"name": "Acme Ltd"}})
        assert client.crm.companies.basic_api.get_by_id("201").properties["name"] == "Acme Ltd"


class TestRulesAtRuntime:
    """POST /_sandbox/validation_rules switches rules on after `setup`; snapshot and --state keep them."""

    def test_rules_added_at_runtime_are_enforced(self, make_sandbox: MakeSandbox) -> None:
        """201 {"added": N}; then 2026-09 writes obey them; GET lists them; DELETE switches them off."""
        server = make_sandbox({**small_portal(), **nps_contact_properties()})
        client = build_sdk(server)
        create = {"properties": {"email": "x@x.example"}}
        assert call(client, "POST", "/crm/objects/2026-09/contacts", create)[0] == 201
        assert call(client, "POST", "/_sandbox/validation_rules", {"validation_rules": [REQUIRED_SCORE]}) == (
            201,
            {"added": 1},
        )
        assert call(client, "POST", "/crm/objects/2026-09/contacts", create)[0] == 400
        assert call(client, "GET", "/_sandbox/validation_rules") == (200, {"validation_rules": [REQUIRED_SCORE]})
        assert call(client, "DELETE", "/_sandbox/validation_rules") == (200, {"removed": 1})
        assert call(client, "POST", "/crm/objects/2026-09/contacts", create)[0] == 201

    @pytest.mark.parametrize(
        "rules",
        [
            "nope",
            [{"object_type": "widgets", "property": "x", "rule": "required"}],
            [{"object_type": "contacts", "property": "x", "rule": "regex"}],
            [{"object_type": "contacts", "property": "x", "rule": "max_length"}],
            [{"object_type": "contacts", "rule": "required"}],
        ],
    )
    def test_bad_rules_are_400(self, make_sandbox: MakeSandbox, rules: Any) -> None:
        """A rule the sandbox cannot read is refused with a message saying which entry, nothing added."""
        client = build_sdk(make_sandbox(small_portal()))
        status, body = call(client, "POST", "/_sandbox/validation_rules", {"validation_rules": rules})
        assert (status, body["category"]) == (400, "VALIDATION_ERROR")
        assert "validation_rules" in body["message"]
        assert call(client, "GET", "/_sandbox/validation_rules") == (200, {"validation_rules": []})

    def test_snapshot_round_trips_rules(self, make_sandbox: MakeSandbox) -> None:
        """GET /_sandbox/snapshot carries the rules in the fixture shape; loading it back keeps them."""
        client = build_sdk(make_sandbox({**small_portal(), "validation_rules": [REQUIRED_SCORE]}))
        call(client, "POST", "/_sandbox/validation_rules", {"validation_rules": [SHORT_NAME]})
        snap = call(client, "GET", "/_sandbox/snapshot")[1]
        assert snap["validation_rules"] == [REQUIRED_SCORE, SHORT_NAME]
        assert snapshot(load_portal(snap))["validation_rules"] == [REQUIRED_SCORE, SHORT_NAME]

    def test_state_file_keeps_runtime_rules(self, make_sandbox: MakeSandbox, tmp_path: Path) -> None:
        """Rules added at runtime survive a restart with --state."""
        state = tmp_path / "state.json"
        first = make_sandbox(small_portal(), state_file=state)
        call(build_sdk(first), "POST", "/_sandbox/validation_rules", {"validation_rules": [SHORT_NAME]})
        first.sandbox.save_state()
        assert json.loads(state.read_text())["validation_rules"] == [SHORT_NAME]
        second = build_sdk(make_sandbox(small_portal(), state_file=state))
        assert call(second, "GET", "/_sandbox/validation_rules") == (200, {"validation_rules": [SHORT_NAME]})

    def test_reset_goes_back_to_the_fixture_rules(self, make_sandbox: MakeSandbox) -> None:
        """POST /_sandbox/reset drops runtime rules and keeps the fixture's."""
        client = build_sdk(make_sandbox({**small_portal(), "validation_rules": [REQUIRED_SCORE]}))
        call(client, "POST", "/_sandbox/validation_rules", {"validation_rules": [SHORT_NAME]})
        call(client, "POST", "/_sandbox/reset")
        assert call(client, "GET", "/_sandbox/validation_rules") == (200, {"validation_rules": [REQUIRED_SCORE]})

    def test_fixture_with_a_bad_rule_is_a_fixture_error(self) -> None:
        """A fixture rule the sandbox cannot read fails the load, naming the entry."""
        with pytest.raises(FixtureError, match=r"validation_rules\[0\]\.rule"):
            load_portal({"validation_rules": [{"object_type": "contacts", "property": "x", "rule": "sometimes"}]})


def _task_with(type_id: Any) -> dict[str, Any]:
    association = {
        "to": {"id": "302"},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }
    return {"properties": TASK, "associations": [association]}


class TestAssociationTypeIds:
    """Numeric type ids work on every family; from 2026-09 a legacy name is a 400 (notes §13)."""

    @pytest.mark.parametrize("version", list(PATHS))
    @pytest.mark.parametrize("type_id", [204, "204"])
    def test_numeric_type_ids_are_accepted_everywhere(
        self, client: hubspot.HubSpot, version: str, type_id: Any
    ) -> None:
        """204 (task to contact), as a number or a digit string, associates on create."""
        status, task = call(client, "POST", f"{PATHS[version]}/tasks", _task_with(type_id))
        assert status == 201
        assoc = client.crm.associations.v4.basic_api.get_page("tasks", task["id"], "contacts")
        assert [str(r.to_object_id) for r in assoc.results] == ["302"]

    @pytest.mark.parametrize("name", ["task_to_contact", "contact_to_company", "Primary", "204a"])
    def test_names_are_400_on_2026_09(self, client: hubspot.HubSpot, name: str) -> None:
        """A legacy name or any non-numeric string: 400 VALIDATION_ERROR, nothing created."""
        status, body = call(client, "POST", "/crm/objects/2026-09/tasks", _task_with(name))
        assert (status, body["category"]) == (400, "VALIDATION_ERROR")
        assert "2026-09" in body["message"]
        assert client.crm.objects.tasks.basic_api.get_page().results == []

    @pytest.mark.parametrize("version", ["v3", "2026-03"])
    def test_legacy_names_still_work_before_2026_09(self, client: hubspot.HubSpot, version: str) -> None:
        """Before 2026-09 a known legacy name stands for its id; an unknown string is a 400, not a crash."""
        assert call(client, "POST", f"{PATHS[version]}/tasks", _task_with("task_to_contact"))[0] == 201
        status, body = call(client, "POST", f"{PATHS[version]}/tasks", _task_with("nonsense"))
        assert (status, body["category"]) == (400, "VALIDATION_ERROR")


class TestSdkV3Unchanged:
    """The numbered family answers as it always did, through the typed SDK."""

    def test_v3_batch_update_still_207_through_the_sdk(self, client: hubspot.HubSpot) -> None:
        """The SDK's 207 model with errors (notes §5), and no validation rule in the way on v3."""
        result = client.crm.contacts.batch_api.update(
            {"inputs": [{"id": "301", "properties": {"nps_score": ""}}, {"id": "999", "properties": {}}]}
        )
        assert [r.id for r in result.results] == ["301"]
        assert [e.category for e in result.errors] == ["OBJECT_NOT_FOUND"]

    def test_v3_create_error_still_raises(self, client: hubspot.HubSpot) -> None:
        """A bad value on v3 is still a 400 the SDK raises."""
        with pytest.raises(ContactsApiException) as info:
            client.crm.contacts.basic_api.create({"properties": {"nps_score": "abc"}})
        assert info.value.status == 400


@pytest.mark.parametrize("version", DATED_VERSIONS)
def test_dated_writes_count_as_writes(make_sandbox: MakeSandbox, version: str) -> None:
    """A write on a date-based path counts in `writes` like any other (DESIGN stats)."""
    client = build_sdk(make_sandbox({**small_portal(), **nps_contact_properties()}))
    call(client, "PATCH", f"/crm/objects/{version}/contacts/301", {"properties": {"nps_score": "3"}})
    assert call(client, "GET", "/_sandbox/stats")[1]["writes"] == 1
