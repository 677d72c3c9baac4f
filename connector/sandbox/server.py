"""The sandbox's HTTP transport: dispatch, auth, scopes, limits, faults, validation, stats.

The routes of every API version family are in routes.py; this module serves them all alike. Every
request gets an HTTP answer with a JSON body (HubSpot's error body for every error), except the
`reset` and `lost` faults, which drop the connection on purpose.

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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connector.sandbox import api, scopes
from connector.sandbox.errors import ApiError
from connector.sandbox.fixture import snapshot
from connector.sandbox.limits import rate_limit_body
from connector.sandbox.routes import Route, match_route, required_scopes
from connector.sandbox.rules import RuleError, parse_rules
from connector.sandbox.shapes import check_body, check_query, parse_json
from connector.sandbox.state import Sandbox, SandboxOptions
from connector.sandbox.versions import unknown_version

__all__ = ["Handler", "Sandbox", "SandboxHTTPServer", "SandboxOptions", "serve_in_thread"]

MAX_BODY_BYTES = 10 * 1024 * 1024  # larger bodies are refused before they are read
Answer = tuple[int, Any, dict[str, str]]


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

    def do_HEAD(self) -> None:
        """Serve HEAD (no route has it: 404/405, without a body as HTTP requires)."""
        self._serve()

    def do_OPTIONS(self) -> None:
        """Serve OPTIONS (no route has it: 404/405)."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Request logs go to stderr only (stdout carries the `listening on` line)."""
        if self.server.sandbox.options.log_requests:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:  # noqa: ARG002
        """Protocol errors (bad request line, headers too long, ...) answer HubSpot's JSON error body too."""
        if code == 501:
            code = 405  # a method no route serves, as for the methods that have handlers
        # The stdlib answers an unreadable request line HTTP/0.9-style (a bare body); answer HTTP/1.1.
        self.request_version = "HTTP/1.1"
        self.close_connection = True
        with suppress(OSError):
            self._send(code, ApiError(code, "", message or self.responses.get(code, ("error",))[0]).body(), {})

    def _serve(self) -> None:
        try:
            raw = self._read_body()
            url = urlsplit(self.path)
            if url.path.startswith("/_sandbox/"):
                status, body, headers = self._sandbox_endpoint(url.path, raw)
            else:
                status, body, headers = self._api(url.path, url.query, raw)
        except _Drop:
            self._drop()
            return
        except ApiError as err:
            status, body, headers = err.status, err.body(), {}
        except Exception as exc:  # a bug: answer 500 (never a dropped connection), count it, one log line
            with self.server.sandbox.stats_lock:
                self.server.sandbox.internal_errors += 1
            sys.stderr.write(f"sandbox internal error on {self.command} {self.path[:200]}: {exc!r}\n")
            status, body, headers = 500, ApiError(500, "", "internal error").body(), {}
        self._send(status, body, headers)

    def _read_body(self) -> bytes:
        length_text = self.headers.get("Content-Length") or "0"
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True  # the body's end is unknown: this connection cannot be reused
            raise ApiError(400, "", f"Invalid Content-Length: {length_text[:50]!r}")
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(413, "", f"The request body is too large: the limit is {MAX_BODY_BYTES} bytes.")
        return self.rfile.read(length) if length else b""

    def _token(self) -> str:
        auth = self.headers.get("Authorization") or ""
        return auth[7:].strip() if auth[:7].lower() == "bearer " else ""

    def _api(self, path: str, query: str, raw: bytes) -> Answer:
        sandbox = self.server.sandbox
        route, params, path_known = match_route(self.command, path)
        template = f"{self.command} {route.template}" if route else f"{self.command} {path[:200]}"
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
        granted = sandbox.scopes_for(token)
        if granted is None:
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
        if not scopes.granted(granted, needed):
            return 403, _scope_error(scopes.named(needed)), limit_headers
        try:
            status, out = self._run(route, params, query, raw)
        except ApiError as err:
            status, out = err.status, err.body()
        if fault == "lost":
            raise _Drop  # the write landed (and is journaled); the client never hears about it
        return status, out, limit_headers

    def _run(self, route: Route, params: dict[str, str], query: str, raw: bytes) -> tuple[int, Any]:
        """Validate the request at this one place, then run its handler; journal its changes before answering."""
        sandbox = self.server.sandbox
        parsed = parse_qs(query, keep_blank_values=True)
        check_query(route.shape, parsed)
        body = check_body(route.shape, raw)
        req = api.Request(self.command, params, parsed, body, version=route.version)
        with sandbox.portal.lock:
            try:
                result = route.handler(sandbox.portal, req)
            finally:
                sandbox.commit()  # a failed batch may still have landed part of its changes
        if req.wrote:
            with sandbox.stats_lock:
                sandbox.writes += 1
            sandbox.mark_dirty()
        return result

    def _sandbox_endpoint(self, path: str, raw: bytes) -> Answer:
        sandbox = self.server.sandbox
        if sandbox.scopes_for(self._token()) is None:
            return 401, _auth_error(), {}
        key = (self.command, path)
        if key == ("GET", "/_sandbox/stats"):
            return 200, sandbox.stats(), {}
        if key == ("GET", "/_sandbox/snapshot"):
            return 200, snapshot(sandbox.portal), {}
        if key == ("POST", "/_sandbox/reset"):
            sandbox.reset()
            return 200, {"reset": True}, {}
        if key == ("POST", "/_sandbox/feedback_submissions"):
            items = _sandbox_body(raw).get("feedback_submissions")
            if not isinstance(items, list):
                raise ApiError(400, "VALIDATION_ERROR", 'expected {"feedback_submissions": [...]}')
            return 201, {"added": sandbox.add_submissions(items)}, {}
        if path == "/_sandbox/validation_rules":
            return self._validation_rules(raw)
        return 404, ApiError(404, "", f"No sandbox endpoint {self.command} {path[:200]}").body(), {}

    def _validation_rules(self, raw: bytes) -> Answer:
        """GET lists the portal's rules, POST adds some (201), DELETE removes them all."""
        sandbox = self.server.sandbox
        if self.command == "GET":
            with sandbox.portal.lock:
                return 200, {"validation_rules": [r.to_json() for r in sandbox.portal.validation_rules]}, {}
        if self.command == "DELETE":
            return 200, {"removed": sandbox.clear_validation_rules()}, {}
        if self.command != "POST":
            raise ApiError(405, "", f"No sandbox endpoint {self.command} /_sandbox/validation_rules")
        body = _sandbox_body(raw, allow_list=True)  # {"validation_rules": [...]} or the bare list
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
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def _drop(self) -> None:
        """Abort the TCP connection (RST) without writing a byte."""
        self.close_connection = True
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.log_message('"%s" dropped', self.requestline)


