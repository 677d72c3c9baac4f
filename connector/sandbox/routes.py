"""The route table: every operation the sandbox serves, in every API version family.

Routes are built from one table, version family x operation: an operation names its area
(objects, associations, properties, owners, schemas), its method, its path below the area's
prefix, its handler and the scopes it needs; each version gives the prefix of every area
(versions.py). So `/crm/v3/objects/{objectType}/search` and `/crm/objects/2026-09/{objectType}/search`
share one handler and one state, and differ only by the version the handler is told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from connector.sandbox import api, api_meta, api_writes, schema
from connector.sandbox.versions import VERSIONS, ApiVersion


@dataclass(frozen=True)
class Route:
    """One API route: method, HubSpot's path template, handler, the scopes it needs and its version."""

    method: str
    template: str  # as it appears in /_sandbox/stats, version included
    handler: api.Handler
    scope: str  # read | write | schema_read | schema_write | owners | custom
    version: ApiVersion
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
    Operation("schemas", "GET", "", api_meta.list_schemas, "custom"),
    Operation("objects", "POST", OBJ + "/search", api.search, "read"),
    Operation("objects", "POST", OBJ + "/batch/read", api.batch_read, "read"),
    Operation("objects", "POST", OBJ + "/batch/create", api_writes.batch_create, "write"),
    Operation("objects", "POST", OBJ + "/batch/update", api_writes.batch_update, "write"),
    Operation("objects", "POST", OBJ + "/batch/upsert", api_writes.batch_upsert, "write"),
    Operation("objects", "POST", OBJ + "/batch/archive", api_writes.batch_archive, "write"),
    Operation("objects", "GET", OBJ, api.list_objects, "read"),
    Operation("objects", "POST", OBJ, api_writes.create_object, "write"),
    Operation("objects", "GET", OBJ + "/{objectId}", api.get_object, "read"),
    Operation("objects", "PATCH", OBJ + "/{objectId}", api_writes.update_object, "write"),
    Operation("objects", "DELETE", OBJ + "/{objectId}", api_writes.archive_object, "write"),
    Operation(
        "object_associations",
        "GET",
        OBJ + "/{objectId}/associations/{toObjectType}",
        api_meta.list_associations,
        "read",
    ),
    Operation(
        "associations", "POST", "/{fromObjectType}/{toObjectType}/batch/read", api_meta.batch_read_associations, "read"
    ),
    Operation("owners_list", "GET", "", api_meta.list_owners, "owners", optional_slash=True),
    Operation("owners", "GET", "/{ownerId}", api_meta.get_owner, "owners"),
    Operation("properties", "GET", OBJ + "/groups", api_meta.list_groups, "schema_read"),
    Operation("properties", "POST", OBJ + "/groups", api_meta.create_group, "schema_write"),
    Operation("properties", "GET", OBJ + "/groups/{groupName}", api_meta.get_group, "schema_read"),
    Operation("properties", "GET", OBJ, api_meta.list_properties, "schema_read"),
    Operation("properties", "POST", OBJ, api_meta.create_property, "schema_write"),
    Operation("properties", "GET", OBJ + "/{propertyName}", api_meta.get_property, "schema_read"),
)


def _route(version: ApiVersion, op: Operation) -> Route:
    template = version.prefix(op.area) + op.path
    body = template.rstrip("/") if op.optional_slash else template
    regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(body)) + ("/?$" if op.optional_slash else "$")
    return Route(op.method, template, op.handler, op.scope, version, re.compile(regex))


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


def required_scopes(route: Route, params: dict[str, str]) -> tuple[str, ...]:
    """Scopes of which the token needs one (HubSpot's API reference per endpoint)."""
    if route.scope == "owners":
        return ("crm.objects.owners.read",)
    if route.scope == "custom":
        return ("crm.schemas.custom.read",)
    ot = schema.resolve_type(params.get("objectType") or params.get("fromObjectType") or "")
    if ot is None:
        return ()
    return {
        "read": ot.read_scopes,
        "write": ot.write_scopes,
        "schema_read": ot.schema_read_scopes,
        "schema_write": ot.schema_write_scopes,
    }[route.scope]
