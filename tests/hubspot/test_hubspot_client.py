"""HubSpotClient against a scripted in-process HTTP stub: requests sent, results typed, retries.

The stub (stdlib ThreadingHTTPServer on 127.0.0.1:0) answers each request with the next
scripted reply, or drops the connection; the client runs on a fake clock whose sleeps are
recorded instead of slept.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from structlog.testing import capture_logs

from connector.errors import HubSpotAuthError, HubSpotRequestError, HubSpotUnavailable, MissingScopeError
from connector.hubspot import AssociationTarget, HubSpotClient, RecordFailure, TaskInput, WriteOutcomeUnknown
from connector.hubspot.retry import RetryPolicy
from tests.fakes import FakeClock

TOKEN = "pat-na1-test-token-4242"


@dataclass
class Reply:
    """One scripted HTTP answer (dicts and lists are sent as JSON)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


DROP = "drop"  # read the request, then close the connection without answering


@dataclass
class Seen:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


Action = Reply | str
Responder = Callable[[Seen], Action]


class StubHubSpot:
    """A scripted HubSpot stand-in: replies are consumed in order, then `fallback` answers."""

    def __init__(self) -> None:
        self.script: deque[Action] = deque()
        self.fallback: Responder = lambda seen: Reply(599, {"message": f"unscripted {seen.method} {seen.path}"})
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                seen = Seen(
                    self.command,
                    url.path,
                    parse_qs(url.query),
                    json.loads(raw) if raw else None,
                    dict(self.headers.items()),
                )
                with stub._lock:
                    stub.requests.append(seen)
                    scripted = stub.script.popleft() if stub.script else None
                # The fallback answers outside the lock, so concurrent requests overlap as at HubSpot.
                action = scripted if scripted is not None else stub.fallback(seen)
                if action == DROP or not isinstance(action, Reply):
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload = action.body if isinstance(action.body, str) else json.dumps(action.body)
                data = payload.encode()
                self.send_response(action.status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in action.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    def push(self, *actions: Action) -> None:
        self.script.extend(actions)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub() -> Iterator[StubHubSpot]:
    server = StubHubSpot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(5000.0)


@pytest.fixture
def client(stub: StubHubSpot, clock: FakeClock) -> HubSpotClient:
    return HubSpotClient(
        stub.url,
        TOKEN,
        max_retries=3,
        timeout_seconds=5,
        clock=clock,
        sleep=clock.sleep,
        retry_policy=RetryPolicy(max_retries=3, jitter=lambda: 0.0),
        api_version="v3",  # these tests pin the numbered paths; test_versions.py covers the others
    )


def record(record_id: str, **props: str | None) -> dict[str, Any]:
    return {
        "id": record_id,
        "properties": {"hs_object_id": record_id, **props},
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-02-03T04:05:06.789Z",
        "archived": False,
    }


def page(results: list[dict[str, Any]], after: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"results": results, **extra}
    if after is not None:
        body["paging"] = {"next": {"after": after, "link": "x"}}
    return body


BURST_429 = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "policyName": "TEN_SECONDLY_ROLLING",
}


