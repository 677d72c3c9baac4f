"""Hypothesis strategies for requests to the sandbox, driven by its own route table and request shapes.

Routes come from connector/sandbox/routes.py, bodies and query parameters from the shapes in
request_shapes.py: mostly well-formed values bent here and there (a wrong type, a null, a missing
required field, an out-of-range number), plus raw JSON, raw bytes and paths no route serves. Not a
copy of HubSpot's spec: the project's own description of what it serves. Shared by
tests/sandbox/test_fuzz.py (a few hundred cases) and benchmarks/sandbox_fuzz.py (the long run).
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from hypothesis import strategies as st

from connector.sandbox.routes import ROUTES, Route
from connector.sandbox.shapes import (
    Boolean,
    Cursor,
    Either,
    Integer,
    ListOf,
    MapOf,
    PropertyValue,
    Record,
    Shape,
    Text,
    encode_cursor,
)

METHODS = ("GET", "POST", "PATCH", "DELETE", "PUT")
RECORD_TYPES = ("contacts", "companies", "feedback_submissions", "tasks")
OBJECT_TYPES = RECORD_TYPES * 3 + ("deals", "0-1", "contact", "spaceships")
IDS = ("301", "302", "305", "306", "307", "201", "202", "401", "101", "999", "0", "-1", "abc", "2147483648")
NAMES = ("email", "firstname", "nps_score", "hs_object_id", "hubspot_owner_id", "hs_timestamp", "nps", "x y")
JUNK = st.text(max_size=12)

json_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | JUNK
any_json = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JUNK, inner, max_size=3),
    max_leaves=8,
)


def _text() -> st.SearchStrategy[Any]:
    return st.sampled_from(NAMES + IDS) | st.sampled_from(NAMES + IDS) | JUNK | st.integers(-5, 300)


def value_for(shape: Shape, depth: int = 0, *, strict: bool = False) -> st.SearchStrategy[Any]:
    """Values for a shape: mostly fitting, now and then not (any JSON at all); `strict`: always fitting."""
    fitting = _fitting(shape, depth, strict)
    return st.one_of(fitting, fitting, fitting, fitting, any_json) if depth and not strict else fitting


def _fitting(shape: Shape, depth: int, strict: bool = False) -> st.SearchStrategy[Any]:
    if isinstance(shape, Record):
        return _record(shape, depth, strict)
    if isinstance(shape, ListOf):
        return st.lists(value_for(shape.item, depth + 1, strict=strict), max_size=3)
    if isinstance(shape, MapOf):
        names = st.sampled_from(NAMES) if strict else st.sampled_from(NAMES) | JUNK
        return st.dictionaries(names, value_for(shape.value, depth + 1, strict=strict), max_size=3)
    if isinstance(shape, Either):
        return st.one_of(*(_fitting(o, depth, strict) for o in shape.options))
    if strict:
        return _plain(shape)
    if isinstance(shape, Integer):
        edges = st.sampled_from([0, 1, -1, 10, 200, 201, 2**31 - 1, 2**31, -(2**31) - 1, 10_000])
        return st.integers(-(2**33), 2**33) | edges | st.sampled_from(["10", "x", "1e3", "１"])
    if isinstance(shape, Boolean):
        return st.booleans() | st.sampled_from(["true", "FALSE", "yes"])
    if isinstance(shape, Cursor):
        return st.sampled_from([encode_cursor(i) for i in IDS]) | st.sampled_from(["%%%", "", "====", "MzAx="]) | JUNK
    if isinstance(shape, PropertyValue):
        return st.none() | _text() | st.booleans() | st.floats(allow_nan=False)
    if isinstance(shape, Text):
        return _text() | st.sampled_from(["EQ", "IN", "BETWEEN", "HAS_PROPERTY", "HUBSPOT_DEFINED", "DESCENDING"])
    return any_json


def _plain(shape: Shape) -> st.SearchStrategy[Any]:
    """Well-formed values of a scalar shape."""
    if isinstance(shape, Integer):
        return st.integers(max(shape.minimum, -1000), min(shape.maximum, 1000))
    if isinstance(shape, Boolean):
        return st.booleans()
    if isinstance(shape, Cursor):
        return st.sampled_from([encode_cursor(i) for i in IDS])
    return st.sampled_from(NAMES + IDS + ("EQ", "GTE", "IN", "NEQ", "HUBSPOT_DEFINED", "9", "2026-10-01T10:00:00Z"))


def _record(shape: Record, depth: int, strict: bool) -> st.SearchStrategy[dict[str, Any]]:
    if strict:
        fitting = {name: value_for(sub, depth + 1, strict=True) for name, sub in shape.fields.items()}
        required = {name: fitting[name] for name in shape.required}
        return st.fixed_dictionaries(required, optional={k: v for k, v in fitting.items() if k not in required})
    # Every field may be left out (so required ones go missing now and then) or be null.
    fields = {name: value_for(sub, depth + 1) for name, sub in shape.fields.items()}
    required = {name: fields[name] for name in shape.required}
    optional = {name: st.none() | s for name, s in fields.items() if name not in shape.required}
    full = st.fixed_dictionaries(required, optional=optional)
    partial = st.fixed_dictionaries({}, optional={name: st.none() | s for name, s in fields.items()})
    return st.one_of(*[full] * 5, partial)


@dataclass(frozen=True)
class FuzzRequest:
    """One generated request."""

    method: str
    path: str
    body: bytes | None
    token: str | None

    def __str__(self) -> str:
        shown = self.body[:300] if self.body is not None else None
        return f"{self.method} {self.path[:300]} {shown!r}"


@st.composite
def fuzz_requests(draw: st.DrawFn, token: str = "fuzz-token") -> FuzzRequest:
    """A request to one of the sandbox's routes (or close to one), with a generated query and body.

    Half are well-formed (the route's method, known path values, a body that fits the shape) so
    handlers see every kind of valid input; the others bend methods, paths, tokens, queries and bodies.
    """
    route: Route = draw(st.sampled_from(ROUTES))
    if draw(st.booleans()):
        body = json.dumps(draw(value_for(route.shape.body, strict=True))).encode() if route.shape.body else None
        return FuzzRequest(route.method, _path(draw, route, strict=True), body, token)
    method = draw(st.sampled_from([route.method] * 8 + list(METHODS)))
    path = _path(draw, route)
    if draw(st.integers(0, 19)) == 0:
        path += "/" + quote(draw(JUNK), safe="")
    query = _query(draw, route)
    body = _body(draw, route)
    chosen = draw(st.sampled_from([token] * 18 + ["wrong", None]))
    return FuzzRequest(method, path + (f"?{query}" if query else ""), body, chosen)


def _path(draw: st.DrawFn, route: Route, *, strict: bool = False) -> str:
    path = route.template
    pools = {
        "objectType": OBJECT_TYPES,
        "fromObjectType": OBJECT_TYPES,
        "toObjectType": OBJECT_TYPES,
        "objectId": IDS,
        "ownerId": IDS,
        "propertyName": NAMES,
        "groupName": NAMES,
    }
    for name, pool in pools.items():
        if "{" + name + "}" in path:
            known = st.sampled_from(pool)
            value = draw(known if strict else st.one_of(*[known] * 5, JUNK.filter(bool)))
            path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def _query(draw: st.DrawFn, route: Route) -> str:
    params: list[tuple[str, str]] = []
    for name, shape in route.shape.query.items():
        if draw(st.booleans()):
            value = draw(_fitting(shape, 1))
            params.append((name, value if isinstance(value, str) else json.dumps(value)))
    extra = st.sampled_from(["archived", "properties", "associations", "idProperty", "email", "limit", "after"])
    for _ in range(draw(st.integers(0, 2))):
        params.append((draw(extra), draw(st.sampled_from(["true", "False", "email,firstname", "companies"]) | JUNK)))
    return urlencode(params)


def _body(draw: st.DrawFn, route: Route) -> bytes | None:
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return None
    if kind == 1:
        return draw(st.binary(max_size=40))  # bytes of any kind, invalid UTF-8 included
    if kind == 2:
        return json.dumps(draw(any_json)).encode()
    if kind == 3:
        return draw(st.sampled_from([b"{", b"[]", b'{"a": NaN}', b"\xef\xbb\xbf{}", b'{"inputs": [1e999]}']))
    if route.shape.body is None:
        return json.dumps(draw(any_json)).encode() if kind < 6 else None
    return json.dumps(draw(value_for(route.shape.body))).encode()


@dataclass(frozen=True)
class Outcome:
    """What one request got: a status and a body, or a dropped connection."""

    status: int | None  # None: the connection was dropped
    body: bytes = b""
    content_type: str = ""

    def problem(self) -> str | None:
        """Why this answer breaks the sandbox's promise (never dropped, never 5xx, JSON errors), or None."""
        if self.status is None:
            return "dropped connection"
        if self.status >= 500:
            return f"{self.status} answer"
        if self.status >= 400:
            try:
                body = json.loads(self.body)
            except ValueError:
                return f"{self.status} without a JSON body"
            needed = ("status", "message", "correlationId", "category")
            if not isinstance(body, dict) or any(not isinstance(body.get(k), str) for k in needed):
                return f"{self.status} body is not HubSpot's error: {self.body[:200]!r}"
            if not self.content_type.startswith("application/json"):
                return f"{self.status} with Content-Type {self.content_type!r}"
        return None


def send(base_url: str, request: FuzzRequest, timeout: float = 10.0) -> Outcome:
    """Send one request on a fresh connection."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if request.token is not None:
        headers["Authorization"] = f"Bearer {request.token}"
    try:
        # A request http.client refuses to send (InvalidURL, ...) is a generator bug: it propagates.
        conn.request(request.method, request.path, body=request.body, headers=headers)
        try:
            resp = conn.getresponse()
            return Outcome(resp.status, resp.read(), resp.getheader("Content-Type") or "")
        except (http.client.HTTPException, ConnectionError, TimeoutError):
            return Outcome(None)
    except ConnectionError:
        return Outcome(None)
    finally:
        conn.close()
