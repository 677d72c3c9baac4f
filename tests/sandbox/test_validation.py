"""Request validation at one place, before any handler: HubSpot's 400 naming the field (issue 10, step 2).

Malformed requests found by a property-based run (issue 10) and the ones HubSpot rejects that the
sandbox accepted: each is a 400 VALIDATION_ERROR whose `errors[0].in` names the field, no handler
runs (nothing is written), and the connection is never dropped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import TOKEN, MakeSandbox, raw_request
from tests.sandbox import PREFIXES, VERSION_NAMES, assert_error_body, nps_contact_properties, send_bytes, small_portal

# (method, path below the objects prefix, raw body, the field the 400 names)
MALFORMED: list[tuple[str, str, bytes | None, str]] = [
    ("POST", "/contacts", b"\xff\xfe{}", "body"),
    ("PATCH", "/contacts/301", b'{"properties": {"firstname": "\xc3"}}', "body"),
    ("POST", "/contacts/batch/read", b'{"inputs":[1]}', "inputs[0]"),
    ("POST", "/contacts/batch/read", b'{"inputs":[[null,null]]}', "inputs[0]"),
    ("POST", "/contacts/batch/update", b'{"inputs":[1]}', "inputs[0]"),
    ("POST", "/contacts/batch/update", b'{"inputs":[[null,null]]}', "inputs[0]"),
    ("POST", "/contacts/batch/archive", b'{"inputs":[1]}', "inputs[0]"),
    ("POST", "/contacts/batch/archive", b'{"inputs":[[null,null]]}', "inputs[0]"),
    ("POST", "/contacts", b'{"properties":[null,null]}', "properties"),
    (
        "POST",
        "/contacts/batch/upsert",
        b'{"inputs":[{"id":"","idProperty":{},"properties":{}}]}',
        "inputs[0].idProperty",
    ),
    ("POST", "/contacts/search", b'{"sorts":[[null,null]]}', "sorts[0]"),
    ("POST", "/contacts", None, "body"),
    ("PATCH", "/contacts/301", None, "body"),
    ("POST", "/contacts/search", None, "body"),
    ("POST", "/tasks/batch/create", b'{"inputs":[{}]}', "inputs[0].properties"),
    ("POST", "/contacts/batch/archive", b'{"inputs":[{"id":{}}]}', "inputs[0].id"),
    ("POST", "/contacts/batch/read", b"{}", "inputs"),
    (
        "POST",
        "/contacts/search",
        b'{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":{}}]}]}',
        "filterGroups[0].filters[0].value",
    ),
    ("POST", "/contacts/search", b'{"limit": -1}', "limit"),
    ("POST", "/contacts/search", b'{"limit": 2147483648}', "limit"),
    ("POST", "/contacts/search", b"[]", "body"),
    ("POST", "/contacts/search", b'{"limit": NaN}', "body"),
    (
        "POST",
        "/tasks",
        b'{"properties":{},"associations":[{"to":{"id":"301"},"types":[{}]}]}',
        "associations[0].types[0].associationCategory",
    ),
]


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    return make_module_sandbox({**small_portal(), **nps_contact_properties()}, token=TOKEN)


def _answer(server: SandboxHTTPServer, method: str, path: str, data: bytes | None) -> tuple[int, Any]:
    status, headers, body = send_bytes(server, method, path, data)
    assert headers.get("Content-Type", "").startswith("application/json")
    return status, json.loads(body)


@pytest.mark.parametrize("version", VERSION_NAMES)
@pytest.mark.parametrize(("method", "path", "data", "field"), MALFORMED)
def test_malformed_request_is_400_naming_the_field(
    server: SandboxHTTPServer, version: str, method: str, path: str, data: bytes | None, field: str
) -> None:
    """HubSpot's 400 VALIDATION_ERROR with the field in errors[].in; no handler ran, nothing was written."""
    writes = raw_request(server, "GET", "/_sandbox/stats").json["writes"]
    status, body = _answer(server, method, PREFIXES[version]["objects"] + path, data)
    assert status == 400, body
    assert_error_body(body)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["in"] == field
    assert body["context"]["field"] == [field]
    assert raw_request(server, "GET", "/_sandbox/stats").json["writes"] == writes
    assert server.sandbox.internal_errors == 0