class TestListing:
    def test_list_objects_sends_repeated_params_and_the_bearer_token(
        self, client: HubSpotClient, stub: StubHubSpot
    ) -> None:
        """Properties and associations go as repeated query params, the token as a Bearer header."""
        stub.push(Reply(body=page([record("1", hs_value="9")])))
        client.list_objects("feedback_submissions", ["hs_value", "hs_survey_type"], ["contacts"], limit=50)
        seen = stub.requests[0]
        assert (seen.method, seen.path) == ("GET", "/crm/v3/objects/feedback_submissions")
        assert seen.query["properties"] == ["hs_value", "hs_survey_type"]
        assert seen.query["associations"] == ["contacts"]
        assert seen.query["limit"] == ["50"]
        assert seen.headers["Authorization"] == f"Bearer {TOKEN}"

    def test_records_are_typed_with_associations_and_utc_times(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """SDK models become Records: string/None properties, association ids, aware UTC times."""
        raw = record("401", hs_value="9", hs_content=None)
        raw["associations"] = {
            "contacts": {
                "results": [{"id": "301", "type": "feedback_submission_to_contact"}, {"id": "301", "type": "x"}]
            }
        }
        stub.push(Reply(body=page([raw], after="401")))
        records, after = client.list_objects("feedback_submissions", ["hs_value"], ["contacts"])
        assert after == "401"
        (rec,) = records
        assert rec.id == "401"
        assert rec.properties["hs_value"] == "9"
        assert rec.properties["hs_content"] is None
        assert rec.associations == {"contacts": ["301"]}
        assert rec.updated_at == datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
        assert rec.updated_at is not None
        assert rec.updated_at.tzinfo is UTC

    @pytest.mark.parametrize("last_paging", [None, {}, {"next": None}])
    def test_iter_objects_follows_paging_until_it_ends(
        self, client: HubSpotClient, stub: StubHubSpot, last_paging: dict[str, Any] | None
    ) -> None:
        """Pages are followed by `after`; a missing, empty or null `next` ends the iteration."""
        last = page([record("3")])
        if last_paging is not None:
            last["paging"] = last_paging
        stub.push(
            Reply(body=page([record("1")], after="2")), Reply(body=page([record("2")], after="3")), Reply(body=last)
        )
        ids = [rec.id for rec in client.iter_objects("contacts", ["email"])]
        assert ids == ["1", "2", "3"]
        assert [r.query.get("after") for r in stub.requests] == [None, ["2"], ["3"]]

    def test_iter_objects_detects_a_repeated_cursor(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """A server that hands out the same cursor twice does not loop forever."""
        stub.fallback = lambda seen: Reply(body=page([record("1")], after="same"))
        with pytest.raises(HubSpotRequestError, match="repeated the paging cursor"):
            list(client.iter_objects("contacts", ["email"]))

    def test_list_owners_pages_and_types_owners(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """Owners are paged through and come back typed, queues without names included."""
        stub.push(
            Reply(body=page([{"id": "101", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"}], "a")),
            Reply(body=page([{"id": "102", "type": "QUEUE", "archived": False}])),
        )
        owners = client.list_owners()
        assert [(o.id, o.email, o.first_name, o.archived) for o in owners] == [
            ("101", "ann@example.com", "Ann", False),
            ("102", None, None, False),
        ]
        assert stub.requests[0].path == "/crm/v3/owners/"
        assert stub.requests[1].query["after"] == ["a"]


class TestSearch:
    def test_sends_filters_sorts_and_after_as_hubspot_expects(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """Filter groups and sort dicts are sent as they are; the offset `after` as a string."""
        stub.push(Reply(body={"total": 250, "results": [record("9")], "paging": {"next": {"after": "400"}}}))
        groups = [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1700000000000"}]}]
        sorts = [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
        result = client.search("feedback_submissions", groups, sorts, ["hs_value"], limit=200, after=200)
        assert stub.requests[0].path == "/crm/v3/objects/feedback_submissions/search"
        assert stub.requests[0].body == {
            "filterGroups": groups,
            "sorts": sorts,
            "properties": ["hs_value"],
            "limit": 200,
            "after": "200",
        }
        assert (result.total, [r.id for r in result.results], result.next_after) == (250, ["9"], "400")

    def test_last_page_has_no_next_after(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """Without `paging` the page is the last one."""
        stub.push(Reply(body={"total": 1, "results": [record("9")]}))
        assert client.search("contacts", [], properties=["email"]).next_after is None

    def test_search_uses_its_own_per_second_bucket(
        self, client: HubSpotClient, stub: StubHubSpot, clock: FakeClock
    ) -> None:
        """Five searches at 4/s wait about a second; ten plain reads in between wait nothing."""
        stub.fallback = lambda seen: Reply(body={"total": 0, "results": []})
        for _ in range(4):
            client.search("contacts", [])
        for _ in range(10):
            client.list_objects("contacts", ["email"])
        assert clock.sleeps == []
        client.search("contacts", [])
        assert clock.sleeps == [pytest.approx(1.0)]


class TestBatchRead:
    def test_reports_missing_and_merged_ids(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """207 error ids are missing; an id answered under another id (merged) is unmatched."""
        stub.push(
            Reply(
                207,
                {
                    "status": "COMPLETE",
                    "results": [record("1"), record("900")],
                    "numErrors": 1,
                    "errors": [
                        {
                            "status": "error",
                            "category": "OBJECT_NOT_FOUND",
                            "message": "Could not get some CONTACT objects",
                            "context": {"ids": ["3"]},
                        }
                    ],
                },
            )
        )
        result = client.batch_read("contacts", ["1", "2", "3"], ["email"])
        assert [r.id for r in result.records] == ["1", "900"]
        assert result.missing == ["3"]
        assert result.unmatched == ["2"]
        assert stub.requests[0].body["inputs"] == [{"id": "1"}, {"id": "2"}, {"id": "3"}]
        assert stub.requests[0].query["archived"] == ["False"]

    def test_reads_in_chunks_of_100(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """250 ids take three calls of at most 100 inputs."""
        stub.fallback = lambda seen: Reply(
            body={"status": "COMPLETE", "results": [record(i["id"]) for i in seen.body["inputs"]]}
        )
        result = client.batch_read("tasks", [str(i) for i in range(250)], ["hs_task_status"])
        # The chunks are read concurrently, so they may arrive in any order.
        assert sorted(len(r.body["inputs"]) for r in stub.requests) == [50, 100, 100]
        assert [rec.id for rec in result.records] == [str(i) for i in range(250)]
        assert result.missing == result.unmatched == []

    def test_chunks_are_read_concurrently_through_the_one_limiter(self, stub: StubHubSpot) -> None:
        """Independent chunks overlap (up to `concurrency`), and every one is still counted and paced."""
        in_flight, peak, lock = [0], [0], threading.Lock()

        def slow(seen: Seen) -> Reply:
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            time.sleep(0.05)
            with lock:
                in_flight[0] -= 1
            return Reply(body={"status": "COMPLETE", "results": [record(i["id"]) for i in seen.body["inputs"]]})

        stub.fallback = slow
        client = HubSpotClient(stub.url, TOKEN, requests_per_10s=1000, api_version="v3")
        result = client.batch_read("contacts", [str(i) for i in range(800)], ["email"])
        assert len(result.records) == 800
        assert 2 <= peak[0] <= client.concurrency
        assert client.stats == {"contacts.batch_read": 8}

    def test_all_missing_answered_with_404(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """A 404 for the whole batch means every id of it is missing."""
        stub.push(Reply(404, {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "not found"}))
        assert client.batch_read("contacts", ["7", "8"], ["email"]).missing == ["7", "8"]

    def test_get_object_returns_none_on_404_and_the_survivor_for_merged_ids(
        self, client: HubSpotClient, stub: StubHubSpot
    ) -> None:
        """GET of a deleted id is None; of a merged-away id, the survivor with its own id."""
        stub.push(
            Reply(404, {"category": "OBJECT_NOT_FOUND", "message": "Object not found."}), Reply(body=record("301"))
        )
        assert client.get_object("contacts", "999", ["email"]) is None
        survivor = client.get_object("contacts", "305", ["email"])
        assert survivor is not None
        assert survivor.id == "301"
        assert stub.requests[1].path == "/crm/v3/objects/contacts/305"


class TestBatchUpdate:
    def test_207_errors_become_failures_and_the_rest_is_ok(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """Per-record errors of a 207 are failures; every other requested id counts as applied."""
        stub.push(
            Reply(
                207,
                {
                    "status": "COMPLETE",
                    "results": [record("1")],
                    "errors": [
                        {
                            "status": "error",
                            "category": "VALIDATION_ERROR",
                            "message": "Property values were not valid",
                            "context": {"ids": ["2"]},
                        }
                    ],
                },
            )
        )
        result = client.batch_update(
            "contacts", {"1": {"nps_score": "9"}, "2": {"nps_score": "x"}, "3": {"nps_score": "1"}}
        )
        assert result.ok == ["1", "3"]
        assert result.failures == [RecordFailure("2", "VALIDATION_ERROR", "Property values were not valid")]
        assert stub.requests[0].body["inputs"][0] == {
            "id": "1",
            "properties": {"nps_score": "9"},
            "objectWriteTraceId": "1",
        }

    def test_chunk_refused_as_a_whole_fails_its_records_only(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """A 400 for one chunk fails that chunk's records; the next chunk is still written."""
        stub.push(
            Reply(400, {"status": "error", "category": "VALIDATION_ERROR", "message": "Property nps_x does not exist"}),
            Reply(body={"status": "COMPLETE", "results": []}),
        )
        updates = {str(i): {"nps_score": "1"} for i in range(150)}
        result = client.batch_update("contacts", updates)
        assert [len(r.body["inputs"]) for r in stub.requests] == [100, 50]
        assert len(result.failures) == 100
        assert result.failures[0].category == "VALIDATION_ERROR"
        assert "nps_x does not exist" in result.failures[0].message
        assert result.ok == [str(i) for i in range(100, 150)]


class TestAssociations:
    def test_follows_per_input_paging_and_merges_type_ids(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """An input with more pages is asked again with its `after`; every id gets a key."""
        stub.push(
            Reply(
                207,
                {
                    "status": "COMPLETE",
                    "results": [
                        {
                            "from": {"id": "301"},
                            "to": [
                                {
                                    "toObjectId": 201,
                                    "associationTypes": [
                                        {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"},
                                        {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None},
                                    ],
                                }
                            ],
                            "paging": {"next": {"after": "cursor-1"}},
                        }
                    ],
                    "errors": [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": "none", "context": {}}],
                },
            ),
            Reply(
                body={
                    "status": "COMPLETE",
                    "results": [
                        {
                            "from": {"id": "301"},
                            "to": [
                                {
                                    "toObjectId": "202",
                                    "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 279}],
                                }
                            ],
                        }
                    ],
                }
            ),
        )
        result = client.associations("contacts", "companies", ["301", "302"])
        assert result == {
            "301": [AssociationTarget("201", (1, 279)), AssociationTarget("202", (279,))],
            "302": [],
        }
        assert stub.requests[0].path == "/crm/v4/associations/contacts/companies/batch/read"
        assert stub.requests[1].body == {"inputs": [{"id": "301", "after": "cursor-1"}]}

    def test_sends_at_most_1000_inputs_per_call(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """1,500 ids take two calls."""
        stub.fallback = lambda seen: Reply(body={"status": "COMPLETE", "results": []})
        result = client.associations("feedback_submissions", "contacts", [str(i) for i in range(1500)])
        assert [len(r.body["inputs"]) for r in stub.requests] == [1000, 500]
        assert len(result) == 1500


class TestProperties:
    def test_list_properties_and_groups(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """Definitions come back typed, enumeration options as their values."""
        stub.push(
            Reply(
                body={
                    "results": [
                        {
                            "name": "nps_category",
                            "label": "NPS category",
                            "type": "enumeration",
                            "fieldType": "select",
                            "groupName": "nps",
                            "options": [{"label": "Promoter", "value": "promoter"}, {"label": "P", "value": "passive"}],
                        }
                    ]
                }
            ),
            Reply(body={"results": [{"name": "contactinformation", "label": "Contact information"}, {"name": "nps"}]}),
        )
        (prop,) = client.list_properties("contacts")
        assert (prop.name, prop.type, prop.field_type, prop.group_name) == (
            "nps_category",
            "enumeration",
            "select",
            "nps",
        )
        assert prop.options == ["promoter", "passive"]
        assert client.list_property_groups("contacts") == ["contactinformation", "nps"]
        assert [r.path for r in stub.requests] == ["/crm/v3/properties/contacts", "/crm/v3/properties/contacts/groups"]

    def test_create_property_sends_hubspot_field_names(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """The body uses camelCase names and ordered options; 201 means created."""
        stub.push(Reply(201, {"name": "nps_category"}))
        outcome = client.create_property(
            "contacts",
            name="nps_category",
            label="NPS category",
            type="enumeration",
            field_type="select",
            group_name="nps",
            description="Category",
            options=[("promoter", "Promoter"), ("detractor", "Detractor")],
        )
        assert outcome == "created"
        body = stub.requests[0].body
        assert (body["name"], body["type"], body["fieldType"], body["groupName"]) == (
            "nps_category",
            "enumeration",
            "select",
            "nps",
        )
        assert body["options"] == [
            {"value": "promoter", "label": "Promoter", "displayOrder": 0, "hidden": False},
            {"value": "detractor", "label": "Detractor", "displayOrder": 1, "hidden": False},
        ]

    def test_409_means_it_exists(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """Creating what exists is not an error for an idempotent setup."""
        conflict = Reply(409, {"status": "error", "category": "CONFLICT", "message": "already exists"})
        stub.push(conflict, conflict)
        assert client.create_property_group("contacts", "nps", "NPS") == "exists"
        assert (
            client.create_property(
                "contacts", name="a", label="A", type="number", field_type="number", group_name="nps"
            )
            == "exists"
        )

    def test_other_refusals_raise(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """A 400 on create is a request error naming the operation."""
        stub.push(Reply(400, {"status": "error", "category": "VALIDATION_ERROR", "message": "bad fieldType"}))
        with pytest.raises(HubSpotRequestError, match=r"properties\.contacts\.create .*bad fieldType"):
            client.create_property("contacts", name="a", label="A", type="number", field_type="x", group_name="nps")


def created_tasks(seen: Seen, first_id: int = 9000, reverse: bool = False) -> Reply:
    inputs = seen.body["inputs"]
    results = [{"id": str(first_id + n), "properties": task["properties"]} for n, task in enumerate(inputs)]
    return Reply(201, {"status": "COMPLETE", "results": list(reversed(results)) if reverse else results})


def task(n: int, company: str | None = "201") -> TaskInput:
    return TaskInput(
        {"hs_task_subject": "Call back", "hs_task_body": f"NPS feedback submission ID: {n}", "hs_timestamp": "1"},
        contact_id=str(300 + n),
        company_id=company,
    )


class TestCreateTasks:
    def test_sends_inline_associations(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """Tasks carry HUBSPOT_DEFINED associations 204 (contact) and 192 (company, when known)."""
        stub.fallback = created_tasks
        client.create_tasks([task(1), task(2, company=None)])
        seen = stub.requests[0]
        assert seen.path == "/crm/v3/objects/tasks/batch/create"
        first, second = seen.body["inputs"]
        assert first["associations"] == [
            {"to": {"id": "301"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]},
            {"to": {"id": "201"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]},
        ]
        assert [a["types"][0]["associationTypeId"] for a in second["associations"]] == [204]
        assert "objectWriteTraceId" not in first

    def test_ids_come_back_in_input_order(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """Results answered in another order are matched to inputs by their body."""
        stub.fallback = lambda seen: created_tasks(seen, reverse=True)
        assert client.create_tasks([task(1), task(2), task(3)]) == ["9000", "9001", "9002"]

    def test_creates_in_chunks_of_100(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """150 tasks take two calls."""
        stub.fallback = created_tasks
        assert len(client.create_tasks([task(n) for n in range(150)])) == 150
        assert [len(r.body["inputs"]) for r in stub.requests] == [100, 50]

    def test_dropped_connection_is_never_retried(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """A create that may have landed raises WriteOutcomeUnknown after exactly one request."""
        stub.push(DROP)
        with pytest.raises(WriteOutcomeUnknown) as caught:
            client.create_tasks([task(1), task(2)])
        assert len(stub.requests) == 1
        assert caught.value.exit_code == 5
        assert caught.value.uncertain == [task(1), task(2)]
        assert caught.value.created_ids == []

    def test_uncertain_second_chunk_reports_what_the_first_created(
        self, client: HubSpotClient, stub: StubHubSpot
    ) -> None:
        """Ids created by earlier chunks, the uncertain chunk and the unsent rest are all reported."""
        answers: deque[Callable[[Seen], Action]] = deque([created_tasks, lambda seen: DROP])
        stub.fallback = lambda seen: answers.popleft()(seen)
        inputs = [task(n) for n in range(250)]
        with pytest.raises(WriteOutcomeUnknown) as caught:
            client.create_tasks(inputs)
        assert caught.value.created_ids == [str(9000 + n) for n in range(100)]
        assert caught.value.uncertain == inputs[100:200]
        assert caught.value.not_sent == inputs[200:]

    @pytest.mark.parametrize("failure", [Reply(429, BURST_429), Reply(502, "<html>Bad Gateway</html>")])
    def test_answered_failures_are_retried(self, client: HubSpotClient, stub: StubHubSpot, failure: Reply) -> None:
        """A 429 or 5xx answer means nothing was applied, so task creation is retried."""
        stub.push(failure)
        stub.fallback = created_tasks
        assert client.create_tasks([task(1)]) == ["9000"]
        assert len(stub.requests) == 2


class TestRetries:
    def test_burst_429_waits_the_window_and_retries(
        self, client: HubSpotClient, stub: StubHubSpot, clock: FakeClock
    ) -> None:
        """A TEN_SECONDLY_ROLLING 429 is retried after about 10 seconds."""
        stub.push(Reply(429, BURST_429), Reply(body=page([record("1")])))
        records, _ = client.list_objects("contacts", ["email"])
        assert [r.id for r in records] == ["1"]
        assert clock.sleeps == [10.0]

    def test_retry_after_is_honoured(self, client: HubSpotClient, stub: StubHubSpot, clock: FakeClock) -> None:
        """When HubSpot names a wait, that wait is used."""
        stub.push(Reply(429, BURST_429, {"Retry-After": "3"}), Reply(body=page([])))
        client.list_objects("contacts", ["email"])
        assert clock.sleeps == [3.0]

    def test_daily_limit_is_not_retried(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """The daily limit stops the run at once, naming it."""
        stub.push(Reply(429, {**BURST_429, "message": "You have reached your daily limit.", "policyName": "DAILY"}))
        with pytest.raises(HubSpotUnavailable, match="DAILY"):
            client.list_objects("contacts", ["email"])
        assert len(stub.requests) == 1

    def test_401_is_not_retried_and_never_shows_the_token(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """A rejected token is fatal at once; the message has HubSpot's words, not the token."""
        stub.push(
            Reply(
                401,
                {
                    "status": "error",
                    "category": "INVALID_AUTHENTICATION",
                    "message": "Authentication credentials not found.",
                },
                {"x-hubspot-auth-failure": "401 Unauthorized"},
            )
        )
        with pytest.raises(HubSpotAuthError) as caught:
            client.list_objects("contacts", ["email"])
        assert len(stub.requests) == 1
        assert str(caught.value).startswith("HubSpot rejected the access token (401 INVALID_AUTHENTICATION)")
        assert TOKEN not in str(caught.value)

    @pytest.mark.parametrize("operation", ["contacts.batch_read", "contacts.list"])
    def test_500_is_retried_then_unavailable(
        self, client: HubSpotClient, stub: StubHubSpot, clock: FakeClock, operation: str
    ) -> None:
        """Persistent 500s give HubSpotUnavailable after max_retries + 1 attempts (SDK retries off)."""
        stub.fallback = lambda seen: Reply(500, {"status": "error", "message": "internal error", "category": "X"})
        calls: dict[str, Callable[[], object]] = {
            "contacts.list": lambda: client.list_objects("contacts", ["email"]),
            "contacts.batch_read": lambda: client.batch_read("contacts", ["1"], ["email"]),
        }
        with pytest.raises(HubSpotUnavailable) as caught:
            calls[operation]()
        assert len(stub.requests) == 4
        assert operation in str(caught.value)
        assert "HTTP 500" in str(caught.value)
        assert caught.value.exit_code == 5
        assert clock.sleeps == [0.25, 0.5, 1.0]

    def test_500_then_success_recovers(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """One 5xx does not fail the call."""
        stub.push(Reply(503, "Service Unavailable"), Reply(body={"total": 0, "results": []}))
        assert client.search("contacts", []).total == 0

    @pytest.mark.parametrize("call", ["list", "batch_read", "batch_update", "search"])
    def test_dropped_connections_are_retried_for_idempotent_calls(
        self, client: HubSpotClient, stub: StubHubSpot, call: str
    ) -> None:
        """GETs, batch reads, batch updates and searches are simply repeated after a drop."""
        stub.push(DROP)
        stub.fallback = lambda seen: Reply(body={"status": "COMPLETE", "results": [], "total": 0})
        if call == "list":
            client.list_objects("contacts", ["email"])
        elif call == "batch_read":
            client.batch_read("contacts", ["1"], ["email"])
        elif call == "batch_update":
            assert client.batch_update("contacts", {"1": {"a": "b"}}).ok == ["1"]
        else:
            client.search("contacts", [])
        assert len(stub.requests) == 2

    def test_423_waits_at_least_two_seconds(self, client: HubSpotClient, stub: StubHubSpot, clock: FakeClock) -> None:
        """A locked portal is retried no sooner than 2 s later."""
        stub.push(Reply(423, {"status": "error", "message": "locked"}), Reply(body=page([])))
        client.list_objects("contacts", ["email"])
        assert clock.sleeps == [2.0]

    def test_each_retry_is_logged_without_the_token(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """hubspot.retry events carry operation, status, attempt and wait; nothing logs the token."""
        stub.push(Reply(502, "bad gateway"), Reply(429, BURST_429), Reply(body=page([])))
        with capture_logs() as logs:
            client.list_objects("contacts", ["email"])
        retries = [entry for entry in logs if entry["event"] == "hubspot.retry"]
        assert [(e["operation"], e["status"], e["attempt"], e["wait_s"]) for e in retries] == [
            ("contacts.list", 502, 1, 0.25),
            ("contacts.list", 429, 2, 10.0),
        ]
        assert TOKEN not in repr(logs)

    def test_stats_count_requests_and_retries(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """`stats` counts HTTP requests per operation (retries included); `retries` the retries."""
        stub.push(Reply(500, "x"), Reply(body=page([])), Reply(body={"total": 0, "results": []}))
        client.list_objects("contacts", ["email"])
        client.search("contacts", [])
        assert client.stats == {"contacts.list": 2, "contacts.search": 1}
        assert client.retries == {"contacts.list": 1}


class TestRateLimitHeaders:
    def test_low_remaining_budget_slows_the_next_call(
        self, client: HubSpotClient, stub: StubHubSpot, clock: FakeClock
    ) -> None:
        """Other apps spending the burst budget make us wait one interval instead of hitting 429."""
        headers = {
            "X-HubSpot-RateLimit-Max": "190",
            "X-HubSpot-RateLimit-Remaining": "2",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        }
        stub.push(Reply(body=page([]), headers=headers), Reply(body=page([])))
        client.list_objects("contacts", ["email"])
        assert clock.sleeps == []
        client.list_objects("contacts", ["email"])
        assert clock.sleeps == [pytest.approx(10.0)]


class TestProbe:
    def test_missing_scope_names_the_hint(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """A 403 without scopes in the body names the scope the caller probed for."""
        stub.push(Reply(403, {"status": "error", "category": "MISSING_SCOPES", "message": "not granted"}))
        with pytest.raises(MissingScopeError) as caught:
            client.probe("feedback_submissions", "crm.objects.feedback_submissions.read")
        assert caught.value.scopes == ["crm.objects.feedback_submissions.read"]
        assert stub.requests[0].query["limit"] == ["1"]

    def test_a_good_token_passes(self, client: HubSpotClient, stub: StubHubSpot) -> None:
        """A 200 means the token and scope work."""
        stub.push(Reply(body=page([])))
        client.probe("contacts", ["crm.objects.contacts.read"])


def test_client_repr_hides_the_token(stub: StubHubSpot) -> None:
    """Printing the client never shows the token."""
    assert TOKEN not in repr(HubSpotClient(stub.url, TOKEN))
