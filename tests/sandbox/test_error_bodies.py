"""Every error the sandbox sends is HubSpot's Error body, on every route and version (issue 10, step 1).

HubSpot's Error schema (notes §4, §13; `hubspot-sdk` `types/shared/error_data.py`) requires `category`,
`correlationId` and `message`, and HubSpot sends `status: "error"`; batch `errors[]` entries are
StandardErrors; `paging.next.link` is a string or absent, never null.
"""

from __future__ import annotations

from typing import Any

import pytest

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import TOKEN, MakeSandbox, raw_request
from tests.sandbox import (
    PREFIXES,
    VERSION_NAMES,
    assert_error_body,
    assert_standard_errors,
    nps_contact_properties,
    send_bytes,
    small_portal,
)

TASK = {"hs_timestamp": "2026-10-03T10:00:00.000Z"}


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    return make_module_sandbox({**small_portal(), **nps_contact_properties()}, token=TOKEN)


def _json(server: SandboxHTTPServer, method: str, path: str, data: bytes | None) -> tuple[int, Any]:
    import json

    status, _, body = send_bytes(server, method, path, data)
    return status, json.loads(body) if body else None


@pytest.mark.parametrize("version", VERSION_NAMES)
class TestTransportErrors:
    """400 invalid JSON, 404 and 405 no route: each with a category."""

    def test_invalid_json_is_400_validation_error(self, server: SandboxHTTPServer, version: str) -> None:
        """A body that is not JSON: 400 VALIDATION_ERROR (notes §2 error shapes, plus the required category)."""
        path = PREFIXES[version]["objects"] + "/contacts/search"
        status, body = _json(server, "POST", path, b'{"filterGroups": [')
        assert status == 400
        assert_error_body(body)
        assert body["category"] == "VALIDATION_ERROR"
        assert body["message"].startswith("Invalid input JSON")

    def test_unknown_path_is_404_object_not_found(self, server: SandboxHTTPServer, version: str) -> None:
        """A path no route serves: 404 OBJECT_NOT_FOUND."""
        status, body = _json(server, "GET", PREFIXES[version]["objects"] + "/contacts/301/no/such/thing", None)
        assert status == 404
        assert_error_body(body)
        assert body["category"] == "OBJECT_NOT_FOUND"

    def test_known_path_other_method_is_405_with_category(self, server: SandboxHTTPServer, version: str) -> None:
        """A known path with a method it does not serve: 405 with the full error body."""
        status, body = _json(server, "PUT", PREFIXES[version]["objects"] + "/contacts", b"{}")
        assert status == 405
        assert_error_body(body)


@pytest.mark.parametrize("version", VERSION_NAMES)
class TestRateLimitBodies:
    """Every 429 policy keeps `policyName` and `errorType` and carries a category (notes §3)."""

    def test_ten_secondly_rolling(self, make_sandbox: MakeSandbox, version: str) -> None:
        """The burst limit's 429."""
        server = make_sandbox(small_portal(), rate_limit=1, time_scale=0.01)
        path = PREFIXES[version]["objects"] + "/contacts"
        assert raw_request(server, "GET", path).status == 200
        resp = raw_request(server, "GET", path)
        self._check(resp.status, resp.json, "TEN_SECONDLY_ROLLING")

    def test_secondly(self, make_sandbox: MakeSandbox, version: str) -> None:
        """The search limit's 429."""
        server = make_sandbox(small_portal(), search_rate_limit=1, time_scale=0.01)
        path = PREFIXES[version]["objects"] + "/contacts/search"
        assert raw_request(server, "POST", path, {}).status == 200
        resp = raw_request(server, "POST", path, {})
        self._check(resp.status, resp.json, "SECONDLY")

    def test_daily(self, make_sandbox: MakeSandbox, version: str) -> None:
        """The daily limit's 429."""
        server = make_sandbox(small_portal(), daily_limit=1)
        path = PREFIXES[version]["owners"]
        assert raw_request(server, "GET", path).status == 200
        resp = raw_request(server, "GET", path)
        self._check(resp.status, resp.json, "DAILY")

    @staticmethod
    def _check(status: int, body: Any, policy: str) -> None:
        assert status == 429
        assert_error_body(body)
        assert (body["category"], body["errorType"], body["policyName"]) == ("RATE_LIMITS", "RATE_LIMIT", policy)


