"""Probes that change nothing, the option repair, the write gate and the checkpoint, against a scripted stub.

The stub records every request; the tests assert what was (and was not) sent.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
import urllib3.exceptions

from connector.errors import ConfigError, HubSpotAuthError, MissingScopeError
from connector.hubspot import HubSpotClient
from connector.hubspot.errors import classify
from connector.hubspot.probes import (
    add_enumeration_options,
    check_scopes,
    probe_owners,
    probe_schema_write,
    probe_write,
)
from connector.hubspot.retry import RetryPolicy

TOKEN = "pat-na1-probe-token-7777"
SCOPES_403 = {
    "status": "error",
    "message": "This app hasn't been granted all required scopes to make this call.",
    "category": "MISSING_SCOPES",
    "errors": [{"message": "One or more...", "context": {"requiredGranularScopes": ["crm.objects.companies.write"]}}],
}


@dataclass
class Seen:
    method: str
    path: str
    query: str
    body: Any


@dataclass
class Stub:
    """Answers each request with the next scripted (status, body), default 200 {}."""

    replies: deque[tuple[int, Any]] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)

    def serve(self) -> ThreadingHTTPServer:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                stub.seen.append(Seen(self.command, url.path, url.query, json.loads(raw) if raw else None))
                status, body = stub.replies.popleft() if stub.replies else (200, {})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def do_PATCH(self) -> None:
                self._handle()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def stub() -> Iterator[tuple[Stub, HubSpotClient]]:
    state = Stub()
    server = state.serve()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    client = HubSpotClient(
        f"http://127.0.0.1:{server.server_address[1]}",
        TOKEN,
        api_version="v3",
        retry_policy=RetryPolicy(max_retries=0),
    )
    yield state, client
    server.shutdown()
    server.server_close()


BATCH_OK = {
    "status": "COMPLETE",
    "results": [],
    "startedAt": "2026-01-01T00:00:00Z",
    "completedAt": "2026-01-01T00:00:00Z",
}


class TestProbes:
    def test_write_probe_is_a_batch_update_without_inputs(self, stub: tuple[Stub, HubSpotClient]) -> None:
        """The write probe sends no record: it cannot change anything, and a 200 proves the scope."""
        state, client = stub
        state.replies.append((200, BATCH_OK))
        probe_write(client, "companies")
        (seen,) = state.seen
        assert (seen.method, seen.path, seen.body) == ("POST", "/crm/v3/objects/companies/batch/update", {"inputs": []})
        assert "crm.objects.companies.write" in client.granted_scopes

    def test_a_400_after_the_scope_check_still_proves_the_scope(self, stub: tuple[Stub, HubSpotClient]) -> None:
        """HubSpot checks scopes before the body: a refused (empty) body means the scope is there."""
        state, client = stub
        state.replies.append((400, {"status": "error", "category": "VALIDATION_ERROR", "message": "inputs empty"}))
        probe_write(client, "contacts")
        state.replies.append((400, {"status": "error", "category": "VALIDATION_ERROR", "message": "name required"}))
        probe_schema_write(client, "contacts")
        assert state.seen[1].path == "/crm/v3/properties/contacts/groups"
        assert state.seen[1].body == {"name": "", "label": ""}  # invalid on purpose: nothing is created
        assert {"crm.objects.contacts.write", "crm.schemas.contacts.write"} <= client.granted_scopes

    def test_a_403_is_a_missing_scope_naming_it(self, stub: tuple[Stub, HubSpotClient]) -> None:
        """The probe's 403 becomes MissingScopeError with HubSpot's scope list, never the token."""
        state, client = stub
        state.replies.append((403, SCOPES_403))
        with pytest.raises(MissingScopeError) as info:
            probe_write(client, "companies")
        assert info.value.scopes == ["crm.objects.companies.write"]
        assert TOKEN not in str(info.value)

    def test_owner_probe_reads_one_owner(self, stub: tuple[Stub, HubSpotClient]) -> None:
        """Not every owner page (list_owners): one owner is enough to prove the scope."""
        state, client = stub
        state.replies.append((200, {"results": []}))
        probe_owners(client)
        assert state.seen[0].path == "/crm/v3/owners/"
        assert "limit=1" in state.seen[0].query

    def test_check_scopes_skips_proven_collects_403_and_raises_401(self, stub: tuple[Stub, HubSpotClient]) -> None:
        """A scope a call of the run already needed is not probed; a 403 is collected; a 401 stops it all."""
        state, client = stub
        client.granted_scopes.add("crm.objects.contacts.read")
        state.replies.extend([(403, SCOPES_403), (200, BATCH_OK)])
        results = check_scopes(
            client, ["crm.objects.contacts.read", "crm.objects.companies.write", "crm.objects.contacts.write"]
        )
        assert [(r.scope, r.granted, r.probed) for r in results] == [
            ("crm.objects.contacts.read", True, False),
            ("crm.objects.companies.write", False, True),
            ("crm.objects.contacts.write", True, True),
        ]
        assert len(state.seen) == 2
        state.replies.append((401, {"status": "error", "category": "INVALID_AUTHENTICATION", "message": "expired"}))
        with pytest.raises(HubSpotAuthError):
            check_scopes(client, ["crm.objects.companies.read"])


class TestOptionRepair:
    def test_missing_options_are_added_after_the_existing_ones_unchanged(
        self, stub: tuple[Stub, HubSpotClient]
    ) -> None:
        """HubSpot replaces the option list: send every current option as it is, then the missing ones."""
        state, client = stub
        current = {
            "name": "nps_category",
            "label": "NPS category",
            "type": "enumeration",
            "fieldType": "select",
            "groupName": "nps",
            "options": [
                {"value": "promoter", "label": "Fan (renamed)", "displayOrder": 0, "hidden": False},
                {"value": "detractor", "label": "Detractor", "displayOrder": 2, "hidden": True},
            ],
        }
        state.replies.extend([(200, current), (200, current)])
        wanted = (("promoter", "Promoter"), ("passive", "Passive"), ("detractor", "Detractor"))
        assert add_enumeration_options(client, "contacts", "nps_category", wanted) == ["passive"]
        get, patch = state.seen
        assert (get.method, get.path) == ("GET", "/crm/v3/properties/contacts/nps_category")
        assert (patch.method, patch.path) == ("PATCH", "/crm/v3/properties/contacts/nps_category")
        assert set(patch.body) == {"options"}  # never the type or field type
        assert [(o["value"], o["label"], o["displayOrder"], o["hidden"]) for o in patch.body["options"]] == [
            ("promoter", "Fan (renamed)", 0, False),
            ("detractor", "Detractor", 2, True),
            ("passive", "Passive", 3, False),
        ]

    def test_nothing_is_sent_when_no_option_is_missing(self, stub: tuple[Stub, HubSpotClient]) -> None:
        """Idempotent: a property with every option gets no update."""
        state, client = stub
        state.replies.append(
            (200, {"name": "x", "type": "enumeration", "options": [{"value": "open", "label": "Open"}]})
        )
        assert add_enumeration_options(client, "contacts", "x", (("open", "Open"),)) == []
        assert [s.method for s in state.seen] == ["GET"]


class TestWriteGateAndCheckpoint:
    def test_the_hook_runs_once_before_the_first_write_and_a_failure_sends_no_write(
        self, stub: tuple[Stub, HubSpotClient]
    ) -> None:
        """Reads pass the gate; the first write runs the hook first; a failing hook means no write is sent."""
        state, client = stub
        calls: list[str] = []

        def failing() -> None:
            calls.append("hook")
            raise ConfigError("properties missing")

        client.before_first_write(failing)
        state.replies.append((200, {"results": []}))
        client.list_properties("contacts")
        assert calls == []
        with pytest.raises(ConfigError):
            client.batch_update("contacts", {"1": {"nps_score": "9"}})
        assert [s.path for s in state.seen] == ["/crm/v3/properties/contacts"]  # the update never left

        def passing() -> None:
            calls.append("ok")
            probe_write(client, "contacts")  # the hook's own write probe passes the gate

        client.before_first_write(passing)
        state.replies.extend([(200, BATCH_OK), (200, BATCH_OK), (200, BATCH_OK)])
        client.batch_update("contacts", {"1": {"nps_score": "9"}})
        client.batch_update("contacts", {"2": {"nps_score": "8"}})
        assert calls == ["hook", "ok"]
        assert [s.body["inputs"] == [] for s in state.seen[1:]] == [True, False, False]

    def test_a_checkpoint_that_raises_stops_before_the_request(self, stub: tuple[Stub, HubSpotClient]) -> None:
        """The stop signal's checkpoint runs before every request: raising there sends nothing."""
        state, client = stub

        class Stop(Exception):
            pass

        def checkpoint() -> None:
            raise Stop

        gated = HubSpotClient(client.base_url, TOKEN, api_version="v3", checkpoint=checkpoint)
        with pytest.raises(Stop):
            gated.list_properties("contacts")
        assert state.seen == []


