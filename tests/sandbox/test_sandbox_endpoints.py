"""Sandbox-only endpoints, snapshots and the --state file (DESIGN "Sandbox-only endpoints", fixture format)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hubspot
import pytest

from connector.sandbox.fixture import load_portal, snapshot
from connector.sandbox.server import SandboxHTTPServer, SandboxOptions, serve_in_thread
from tests.conftest import TEST_OPTIONS, TOKEN, MakeSandbox, RawResponse, build_sdk, raw_request
from tests.sandbox import nps_contact_properties, small_portal

Raw = Callable[..., RawResponse]
ASSOC = "HUBSPOT_DEFINED"


def _write_some(client: hubspot.HubSpot) -> str:
    """A little of every kind of write; returns the new task's id."""
    client.crm.properties.core_api.create(
        "companies",
        {
            "name": "nps_company_score",
            "label": "Company NPS",
            "type": "number",
            "fieldType": "number",
            "groupName": "companyinformation",
        },
    )
    client.crm.companies.basic_api.update("201", {"properties": {"nps_company_score": "33.3"}})
    client.crm.contacts.batch_api.update(
        {"inputs": [{"id": "301", "properties": {"nps_score": "9", "nps_category": "promoter"}}]}
    )
    task = client.crm.objects.tasks.basic_api.create(
        {
            "properties": {"hs_timestamp": "2026-10-03T10:00:00.000Z", "hs_task_subject": "Call", "hs_task_body": "x"},
            "associations": [
                {"to": {"id": "302"}, "types": [{"associationCategory": ASSOC, "associationTypeId": 204}]},
                {"to": {"id": "202"}, "types": [{"associationCategory": ASSOC, "associationTypeId": 192}]},
            ],
        }
    )
    return str(task.id)


def _without_load_times(snap: dict[str, Any]) -> dict[str, Any]:
    """A snapshot minus the dates a load fills in with "now" (records whose fixture gives none)."""
    for key in ("contacts", "companies"):
        for item in snap[key]:
            for name in ("createdate", "lastmodifieddate", "hs_lastmodifieddate"):
                item["properties"].pop(name, None)
    return snap


