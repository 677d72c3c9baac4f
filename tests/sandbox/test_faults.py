"""Fault injection: seeded, reproducible, and each kind does what DESIGN.md's fault spec says."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from typing import Any

import pytest
import urllib3

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox, RawResponse, build_sdk, raw_request
from tests.sandbox import small_portal

Raw = Callable[..., RawResponse]
MIXED = "429=0.15,500=0.1,502=0.1,reset=0.1,lost=0.1,slow=0.1"
PATCH = "/crm/v3/objects/contacts/301"


def outcome(
    server: SandboxHTTPServer, method: str = "GET", path: str = "/crm/v3/objects/contacts", body: Any = None
) -> int | str:
    """The status of one request, or "dropped" when the connection closed without an answer."""
    try:
        return raw_request(server, method, path, body).status
    except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
        return "dropped"


def firstname(server: SandboxHTTPServer) -> str:
    """The stored first name of contact 301, read through the (never faulted) snapshot."""
    snap = raw_request(server, "GET", "/_sandbox/snapshot").json
    return str(next(c for c in snap["contacts"] if c["id"] == "301")["properties"]["firstname"])


class TestReproducibility:
    """HubSpot: "one seeded draw per request in arrival order ... reproducible" (DESIGN fault spec)."""

    def _run(self, make_sandbox: MakeSandbox, seed: int) -> tuple[list[int | str], dict[str, int]]:
        server = make_sandbox(small_portal(), faults=f"{MIXED},seed={seed}", time_scale=100)
        outcomes = [outcome(server) for _ in range(60)]
        return outcomes, raw_request(server, "GET", "/_sandbox/stats").json["faults"]

    def test_same_seed_same_outcomes(self, make_sandbox: MakeSandbox) -> None:
        """Two sandboxes with the same seed answer the same request sequence identically (DESIGN)."""
        first, first_counts = self._run(make_sandbox, 7)
        second, second_counts = self._run(make_sandbox, 7)
        assert first == second
        assert first_counts == second_counts
        assert {200, 429, 500, 502, "dropped"} <= set(first)

    def test_other_seed_other_outcomes(self, make_sandbox: MakeSandbox) -> None:
        """Another seed draws another sequence (DESIGN `seed=`)."""
        assert self._run(make_sandbox, 7)[0] != self._run(make_sandbox, 8)[0]

    def test_counts_match_outcomes(self, make_sandbox: MakeSandbox) -> None:
        """stats.faults counts each kind served (DESIGN /_sandbox/stats)."""
        outcomes, counts = self._run(make_sandbox, 3)
        assert set(counts) == {"429", "500", "502", "reset", "lost", "slow"}
        assert counts["429"] == outcomes.count(429)
        assert counts["500"] == outcomes.count(500)
        assert counts["502"] == outcomes.count(502)
        assert counts["reset"] + counts["lost"] == outcomes.count("dropped")
        assert counts["slow"] > 0


class TestEachKind:
    """What each fault kind does to the request (DESIGN fault spec)."""

    def test_reset_drops_the_connection_and_the_write_does_not_land(self, make_sandbox: MakeSandbox) -> None:
        """`reset`: connection dropped before the request is applied (DESIGN)."""
        server = make_sandbox(small_portal(), faults="reset=1")
        assert outcome(server, "PATCH", PATCH, {"properties": {"firstname": "Reset"}}) == "dropped"
        assert firstname(server) == "Bo"
        stats = raw_request(server, "GET", "/_sandbox/stats").json
        assert (stats["calls"], stats["writes"], stats["faults"]["reset"]) == (1, 0, 1)

    def test_lost_drops_the_connection_but_the_write_lands(self, make_sandbox: MakeSandbox) -> None:
        """`lost`: the write landed, the client never hears it (DESIGN)."""
        server = make_sandbox(small_portal(), faults="lost=1")
        assert outcome(server, "PATCH", PATCH, {"properties": {"firstname": "Lost"}}) == "dropped"
        assert firstname(server) == "Lost"
        stats = raw_request(server, "GET", "/_sandbox/stats").json
        assert (stats["calls"], stats["writes"], stats["faults"]["lost"]) == (1, 1, 1)

    def test_lost_batch_update_lands(self, make_sandbox: MakeSandbox) -> None:
        """A lost batch call counts once in `writes` and every record landed (DESIGN stats)."""
        server = make_sandbox(small_portal(), faults="lost=1")
        body = {
            "inputs": [
                {"id": "301", "properties": {"firstname": "L1"}},
                {"id": "302", "properties": {"firstname": "L2"}},
            ]
        }
        assert outcome(server, "POST", "/crm/v3/objects/contacts/batch/update", body) == "dropped"
        snap = raw_request(server, "GET", "/_sandbox/snapshot").json
        names = {c["id"]: c["properties"]["firstname"] for c in snap["contacts"]}
        assert (names["301"], names["302"]) == ("L1", "L2")
        assert raw_request(server, "GET", "/_sandbox/stats").json["writes"] == 1

    def test_sdk_sees_a_dropped_connection_as_a_urllib3_error(self, make_sandbox: MakeSandbox) -> None:
        """With retries off the SDK surfaces a dropped connection as a urllib3 error, not ApiException (notes §11)."""
        client = build_sdk(make_sandbox(small_portal(), faults="reset=1"))
        with pytest.raises(urllib3.exceptions.HTTPError):
            client.crm.contacts.basic_api.get_page()

    def test_slow_delays_by_two_seconds_over_time_scale(self, make_sandbox: MakeSandbox) -> None:
        """`slow`: a slow answer, 2 s ÷ time scale, then the normal response (DESIGN)."""
        server = make_sandbox(small_portal(), faults="slow=1", time_scale=10)
        start = time.monotonic()
        assert outcome(server) == 200
        assert 0.2 <= time.monotonic() - start < 1.5

    def test_injected_429_has_hubspot_body_and_is_not_throttled(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """Injected 429s look like HubSpot's (burst or search policy) and are not counted as `throttled` (DESIGN)."""
        server = make_sandbox(small_portal(), faults="429=1")
        burst = raw(server, "GET", "/crm/v3/objects/contacts")
        assert (burst.status, burst.json["errorType"], burst.json["policyName"]) == (
            429,
            "RATE_LIMIT",
            "TEN_SECONDLY_ROLLING",
        )
        search = raw(server, "POST", "/crm/v3/objects/contacts/search", {})
        assert (search.status, search.json["policyName"]) == (429, "SECONDLY")
        stats = raw(server, "GET", "/_sandbox/stats").json
        assert (stats["throttled"], stats["faults"]["429"], stats["calls"]) == (0, 2, 2)

    @pytest.mark.parametrize("kind", ["500", "502"])
    def test_server_errors_have_error_bodies(self, make_sandbox: MakeSandbox, raw: Raw, kind: str) -> None:
        """500 and 502 answers carry a HubSpot-shaped error body (notes §4 general shape)."""
        server = make_sandbox(small_portal(), faults=f"{kind}=1")
        resp = raw(server, "PATCH", PATCH, {"properties": {"firstname": "X"}})
        assert resp.status == int(kind)
        assert resp.json["status"] == "error"
        assert firstname(server) == "Bo"

    def test_faults_come_before_auth(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """The draw happens "before auth and rate limits": a bad token can still get a 500 (DESIGN)."""
        server = make_sandbox(small_portal(), faults="500=1", token="right")
        assert raw(server, "GET", "/crm/v3/objects/contacts", token="wrong").status == 500


class TestSandboxEndpointsAreExempt:
    """HubSpot: "/_sandbox/* requests are never faulted nor counted in `calls`" (DESIGN fault spec)."""

    def test_sandbox_endpoints_never_faulted_nor_counted(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """With every API request dropped, /_sandbox/* still answers and is not counted (DESIGN)."""
        server = make_sandbox(small_portal(), faults="reset=1")
        for _ in range(3):
            assert raw(server, "GET", "/_sandbox/stats").status == 200
            assert raw(server, "GET", "/_sandbox/snapshot").status == 200
        assert raw(server, "POST", "/_sandbox/feedback_submissions", {"feedback_submissions": []}).status == 201
        stats = raw(server, "GET", "/_sandbox/stats").json
        assert stats["calls"] == 0
        assert stats["by_route"] == {}
        assert stats["faults"]["reset"] == 0

    def test_sandbox_endpoints_do_not_advance_the_draw(self, make_sandbox: MakeSandbox) -> None:
        """Sandbox calls in between leave the API's fault sequence unchanged (DESIGN: one draw per API request)."""
        plain = make_sandbox(small_portal(), faults=f"{MIXED},seed=5", time_scale=100)
        mixed = make_sandbox(small_portal(), faults=f"{MIXED},seed=5", time_scale=100)
        first = [outcome(plain) for _ in range(20)]
        second = []
        for _ in range(20):
            raw_request(mixed, "GET", "/_sandbox/stats")
            second.append(outcome(mixed))
        assert first == second
