"""HubSpot API semantics beyond records: associations v4, owners, properties, schemas.

Shares the request model and helpers of `api.py`; see docs/hubspot-behaviour.md for sources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connector.sandbox import schema
from connector.sandbox.api import (
    ASSOC_BATCH_LIMIT,
    ASSOC_PAGE,
    OWNERS_MAX,
    Request,
    Response,
    batch_inputs,
    batch_response,
    decode_after,
    encode_after,
    limit_param,
    next_page,
    object_type,
)
from connector.sandbox.errors import ApiError, batch_error_item, validation
from connector.sandbox.store import Portal
from connector.sandbox.times import iso_ms

# ----- associations v4


def _assoc_json(to_id: str, kinds: set[int]) -> dict[str, Any]:
    return {
        "toObjectId": int(to_id) if to_id.isdigit() else to_id,
        "associationTypes": [
            {"category": "HUBSPOT_DEFINED", "typeId": t, "label": schema.TYPE_LABELS.get(t)}
            for t in sorted(kinds, key=schema.type_order)
        ],
    }


def _page_start(ids: list[str], after: str | None) -> int:
    # Cursors are ids: a page starts at the first id not before the cursor's, so a cursor stays
    # valid when its own record has gone.
    if not after:
        return 0
    cursor = decode_after(after)
    return next((i for i, v in enumerate(ids) if schema.id_order(v) >= schema.id_order(cursor)), len(ids))


def _assoc_page(
    portal: Portal, from_type: str, from_id: str, to_type: str, after: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    links = portal.associations(from_type, from_id, to_type)
    ids = sorted(links, key=schema.id_order)
    start = _page_start(ids, after)
    chunk = ids[start : start + limit]
    nxt = ids[start + limit] if start + limit < len(ids) else None
    return [_assoc_json(i, links[i]) for i in chunk], (encode_after(nxt) if nxt else None)


def _assoc_pair(from_name: str, to_name: str) -> tuple[schema.ObjectType, schema.ObjectType]:
    from_ot, to_ot = object_type(from_name), object_type(to_name)
    if (from_ot.name, to_ot.name) not in schema.ASSOC_TYPES:
        raise validation(f"No associations are defined from {from_ot.name} to {to_ot.name}")
    return from_ot, to_ot


def list_associations(portal: Portal, req: Request) -> Response:
    """GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}."""
    from_ot, to_ot = _assoc_pair(req.params["objectType"], req.params["toObjectType"])
    rec = portal.resolve(from_ot.name, req.params["objectId"])
    if rec is None:
        return 200, {"results": []}
    results, nxt = _assoc_page(
        portal, from_ot.name, rec.id, to_ot.name, req.q("after"), limit_param(req, 500, ASSOC_PAGE)
    )
    body: dict[str, Any] = {"results": results}
    if nxt:
        body["paging"] = next_page(nxt)
    return 200, body


def batch_read_associations(portal: Portal, req: Request) -> Response:
    """POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read (207 NO_ASSOCIATIONS_FOUND)."""
    from_ot, to_ot = _assoc_pair(req.params["fromObjectType"], req.params["toObjectType"])
    results, errors = [], []
    for item in batch_inputs(req, ASSOC_BATCH_LIMIT):
        rid = str((item or {}).get("id", ""))
        rec = portal.resolve(from_ot.name, rid)
        page_items, nxt = (
            _assoc_page(portal, from_ot.name, rec.id, to_ot.name, (item or {}).get("after"), ASSOC_PAGE)
            if rec
            else ([], None)
        )
        if not page_items:
            err = ApiError(
                404,
                "OBJECT_NOT_FOUND",
                f"No {to_ot.singular} is associated with {from_ot.singular} {rid}.",
                sub_category="crm.associations.NO_ASSOCIATIONS_FOUND",
            )
            errors.append(
                batch_error_item(
                    err, fromObjectId=[rid], fromObjectType=[from_ot.singular], toObjectType=[to_ot.singular]
                )
            )
            continue
        result: dict[str, Any] = {"from": {"id": rec.id if rec else rid}, "to": page_items}
        if nxt:
            # Per-input paging goes back in the request body: no URL expresses it, so no `link`.
            result["paging"] = {"next": {"after": nxt}}
        results.append(result)
    return batch_response(results, errors, iso_ms(portal.now_ms()))


# ----- owners


def list_owners(portal: Portal, req: Request) -> Response:
    """GET /crm/v3/owners/ (archived=true lists only deactivated owners)."""
    archived = req.q_bool("archived")
    email = req.q("email")
    owners = [
        o
        for o in sorted(portal.owners.values(), key=lambda o: schema.id_order(o["id"]))
        if o["archived"] == archived and (not email or o["email"].lower() == email.lower())
    ]
    limit = limit_param(req, 100, OWNERS_MAX)
    start = _page_start([o["id"] for o in owners], req.q("after"))
    chunk = owners[start : start + limit]
    body: dict[str, Any] = {"results": chunk}
    if start + limit < len(owners):
        body["paging"] = next_page(encode_after(owners[start + limit]["id"]))
    return 200, body


def get_owner(portal: Portal, req: Request) -> Response:
    """GET /crm/v3/owners/{ownerId}."""
    owner_id = req.params["ownerId"]
    if req.q("idProperty") == "userId":
        owner = next((o for o in portal.owners.values() if str(o["userId"]) == owner_id), None)
    else:
        owner = portal.owners.get(owner_id)
    if owner is None or owner["archived"] != req.q_bool("archived"):
        raise ApiError(404, "OBJECT_NOT_FOUND", f"Owner {owner_id} not found", context={"id": [owner_id]})
    return 200, owner


# ----- properties and schemas


Definitions = Mapping[str, dict[str, dict[str, Any]]]  # object type -> name -> property or group


def property_type(name: str) -> str:
    """The object type of a properties path: a record type or another standard one; 400 otherwise."""
    found = schema.resolve_property_type(name)
    if found is None:
        raise ApiError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {name}")
    return found


def _of_type(req: Request, table: Definitions) -> dict[str, dict[str, Any]]:
    return table[property_type(req.params["objectType"])]


def _named(req: Request, table: Definitions, name: str, missing: Callable[[str], ApiError]) -> Response:
    found = _of_type(req, table).get(name)
    # archived=true finds only archived definitions (Spec: "Whether to return only results that have been archived").
    if found is None or bool(found.get("archived")) != req.q_bool("archived"):
        raise missing(name)
    return 200, found


def _created(req: Request, create: Callable[[str, dict[str, Any]], dict[str, Any]]) -> Response:
    made = create(property_type(req.params["objectType"]), req.object_body())
    req.wrote = True
    return 201, made


def list_properties(portal: Portal, req: Request) -> Response:
    """GET /crm/v3/properties/{objectType}; archived=true lists only archived definitions."""
    archived = req.q_bool("archived")
    return 200, {"results": [d for d in _of_type(req, portal.props).values() if bool(d.get("archived")) == archived]}


def get_property(portal: Portal, req: Request) -> Response:
    """GET /crm/v3/properties/{objectType}/{propertyName}."""
    return _named(req, portal.props, req.params["propertyName"], _no_property)


def create_property(portal: Portal, req: Request) -> Response:
    """POST /crm/v3/properties/{objectType} → 201, 409 CONFLICT when the name exists."""
    return _created(req, portal.create_property)


def list_groups(portal: Portal, req: Request) -> Response:
    """GET /crm/v3/properties/{objectType}/groups."""
    return 200, {"results": list(_of_type(req, portal.groups).values())}


def get_group(portal: Portal, req: Request) -> Response:
    """GET /crm/v3/properties/{objectType}/groups/{groupName}."""
    return _named(req, portal.groups, req.params["groupName"], _no_group)


def create_group(portal: Portal, req: Request) -> Response:
    """POST /crm/v3/properties/{objectType}/groups → 201."""
    return _created(req, portal.create_group)


def _no_property(name: str) -> ApiError:
    return ApiError(404, "OBJECT_NOT_FOUND", f"Unable to find property {name}", context={"name": [name]})


def _no_group(name: str) -> ApiError:
    # Unlike a missing property's, this error carries no `context`.
    return ApiError(404, "OBJECT_NOT_FOUND", f"Unable to find group {name}")


def list_schemas(portal: Portal, req: Request) -> Response:  # noqa: ARG001 - handler signature
    """GET /crm/v3/schemas: a portal without custom objects."""
    return 200, {"results": []}
