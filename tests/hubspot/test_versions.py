"""API versions at the HubSpot layer: where each operation is sent, and the 2026-09 batch shape.

The expected paths are written out here from HubSpot's API reference for each version, not
derived from `connector.hubspot.versions`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import hubspot.crm.objects
import pytest
from dateutil.parser import isoparse

from connector.errors import ConfigError
from connector.hubspot import HubSpotClient, RecordFailure, TaskInput
from connector.hubspot.retry import RetryPolicy
from connector.hubspot.versions import VERSIONS, api_factory, api_version
from tests.fakes import FakeClock
from tests.hubspot.test_hubspot_client import TOKEN, Reply, Seen, StubHubSpot, page, record

# operation -> (call, the path on v3, on 2026-03, on 2026-09)
Call = Callable[[HubSpotClient], object]
OPERATIONS: dict[str, tuple[Call, str, str, str]] = {
    "list": (
        lambda c: c.list_objects("feedback_submissions", ["hs_value"]),
        "/crm/v3/objects/feedback_submissions",
        "/crm/objects/2026-03/feedback_submissions",
        "/crm/objects/2026-09/feedback_submissions",
    ),
    "get": (
        lambda c: c.get_object("contacts", "301", ["email"]),
        "/crm/v3/objects/contacts/301",
        "/crm/objects/2026-03/contacts/301",
        "/crm/objects/2026-09/contacts/301",
    ),
    "search": (
        lambda c: c.search("contacts", [{"filters": []}], properties=["email"], limit=10),
        "/crm/v3/objects/contacts/search",
        "/crm/objects/2026-03/contacts/search",
        "/crm/objects/2026-09/contacts/search",
    ),
    "batch read": (
        lambda c: c.batch_read("companies", ["201"], ["name"]),
        "/crm/v3/objects/companies/batch/read",
        "/crm/objects/2026-03/companies/batch/read",
        "/crm/objects/2026-09/companies/batch/read",
    ),
    "batch update": (
        lambda c: c.batch_update("companies", {"201": {"name": "x"}}),
        "/crm/v3/objects/companies/batch/update",
        "/crm/objects/2026-03/companies/batch/update",
        "/crm/objects/2026-09/companies/batch/update",
    ),
    "associations": (
        lambda c: c.associations("contacts", "companies", ["301"]),
        "/crm/v4/associations/contacts/companies/batch/read",
        "/crm/associations/2026-03/contacts/companies/batch/read",
        "/crm/associations/2026-09/contacts/companies/batch/read",
    ),
    "owners": (
        lambda c: c.list_owners(),
        "/crm/v3/owners/",
        "/crm/owners/2026-03",
        "/crm/owners/2026-09",
    ),
    "properties": (
        lambda c: c.list_properties("contacts"),
        "/crm/v3/properties/contacts",
        "/crm/properties/2026-03/contacts",
        "/crm/properties/2026-09/contacts",
    ),
    "groups": (
        lambda c: c.list_property_groups("contacts"),
        "/crm/v3/properties/contacts/groups",
        "/crm/properties/2026-03/contacts/groups",
        "/crm/properties/2026-09/contacts/groups",
    ),
    "task create": (
        lambda c: c.create_tasks([TaskInput(properties={"hs_task_body": "b"}, contact_id="301")]),
        "/crm/v3/objects/tasks/batch/create",
        "/crm/objects/2026-03/tasks/batch/create",
        "/crm/objects/2026-09/tasks/batch/create",
    ),
}


def _answer(seen: Seen) -> Reply:
    """A plausible success for whatever was asked (the paths are what these tests check)."""
    if seen.path.endswith("/batch/create"):
        return Reply(201, {"status": "COMPLETE", "results": [record("9001", hs_task_body="b")]})
    if seen.path.endswith("/batch/update"):
        return Reply(200, {"status": "COMPLETE", "results": [record("201")]})
    if "associations" in seen.path:
        return Reply(200, {"status": "COMPLETE", "results": []})
    if seen.path.endswith("/301"):
        return Reply(200, record("301"))
    return Reply(200, page([]))


def make_client(stub: StubHubSpot, version: str) -> HubSpotClient:
    clock = FakeClock(5000.0)
    return HubSpotClient(
        stub.url,
        TOKEN,
        clock=clock,
        sleep=clock.sleep,
        retry_policy=RetryPolicy(max_retries=1, jitter=lambda: 0.0),
        api_version=version,
    )


@pytest.fixture
def stub() -> Any:
    server = StubHubSpot()
    server.fallback = _answer
    server.start()
    yield server
    server.stop()


class TestPaths:
    @pytest.mark.parametrize("operation", sorted(OPERATIONS))
    @pytest.mark.parametrize(("version", "column"), [("v3", 1), ("2026-03", 2), ("2026-09", 3)])
    def test_each_operation_goes_to_its_versions_path(
        self, stub: StubHubSpot, operation: str, version: str, column: int
    ) -> None:
        """The SDK's request reaches the path HubSpot's reference gives for that version, nothing else."""
        call = OPERATIONS[operation][0]
        call(make_client(stub, version))
        assert [seen.path for seen in stub.requests] == [OPERATIONS[operation][column]]

    def test_the_default_is_2026_09(self, stub: StubHubSpot) -> None:
        """Without a version, the client speaks 2026-09 (the config default)."""
        client = HubSpotClient(stub.url, TOKEN, retry_policy=RetryPolicy(max_retries=0))
        client.list_owners()
        assert stub.requests[0].path == "/crm/owners/2026-09"

    def test_calls_are_counted_per_operation_on_every_version(self, stub: StubHubSpot) -> None:
        """Call counts do not depend on the version (the same operation names)."""
        counts = []
        for version in ("v3", "2026-09"):
            client = make_client(stub, version)
            client.list_owners()
            client.batch_read("companies", ["201"], ["name"])
            counts.append(dict(client.stats))
        assert counts[0] == counts[1]

    def test_unknown_version_is_a_configuration_error(self) -> None:
        """A version the connector does not know is refused before any call, naming the known ones."""
        with pytest.raises(ConfigError, match=r"hubspot\.api_version: '2025-01' is not one of 2026-09, 2026-03, v3"):
            api_version("2025-01")


ERRORS_ENTRY = {
    "status": "error",
    "category": "VALIDATION_ERROR",
    "message": "Property nps_score is required by a validation rule",
    "context": {"ids": ["2"]},
    "errors": [],
    "links": {},
}


class TestBatchErrorShapes:
    @pytest.mark.parametrize(
        ("version", "status"),
        [("v3", 207), ("2026-03", 207), ("2026-09", 200)],
        ids=["v3-207", "2026-03-207", "2026-09-200"],
    )
    def test_per_record_errors_feed_the_same_failures(self, stub: StubHubSpot, version: str, status: int) -> None:
        """A 207 (v3, 2026-03) and a 200 with `errors` (2026-09) give the same ok ids and failures."""
        body = {"status": "COMPLETE", "results": [record("1"), record("3")], "errors": [ERRORS_ENTRY], "numErrors": 1}
        stub.push(Reply(status, body))
        result = make_client(stub, version).batch_update(
            "contacts", {"1": {"nps_score": "9"}, "2": {"nps_score": ""}, "3": {"nps_score": "1"}}
        )
        assert result.ok == ["1", "3"]
        assert result.failures == [RecordFailure("2", "VALIDATION_ERROR", ERRORS_ENTRY["message"])]

    def test_a_2026_09_task_create_with_errors_is_an_uncertain_outcome(self, stub: StubHubSpot) -> None:
        """A 201 whose body carries errors cannot be lined up with the inputs: never assume it all landed."""
        from connector.hubspot import WriteOutcomeUnknown

        stub.push(Reply(201, {"status": "COMPLETE", "results": [record("9001")], "errors": [ERRORS_ENTRY]}))
        tasks = [TaskInput(properties={"hs_task_body": f"b{i}"}, contact_id="301") for i in range(2)]
        with pytest.raises(WriteOutcomeUnknown):
            make_client(stub, "2026-09").create_tasks(tasks)


class TestIsolation:
    def test_a_batch_refused_for_one_record_lands_the_others(self, stub: StubHubSpot) -> None:
        """A whole-batch 400 is split until the refused record is alone; the rest is written."""

        def answer(seen: Seen) -> Reply:
            ids = [item["id"] for item in seen.body["inputs"]]
            if "3" in ids:
                return Reply(400, {**ERRORS_ENTRY, "message": "Property nps_score: validation rule failed"})
            return Reply(200, {"status": "COMPLETE", "results": [record(i) for i in ids]})

        stub.fallback = answer
        updates = {str(i): {"nps_score": "5"} for i in range(1, 5)}
        result = make_client(stub, "v3").batch_update("contacts", updates)
        assert sorted(result.ok) == ["1", "2", "4"]
        assert [(f.id, f.category) for f in result.failures] == [("3", "VALIDATION_ERROR")]
        assert "validation rule failed" in result.failures[0].message
        # [1-4] refused, [1,2] ok, [3,4] refused, [3] refused, [4] ok
        assert [len(seen.body["inputs"]) for seen in stub.requests] == [4, 2, 2, 1, 1]


class TestPathTable:
    @pytest.mark.parametrize(
        ("numbered", "dated"),
        [
            ("/crm/v3/owners/{ownerId}", "/crm/owners/2026-09/{ownerId}"),
            (
                "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}",
                "/crm/objects/2026-09/{objectType}/{objectId}/associations/{toObjectType}",
            ),
            (
                "/crm/v3/properties/{objectType}/groups/{groupName}",
                "/crm/properties/2026-09/{objectType}/groups/{groupName}",
            ),
        ],
    )
    def test_templates_keep_their_parameters(self, numbered: str, dated: str) -> None:
        """Path parameters after the family prefix are kept as the SDK templated them."""
        assert VERSIONS["2026-09"].path(numbered) == dated

    def test_an_unmapped_path_is_refused_rather_than_sent_to_v3(self) -> None:
        """A path outside the table raises instead of silently calling the numbered API."""
        with pytest.raises(ConfigError, match="no date-based path"):
            VERSIONS["2026-09"].path("/crm/v3/objectsx/contacts")
        with pytest.raises(ConfigError, match="no date-based path"):
            VERSIONS["2026-03"].path("/marketing/v3/emails")


class TestSchedule:
    def test_support_status_follows_hubspots_schedule(self) -> None:
        """Current for 6 months after release, supported until 18 months after; v4 paths end 30 March 2027."""
        assert VERSIONS["2026-09"].status(date(2026, 12, 1)) == "current until 2027-03-08"
        assert VERSIONS["2026-09"].status(date(2027, 6, 1)) == "supported until 2028-03-08"
        assert VERSIONS["2026-03"].status(date(2026, 12, 1)) == "supported until 2027-09-30"
        assert VERSIONS["v3"].status(date(2026, 12, 1)) == "supported until 2027-03-30"
        assert VERSIONS["v3"].status(date(2027, 4, 1)) == "unsupported since 2027-03-30"
        assert VERSIONS["v3"].unsupported(date(2027, 3, 30))
        assert not VERSIONS["2026-09"].unsupported(date(2028, 3, 7))


class TestDatetimes:
    """The SDK's datetimes are read with `fromisoformat`, to the same instant dateutil gives."""

    @pytest.mark.parametrize("version", list(VERSIONS))
    @pytest.mark.parametrize(
        "text",
        ["2026-11-30T09:15:00Z", "2026-11-30T09:15:00.123Z", "2026-11-30T09:15:00.123456+01:00", "2026-11-30"],
    )
    def test_the_same_instant_as_the_sdks_parser(self, version: str, text: str) -> None:
        api = api_factory(api_version(version))(hubspot.crm.objects, "BasicApi", {})
        parsed = api.api_client._ApiClient__deserialize_datetime(text)
        assert parsed == isoparse(text)
        assert (parsed.tzinfo is None) == (isoparse(text).tzinfo is None)

    def test_a_string_fromisoformat_cannot_read_goes_to_the_sdks_parser(self) -> None:
        api = api_factory(api_version("2026-09"))(hubspot.crm.objects, "BasicApi", {})
        parsed = api.api_client._ApiClient__deserialize_datetime("Nov 30 2026 09:15 UTC")
        assert (parsed.year, parsed.month, parsed.day, parsed.hour) == (2026, 11, 30, 9)
