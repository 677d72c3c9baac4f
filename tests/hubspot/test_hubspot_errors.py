"""Error mapping at the HubSpot boundary: SDK / urllib3 exceptions -> the connector's errors."""

from __future__ import annotations

import http.client
import importlib
import json
from typing import Any

import pytest
import urllib3.exceptions
from urllib3 import HTTPHeaderDict

from connector.errors import (
    HubSpotAuthError,
    HubSpotRequestError,
    HubSpotUnavailable,
    MissingScopeError,
)
from connector.hubspot.errors import (
    RetriableError,
    WriteOutcomeUnknown,
    classify,
    parse_error_body,
    retry_after_seconds,
)
from connector.hubspot.retry import RetryPolicy

TOKEN = "pat-na1-secret-token-0000"

# Every SDK sub-package has its own ApiException family; the mapping must not care which.
SDK_PACKAGES = [
    "hubspot.crm.objects",
    "hubspot.crm.contacts",
    "hubspot.crm.companies",
    "hubspot.crm.associations.v4",
    "hubspot.crm.owners",
    "hubspot.crm.properties",
    "hubspot.crm.objects.tasks",
    "hubspot.crm.objects.feedback_submissions",
]


class FakeHttpResponse:
    """What the SDK's ApiException reads from an HTTP response."""

    def __init__(self, status: int, body: str | bytes, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = http.client.responses.get(status, "")
        self.data = body
        self._headers = HTTPHeaderDict(headers or {})

    def getheaders(self) -> HTTPHeaderDict:
        return self._headers


def sdk_exception(
    package: str, status: int, body: Any = None, headers: dict[str, str] | None = None, cls: str = "ApiException"
) -> Exception:
    """An exception exactly as the SDK package raises it for an HTTP answer."""
    module = importlib.import_module(f"{package}.exceptions")
    text = body if isinstance(body, str | bytes) else json.dumps(body if body is not None else {})
    exc: Exception = getattr(module, cls)(http_resp=FakeHttpResponse(status, text, headers))
    return exc


def body(message: str, category: str = "", **extra: Any) -> dict[str, Any]:
    return {"status": "error", "message": message, "correlationId": "c0ffee", "category": category, **extra}


BURST_429 = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "correlationId": "x",
    "policyName": "TEN_SECONDLY_ROLLING",
}
DAILY_429 = {**BURST_429, "message": "You have reached your daily limit.", "policyName": "DAILY"}
SCOPES_403 = body(
    "This app hasn't been granted all required scopes to make this call.",
    "MISSING_SCOPES",
    errors=[
        {
            "message": "One or more of the following scopes are required.",
            "context": {"requiredGranularScopes": ["crm.objects.contacts.write"]},
        }
    ],
)


@pytest.mark.parametrize("package", SDK_PACKAGES)
class TestEveryPackageIsMapped:
    def test_401_is_an_auth_error(self, package: str) -> None:
        """A 401 from any package becomes HubSpotAuthError with HubSpot's category and message."""
        exc = sdk_exception(
            package,
            401,
            body("Authentication credentials not found.", "INVALID_AUTHENTICATION"),
            cls="UnauthorizedException",
        )
        mapped = classify(exc, operation="contacts.list", secret=TOKEN)
        assert isinstance(mapped, HubSpotAuthError)
        assert str(mapped).startswith("HubSpot rejected the access token (401 INVALID_AUTHENTICATION): ")
        assert "Authentication credentials not found." in str(mapped)
        assert mapped.exit_code == 3

    def test_403_names_the_scopes_from_the_body(self, package: str) -> None:
        """The scopes HubSpot lists in errors[].context.requiredGranularScopes are named."""
        mapped = classify(sdk_exception(package, 403, SCOPES_403, cls="ForbiddenException"), operation="tasks.create")
        assert isinstance(mapped, MissingScopeError)
        assert mapped.scopes == ["crm.objects.contacts.write"]
        assert "crm.objects.contacts.write" in str(mapped)
        assert mapped.exit_code == 3

    def test_404_is_a_request_error(self, package: str) -> None:
        """A 404 keeps its status, category and HubSpot's message."""
        exc = sdk_exception(package, 404, body("Object not found.", "OBJECT_NOT_FOUND"), cls="NotFoundException")
        mapped = classify(exc, operation="contacts.get")
        assert isinstance(mapped, HubSpotRequestError)
        assert (mapped.status, mapped.category) == (404, "OBJECT_NOT_FOUND")
        assert "Object not found." in str(mapped)

    def test_429_burst_is_retriable(self, package: str) -> None:
        """A ten-secondly 429 is retried after the 10-second window."""
        mapped = classify(sdk_exception(package, 429, BURST_429), operation="contacts.list")
        assert isinstance(mapped, RetriableError)
        assert (mapped.status, mapped.min_wait) == (429, 10.0)

    def test_503_is_retriable(self, package: str) -> None:
        """A 5xx (ServiceException) is retried."""
        mapped = classify(sdk_exception(package, 503, "upstream", cls="ServiceException"), operation="x")
        assert isinstance(mapped, RetriableError)
        assert mapped.status == 503


