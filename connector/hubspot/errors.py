"""The one boundary where SDK and urllib3 exceptions become the connector's errors.

Every `hubspot-api-client` sub-package (crm.objects, crm.contacts, crm.associations.v4,
crm.owners, crm.properties, ...) raises its *own* `ApiException` class, so exceptions are
recognised by duck typing on ``.status`` / ``.body`` / ``.headers``, never by class.

`classify` decides what the caller does next (meltano-style):

    retriable  -> `RetriableError` (internal; the retry loop waits and tries again)
                  429 burst/secondly, 423, 477, 500/502/503/504/521-524, dropped connections, timeouts
    fatal      -> a `connector.errors.ConnectorError`
                  401 -> HubSpotAuthError, 403 -> MissingScopeError,
                  429 DAILY / other 5xx -> HubSpotUnavailable,
                  dropped connection after a non-idempotent write was sent -> WriteOutcomeUnknown,
                  400/404/409/other 4xx -> HubSpotRequestError
    config     -> `ConfigError` (exit 2): a base URL urllib3 cannot parse, TLS refused by the server
                  at base_url (https:// to a plain-HTTP server, an untrusted certificate), a token
                  an HTTP header cannot carry — each says what to change, never echoing the token
    not ours   -> None (a programming error: the caller re-raises the original exception)

Messages are for the CRM admin, never contain the access token and never include request
headers (the SDK's own ``str(exc)`` dumps response headers, so it is never used).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3.exceptions

from connector.errors import (
    ConfigError,
    ConnectorError,
    HubSpotAuthError,
    HubSpotRequestError,
    HubSpotUnavailable,
    MissingScopeError,
)

# 477 "Migration in progress" comes with a Retry-After; the retry policy gives up when it is long.
RETRIABLE_STATUSES = frozenset({423, 429, 477, 500, 502, 503, 504, 521, 522, 523, 524})
# A gateway that timed out may have let the request through to HubSpot: for a write that must
# not be repeated blindly these are as uncertain as a dropped connection.
UNCERTAIN_WRITE_STATUSES = frozenset({504, 524})
LOCKED_MIN_WAIT_S = 2.0  # 423: HubSpot documents a 2-second sync lock
BURST_WINDOW_S = 10.0  # TEN_SECONDLY_ROLLING
SECONDLY_WINDOW_S = 1.0  # search / SECONDLY


class WriteOutcomeUnknown(ConnectorError):
    """Raised when a non-idempotent write (task creation) may or may not have been applied.

    The connection dropped or timed out after the request was sent, so HubSpot may have
    applied it. The caller must reconcile (look for what it tried to create) before trying
    again. `created_ids` lists what this call did create for certain before the uncertain
    request; `uncertain` the inputs of the uncertain request; `not_sent` the inputs never sent.
    """

    exit_code = 5

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        created_ids: Sequence[str] = (),
        uncertain: Sequence[Any] = (),
        not_sent: Sequence[Any] = (),
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.created_ids = list(created_ids)
        self.uncertain = list(uncertain)
        self.not_sent = list(not_sent)


class RetriableError(Exception):
    """Internal: a failure worth retrying. Never leaves the HubSpot layer.

    `min_wait` is the least time to wait before retrying (rate-limit window, lock time);
    `retry_after` is a server-given wait that replaces the backoff when set.
    """

    def __init__(
        self,
        description: str,
        *,
        status: int | None = None,
        min_wait: float = 0.0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.status = status
        self.min_wait = min_wait
        self.retry_after = retry_after


@dataclass(frozen=True)
class ErrorBody:
    """The useful fields of a HubSpot error body (all optional, as HubSpot documents)."""

    message: str = ""
    category: str = ""
    policy_name: str = ""
    error_type: str = ""
    required_scopes: tuple[str, ...] = ()
    context_ids: tuple[str, ...] = ()


def parse_error_body(body: object) -> ErrorBody:
    """Parse a HubSpot error body (str, bytes or dict) without ever raising."""
    data: object = body
    if isinstance(body, bytes | bytearray):
        data = bytes(body).decode("utf-8", errors="replace")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return ErrorBody(message=str(data).strip()[:500])
    if not isinstance(data, dict):
        return ErrorBody()
    scopes: list[str] = []
    for item in _as_list(data.get("errors")):
        if isinstance(item, dict):
            context = item.get("context")
            if isinstance(context, dict):
                scopes.extend(str(s) for s in _as_list(context.get("requiredGranularScopes")))
    ids: list[str] = []
    context = data.get("context")
    if isinstance(context, dict):
        ids.extend(str(i) for i in _as_list(context.get("ids") or context.get("id")))
    return ErrorBody(
        message=_as_str(data.get("message")),
        category=_as_str(data.get("category")),
        policy_name=_as_str(data.get("policyName")),
        error_type=_as_str(data.get("errorType")),
        required_scopes=tuple(dict.fromkeys(scopes)),
        context_ids=tuple(ids),
    )


def classify(
    exc: BaseException,
    *,
    operation: str,
    scopes: Sequence[str] = (),
    search: bool = False,
    write_safe_to_retry: bool = True,
    secret: str | None = None,
    base_url: str = "",
) -> ConnectorError | RetriableError | None:
    """Decide what `exc` means for the caller; see the module docstring for the table."""
    if isinstance(exc, ConnectorError | RetriableError):
        return exc
    config = _config_problem(exc, base_url)
    if config is not None:
        return config
    status = getattr(exc, "status", None)
    if isinstance(status, int) and hasattr(exc, "body"):
        return _classify_status(
            status,
            getattr(exc, "body", None),
            getattr(exc, "headers", None),
            reason=_as_str(getattr(exc, "reason", "")),
            operation=operation,
            scopes=scopes,
            search=search,
            write_safe_to_retry=write_safe_to_retry,
            secret=secret,
        )
    if is_connection_error(exc):
        what = _redact(describe_connection_error(exc), secret)
        if not write_safe_to_retry and request_may_have_been_sent(exc):
            return WriteOutcomeUnknown(
                f"HubSpot {operation}: the connection failed after the request was sent ({what}); "
                "HubSpot may or may not have applied it",
                operation=operation,
            )
        return RetriableError(what)
    return None


def _classify_status(
    status: int,
    body: object,
    headers: object,
    *,
    reason: str,
    operation: str,
    scopes: Sequence[str],
    search: bool,
    write_safe_to_retry: bool,
    secret: str | None,
) -> ConnectorError | RetriableError:
    parsed = parse_error_body(body)
    message = _redact(parsed.message or reason or "no message", secret)
    category = parsed.category
    if status == 401:
        return HubSpotAuthError(
            f"HubSpot rejected the access token (401 {category or 'INVALID_AUTHENTICATION'}): {message}"
        )
    if status == 403:
        named = list(parsed.required_scopes) or list(scopes)
        which = ", ".join(named) if named else "(not named by HubSpot)"
        return MissingScopeError(
            f"HubSpot refused {operation} (403 {category or 'MISSING_SCOPES'}): the private app lacks "
            f"the scope(s) {which}; grant them to the app and use its new token. HubSpot said: {message}",
            scopes=named,
        )
    if status == 429:
        policy = parsed.policy_name.upper()
        if policy == "DAILY" or "daily limit" in parsed.message.lower():
            return HubSpotUnavailable(
                f"HubSpot {operation}: the portal's DAILY API limit is used up (429 DAILY); it resets at "
                "midnight in the account's time zone. HubSpot said: " + message
            )
        window = SECONDLY_WINDOW_S if search or policy == "SECONDLY" else BURST_WINDOW_S
        interval = _interval_seconds(headers)
        if interval is not None and not search:
            window = interval
        return RetriableError(
            f"HTTP 429 {policy or 'RATE_LIMIT'}: {message}",
            status=status,
            min_wait=window,
            retry_after=retry_after_seconds(headers),
        )
    if status in UNCERTAIN_WRITE_STATUSES and not write_safe_to_retry:
        return WriteOutcomeUnknown(
            f"HubSpot {operation}: a gateway timed out (HTTP {status}) after the request was sent; "
            "HubSpot may or may not have applied it",
            operation=operation,
        )
    if status in RETRIABLE_STATUSES:
        return RetriableError(
            f"HTTP {status}{' ' + category if category else ''}: {message}",
            status=status,
            min_wait=LOCKED_MIN_WAIT_S if status == 423 else 0.0,
            retry_after=retry_after_seconds(headers),
        )
    if status >= 500:
        return HubSpotUnavailable(f"HubSpot {operation} failed with HTTP {status}: {message}")
    if status == 0:
        # The SDK raises status 0 for TLS errors and for answers it cannot deserialize.
        return HubSpotRequestError(f"HubSpot {operation}: unusable answer: {message}", status=0)
    return HubSpotRequestError(
        f"HubSpot refused {operation} (HTTP {status}{' ' + category if category else ''}): {message}",
        status=status,
        category=category,
    )


# TLS failures that retrying cannot fix: the server at base_url does not speak TLS, or its
# certificate is not trusted (a proxy that re-signs traffic, a wrong host name).
_TLS_CONFIG_MARKERS = ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "CERTIFICATE_VERIFY_FAILED", "certificate")


def _config_problem(exc: BaseException, base_url: str) -> ConfigError | None:
    """A configuration mistake the SDK or urllib3 surfaces as an odd exception, as one clear line."""
    where = base_url or "hubspot.base_url"
    if isinstance(exc, urllib3.exceptions.LocationValueError):
        # LocationParseError is a subclass; its text names the host and port, never the token.
        return ConfigError(f"hubspot.base_url {where}: not a valid URL ({exc}); write e.g. https://api.hubapi.com")
    tls = _tls_reason(exc)
    if tls is not None and any(marker in tls for marker in _TLS_CONFIG_MARKERS):
        hint = (
            "the server speaks plain HTTP: write http:// in hubspot.base_url (the local sandbox is http://)"
            if "WRONG_VERSION_NUMBER" in tls or "HTTP_REQUEST" in tls
            else "its certificate is not trusted: check the host name in hubspot.base_url, or the proxy's CA"
        )
        return ConfigError(f"hubspot.base_url {where}: the TLS handshake failed ({tls}); {hint}")
    if isinstance(exc, ValueError | UnicodeEncodeError) and "header" in str(exc).lower() + repr(exc.args).lower():
        # http.client puts the whole header (the token) into its message: never pass it on.
        return ConfigError("the access token contains characters an HTTP header cannot carry; copy the token again")
    return None


def _tls_reason(exc: BaseException) -> str | None:
    """The one-line TLS error inside `exc`, also where the SDK's own handler failed on it (an AttributeError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.SSLError | ssl.SSLError):
            return str(current).splitlines()[0][:200] if str(current) else type(current).__name__
        reason = getattr(current, "reason", None)
        # The SDK turns urllib3's SSLError into ApiException(status=0, reason="SSLError\n<text>") and then
        # fails on its own `e.body.decode()` (body is None), so an AttributeError carries it as __context__.
        if getattr(current, "status", None) == 0 and isinstance(reason, str) and reason.startswith("SSLError"):
            lines = [line for line in reason.splitlines()[1:] if line.strip()]
            return (lines[0] if lines else "SSLError")[:200]
        current = current.__cause__ or current.__context__
    return None