class TestTokenAndUrlProblems:
    @pytest.mark.parametrize("token", [f"{TOKEN}\n{TOKEN}", f"{TOKEN} x", f"{TOKEN}\x00", "tök-en-1234"])
    def test_a_token_a_header_cannot_carry_is_refused_without_echoing_it(self, token: str) -> None:
        """Checked where the token is used: the HTTP library would have printed it in its own error."""
        with pytest.raises(ConfigError) as info:
            HubSpotClient("http://127.0.0.1:9", token)
        assert token not in str(info.value)
        assert TOKEN not in str(info.value)

    def test_tls_to_a_plain_http_server_is_a_config_error(self) -> None:
        """The SDK turns an SSLError into ApiException(status=0) and then fails on it with an AttributeError."""
        from hubspot.crm.objects import ApiException

        try:
            try:
                raise ApiException(status=0, reason="SSLError\n[SSL: WRONG_VERSION_NUMBER] wrong version number")
            except ApiException as sdk_error:
                sdk_error.body.decode("utf-8")  # what the SDK's own handler does: body is None
        except AttributeError as exc:
            mapped = classify(exc, operation="contacts.list", base_url="https://127.0.0.1:8080")
        assert isinstance(mapped, ConfigError)
        assert "https://127.0.0.1:8080" in str(mapped)
        assert "write http://" in str(mapped)

    def test_an_untrusted_certificate_is_a_config_error(self) -> None:
        """CERTIFICATE_VERIFY_FAILED does not heal with retries: exit 2 naming the host."""
        exc = urllib3.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
        mapped = classify(exc, operation="contacts.list", base_url="https://proxy.example")
        assert isinstance(mapped, ConfigError)
        assert "certificate" in str(mapped)

    def test_an_unparsable_url_is_a_config_error(self) -> None:
        """urllib3's LocationParseError (a port that is not a number) becomes one line naming base_url."""
        exc = urllib3.exceptions.LocationParseError("127.0.0.1:abc")
        mapped = classify(exc, operation="contacts.list", base_url="http://127.0.0.1:abc")
        assert isinstance(mapped, ConfigError)
        assert "hubspot.base_url" in str(mapped)