class TestStatusClassification:
    @pytest.mark.parametrize("status", [400, 409, 422])
    def test_other_4xx_are_request_errors(self, status: int) -> None:
        """Invalid requests are fatal for the call and keep HubSpot's category."""
        exc = sdk_exception("hubspot.crm.objects", status, body("Property values were not valid", "VALIDATION_ERROR"))
        mapped = classify(exc, operation="contacts.batch_update")
        assert isinstance(mapped, HubSpotRequestError)
        assert mapped.status == status
        assert mapped.category == "VALIDATION_ERROR"
        assert "contacts.batch_update" in str(mapped)
        assert "Property values were not valid" in str(mapped)

    def test_409_conflict_message_is_kept(self) -> None:
        """The conflict text HubSpot sends reaches the admin."""
        exc = sdk_exception("hubspot.crm.contacts", 409, body("Contact already exists. Existing ID: 377", "CONFLICT"))
        mapped = classify(exc, operation="contacts.create")
        assert isinstance(mapped, HubSpotRequestError)
        assert "Contact already exists. Existing ID: 377" in str(mapped)

    @pytest.mark.parametrize("status", [500, 502, 503, 504, 521, 522, 523, 524])
    def test_transient_5xx_are_retriable(self, status: int) -> None:
        """The 5xx codes HubSpot documents as transient are retried."""
        mapped = classify(sdk_exception("hubspot.crm.objects", status, "oops"), operation="x")
        assert isinstance(mapped, RetriableError)

    def test_other_5xx_are_unavailable_at_once(self) -> None:
        """A 501 will not get better by retrying."""
        mapped = classify(sdk_exception("hubspot.crm.objects", 501, "no"), operation="x")
        assert isinstance(mapped, HubSpotUnavailable)

    def test_423_waits_at_least_two_seconds(self) -> None:
        """A locked portal (423) is retried no sooner than 2 s later."""
        mapped = classify(sdk_exception("hubspot.crm.objects", 423, body("Locked", "LOCKED")), operation="x")
        assert isinstance(mapped, RetriableError)
        assert mapped.min_wait == 2.0

    def test_429_daily_is_not_retried(self) -> None:
        """The daily limit will not reset within a run: HubSpotUnavailable naming it."""
        mapped = classify(sdk_exception("hubspot.crm.objects", 429, DAILY_429), operation="contacts.batch_update")
        assert isinstance(mapped, HubSpotUnavailable)
        assert "DAILY" in str(mapped)
        assert "contacts.batch_update" in str(mapped)

    def test_search_429_waits_one_second(self) -> None:
        """The search limit is per second, so its 429 waits 1 s, not 10."""
        secondly = {**BURST_429, "message": "You have reached your secondly limit.", "policyName": "SECONDLY"}
        mapped = classify(sdk_exception("hubspot.crm.objects", 429, secondly), operation="x", search=True)
        assert isinstance(mapped, RetriableError)
        assert mapped.min_wait == 1.0

    def test_429_honours_retry_after(self) -> None:
        """A Retry-After header is carried to the retry policy."""
        exc = sdk_exception("hubspot.crm.objects", 429, BURST_429, headers={"Retry-After": "3"})
        mapped = classify(exc, operation="x")
        assert isinstance(mapped, RetriableError)
        assert mapped.retry_after == 3.0

    def test_429_uses_the_interval_header_as_window(self) -> None:
        """X-HubSpot-RateLimit-Interval-Milliseconds sets the burst window when present."""
        exc = sdk_exception(
            "hubspot.crm.objects", 429, BURST_429, headers={"X-HubSpot-RateLimit-Interval-Milliseconds": "5000"}
        )
        mapped = classify(exc, operation="x")
        assert isinstance(mapped, RetriableError)
        assert mapped.min_wait == 5.0

    def test_403_without_scopes_in_body_names_the_documented_ones(self) -> None:
        """When HubSpot does not list scopes, the caller's documented scopes are named."""
        exc = sdk_exception("hubspot.crm.owners", 403, body("This app hasn't been granted all required scopes"))
        mapped = classify(exc, operation="owners.list", scopes=("crm.objects.owners.read",))
        assert isinstance(mapped, MissingScopeError)
        assert mapped.scopes == ["crm.objects.owners.read"]
        assert "crm.objects.owners.read" in str(mapped)

    def test_status_zero_is_an_unusable_answer(self) -> None:
        """The SDK's status-0 exceptions (TLS, undecodable answers) are not retried."""
        module = importlib.import_module("hubspot.crm.objects.exceptions")
        exc = module.ApiException(status=0, reason="Failed to parse `x` as datetime object")
        mapped = classify(exc, operation="contacts.list")
        assert isinstance(mapped, HubSpotRequestError)
        assert "Failed to parse" in str(mapped)

    def test_gateway_timeout_on_a_non_idempotent_write_is_uncertain(self) -> None:
        """A 504 may hide an applied write: task creation must not blindly repeat it."""
        exc = sdk_exception("hubspot.crm.objects", 504, "gateway timeout")
        assert isinstance(classify(exc, operation="tasks.batch_create", write_safe_to_retry=False), WriteOutcomeUnknown)
        assert isinstance(classify(exc, operation="contacts.batch_update"), RetriableError)

    def test_429_and_500_on_a_non_idempotent_write_are_still_retried(self) -> None:
        """An answer with a body means HubSpot did not apply the write."""
        for status, payload in ((429, BURST_429), (500, body("internal"))):
            exc = sdk_exception("hubspot.crm.objects", status, payload)
            assert isinstance(classify(exc, operation="t", write_safe_to_retry=False), RetriableError)