class TestStats:
    """GET /_sandbox/stats (DESIGN)."""

    def test_stats_format(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """Exactly calls, writes, throttled, by_route (HubSpot route templates) and one key per fault kind (DESIGN)."""
        server = make_sandbox({**small_portal(), **nps_contact_properties()})
        client = build_sdk(server)
        client.crm.contacts.basic_api.get_page()
        client.crm.contacts.basic_api.get_by_id("301")
        client.crm.objects.feedback_submissions.search_api.do_search({})
        client.crm.owners.owners_api.get_page()
        client.crm.contacts.batch_api.update({"inputs": [{"id": "301", "properties": {"nps_score": "1"}}]})
        client.crm.associations.v4.batch_api.get_page("contacts", "companies", {"inputs": [{"id": "301"}]})
        stats = raw(server, "GET", "/_sandbox/stats").json
        assert stats == {
            "calls": 6,
            "writes": 1,
            "throttled": 0,
            "by_route": {
                "GET /crm/v3/objects/{objectType}": 1,
                "GET /crm/v3/objects/{objectType}/{objectId}": 1,
                "POST /crm/v3/objects/{objectType}/search": 1,
                "GET /crm/v3/owners/": 1,
                "POST /crm/v3/objects/{objectType}/batch/update": 1,
                "POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read": 1,
            },
            "faults": {"429": 0, "500": 0, "502": 0, "reset": 0, "lost": 0, "slow": 0},
        }

    def test_writes_count_applied_requests_once(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """`writes` counts each applied request once, a partial 207 too, a refused one not (DESIGN)."""
        server = make_sandbox({**small_portal(), **nps_contact_properties()})
        client = build_sdk(server)
        inputs = [{"id": str(i), "properties": {"nps_score": "5"}} for i in (301, 302, 307)]
        client.crm.contacts.batch_api.update({"inputs": inputs})
        client.crm.contacts.batch_api.update({"inputs": [*inputs[:1], {"id": "999", "properties": {"nps_score": "1"}}]})
        with pytest.raises(Exception):  # noqa: B017 - any refusal: the SDK raises its package's ApiException
            client.crm.contacts.basic_api.update("301", {"properties": {"nps_score": "abc"}})
        client.crm.contacts.batch_api.update({"inputs": [{"id": "999", "properties": {"nps_score": "1"}}]})
        stats = raw(server, "GET", "/_sandbox/stats").json
        assert (stats["calls"], stats["writes"]) == (4, 2)

    def test_schemas_endpoint(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """GET /crm/v3/schemas answers an empty list: no custom objects (DESIGN; notes §12)."""
        resp = raw(make_sandbox(), "GET", "/crm/v3/schemas")
        assert (resp.status, resp.json) == (200, {"results": []})


class TestAddSubmissions:
    """POST /_sandbox/feedback_submissions: how answers arrive (DESIGN)."""

    def test_added_submissions_get_current_times_and_contact_links(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """201 {"added": N}; ids kept; hs_createdate/hs_lastmodifieddate are now; hs_contact_id and association set."""
        server = make_sandbox(small_portal())
        before = time.time() * 1000
        resp = raw(
            server,
            "POST",
            "/_sandbox/feedback_submissions",
            {
                "feedback_submissions": [
                    {
                        "id": "9001",
                        "contact_id": "302",
                        "properties": {
                            "hs_survey_type": "NPS",
                            "hs_value": "2",
                            "hs_submission_timestamp": "2026-09-30T10:00:00Z",
                        },
                    },
                    {"properties": {"hs_survey_type": "NPS", "hs_value": "10"}},
                ]
            },
        )
        after = time.time() * 1000
        assert (resp.status, resp.json) == (201, {"added": 2})
        client = build_sdk(server)
        rec = client.crm.objects.feedback_submissions.basic_api.get_by_id(
            "9001", properties=["hs_contact_id", "hs_value", "hs_submission_timestamp"], associations=["contacts"]
        )
        assert rec.properties["hs_contact_id"] == "302"
        assert rec.properties["hs_submission_timestamp"] == "2026-09-30T10:00:00Z"
        assert [a.id for a in rec.associations["contacts"].results] == ["302"]
        assert before - 1 <= rec.updated_at.timestamp() * 1000 <= after + 1
        assert before - 1 <= rec.created_at.timestamp() * 1000 <= after + 1
        found = client.crm.objects.feedback_submissions.search_api.do_search(
            {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(int(before) - 1)}
                        ]
                    }
                ]
            }
        )
        assert found.total == 2

    def test_given_times_are_kept(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """Times given in the body are kept ("unless given", DESIGN)."""
        server = make_sandbox(small_portal())
        props = {
            "hs_value": "5",
            "hs_createdate": "2026-01-01T00:00:00.000Z",
            "hs_lastmodifieddate": "2026-01-02T00:00:00.000Z",
        }
        raw(
            server,
            "POST",
            "/_sandbox/feedback_submissions",
            {"feedback_submissions": [{"id": "9002", "properties": props}]},
        )
        rec = build_sdk(server).crm.objects.feedback_submissions.basic_api.get_by_id("9002")
        assert rec.properties["hs_createdate"] == "2026-01-01T00:00:00.000Z"
        assert rec.properties["hs_lastmodifieddate"] == "2026-01-02T00:00:00.000Z"

    def test_unknown_contact_is_400(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """A submission naming a contact that does not exist is refused (DESIGN fixture rules)."""
        server = make_sandbox(small_portal())
        body = {"feedback_submissions": [{"id": "9003", "contact_id": "999", "properties": {"hs_value": "1"}}]}
        assert raw(server, "POST", "/_sandbox/feedback_submissions", body).status == 400

    def test_added_submissions_respect_search_lag(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """New answers reach search only after the lag, like any new record (DESIGN --search-lag-ms)."""
        server = make_sandbox(small_portal(), search_lag_ms=300)
        raw(
            server,
            "POST",
            "/_sandbox/feedback_submissions",
            {"feedback_submissions": [{"id": "9004", "properties": {"hs_value": "1"}}]},
        )
        search = build_sdk(server).crm.objects.feedback_submissions.search_api
        assert search.do_search({}).total == 5
        time.sleep(0.4)
        assert search.do_search({}).total == 6

    def test_not_counted_as_api_calls(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """/_sandbox/* are not HubSpot-API calls (DESIGN stats)."""
        server = make_sandbox(small_portal())
        raw(
            server,
            "POST",
            "/_sandbox/feedback_submissions",
            {"feedback_submissions": [{"properties": {"hs_value": "1"}}]},
        )
        assert raw(server, "GET", "/_sandbox/stats").json["calls"] == 0


class TestResetAndSnapshot:
    """POST /_sandbox/reset and GET /_sandbox/snapshot (DESIGN)."""

    def test_reset_returns_to_the_fixture_and_zeroes_stats(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """Reset drops every write and the counters; undated fixture records get the reload time (DESIGN)."""
        fixture = {**small_portal(), **nps_contact_properties()}
        server = make_sandbox(fixture)
        original = raw(server, "GET", "/_sandbox/snapshot").json
        _write_some(build_sdk(server))
        assert raw(server, "GET", "/_sandbox/snapshot").json != original
        assert raw(server, "POST", "/_sandbox/reset").status == 200
        assert _without_load_times(raw(server, "GET", "/_sandbox/snapshot").json) == _without_load_times(original)
        assert raw(server, "GET", "/_sandbox/stats").json["calls"] == 0

    def test_snapshot_loads_back_to_an_identical_portal(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """The snapshot is a fixture: loading it gives the same portal, tasks and properties included (DESIGN)."""
        server = make_sandbox({**small_portal(), **nps_contact_properties()})
        task_id = _write_some(build_sdk(server))
        snap = raw(server, "GET", "/_sandbox/snapshot").json
        assert snapshot(load_portal(snap)) == snap
        task = next(t for t in snap["tasks"] if t["id"] == task_id)
        assert task["associations"] == {"contacts": ["302"], "companies": ["202"]}
        assert {d["name"] for d in snap["property_definitions"]["companies"]} == {"nps_company_score"}

    def test_snapshot_of_a_demo_portal_round_trips(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """Merges, deletions and anonymous answers survive a snapshot round trip (DESIGN fixture format)."""
        from connector.sandbox.demo import generate_portal

        server = make_sandbox(generate_portal(300, seed=4))
        snap = raw(server, "GET", "/_sandbox/snapshot").json
        assert snap["merges"]
        assert snapshot(load_portal(snap)) == snap

    def test_reloaded_snapshot_serves_the_same_answers(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """A sandbox started from a snapshot answers reads like the original (DESIGN)."""
        server = make_sandbox(small_portal())
        again = make_sandbox(raw(server, "GET", "/_sandbox/snapshot").json)

        def view(target: SandboxHTTPServer) -> list[Any]:
            client = build_sdk(target)
            return [
                client.crm.contacts.basic_api.get_by_id("305", properties=["hs_merged_object_ids"]).to_dict(),
                client.crm.associations.v4.basic_api.get_page("contacts", "301", "companies").to_dict(),
                client.crm.objects.feedback_submissions.basic_api.get_by_id(
                    "403", properties=["hs_contact_id"]
                ).to_dict(),
            ]

        assert view(server) == view(again)


class TestStateFile:
    """`--state FILE` keeps the portal across restarts (DESIGN sandbox command)."""

    def test_writes_survive_a_restart(self, tmp_path: Path) -> None:
        """A second sandbox on the same state file serves the first one's writes (DESIGN --state)."""
        state = tmp_path / "portal.json"
        fixture: dict[str, Any] = {
            **small_portal(),
            **nps_contact_properties(),
            "tokens": [{"token": "reader", "scopes": ["crm.objects.contacts.read"]}],
        }
        # A tokens list admits only its tokens and --token (issue 10), so the SDK's token is --token.
        options = SandboxOptions(**{**TEST_OPTIONS, "state_file": state, "token": TOKEN})
        with serve_in_thread(fixture, options) as first:
            task_id = _write_some(build_sdk(first))
            raw_request(
                first,
                "POST",
                "/_sandbox/feedback_submissions",
                {"feedback_submissions": [{"id": "9100", "contact_id": "307", "properties": {"hs_value": "3"}}]},
            )
            before = raw_request(first, "GET", "/_sandbox/snapshot").json
        assert state.exists()
        with serve_in_thread(small_portal(), options) as second:
            client = build_sdk(second)
            assert (
                client.crm.contacts.basic_api.get_by_id("301", properties=["nps_score"]).properties["nps_score"] == "9"
            )
            assert client.crm.objects.tasks.basic_api.get_by_id(task_id).id == task_id
            assert client.crm.objects.feedback_submissions.basic_api.get_by_id("9100").id == "9100"
            assert raw_request(second, "GET", "/crm/v3/objects/contacts", token="reader").status == 200
            assert raw_request(second, "GET", "/_sandbox/snapshot").json == before
            new_task = client.crm.objects.tasks.basic_api.create({"properties": {"hs_timestamp": "1790848800000"}})
            assert int(new_task.id) > int(task_id)

    def test_without_writes_no_state_file(self, tmp_path: Path) -> None:
        """Nothing is written while nothing changed (DESIGN --state)."""
        state = tmp_path / "portal.json"
        with serve_in_thread(small_portal(), SandboxOptions(**{**TEST_OPTIONS, "state_file": state})) as server:
            build_sdk(server).crm.contacts.basic_api.get_page()
        assert not state.exists()