@pytest.mark.parametrize("version", VERSION_NAMES)
class TestQueryParameters:
    """`limit` is a Java int above 0 and `after` a cursor the sandbox handed out, on every list endpoint."""

    @pytest.mark.parametrize("query", ["limit=2147483648", "limit=0", "limit=-5", "limit=ten", "after=%25%25%25"])
    @pytest.mark.parametrize("area", ["objects", "owners", "object_associations"])
    def test_bad_limit_or_after_is_400(self, server: SandboxHTTPServer, version: str, query: str, area: str) -> None:
        """Out-of-range, non-positive or non-numeric limits and unparseable cursors: 400 naming the parameter."""
        path = {
            "objects": "/contacts",
            "owners": "",
            "object_associations": "/contacts/302/associations/companies",
        }[area]
        resp = raw_request(server, "GET", f"{PREFIXES[version][area]}{path}?{query}")
        assert resp.status == 400, resp.json
        assert_error_body(resp.json)
        assert resp.json["errors"][0]["in"] == query.split("=")[0]

    def test_handed_out_cursors_still_page(self, server: SandboxHTTPServer, version: str) -> None:
        """A cursor from `paging.next.after` is accepted (the check refuses only foreign ones)."""
        first = raw_request(server, "GET", PREFIXES[version]["objects"] + "/contacts?limit=1").json
        after = first["paging"]["next"]["after"]
        second = raw_request(server, "GET", f"{PREFIXES[version]['objects']}/contacts?limit=1&after={after}")
        assert second.status == 200
        assert second.json["results"][0]["id"] != first["results"][0]["id"]

    def test_search_limit_0_answers_the_total_without_a_cursor(self, server: SandboxHTTPServer, version: str) -> None:
        """limit=0 never hands out `after: "0"`, which would point back at the same page (issue 10)."""
        resp = raw_request(server, "POST", PREFIXES[version]["objects"] + "/contacts/search", {"limit": 0})
        assert resp.status == 200
        assert resp.json["results"] == []
        assert resp.json["total"] > 0
        assert "paging" not in resp.json

    def test_search_after_that_is_no_integer_is_400(self, server: SandboxHTTPServer, version: str) -> None:
        """`after=%%%` in a search is a 400, not the first page (search guide: an integer offset)."""
        resp = raw_request(server, "POST", PREFIXES[version]["objects"] + "/contacts/search", {"after": "%%%"})
        assert resp.status == 400
        assert_error_body(resp.json)


class TestTransport:
    """Whatever arrives gets an HTTP answer with a JSON body; only the reset/lost faults drop connections."""

    @pytest.mark.parametrize(
        ("head", "expected"),
        [
            (b"GARBAGE\r\n\r\n", 400),
            (b"GET /crm/v3/objects/contacts HTTP/9.9\r\n\r\n", 505),  # HTTP's own status for the version
            (b"POST /crm/v3/objects/contacts HTTP/1.1\r\nContent-Length: nope\r\n\r\n", 400),
            (b"POST /crm/v3/objects/contacts HTTP/1.1\r\nContent-Length: -4\r\n\r\n", 400),
            (b"BREW /crm/v3/objects/contacts HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405),
        ],
    )
    def test_protocol_errors_answer_json(self, server: SandboxHTTPServer, head: bytes, expected: int) -> None:
        """Bad request lines, versions, lengths and methods: an HTTP/1.1 answer with HubSpot's error body."""
        import socket

        host, port = server.server_address[:2]
        with socket.create_connection((str(host), int(port)), timeout=10) as sock:
            sock.sendall(head)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        status_line, _, rest = data.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 "), data
        assert int(status_line.split()[1]) == expected, data
        assert_error_body(json.loads(rest.partition(b"\r\n\r\n")[2]))

    def test_head_answers_without_a_body(self, server: SandboxHTTPServer) -> None:
        """HEAD is served by no route: 405, and, as HTTP requires, no body bytes."""
        status, _, body = send_bytes(server, "HEAD", "/crm/v3/objects/contacts", None)
        assert (status, body) == (405, b"")

    def test_valid_requests_still_pass(self, make_sandbox: MakeSandbox) -> None:
        """The SDK's own shapes (numbers for ids, digit-string limits, sorts as objects) are accepted."""
        server = make_sandbox(small_portal())
        body = {"inputs": [{"id": 301}], "properties": ["email"]}
        assert raw_request(server, "POST", "/crm/v3/objects/contacts/batch/read", body).status == 200
        search = {"sorts": [{"propertyName": "email", "direction": "DESCENDING"}], "limit": "2", "after": 0}
        assert raw_request(server, "POST", "/crm/v3/objects/contacts/search", search).status == 200
        assert raw_request(server, "POST", "/crm/v3/objects/contacts/search", {"sorts": ["-email"]}).status == 200
