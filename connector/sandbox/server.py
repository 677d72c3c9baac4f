"""The sandbox's HTTP transport: dispatch, auth, scopes, limits, faults, stats, sandbox-only endpoints.

The routes of every API version family are in routes.py; this module serves them all alike.

A threaded stdlib server (HTTP/1.1 keep-alive) rather than an ASGI stack: the `reset` and
`lost` faults must drop a TCP connection with no response, which needs the raw socket.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connector.sandbox import api
from connector.sandbox.errors import ApiError
from connector.sandbox.fixture import load_portal, snapshot, string_props
from connector.sandbox.limits import FAULT_KINDS, Faults, RateLimits, rate_limit_body
from connector.sandbox.routes import match_route, required_scopes
from connector.sandbox.rules import RuleError, ValidationRule, parse_rules
from connector.sandbox.search import parse_instant_ms
from connector.sandbox.store import Portal, Record, iso_ms
from connector.sandbox.versions import unknown_version

ALL_SCOPES = frozenset({"*"})


@dataclass
class SandboxOptions:
    """Everything `nps-connector sandbox` can set."""

    token: str | None = None
    rate_limit: int = 190
    search_rate_limit: int = 5
    daily_limit: int = 1_000_000
    search_lag_ms: float = 2000
    time_scale: float = 1.0
    faults: str | None = None
    state_file: Path | None = None
    log_requests: bool = True


class Sandbox:
    """A portal plus the HTTP-level state (tokens, limits, faults, stats)."""

    def __init__(self, fixture: dict[str, Any], options: SandboxOptions) -> None:
        self.options = options
        self.fixture = fixture
        if options.time_scale <= 0:
            raise ValueError("--time-scale must be positive")
        self.faults = Faults.parse(options.faults)
        self.limits = RateLimits(
            options.rate_limit, options.search_rate_limit, options.daily_limit, options.time_scale, time.monotonic
        )
        self.tokens: dict[str, frozenset[str]] = {}
        self.portal = self._build(fixture)
        self.stats_lock = threading.Lock()
        self.reset_stats()
        self._dirty = False

    def _build(self, fixture: dict[str, Any]) -> Portal:
        source = fixture
        state = self.options.state_file
        if state is not None and state.exists():
            source = json.loads(state.read_text(encoding="utf-8"))
        portal = self._load(source)
        self.tokens = {str(t["token"]): frozenset(t.get("scopes") or ()) for t in source.get("tokens") or []}
        if self.options.token:
            self.tokens[self.options.token] = ALL_SCOPES
        return portal

    def _load(self, data: dict[str, Any]) -> Portal:
        # --time-scale shrinks the search lag like every other window.
        return load_portal(data, search_lag_ms=self.options.search_lag_ms / self.options.time_scale)

    def reset_stats(self) -> None:
        """Zero the counters of /_sandbox/stats."""
        with self.stats_lock:
            self.calls = 0
            self.writes = 0
            self.throttled = 0
            self.by_route: Counter[str] = Counter()
            self.fault_counts: Counter[str] = Counter(dict.fromkeys(FAULT_KINDS, 0))

    def stats(self) -> dict[str, Any]:
        """The /_sandbox/stats body."""
        with self.stats_lock:
            return {
                "calls": self.calls,
                "writes": self.writes,
                "throttled": self.throttled,
                "by_route": dict(self.by_route),
                "faults": {k: self.fault_counts[k] for k in FAULT_KINDS},
            }

    def scopes_for(self, token: str) -> frozenset[str] | None:
        """The token's scopes, or None when it is not accepted."""
        if token in self.tokens:
            return self.tokens[token]
        if not self.options.token and token:
            return ALL_SCOPES  # without --token any non-empty bearer token is accepted
        return None

    def reset(self) -> None:
        """Back to the fixture (POST /_sandbox/reset)."""
        portal = self._load(self.fixture)
        with self.portal.lock:
            self.portal = portal
        self.reset_stats()
        self.mark_dirty()

    def add_submissions(self, items: list[dict[str, Any]]) -> int:
        """POST /_sandbox/feedback_submissions: answers arrive now unless their times are given."""
        portal = self.portal
        with portal.lock:
            now = portal.now_ms()
            for item in items:
                props = string_props(item)
                rid = str(item.get("id") or portal.new_id())
                portal.reserve_ids([rid])
                contact = portal.resolve("contacts", str(item["contact_id"])) if item.get("contact_id") else None
                if item.get("contact_id") and contact is None:
                    raise ApiError(400, "VALIDATION_ERROR", f"contact {item['contact_id']} does not exist")
                if contact is not None:
                    props.setdefault("hs_contact_id", contact.id)
                props.setdefault("hs_createdate", iso_ms(now))
                props.setdefault("hs_submission_timestamp", iso_ms(now))
                created = parse_instant_ms(props["hs_createdate"]) or now
                modified = parse_instant_ms(props.get("hs_lastmodifieddate", "")) or now
                portal.put_record("feedback_submissions", Record(rid, props, created, modified))
                if contact is not None:
                    portal.associate("feedback_submissions", rid, "contacts", contact.id, 98)
        self.mark_dirty()
        return len(items)

    def add_validation_rules(self, rules: list[ValidationRule]) -> int:
        """POST /_sandbox/validation_rules: switch rules on at runtime (enforced from API version 2026-09)."""
        with self.portal.lock:
            self.portal.validation_rules = [*self.portal.validation_rules, *rules]
        self.mark_dirty()
        return len(rules)

    def clear_validation_rules(self) -> int:
        """DELETE /_sandbox/validation_rules: switch every rule off; the number removed."""
        with self.portal.lock:
            removed = len(self.portal.validation_rules)
            self.portal.validation_rules = []
        self.mark_dirty()
        return removed

    def mark_dirty(self) -> None:
        """Note that the --state file needs writing."""
        self._dirty = True

    def save_state(self) -> None:
        """Write the portal to the --state file (atomically) when it changed."""
        path = self.options.state_file
        if path is None or not self._dirty:
            return
        self._dirty = False
        data = snapshot(self.portal)
        data["tokens"] = [{"token": t, "scopes": sorted(s)} for t, s in self.tokens.items() if s is not ALL_SCOPES]
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)