@pytest.mark.parametrize("version", VERSION_NAMES)
@pytest.mark.parametrize("kind", ["429", "500", "502"])
def test_injected_faults_have_full_bodies(make_sandbox: MakeSandbox, version: str, kind: str) -> None:
    """Fault-injected 429/500/502 carry the full error body (DESIGN fault spec; notes §4)."""
    server = make_sandbox(small_portal(), faults=f"{kind}=1")
    resp = raw_request(server, "GET", PREFIXES[version]["objects"] + "/contacts")
    assert resp.status == int(kind)
    assert_error_body(resp.json)
    if kind == "429":
        assert resp.json["policyName"] == "TEN_SECONDLY_ROLLING"


@pytest.mark.parametrize("version", VERSION_NAMES)
class TestMultiStatusEntries:
    """Batch `errors[]` entries are full StandardErrors on every version (notes §4, §13)."""

    def test_batch_read_with_a_missing_id(self, server: SandboxHTTPServer, version: str) -> None:
        """Batch read with a missing id: the OBJECT_NOT_FOUND entry."""
        body = {"inputs": [{"id": "301"}, {"id": "999"}], "properties": ["email"]}
        resp = raw_request(server, "POST", PREFIXES[version]["objects"] + "/contacts/batch/read", body)
        assert resp.status == 207
        assert_standard_errors(resp.json)

    def test_batch_update_with_a_bad_value(self, server: SandboxHTTPServer, version: str) -> None:
        """Batch update with one bad value: the VALIDATION_ERROR entry."""
        body = {"inputs": [{"id": "302", "properties": {"nps_score": "x"}}, {"id": "307", "properties": {}}]}
        resp = raw_request(server, "POST", PREFIXES[version]["objects"] + "/contacts/batch/update", body)
        assert resp.status == (200 if version == "2026-09" else 207)
        assert_standard_errors(resp.json)

    def test_batch_create_with_one_bad_input(self, server: SandboxHTTPServer, version: str) -> None:
        """Traced batch create with one bad input: the entry echoes the trace id."""
        body = {
            "inputs": [
                {"objectWriteTraceId": "a", "properties": TASK},
                {"objectWriteTraceId": "b", "properties": {**TASK, "hs_task_priority": "URGENT"}},
            ]
        }
        resp = raw_request(server, "POST", PREFIXES[version]["objects"] + "/tasks/batch/create", body)
        assert resp.status == (201 if version == "2026-09" else 207)
        assert_standard_errors(resp.json)
        assert resp.json["errors"][0]["context"]["objectWriteTraceId"] == ["b"]

    def test_association_batch_read_without_associations(self, server: SandboxHTTPServer, version: str) -> None:
        """v4 batch read: NO_ASSOCIATIONS_FOUND entries, `subCategory` a string (docs/hubspot-behaviour.md)."""
        body = {"inputs": [{"id": "302"}, {"id": "307"}]}
        resp = raw_request(server, "POST", PREFIXES[version]["associations"] + "/contacts/companies/batch/read", body)
        assert resp.status == 207
        assert_standard_errors(resp.json)
        assert resp.json["errors"][0]["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"


def _links(value: Any) -> list[Any]:
    """Every `link` found under a `paging.next` anywhere in a body."""
    found: list[Any] = []
    if isinstance(value, dict):
        nxt = (value.get("paging") or {}).get("next") if isinstance(value.get("paging"), dict) else None
        if isinstance(nxt, dict) and "link" in nxt:
            found.append(nxt["link"])
        for child in value.values():
            found += _links(child)
    elif isinstance(value, list):
        for child in value:
            found += _links(child)
    return found


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_paging_next_link_is_never_null(server: SandboxHTTPServer, version: str) -> None:
    """Search, list, v4 association and owners paging: `link` a string or left out (Spec NextPage)."""
    prefix = PREFIXES[version]
    answers = [
        raw_request(server, "POST", prefix["objects"] + "/contacts/search", {"limit": 1}).json,
        raw_request(server, "GET", prefix["objects"] + "/contacts?limit=1").json,
        raw_request(server, "GET", prefix["owners"] + "?limit=1").json,
        raw_request(server, "GET", prefix["object_associations"] + "/contacts/302/associations/companies?limit=1").json,
    ]
    for answer in answers:
        assert answer["paging"]["next"]["after"]
    links = _links(answers)
    assert links
    assert all(isinstance(link, str) for link in links)
    assert "link" not in answers[0]["paging"]["next"]  # the search guide's paging carries `after` only
