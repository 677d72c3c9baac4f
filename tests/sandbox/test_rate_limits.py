"""Rate limits: the rolling 10-second burst, search's per-second limit, the daily limit (notes §3; DESIGN)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from hubspot.crm.contacts import ApiException as ContactsApiException

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox, RawResponse, build_sdk
from tests.sandbox import small_portal

Raw = Callable[..., RawResponse]
USAGE = "https://developers.hubspot.com/docs/api/usage-details"
LIST = "/crm/v3/objects/contacts?limit=1"
SEARCH = "/crm/v3/objects/contacts/search"
HEADERS = (
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
)


def _assert_rate_limit_body(resp: RawResponse, policy: str) -> None:
    assert resp.status == 429
    body = resp.json
    assert body["status"] == "error"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["category"] == "RATE_LIMITS"  # HubSpot's Error schema requires a category (issue 10)
    assert body["policyName"] == policy
    assert body["correlationId"]
    assert body["requestId"]
    assert resp.header("Retry-After") is None


class TestBurstLimit:
    """Requests per rolling 10 s per token, search exempt (usage guidelines; notes §3)."""

    @pytest.fixture
    def server(self, make_sandbox: MakeSandbox) -> SandboxHTTPServer:
        # time_scale 10: the 10-second window lasts one second.
        return make_sandbox(small_portal(), rate_limit=5, time_scale=10)

    def test_burst_over_the_limit_is_429_ten_secondly_rolling(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """The request past the burst limit is 429 RATE_LIMIT / TEN_SECONDLY_ROLLING, no Retry-After (notes §3)."""
        statuses = [raw(server, "GET", LIST).status for _ in range(5)]
        assert statuses == [200] * 5
        resp = raw(server, "GET", LIST)
        _assert_rate_limit_body(resp, "TEN_SECONDLY_ROLLING")
        assert resp.header("X-HubSpot-RateLimit-Remaining") == "0"

    def test_sdk_raises_api_exception_429(self, server: SandboxHTTPServer) -> None:
        """The SDK turns the 429 into its base ApiException with the body as a string (notes §11)."""
        client = build_sdk(server)
        for _ in range(5):
            client.crm.contacts.basic_api.get_page(limit=1)
        with pytest.raises(ContactsApiException) as info:
            client.crm.contacts.basic_api.get_page(limit=1)
        assert info.value.status == 429
        assert json.loads(info.value.body)["policyName"] == "TEN_SECONDLY_ROLLING"

    def test_headers_on_every_non_search_answer(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """X-HubSpot-RateLimit-* headers report the limits and what is left (usage details; notes §3)."""
        first, second = raw(server, "GET", LIST), raw(server, "GET", LIST)
        for name in HEADERS:
            assert first.header(name) is not None, name
        assert first.header("X-HubSpot-RateLimit-Max") == "5"
        assert first.header("X-HubSpot-RateLimit-Interval-Milliseconds") == "1000"
        assert (first.header("X-HubSpot-RateLimit-Remaining"), second.header("X-HubSpot-RateLimit-Remaining")) == (
            "4",
            "3",
        )
        daily = int(first.header("X-HubSpot-RateLimit-Daily-Remaining") or 0)
        assert int(second.header("X-HubSpot-RateLimit-Daily-Remaining") or 0) == daily - 1

    def test_search_carries_no_rate_limit_headers(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """Search "will not include any of the rate limit headers" (usage details; notes §3)."""
        resp = raw(server, "POST", SEARCH, {"limit": 1})
        assert resp.status == 200
        assert not [h for h in resp.headers if h.lower().startswith("x-hubspot-ratelimit")]

    def test_search_is_exempt_from_the_burst(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """Search is outside the 10-second bucket (Spec `x-hubspot-rate-limit-exemptions`; notes §2)."""
        for _ in range(5):
            raw(server, "GET", LIST)
        assert raw(server, "GET", LIST).status == 429
        assert raw(server, "POST", SEARCH, {"limit": 1}).status == 200

    def test_burst_is_per_token(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """The burst limit is counted per token/app (usage guidelines: "per app"; DESIGN --rate-limit)."""
        for _ in range(5):
            raw(server, "GET", LIST, token="app-one")
        assert raw(server, "GET", LIST, token="app-one").status == 429
        assert raw(server, "GET", LIST, token="app-two").status == 200

    def test_a_429_uses_no_budget(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """Refused requests do not count: once the window passes the full burst is back (DESIGN)."""
        for _ in range(5):
            assert raw(server, "GET", LIST).status == 200
        last_ok = time.monotonic()
        daily_left = raw(server, "GET", LIST).header("X-HubSpot-RateLimit-Daily-Remaining")
        while time.monotonic() - last_ok < 0.5:  # 429s that would still fill the window if they counted
            assert raw(server, "GET", LIST).status == 429
        time.sleep(max(0.0, last_ok + 1.05 - time.monotonic()))
        assert [raw(server, "GET", LIST).status for _ in range(5)] == [200] * 5
        assert int(daily_left or 0) == 1_000_000_000 - 5
        assert raw(server, "GET", LIST).header("X-HubSpot-RateLimit-Daily-Remaining") == str(1_000_000_000 - 10)

    def test_throttled_is_counted_in_stats(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """`throttled` counts the 429s of the limits; `calls` counts them too (DESIGN /_sandbox/stats)."""
        for _ in range(8):
            raw(server, "GET", LIST)
        stats = raw(server, "GET", "/_sandbox/stats").json
        assert stats["throttled"] == 3
        assert stats["calls"] == 8
        assert stats["faults"]["429"] == 0


class TestSearchLimit:
    """HubSpot: "rate limited to five requests per second per account" (search guide, Limits)."""

    def test_search_over_the_per_second_limit_is_429_secondly(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """Search past its limit: 429, policy SECONDLY, the secondly message (nodejs RetryDecorator; notes §3)."""
        server = make_sandbox(small_portal(), search_rate_limit=3)
        statuses = [raw(server, "POST", SEARCH, {"limit": 1}).status for _ in range(3)]
        assert statuses == [200] * 3
        resp = raw(server, "POST", SEARCH, {"limit": 1})
        _assert_rate_limit_body(resp, "SECONDLY")
        assert resp.json["message"] == "You have reached your secondly limit."
        assert not [h for h in resp.headers if h.lower().startswith("x-hubspot-ratelimit")]

    def test_search_limit_is_per_portal(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """The search limit is shared by all tokens of the portal ("per account", search guide)."""
        server = make_sandbox(small_portal(), search_rate_limit=2)
        raw(server, "POST", SEARCH, {}, token="a")
        raw(server, "POST", SEARCH, {}, token="b")
        assert raw(server, "POST", SEARCH, {}, token="c").status == 429

    def test_search_limit_recovers_after_the_window(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """The per-second window rolls; time_scale shortens it (DESIGN --time-scale)."""
        server = make_sandbox(small_portal(), search_rate_limit=2, time_scale=4)
        raw(server, "POST", SEARCH, {})
        raw(server, "POST", SEARCH, {})
        assert raw(server, "POST", SEARCH, {}).status == 429
        time.sleep(0.3)
        assert raw(server, "POST", SEARCH, {}).status == 200

    def test_non_search_requests_do_not_use_search_budget(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """Only search counts against the search limit (search guide, Limits)."""
        server = make_sandbox(small_portal(), search_rate_limit=1)
        for _ in range(5):
            assert raw(server, "GET", LIST).status == 200
        assert raw(server, "POST", SEARCH, {}).status == 200


class TestDailyLimit:
    """Requests per day per portal, search included (usage guidelines; DESIGN --daily-limit)."""

    def test_over_the_daily_limit_is_429_daily(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """Past the daily limit every request is 429 DAILY "You have reached your daily limit." (usage details)."""
        server = make_sandbox(small_portal(), daily_limit=3)
        assert raw(server, "GET", LIST).header("X-HubSpot-RateLimit-Daily-Remaining") == "2"
        assert raw(server, "POST", SEARCH, {}).status == 200
        assert raw(server, "GET", LIST).status == 200
        resp = raw(server, "GET", LIST)
        _assert_rate_limit_body(resp, "DAILY")
        assert resp.json["message"] == "You have reached your daily limit."
        assert resp.header("X-HubSpot-RateLimit-Daily-Remaining") == "0"
        _assert_rate_limit_body(raw(server, "POST", SEARCH, {}), "DAILY")
        assert raw(server, "GET", "/_sandbox/stats").json["throttled"] == 2