def is_connection_error(exc: BaseException) -> bool:
    """True for dropped connections, refused connections and timeouts (urllib3 or stdlib)."""
    return isinstance(
        exc,
        urllib3.exceptions.ProtocolError
        | urllib3.exceptions.MaxRetryError
        | urllib3.exceptions.TimeoutError
        | urllib3.exceptions.NewConnectionError
        | ConnectionError
        | http.client.HTTPException
        | socket.timeout,
    )


def request_may_have_been_sent(exc: BaseException) -> bool:
    """False only when the connection was never established (refused, DNS, connect timeout)."""
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        return request_may_have_been_sent(exc.reason)
    return not isinstance(exc, urllib3.exceptions.ConnectTimeoutError | ConnectionRefusedError)


def describe_connection_error(exc: BaseException) -> str:
    """A short text for a connection failure: the exception class and its innermost cause."""
    inner: BaseException = exc
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        inner = exc.reason
    if isinstance(inner, urllib3.exceptions.ProtocolError) and len(inner.args) > 1:
        cause = inner.args[1]
        if isinstance(cause, BaseException):
            return f"{type(inner).__name__}: {type(cause).__name__}: {cause}"
    return f"{type(inner).__name__}: {inner}"


def retry_after_seconds(headers: object) -> float | None:
    """The `Retry-After` header in seconds, when present and numeric (dates are ignored)."""
    value = _header(headers, "Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds)


def _interval_seconds(headers: object) -> float | None:
    value = _header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
    try:
        return int(value) / 1000.0 if value is not None else None
    except ValueError:
        return None


def _header(headers: object, name: str) -> str | None:
    """Case-insensitive header lookup on an HTTPHeaderDict, a dict or None."""
    if not isinstance(headers, Mapping):
        return None
    getter = getattr(headers, "get", None)
    if getter is not None:
        found = getter(name)
        if found is not None:
            return str(found)
    lowered = name.lower()
    for key, value in headers.items():
        if str(key).lower() == lowered:
            return str(value)
    return None


def _redact(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4:
        return text.replace(secret, "***")
    return text


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _as_str(value: object) -> str:
    return value if isinstance(value, str) else ""