class _Drop(Exception):
    """Drop the connection without an answer."""


class Handler(BaseHTTPRequestHandler):
    """One HTTP connection (keep-alive)."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY each response waits ~40 ms.
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        """Serve GET."""
        self._serve()

    def do_POST(self) -> None:
        """Serve POST."""
        self._serve()

    def do_PATCH(self) -> None:
        """Serve PATCH."""
        self._serve()

    def do_DELETE(self) -> None:
        """Serve DELETE."""
        self._serve()

    def do_PUT(self) -> None:
        """Serve PUT."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Request logs go to stderr only (stdout carries the `listening on` line)."""
        if self.server.sandbox.options.log_requests:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        try:
            if url.path.startswith("/_sandbox/"):
                status, body, headers = self._sandbox_endpoint(url.path, raw)
            else:
                status, body, headers = self._api(url.path, url.query, raw)
        except _Drop:
            self._drop()
            return
        self._send(status, body, headers)

    def _token(self) -> str:
        auth = self.headers.get("Authorization") or ""
        return auth[7:].strip() if auth[:7].lower() == "bearer " else ""

    def _api(self, path: str, query: str, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        sandbox = self.server.sandbox
        route, params, path_known = match_route(self.command, path)
        template = f"{self.command} {route.template}" if route else f"{self.command} {path}"
        fault = sandbox.faults.draw()
        with sandbox.stats_lock:
            sandbox.calls += 1
            sandbox.by_route[template] += 1
            if fault:
                sandbox.fault_counts[fault] += 1
        search = route is not None and route.template.endswith("/search")
        if fault == "reset":
            raise _Drop
        if fault == "429":
            throttle = rate_limit_body("SECONDLY" if search else "TEN_SECONDLY_ROLLING")
            return 429, throttle, sandbox.limits.headers(self._token(), search)
        if fault in ("500", "502"):
            message = "internal error" if fault == "500" else "Bad Gateway"
            return int(fault), ApiError(int(fault), "", message).body(), {}
        if fault == "slow":
            time.sleep(2.0 / sandbox.options.time_scale)
        token = self._token()
        scopes = sandbox.scopes_for(token)
        if scopes is None:
            return 401, _auth_error(), {"x-hubspot-auth-failure": "401 Unauthorized"}
        policy, limit_headers = sandbox.limits.check(token, search)
        if policy:
            with sandbox.stats_lock:
                sandbox.throttled += 1
            return 429, rate_limit_body(policy), limit_headers
        if route is None:
            status, out = _no_route(self.command, path, path_known)
            return status, out, limit_headers
        needed = required_scopes(route, params)
        if scopes is not ALL_SCOPES and needed and not scopes.intersection(needed):
            return 403, _scope_error(needed), limit_headers
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError as exc:
            err = ApiError(400, "", f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}")
            return 400, err.body(), limit_headers
        if search and len(raw) > 3000:
            err = ApiError(400, "VALIDATION_ERROR", "The request body is too large: the limit is 3000 characters.")
            return 400, err.body(), limit_headers
        req = api.Request(self.command, params, parse_qs(query, keep_blank_values=True), body, version=route.version)
        try:
            with sandbox.portal.lock:
                status, out = route.handler(sandbox.portal, req)
        except ApiError as err:
            status, out = err.status, err.body()
        if req.wrote:
            with sandbox.stats_lock:
                sandbox.writes += 1
            sandbox.mark_dirty()
        if fault == "lost":
            raise _Drop  # the write landed; the client never hears about it
        return status, out, limit_headers

    def _sandbox_endpoint(self, path: str, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        sandbox = self.server.sandbox
        if sandbox.scopes_for(self._token()) is None:
            return 401, _auth_error(), {}
        key = (self.command, path)
        try:
            if key == ("GET", "/_sandbox/stats"):
                return 200, sandbox.stats(), {}
            if key == ("GET", "/_sandbox/snapshot"):
                return 200, snapshot(sandbox.portal), {}
            if key == ("POST", "/_sandbox/reset"):
                sandbox.reset()
                return 200, {"reset": True}, {}
            if key == ("POST", "/_sandbox/feedback_submissions"):
                body = json.loads(raw or b"{}")
                items = body.get("feedback_submissions")
                if not isinstance(items, list):
                    raise ApiError(400, "VALIDATION_ERROR", 'expected {"feedback_submissions": [...]}')
                return 201, {"added": sandbox.add_submissions(items)}, {}
            if path == "/_sandbox/validation_rules":
                return self._validation_rules(raw)
        except ApiError as err:
            return err.status, err.body(), {}
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            return 400, ApiError(400, "VALIDATION_ERROR", f"bad request: {exc}").body(), {}
        return 404, ApiError(404, "", f"No sandbox endpoint {self.command} {path}").body(), {}

    def _validation_rules(self, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        """GET lists the portal's rules, POST adds some (201), DELETE removes them all."""
        sandbox = self.server.sandbox
        if self.command == "GET":
            with sandbox.portal.lock:
                return 200, {"validation_rules": [r.to_json() for r in sandbox.portal.validation_rules]}, {}
        if self.command == "DELETE":
            return 200, {"removed": sandbox.clear_validation_rules()}, {}
        if self.command != "POST":
            raise ApiError(405, "", f"No sandbox endpoint {self.command} /_sandbox/validation_rules")
        body = json.loads(raw or b"{}")
        try:
            rules = parse_rules(body.get("validation_rules") if isinstance(body, dict) else body)
        except RuleError as exc:
            raise ApiError(400, "VALIDATION_ERROR", str(exc)) from None
        return 201, {"added": sandbox.add_validation_rules(rules)}, {}

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _drop(self) -> None:
        """Abort the TCP connection (RST) without writing a byte."""
        self.close_connection = True
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.log_message('"%s" dropped', self.requestline)


def _no_route(method: str, path: str, path_known: bool) -> tuple[int, dict[str, Any]]:
    """405 for a known path with another method; 404 (HubSpot's error body) for unknown paths and versions."""
    if path_known:
        return 405, ApiError(405, "", f"No route for {method} {path}").body()
    version = unknown_version(path)
    message = f"No route for {method} {path}"
    if version is not None:
        message = f"resource not found: API version {version} does not exist ({method} {path})"
    return 404, ApiError(404, "OBJECT_NOT_FOUND", message).body()


def _auth_error() -> dict[str, Any]:
    return ApiError(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
        "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    ).body()


def _scope_error(scopes: tuple[str, ...]) -> dict[str, Any]:
    return ApiError(
        403,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes "
        "here: https://developers.hubspot.com/scopes.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": list(scopes)},
            }
        ],
        extra={"links": {"scopes": "https://developers.hubspot.com/scopes"}},
    ).body()


class SandboxHTTPServer(ThreadingHTTPServer):
    """Threaded HTTP server bound to the sandbox."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        super().__init__(address, Handler)
        self.sandbox = sandbox

    @property
    def url(self) -> str:
        """The base URL clients use."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


@contextmanager
def serve_in_thread(
    fixture: dict[str, Any], options: SandboxOptions | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[SandboxHTTPServer]:
    """Run a sandbox on a real socket in a background thread (tests, demo)."""
    server = SandboxHTTPServer((host, port), Sandbox(fixture, options or SandboxOptions()))
    # A short poll interval: shutdown() waits up to one interval, and tests start many servers.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="sandbox", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.sandbox.save_state()