def _sandbox_body(raw: bytes, *, allow_list: bool = False) -> Any:
    """A sandbox endpoint's JSON body: an object (or a list where allowed); 400 otherwise."""
    try:
        text = raw.decode("utf-8") if raw.strip() else "{}"
    except UnicodeDecodeError:
        raise ApiError(400, "VALIDATION_ERROR", "the body is not valid UTF-8") from None
    body = parse_json(text)
    if not isinstance(body, dict) and not (allow_list and isinstance(body, list)):
        raise ApiError(400, "VALIDATION_ERROR", "the body must be a JSON object")
    return body


def _no_route(method: str, path: str, path_known: bool) -> tuple[int, dict[str, Any]]:
    """405 for a known path with another method; 404 (HubSpot's error body) for unknown paths and versions."""
    shown = path[:200]
    if path_known:
        return 405, ApiError(405, "", f"No route for {method} {shown}").body()
    version = unknown_version(path)
    message = f"No route for {method} {shown}"
    if version is not None:
        message = f"resource not found: API version {version[:50]} does not exist ({method} {shown})"
    return 404, ApiError(404, "OBJECT_NOT_FOUND", message).body()


def _auth_error() -> dict[str, Any]:
    return ApiError(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more "
        "details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    ).body()


def _scope_error(needed: list[str]) -> dict[str, Any]:
    return ApiError(
        403,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes "
        "here: https://developers.hubspot.com/scopes.",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": needed},
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

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002 - socketserver's signature
        """A connection that failed outside a request (the peer went away): counted, one line, no traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # the client hung up: nothing to answer
        with self.sandbox.stats_lock:
            self.sandbox.internal_errors += 1
        sys.stderr.write(f"sandbox connection error from {client_address}: {exc!r}\n")


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
