"""Shared fixtures: sandboxes on real sockets, the official SDK pointed at them, a raw HTTP helper.

Test sandboxes default to no search lag, generous rate limits and no request log; a test about
lag or limits passes its own options.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import hubspot
import pytest
from urllib3.util.retry import Retry

from connector.sandbox.server import SandboxHTTPServer, SandboxOptions, serve_in_thread

TOKEN = "test-token"

# The API versions the end-to-end suites run on; 2026-03 gets a smaller smoke run of its own.
E2E_VERSIONS = ("2026-09", "v3")


def route_key(version: str, numbered: str) -> str:
    """A `/_sandbox/stats` route key on `version`, given as its v3/v4 form (HubSpot's reference paths)."""
    if version == "v3":
        return numbered
    method, path = numbered.split(" ", 1)
    for old, new in (("/crm/v4/associations/", "/crm/associations/{v}/"), ("/crm/v3/objects/", "/crm/objects/{v}/")):
        if path.startswith(old):
            return f"{method} {new.format(v=version)}{path[len(old) :]}"
    raise ValueError(f"no date-based form known for {numbered}")


TEST_OPTIONS: dict[str, Any] = {
    "search_lag_ms": 0,
    "rate_limit": 1_000_000,
    "search_rate_limit": 1_000_000,
    "daily_limit": 1_000_000_000,
    "log_requests": False,
}

MakeSandbox = Callable[..., SandboxHTTPServer]


def _factory(stack: ExitStack) -> MakeSandbox:
    def make(fixture: dict[str, Any] | None = None, **options: Any) -> SandboxHTTPServer:
        opts = SandboxOptions(**{**TEST_OPTIONS, **options})
        return stack.enter_context(serve_in_thread(fixture or {}, opts))

    return make


@pytest.fixture
def make_sandbox() -> Iterator[MakeSandbox]:
    """Start sandboxes for one test: `make_sandbox(fixture, **SandboxOptions overrides)`; all stop after it."""
    with ExitStack() as stack:
        yield _factory(stack)


@pytest.fixture(scope="module")
def make_module_sandbox() -> Iterator[MakeSandbox]:
    """Like `make_sandbox`, but the servers live for the whole test module (read-only suites)."""
    with ExitStack() as stack:
        yield _factory(stack)


def build_sdk(target: SandboxHTTPServer | str, token: str = TOKEN) -> hubspot.HubSpot:
    """The official SDK aimed at a sandbox, with urllib3 retries off so every answer is seen."""
    url = target if isinstance(target, str) else target.url
    return hubspot.HubSpot(access_token=token, host=url, base_url=url, retry=Retry(total=0))


@pytest.fixture
def sdk() -> Callable[..., hubspot.HubSpot]:
    """`sdk(server_or_url, token=TOKEN)` builds a `hubspot.HubSpot` client for a sandbox."""
    return build_sdk


@dataclass
class RawResponse:
    """One raw HTTP answer; `json` is the parsed body (None when empty)."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        lowered = {k.lower(): v for k, v in self.headers.items()}
        return lowered.get(name.lower())


def raw_request(
    target: SandboxHTTPServer | str,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = TOKEN,
    timeout: float = 10.0,
) -> RawResponse:
    """One request over a fresh connection, for what the SDK cannot express (raises on a dropped connection)."""
    url = urlsplit(target if isinstance(target, str) else target.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=timeout)
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return RawResponse(resp.status, dict(resp.getheaders()), resp.read())
    finally:
        conn.close()


@pytest.fixture
def raw() -> Callable[..., RawResponse]:
    """`raw(server, method, path, body=None, token=TOKEN)`: one raw HTTP request."""
    return raw_request
