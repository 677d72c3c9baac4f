"""HubSpot CRM API semantics: each handler takes the parsed request and returns status and body.

Paths, parameters and bodies follow HubSpot's public API reference; docs/hubspot-behaviour.md
lists the sources and says where HubSpot documents nothing and the sandbox had to choose.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox import schema
from connector.sandbox.errors import ApiError, batch_error_item, not_found, validation
from connector.sandbox.search import SearchError, parse_query
from connector.sandbox.store import Portal, Record, iso_ms

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


def _writable_type(req: Request) -> schema.ObjectType:
    ot = object_type(req.params["objectType"])
    if not ot.writable:
        # Documented as read-only ("you cannot use it to create, update, or delete survey response data");
        # HubSpot documents no status for the attempt: the spec has no write routes, so 405.
        raise ApiError(405, "", f"The {ot.name} API is read-only.")
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


def _written_json(portal: Portal, ot: schema.ObjectType, rec: Record) -> dict[str, Any]:
    # A write answers with every property the record now holds.
    return record_json(portal, ot, rec, list(rec.properties))


def encode_after(record_id: str) -> str:
    return base64.urlsafe_b64encode(record_id.encode()).decode().rstrip("=")


def decode_after(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise validation(f"Invalid paging cursor: {token}") from None


def limit_param(req: Request, default: int, maximum: int) -> int:
    raw = req.q("limit")
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        raise validation(f"limit must be an integer, got {raw}") from None
    if value < 1:
        raise validation("limit must be at least 1")
    return min(value, maximum)


def batch_inputs(req: Request, maximum: int = BATCH_LIMIT) -> list[dict[str, Any]]:
    body = req.object_body()
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation("Invalid input JSON: `inputs` is required")
    if len(inputs) > maximum:
        raise validation(f"The number of inputs ({len(inputs)}) exceeds the maximum of {maximum}.")
    return inputs


def batch_response(results: list[Any], errors: list[dict[str, Any]], now: str, ok_status: int = 200) -> Response:
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
        token = encode_after(nxt)
        body["paging"] = {"next": {"after": token, "link": f"?after={token}"}}
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
        out["paging"] = {"next": {"after": str(nxt), "link": None}}
    return 200, out


# ----- objects: writes


def _associations_input(portal: Portal, ot: schema.ObjectType, raw: Any) -> list[tuple[str, str, int]]:
    links: list[tuple[str, str, int]] = []
    for assoc in raw or []:
        to_id = str(((assoc or {}).get("to") or {}).get("id", ""))
        for t in (assoc or {}).get("types") or []:
            type_id = int(t.get("associationTypeId", 0))
            pair = schema.TYPE_PAIR.get(type_id)
            if pair is None or pair[0] != ot.name or t.get("associationCategory") != "HUBSPOT_DEFINED":
                raise validation(f"{type_id} is not a valid association type id from {ot.name}")
            if portal.resolve(pair[1], to_id) is None:
                raise validation(
                    f"One or more associations are invalid: {pair[1]} {to_id} does not exist",
                    sub_category="crm.associations.INVALID_ASSOCIATION",
                )
            links.append((pair[1], portal.resolve(pair[1], to_id).id, type_id))  # type: ignore[union-attr]
    return links


def _create_one(portal: Portal, ot: schema.ObjectType, item: Mapping[str, Any]) -> tuple[Record, list[Any]]:
    props = portal.validate_properties(ot.name, item.get("properties") or {}, creating=True)
    links = _associations_input(portal, ot, item.get("associations"))
    return Record(portal.new_id(), props, portal.now_ms(), portal.now_ms()), links


def _store_created(portal: Portal, ot: schema.ObjectType, rec: Record, links: list[tuple[str, str, int]]) -> None:
    portal.put_record(ot.name, rec)
    for to_type, to_id, type_id in links:
        portal.associate(ot.name, rec.id, to_type, to_id, type_id)


def create_object(portal: Portal, req: Request) -> Response:
    """POST /crm/v3/objects/{objectType} → 201."""
    ot = _writable_type(req)
    rec, links = _create_one(portal, ot, req.object_body())
    _store_created(portal, ot, rec, links)
    req.wrote = True
    return 201, _written_json(portal, ot, rec)


def batch_create(portal: Portal, req: Request) -> Response:
    """POST .../batch/create: all-or-nothing unless every input has an objectWriteTraceId (then 207)."""
    ot = _writable_type(req)
    inputs = batch_inputs(req)
    traced = bool(inputs) and all((i or {}).get("objectWriteTraceId") for i in inputs)
    prepared, errors = [], []
    for item in inputs:
        try:
            prepared.append(_create_one(portal, ot, item or {}))
        except ApiError as exc:
            if not traced:
                raise  # one bad input fails the whole batch; only the first is reported
            errors.append(batch_error_item(exc, objectWriteTraceId=[str(item.get("objectWriteTraceId"))]))
    for rec, links in prepared:
        _store_created(portal, ot, rec, links)
    req.wrote = bool(prepared)
    results = [_written_json(portal, ot, rec) for rec, _ in prepared]
    return batch_response(results, errors, iso_ms(portal.now_ms()), ok_status=201)


def _update_one(portal: Portal, ot: schema.ObjectType, record_id: str, id_prop: str | None, values: Any) -> Record:
    rec = portal.find_by(ot.name, id_prop, record_id) if id_prop else portal.resolve(ot.name, record_id)
    if rec is None:
        raise not_found(record_id)
    props = portal.validate_properties(ot.name, values or {}, creating=False)
    for name, value in props.items():
        if value == "":
            rec.properties.pop(name, None)
        else:
            rec.properties[name] = value
    if ot.name == "tasks" and "hs_task_status" in props:
        if props["hs_task_status"] == "COMPLETED":
            rec.properties["hs_task_completion_date"] = iso_ms(portal.now_ms())
        else:
            rec.properties.pop("hs_task_completion_date", None)
    portal.touch(ot.name, rec)
    return rec


def update_object(portal: Portal, req: Request) -> Response:
    """PATCH /crm/v3/objects/{objectType}/{objectId}."""
    ot = _writable_type(req)
    body = req.object_body()
    rec = _update_one(portal, ot, req.params["objectId"], req.q("idProperty"), body.get("properties"))
    req.wrote = True
    return 200, _written_json(portal, ot, rec)


def batch_update(portal: Portal, req: Request) -> Response:
    """POST .../batch/update: 200, or 207 with per-record errors while the rest lands."""
    ot = _writable_type(req)
    inputs = batch_inputs(req)
    ids = [str((i or {}).get("id", "")) for i in inputs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise validation(f"Duplicate IDs found in batch input: {dupes}. IDs must be unique")
    results, errors = [], []
    for item in inputs:
        rid = str(item.get("id", ""))
        try:
            rec = _update_one(portal, ot, rid, item.get("idProperty"), item.get("properties"))
        except ApiError as exc:
            ctx = {"ids": [rid]}
            if item.get("objectWriteTraceId"):
                ctx["objectWriteTraceId"] = [str(item["objectWriteTraceId"])]
            errors.append(batch_error_item(exc, **ctx))
            continue
        req.wrote = True
        results.append(record_json(portal, ot, rec, list((item.get("properties") or {}).keys())))
    return batch_response(results, errors, iso_ms(portal.now_ms()))


def batch_upsert(portal: Portal, req: Request) -> Response:
    """POST .../batch/upsert: needs a unique idProperty (email for contacts, hasUniqueValue properties)."""
    ot = _writable_type(req)
    inputs = batch_inputs(req)
    unique = portal.unique_props(ot.name)
    for item in inputs:
        id_prop = (item or {}).get("idProperty")
        if id_prop not in unique:
            raise validation(f"Unable to perform update/upsert by non-unique {ot.type_id} property {id_prop}")
    results = []
    for item in inputs:
        key, id_prop = str(item.get("id", "")), str(item["idProperty"])
        existing = portal.find_by(ot.name, id_prop, key)
        if existing is not None:
            rec = _update_one(portal, ot, existing.id, None, item.get("properties"))
            new = False
        else:
            rec, links = _create_one(portal, ot, {"properties": {**(item.get("properties") or {}), id_prop: key}})
            _store_created(portal, ot, rec, links)
            new = True
        req.wrote = True
        results.append({**_written_json(portal, ot, rec), "new": new})
    return batch_response(results, [], iso_ms(portal.now_ms()))


def archive_object(portal: Portal, req: Request) -> Response:
    """DELETE /crm/v3/objects/{objectType}/{objectId} → 204 (also for ids that do not exist)."""
    ot = _writable_type(req)
    req.wrote = _archive(portal, ot, req.params["objectId"])
    return 204, None


def batch_archive(portal: Portal, req: Request) -> Response:
    """POST .../batch/archive → 204."""
    ot = _writable_type(req)
    for item in batch_inputs(req):
        req.wrote = _archive(portal, ot, str((item or {}).get("id", ""))) or req.wrote
    return 204, None


def _archive(portal: Portal, ot: schema.ObjectType, record_id: str) -> bool:
    rec = portal.resolve(ot.name, record_id)
    if rec is None:
        return False
    portal.drop_associations(ot.name, rec.id)
    rec.archived = True
    portal.touch(ot.name, rec)
    return True
