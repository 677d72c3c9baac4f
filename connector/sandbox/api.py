"""HubSpot CRM API semantics: the request model, record rendering, batch helpers and the reads.

Each handler takes the parsed request and returns status and body; writes are in api_writes.py,
associations, owners and properties in api_meta.py. Paths, parameters and bodies follow HubSpot's
public API reference; docs/hubspot-behaviour.md lists the sources and says where HubSpot
documents nothing and the sandbox had to choose. A request carries the API version it came in on
(versions.py), so one handler serves every version family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox import schema
from connector.sandbox.errors import ApiError, batch_error_item, validation
from connector.sandbox.search import SearchError, parse_query
from connector.sandbox.shapes import ShapeError, decode_cursor, encode_cursor
from connector.sandbox.store import Portal, Record
from connector.sandbox.times import iso_ms
from connector.sandbox.versions import NUMBERED, ApiVersion

BATCH_LIMIT = 100  # "Batch operations are limited to 100 records at a time"
ASSOC_BATCH_LIMIT = 1_000  # v4 batch read, changelog 2025-02-10
ASSOC_PAGE = 500  # v4 "Limit 500 per call"
LIST_MAX = 100
OWNERS_MAX = 500  # HubSpot states no maximum for owners; see docs/hubspot-behaviour.md


@dataclass
class Request:
    """A parsed API request."""

    method: str
    params: dict[str, str]  # path parameters
    query: dict[str, list[str]]
    body: Any
    wrote: bool = field(default=False)  # set by handlers whose change was applied
    version: ApiVersion = NUMBERED  # the version family of the path it came in on

    def q(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter."""
        values = self.query.get(name)
        return values[-1] if values else default

    def q_list(self, name: str) -> list[str] | None:
        """A list parameter, repeated (SDK) or comma-separated (docs); None when absent."""
        values = self.query.get(name)
        if values is None:
            return None
        return [p for v in values for p in v.split(",") if p]

    def q_bool(self, name: str) -> bool:
        """A boolean parameter; the SDK sends Python's `True`/`False`."""
        return (self.q(name) or "false").lower() == "true"

    def object_body(self) -> dict[str, Any]:
        """The JSON body when it is an object; an empty one otherwise."""
        return self.body if isinstance(self.body, dict) else {}


Response = tuple[int, Any]
Handler = Callable[[Portal, Request], Response]


def object_type(name: str) -> schema.ObjectType:
    """Resolve a path's object type or answer 400 as HubSpot does for unknown types."""
    ot = schema.resolve_type(name)
    if ot is None:
        raise ApiError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {name}")
    return ot


# ----- record rendering


def record_json(
    portal: Portal,
    ot: schema.ObjectType,
    rec: Record,
    props: list[str] | None,
    assoc_types: list[str] | None = None,
) -> dict[str, Any]:
    """A SimplePublicObject: id, properties (asked + system), createdAt, updatedAt, archived."""
    defs = portal.props[ot.name]
    names = list(ot.default_props) if not props else [*props, "hs_object_id", ot.created_prop, ot.modified_prop]
    out_props: dict[str, str | None] = {}
    for name in names:
        if name in rec.properties:
            out_props[name] = rec.properties[name]
        elif name in defs:
            out_props[name] = None
    out: dict[str, Any] = {
        "id": rec.id,
        "properties": out_props,
        "createdAt": iso_ms(rec.created_ms),
        "updatedAt": iso_ms(rec.updated_ms),
        "archived": rec.archived,
    }
    if rec.archived:
        out["archivedAt"] = iso_ms(rec.updated_ms)
    if assoc_types:
        assoc: dict[str, Any] = {}
        for name in assoc_types:
            to = schema.resolve_type(name)
            if to is None or (ot.name, to.name) not in schema.ASSOC_TYPES:
                continue
            links = portal.associations(ot.name, rec.id, to.name)
            results = [
                {"id": to_id, "type": schema.TYPE_NAMES[t]}
                for to_id in sorted(links, key=schema.id_order)
                for t in sorted(links[to_id], key=schema.type_order)
            ]
            if results:
                assoc[to.name] = {"results": results}
        if assoc:
            out["associations"] = assoc
    return out


def encode_after(record_id: str) -> str:
    """The opaque `after` cursor of a list page starting at a record id."""
    return encode_cursor(record_id)