class TestMessagesNeverLeakSecrets:
    def test_token_in_a_body_message_is_redacted(self) -> None:
        """Even if HubSpot echoed the token, the message does not carry it."""
        exc = sdk_exception("hubspot.crm.objects", 401, body(f"token {TOKEN} is invalid", "INVALID_AUTHENTICATION"))
        mapped = classify(exc, operation="contacts.list", secret=TOKEN)
        assert TOKEN not in str(mapped)
        assert "***" in str(mapped)

    def test_response_headers_are_never_in_messages(self) -> None:
        """The SDK's str(exc) dumps response headers; our messages never do."""
        headers = {"X-Secret-Header": "do-not-print-me", "x-hubspot-correlation-id": "abc"}
        exc = sdk_exception("hubspot.crm.objects", 400, body("bad", "VALIDATION_ERROR"), headers=headers)
        assert "do-not-print-me" in str(exc)  # the SDK would leak it...
        for status in (400, 401, 403, 429, 500):
            exc = sdk_exception("hubspot.crm.objects", status, body("bad", "X"), headers=headers)
            assert "do-not-print-me" not in str(classify(exc, operation="op"))  # ...we do not


class TestConnectionErrors:
    dropped = urllib3.exceptions.ProtocolError(
        "Connection aborted.", http.client.RemoteDisconnected("Remote end closed connection without response")
    )
    refused = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: refused")  # type: ignore[arg-type]
    read_timeout = urllib3.exceptions.ReadTimeoutError(None, "/crm", "Read timed out.")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "exc",
        [
            dropped,
            refused,
            read_timeout,
            ConnectionResetError(104, "Connection reset by peer"),
            http.client.RemoteDisconnected("gone"),
            urllib3.exceptions.MaxRetryError(None, "/crm", reason=refused),  # type: ignore[arg-type]
        ],
    )
    def test_connection_failures_are_retriable_for_idempotent_calls(self, exc: Exception) -> None:
        """Reads, searches and batch updates may simply be tried again."""
        assert isinstance(classify(exc, operation="contacts.batch_read"), RetriableError)

    @pytest.mark.parametrize(
        "exc",
        [
            dropped,
            read_timeout,
            ConnectionResetError(104, "reset"),
            urllib3.exceptions.MaxRetryError(None, "/crm", reason=dropped),  # type: ignore[arg-type]
        ],
    )
    def test_failures_after_sending_a_create_are_uncertain(self, exc: Exception) -> None:
        """A create whose connection dropped after sending may have landed: WriteOutcomeUnknown."""
        mapped = classify(exc, operation="tasks.batch_create", write_safe_to_retry=False)
        assert isinstance(mapped, WriteOutcomeUnknown)
        assert mapped.exit_code == 5
        assert "tasks.batch_create" in str(mapped)

    @pytest.mark.parametrize(
        "exc",
        [refused, urllib3.exceptions.MaxRetryError(None, "/crm", reason=refused)],  # type: ignore[arg-type]
    )
    def test_a_create_that_never_connected_is_retried(self, exc: Exception) -> None:
        """A refused connection sent nothing, so even a create is safe to repeat."""
        assert isinstance(classify(exc, operation="tasks.batch_create", write_safe_to_retry=False), RetriableError)

    def test_programming_errors_are_not_ours(self) -> None:
        """Anything that is not an HTTP or connection failure is left alone."""
        assert classify(TypeError("bad argument"), operation="x") is None
        assert classify(KeyError("k"), operation="x") is None


