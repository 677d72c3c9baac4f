"""The request shape of every operation the sandbox serves: what its body and query may hold.

Field names, required fields and types follow the request models of HubSpot's reference as the
official SDKs generate them (hubspot-api-client `models/*.py`, hubspot-sdk `types/*_params.py`):
e.g. `SimplePublicObjectInputForCreate` requires `properties`, `SimplePublicObjectBatchInputUpsert`
requires `id`, `idProperty` and `properties`, `Filter` requires `propertyName` and `operator`.
Where the reference marks a field required that HubSpot is known to accept without (batch read's
`properties`, create's `associations`), the sandbox accepts it too (docs/hubspot-behaviour.md).
Semantic checks (known object types, property values, search limits) stay with the handlers.
"""

from __future__ import annotations

from connector.sandbox.shapes import (
    Boolean,
    Cursor,
    Either,
    Integer,
    ListOf,
    MapOf,
    PropertyValue,
    Record,
    RequestShape,
    Shape,
    Text,
)

TEXT = Text()
TEXTS = ListOf(TEXT, "ArrayList<String>")
PROPERTIES = MapOf(PropertyValue(), "Map<String,String>")
PAGED = {"limit": Integer(minimum=1), "after": Cursor()}  # list endpoints' query (Java int, > 0)


def _batch(name: str, item: Shape) -> Record:
    return Record(name, {"inputs": ListOf(item)}, ("inputs",))


OBJECT_ID = Record("SimplePublicObjectId", {"id": TEXT}, ("id",))
ASSOCIATION_SPEC = Record(
    "AssociationSpec",
    # A number; before 2026-09 a legacy type name is accepted too (api_writes.association_type_id).
    {"associationCategory": TEXT, "associationTypeId": Either((Integer(), TEXT), "int")},
    ("associationCategory", "associationTypeId"),
)
ASSOCIATION_INPUT = Record(
    "PublicAssociationsForObject",
    {"to": Record("PublicObjectId", {"id": TEXT}, ("id",)), "types": ListOf(ASSOCIATION_SPEC)},
    ("to", "types"),
)
CREATE_INPUT = Record(
    "SimplePublicObjectInputForCreate",
    {"properties": PROPERTIES, "associations": ListOf(ASSOCIATION_INPUT), "objectWriteTraceId": TEXT},
    ("properties",),
)
UPDATE_INPUT = Record(
    "SimplePublicObjectInput", {"properties": PROPERTIES, "objectWriteTraceId": TEXT}, ("properties",)
)
_BATCH_UPDATE_FIELDS = {"id": TEXT, "idProperty": TEXT, "objectWriteTraceId": TEXT, "properties": PROPERTIES}
BATCH_UPDATE_INPUT = Record("SimplePublicObjectBatchInput", _BATCH_UPDATE_FIELDS, ("id", "properties"))
UPSERT_INPUT = Record("SimplePublicObjectBatchInputUpsert", _BATCH_UPDATE_FIELDS, ("id", "idProperty", "properties"))
BATCH_READ = Record(
    "BatchReadInputSimplePublicObjectId",
    {"inputs": ListOf(OBJECT_ID), "properties": TEXTS, "propertiesWithHistory": TEXTS, "idProperty": TEXT},
    ("inputs",),
)

FILTER = Record(
    "Filter",
    {"propertyName": TEXT, "operator": TEXT, "value": TEXT, "highValue": TEXT, "values": TEXTS},
    ("propertyName", "operator"),
)
# The spec types sorts as strings; HubSpot's guide sends {propertyName, direction} objects (notes §2).
SORT = Either((TEXT, Record("Sort", {"propertyName": TEXT, "direction": TEXT}, ("propertyName",))), "Sort")
SEARCH = Record(
    "PublicObjectSearchRequest",
    {
        "query": TEXT,
        "limit": Integer(minimum=0),  # 0 answers the total alone (docs/hubspot-behaviour.md)
        "after": TEXT,  # an integer offset, checked by the search itself
        "sorts": ListOf(SORT),
        "properties": TEXTS,
        "filterGroups": ListOf(Record("FilterGroup", {"filters": ListOf(FILTER)}, ("filters",))),
    },
)
ASSOCIATIONS_BATCH_READ = _batch(
    "BatchInputPublicFetchAssociationsBatchRequest",
    Record("PublicFetchAssociationsBatchRequest", {"id": TEXT, "after": Cursor()}, ("id",)),
)
OPTION = Record(
    "OptionInput",
    {"label": TEXT, "value": TEXT, "displayOrder": Integer(), "hidden": Boolean(), "description": TEXT},
    ("label", "value"),
)
PROPERTY_CREATE = Record(
    "PropertyCreate",
    {
        "name": TEXT,
        "label": TEXT,
        "type": TEXT,
        "fieldType": TEXT,
        "groupName": TEXT,
        "description": TEXT,
        "options": ListOf(OPTION),
        "displayOrder": Integer(),
        "hasUniqueValue": Boolean(),
        "hidden": Boolean(),
        "formField": Boolean(),
        "calculationFormula": TEXT,
        "externalOptions": Boolean(),
        "referencedObjectType": TEXT,
        "dataSensitivity": TEXT,
        "showCurrencySymbol": Boolean(),
    },
    ("name", "label", "type", "fieldType", "groupName"),
)
GROUP_CREATE = Record(
    "PropertyGroupCreate", {"name": TEXT, "label": TEXT, "displayOrder": Integer()}, ("name", "label")
)

NO_BODY = RequestShape()
SHAPES: dict[str, RequestShape] = {
    "list_objects": RequestShape(query=PAGED),
    "get_object": NO_BODY,
    "create_object": RequestShape(CREATE_INPUT),
    "update_object": RequestShape(UPDATE_INPUT),
    "archive_object": NO_BODY,
    "search": RequestShape(SEARCH, max_body_chars=3_000),  # "Body max 3,000 characters" (search guide)
    "batch_read": RequestShape(BATCH_READ),
    "batch_create": RequestShape(_batch("BatchInputSimplePublicObjectBatchInputForCreate", CREATE_INPUT)),
    "batch_update": RequestShape(_batch("BatchInputSimplePublicObjectBatchInput", BATCH_UPDATE_INPUT)),
    "batch_upsert": RequestShape(_batch("BatchInputSimplePublicObjectBatchInputUpsert", UPSERT_INPUT)),
    "batch_archive": RequestShape(_batch("BatchInputSimplePublicObjectId", OBJECT_ID)),
    "list_associations": RequestShape(query=PAGED),
    "batch_read_associations": RequestShape(ASSOCIATIONS_BATCH_READ),
    "list_owners": RequestShape(query=PAGED),
    "get_owner": NO_BODY,
    "list_properties": NO_BODY,
    "get_property": NO_BODY,
    "create_property": RequestShape(PROPERTY_CREATE),
    "list_groups": NO_BODY,
    "get_group": NO_BODY,
    "create_group": RequestShape(GROUP_CREATE),
    "list_schemas": NO_BODY,
}