def decode_after(token: str) -> str:
    """The record id an `after` cursor names (request shapes check cursors before any handler)."""
    try:
        return decode_cursor(token)
    except ShapeError as exc:
        raise exc.api_error() from None


def next_page(after: str) -> dict[str, Any]:
    """A `paging` object whose `link` is a string (HubSpot's reference: `link` is never null)."""
    return {"next": {"after": after, "link": f"?after={after}"}}


def limit_param(req: Request, default: int, maximum: int) -> int:
    """The `limit` query parameter, capped at the endpoint's maximum."""
    raw = req.q("limit")
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        raise validation(f"limit must be an integer, got {raw}") from None
    if value < 1:
        raise validation("limit must be at least 1")
    return min(value, maximum)


def batch_inputs(req: Request, maximum: int = BATCH_LIMIT) -> list[dict[str, Any]]:
    """A batch body's `inputs`, at most `maximum` of them."""
    body = req.object_body()
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation("Invalid input JSON: `inputs` is required")
    if len(inputs) > maximum:
        raise validation(f"The number of inputs ({len(inputs)}) exceeds the maximum of {maximum}.")
    return inputs


def batch_response(results: list[Any], errors: list[dict[str, Any]], now: str, ok_status: int = 200) -> Response:
    """A batch answer: `ok_status`, or 207 with `numErrors` and `errors` when some inputs failed."""
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
        return 207, body
    return ok_status, body


# ----- objects: reads


def list_objects(portal: Portal, req: Request) -> Response:
    """GET /crm/v3/objects/{objectType}."""
    ot = object_type(req.params["objectType"])
    limit = limit_param(req, 10, LIST_MAX)
    after = req.q("after")
    recs, nxt = portal.page(ot.name, decode_after(after) if after else None, limit, req.q_bool("archived"))
    props, assoc = req.q_list("properties"), req.q_list("associations")
    body: dict[str, Any] = {"results": [record_json(portal, ot, r, props, assoc) for r in recs]}
    if nxt is not None:
        body["paging"] = next_page(encode_after(nxt))
    return 200, body


def get_object(portal: Portal, req: Request) -> Response:
    """GET /crm/v3/objects/{objectType}/{objectId} (merged ids answer with the survivor)."""
    ot = object_type(req.params["objectType"])
    rec = portal.get(ot.name, req.params["objectId"], id_property=req.q("idProperty"), archived=req.q_bool("archived"))
    return 200, record_json(portal, ot, rec, req.q_list("properties"), req.q_list("associations"))


def batch_read(portal: Portal, req: Request) -> Response:
    """POST .../batch/read: 200, or 207 with OBJECT_NOT_FOUND items for missing ids."""
    ot = object_type(req.params["objectType"])
    inputs = batch_inputs(req)
    body = req.body
    props = body.get("properties") or None
    id_prop = body.get("idProperty")
    archived = req.q_bool("archived")
    results, seen, missing = [], set(), []
    for item in inputs:
        rid = str((item or {}).get("id", ""))
        try:
            rec = portal.get(ot.name, rid, id_property=id_prop, archived=archived)
        except ApiError:
            missing.append(rid)
            continue
        if rec.id not in seen:  # two ids merged into one record come back once
            seen.add(rec.id)
            results.append(record_json(portal, ot, rec, props))
    errors = []
    if missing:
        err = ApiError(
            404,
            "OBJECT_NOT_FOUND",
            f"Could not get some {ot.singular.upper()} objects, they may be deleted or not exist. "
            "Check that ids are valid.",
        )
        errors.append(batch_error_item(err, ids=missing))
    return batch_response(results, errors, iso_ms(portal.now_ms()))


def search(portal: Portal, req: Request) -> Response:
    """POST /crm/v3/objects/{objectType}/search."""
    ot = object_type(req.params["objectType"])
    body = req.object_body()
    try:
        query = parse_query(body, portal.views[ot.name].index.prop_types)
    except SearchError as exc:
        raise validation(str(exc)) from None
    total, recs, nxt = portal.search(ot.name, query)
    out: dict[str, Any] = {
        "total": total,
        "results": [record_json(portal, ot, r, list(query.properties or ())) for r in recs],
    }
    if nxt is not None:
        # The search guide's answers carry `after` only: no `link` (never null).
        out["paging"] = {"next": {"after": str(nxt)}}
    return 200, out