class TestParseErrorBody:
    def test_reads_a_full_body(self) -> None:
        """Message, category, policy and scopes come out of HubSpot's JSON."""
        parsed = parse_error_body(json.dumps(SCOPES_403))
        assert parsed.category == "MISSING_SCOPES"
        assert parsed.required_scopes == ("crm.objects.contacts.write",)

    @pytest.mark.parametrize("raw", [None, "", "<html>502 Bad Gateway</html>", b"\xff\xfe", "[1, 2]", "null", b"{}"])
    def test_never_raises_on_odd_bodies(self, raw: Any) -> None:
        """HTML, empty, binary or non-object bodies give an (almost) empty result."""
        parsed = parse_error_body(raw)
        assert parsed.category == ""

    def test_bytes_bodies_are_decoded(self) -> None:
        """Bodies are bytes before the SDK decodes them; both work."""
        assert parse_error_body(json.dumps(DAILY_429).encode()).policy_name == "DAILY"

    def test_wrongly_typed_fields_are_ignored(self) -> None:
        """A body whose fields have unexpected types does not break the mapping."""
        parsed = parse_error_body({"message": 5, "category": None, "errors": "nope", "context": []})
        assert (parsed.message, parsed.category, parsed.required_scopes) == ("", "", ())


class TestRetryAfter:
    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"Retry-After": "7"}, 7.0),
            ({"retry-after": "1.5"}, 1.5),
            ({"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
            ({}, None),
            (None, None),
        ],
    )
    def test_parses_seconds_only(self, headers: dict[str, str] | None, expected: float | None) -> None:
        """Numeric Retry-After values are honoured; dates are ignored."""
        assert retry_after_seconds(headers) == expected


class TestRetryPolicy:
    def test_retry_after_replaces_the_backoff(self) -> None:
        """A server-given wait is used as is."""
        policy = RetryPolicy(jitter=lambda: 0.0)
        assert policy.wait_for(RetriableError("429", retry_after=3.0, min_wait=10.0), 1) == 3.0

    def test_burst_429_waits_the_window_then_backs_off(self) -> None:
        """The first waits are the 10-second window; later ones grow past it, capped."""
        policy = RetryPolicy(jitter=lambda: 0.999, base_delay_s=1.0, max_delay_s=30.0)
        failure = RetriableError("429", status=429, min_wait=10.0)
        waits = [policy.wait_for(failure, n) for n in range(1, 8)]
        assert waits[0] == 10.0
        assert waits == sorted(waits)
        assert waits[-1] <= 30.0
        assert waits[-1] > 10.0

    def test_backoff_is_exponential_jittered_and_capped(self) -> None:
        """Backoff doubles per retry within [half, full] of its ceiling, up to the cap."""
        low = RetryPolicy(jitter=lambda: 0.0, base_delay_s=0.5, max_delay_s=8.0)
        high = RetryPolicy(jitter=lambda: 0.9999, base_delay_s=0.5, max_delay_s=8.0)
        assert [low.backoff(n) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
        assert high.backoff(6) == pytest.approx(8.0, rel=1e-3)
