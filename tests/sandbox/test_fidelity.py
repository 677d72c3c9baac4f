"""Smaller fidelity points of issue 10 (step 5): trace ids, standard object types, archived definitions."""

from __future__ import annotations

from typing import Any

import hubspot
import pytest

from connector.sandbox.server import SandboxHTTPServer
from connector.sandbox.standard_types import STANDARD_TYPES
from tests.conftest import TOKEN, MakeSandbox, build_sdk, raw_request
from tests.sandbox import PREFIXES, VERSION_NAMES, nps_contact_properties, small_portal

TASK = {"hs_timestamp": "2026-10-03T10:00:00.000Z"}


def _portal() -> dict[str, Any]:
    fixture = {**small_portal(), **nps_contact_properties()}
    gone = {"name": "old_score", "label": "Old", "type": "number", "fieldType": "number", "groupName": "nps"}
    fixture["property_definitions"]["contacts"].append({**gone, "archived": True})  # a deleted property
    return fixture


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    return make_module_sandbox(_portal(), token=TOKEN)


@pytest.mark.parametrize("version", VERSION_NAMES)
class TestObjectWriteTraceId:
    """SimplePublicObject.objectWriteTraceId: batch results echo their input's trace id (HubSpot reference)."""

    def test_batch_create_echoes_trace_ids(self, server: SandboxHTTPServer, version: str) -> None:
        """Each created result carries the trace id of its input; untraced results carry none."""
        body = {
            "inputs": [
                {"objectWriteTraceId": f"t-{i}", "properties": {**TASK, "hs_task_body": str(i)}} for i in range(3)
            ]
        }
        resp = raw_request(server, "POST", PREFIXES[version]["objects"] + "/tasks/batch/create", body)
        assert resp.status == 201
        traces = {r["properties"]["hs_task_body"]: r["objectWriteTraceId"] for r in resp.json["results"]}
        assert traces == {"0": "t-0", "1": "t-1", "2": "t-2"}
        plain = raw_request(
            server, "POST", PREFIXES[version]["objects"] + "/tasks/batch/create", {"inputs": [{"properties": TASK}]}
        )
        assert "objectWriteTraceId" not in plain.json["results"][0]

    def test_batch_update_echoes_trace_ids(self, server: SandboxHTTPServer, version: str) -> None:
        """Batch update results echo trace ids too."""
        body = {"inputs": [{"id": "301", "objectWriteTraceId": "u-1", "properties": {"nps_score": "8"}}]}
        resp = raw_request(server, "POST", PREFIXES[version]["objects"] + "/contacts/batch/update", body)
        assert resp.json["results"][0]["objectWriteTraceId"] == "u-1"


@pytest.mark.parametrize("version", VERSION_NAMES)
@pytest.mark.parametrize("standard", STANDARD_TYPES, ids=lambda t: t.name)
def test_standard_types_have_properties(server: SandboxHTTPServer, version: str, standard: Any) -> None:
    """GET properties/{type} answers 200 for HubSpot's standard types, with at least their default names."""
    prefix = PREFIXES[version]["properties"]
    for name in (standard.name, standard.type_id):
        resp = raw_request(server, "GET", f"{prefix}/{name}")
        assert resp.status == 200, resp.json
        assert {p["name"] for p in resp.json["results"]} == {n for n, _ in standard.properties}
        assert all(p["hubspotDefined"] for p in resp.json["results"])
    one = standard.properties[-1][0]
    assert raw_request(server, "GET", f"{prefix}/{standard.name}/{one}").json["name"] == one
    groups = raw_request(server, "GET", f"{prefix}/{standard.name}/groups").json["results"]
    assert [g["name"] for g in groups] == [standard.group[0]]


def test_standard_types_through_the_sdk(server: SandboxHTTPServer) -> None:
    """What third-party clients do at start-up: list properties of every standard type (issue 10)."""
    client: hubspot.HubSpot = build_sdk(server)
    for standard in STANDARD_TYPES:
        assert client.crm.properties.core_api.get_all(standard.name).results


def test_unknown_type_is_still_400(server: SandboxHTTPServer) -> None:
    """A type HubSpot does not have: 400 "Unable to infer object type" as before."""
    resp = raw_request(server, "GET", "/crm/v3/properties/spaceships")
    assert (resp.status, resp.json["category"]) == (400, "VALIDATION_ERROR")


@pytest.mark.parametrize("version", VERSION_NAMES)
class TestArchivedDefinitions:
    """archived=true returns only archived definitions (Spec: "return only results that have been archived")."""

    def test_list(self, server: SandboxHTTPServer, version: str) -> None:
        """The default list leaves the deleted property out; archived=true lists it alone."""
        path = PREFIXES[version]["properties"] + "/contacts"
        live = {p["name"] for p in raw_request(server, "GET", path).json["results"]}
        assert "old_score" not in live
        assert "nps_score" in live
        archived = raw_request(server, "GET", path + "?archived=true").json["results"]
        assert [(p["name"], p["archived"]) for p in archived] == [("old_score", True)]

    def test_get(self, server: SandboxHTTPServer, version: str) -> None:
        """By name: the archived property only with archived=true, a live one only without."""
        path = PREFIXES[version]["properties"] + "/contacts"
        assert raw_request(server, "GET", path + "/old_score").status == 404
        assert raw_request(server, "GET", path + "/old_score?archived=true").status == 200
        assert raw_request(server, "GET", path + "/nps_score?archived=true").status == 404


def test_archived_definitions_survive_a_snapshot(make_sandbox: MakeSandbox) -> None:
    """A snapshot keeps a deleted property deleted (DESIGN: the snapshot loads back as a fixture)."""
    server = make_sandbox(_portal())
    again = make_sandbox(raw_request(server, "GET", "/_sandbox/snapshot").json)
    assert raw_request(again, "GET", "/crm/v3/properties/contacts/old_score?archived=true").status == 200
