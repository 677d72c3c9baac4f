"""The route table: every operation the sandbox serves, in every API version family.

Routes are built from one table, version family x operation: an operation names its area
(objects, associations, properties, owners, schemas), its method, its path below the area's
prefix, its handler and its scope rule (scopes.py); its request shape is request_shapes.py's
entry of the handler's name. Each version gives the prefix of every area (versions.py). So
`/crm/v3/objects/{objectType}/search` and `/crm/objects/2026-09/{objectType}/search` share one
handler and one state, and differ only by the version the handler is told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from connector.sandbox import api, api_meta, api_writes, schema, scopes
from connector.sandbox.request_shapes import SHAPES
from connector.sandbox.shapes import RequestShape
from connector.sandbox.versions import VERSIONS, ApiVersion


@dataclass(frozen=True)
class Route:
    """One API route: method, HubSpot's path template, handler, scope rule, request shape and version."""

    method: str
    template: str  # as it appears in /_sandbox/stats, version included
    handler: api.Handler
    scope: str  # a rule of scopes.TABLE
    version: ApiVersion
    shape: RequestShape = field(compare=False, default=RequestShape())
    pattern: re.Pattern[str] = field(compare=False, default=re.compile(""))


@dataclass(frozen=True)
class Operation:
    """One row of the table: an operation, independent of the version it is served in."""

    area: str
    method: str
    path: str  # below the area's prefix
    handler: api.Handler
    scope: str
    optional_slash: bool = False  # HubSpot serves the path with and without a trailing slash


OBJ = "/{objectType}"  # below the objects and properties prefixes
OPERATIONS: tuple[Operation, ...] = (
    Operation("schemas", "GET", "", api_meta.list_schemas, "schemas_read"),
    Operation("objects", "POST", OBJ + "/search", api.search, "object_read"),
    Operation("objects", "POST", OBJ + "/batch/read", api.batch_read, "object_read"),
    Operation("objects", "POST", OBJ + "/batch/create", api_writes.batch_create, "object_write"),
    Operation("objects", "POST", OBJ + "/batch/update", api_writes.batch_update, "object_write"),
    Operation("objects", "POST", OBJ + "/batch/upsert", api_writes.batch_upsert, "object_write"),
    Operation("objects", "POST", OBJ + "/batch/archive", api_writes.batch_archive, "object_write"),
    Operation("objects", "GET", OBJ, api.list_objects, "object_read"),
    Operation("objects", "POST", OBJ, api_writes.create_object, "object_write"),
    Operation("objects", "GET", OBJ + "/{objectId}", api.get_object, "object_read"),
    Operation("objects", "PATCH", OBJ + "/{objectId}", api_writes.update_object, "object_write"),
    Operation("objects", "DELETE", OBJ + "/{objectId}", api_writes.archive_object, "object_write"),
    Operation(
        "object_associations",
        "GET",
        OBJ + "/{objectId}/associations/{toObjectType}",
        api_meta.list_associations,
        "associations_read",
    ),
    Operation(
        "associations",
        "POST",
        "/{fromObjectType}/{toObjectType}/batch/read",
        api_meta.batch_read_associations,
        "associations_read",
    ),
    Operation("owners_list", "GET", "", api_meta.list_owners, "owners_read", optional_slash=True),
    Operation("owners", "GET", "/{ownerId}", api_meta.get_owner, "owners_read"),
    Operation("properties", "GET", OBJ + "/groups", api_meta.list_groups, "properties_read"),
    Operation("properties", "POST", OBJ + "/groups", api_meta.create_group, "properties_write"),
    Operation("properties", "GET", OBJ + "/groups/{groupName}", api_meta.get_group, "properties_read"),
    Operation("properties", "GET", OBJ, api_meta.list_properties, "properties_read"),
    Operation("properties", "POST", OBJ, api_meta.create_property, "properties_write"),
    Operation("properties", "GET", OBJ + "/{propertyName}", api_meta.get_property, "properties_read"),
)


def _route(version: ApiVersion, op: Operation) -> Route:
    template = version.prefix(op.area) + op.path
    body = template.rstrip("/") if op.optional_slash else template
    regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(body)) + ("/?$" if op.optional_slash else "$")
    shape = SHAPES[op.handler.__name__]  # every handler has a shape: a KeyError here fails at import
    return Route(op.method, template, op.handler, op.scope, version, shape, re.compile(regex))


ROUTES: tuple[Route, ...] = tuple(_route(version, op) for version in VERSIONS for op in OPERATIONS)


def match_route(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a request, its path parameters, and whether the path exists for another method."""
    path_known = False
    for route in ROUTES:
        m = route.pattern.match(path)
        if m:
            if route.method == method:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}, True
            path_known = True
    return None, {}, path_known


def required_scopes(route: Route, params: dict[str, str]) -> scopes.Alternatives:
    """The scope alternatives that grant a request (scopes.TABLE, HubSpot's security per operation)."""
    ot = schema.resolve_type(params.get("objectType") or params.get("fromObjectType") or "")
    return scopes.alternatives(route.scope, ot.name if ot else None)
