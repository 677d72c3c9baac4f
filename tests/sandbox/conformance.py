"""HubSpot's own response types, and a validator that holds sandbox answers to them (issue 10, step 6).

Two licensed copies of HubSpot's published shapes, both Apache-2.0, test-only:
- date-based paths: `hubspot-sdk` (0.1.0a9) pydantic models, validated strictly by `model_validate`;
- numbered paths: `hubspot-api-client` (12) generated models, deserialized with client-side
  validation on (required fields, enums).

Where HubSpot's observed behaviour and its reference disagree and the sandbox follows the observed one
(docs/hubspot-behaviour.md, "Reference and observed behaviour"), `documented_deviations` rewrites
exactly those spots before validation and reports each one, so a test can assert nothing else moved.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from typing import Any

from hubspot_sdk.types.crm.batch_response_public_association_multi_with_label import (
    BatchResponsePublicAssociationMultiWithLabel,
)
from hubspot_sdk.types.crm.batch_response_simple_public_object import BatchResponseSimplePublicObject
from hubspot_sdk.types.crm.batch_response_simple_public_upsert_object import BatchResponseSimplePublicUpsertObject
from hubspot_sdk.types.crm.collection_response_multi_associated_object_with_label_forward_paging import (
    CollectionResponseMultiAssociatedObjectWithLabelForwardPaging,
)
from hubspot_sdk.types.crm.collection_response_object_schema_no_paging import CollectionResponseObjectSchemaNoPaging
from hubspot_sdk.types.crm.collection_response_property_no_paging import CollectionResponsePropertyNoPaging
from hubspot_sdk.types.crm.collection_response_public_owner_forward_paging import (
    CollectionResponsePublicOwnerForwardPaging,
)
from hubspot_sdk.types.crm.collection_response_simple_public_object_with_associations_forward_paging import (
    CollectionResponseSimplePublicObjectWithAssociationsForwardPaging,
)
from hubspot_sdk.types.crm.collection_response_with_total_simple_public_object import (
    CollectionResponseWithTotalSimplePublicObject,
)
from hubspot_sdk.types.crm.public_owner import PublicOwner
from hubspot_sdk.types.crm.simple_public_object import SimplePublicObject
from hubspot_sdk.types.crm.simple_public_object_with_associations import SimplePublicObjectWithAssociations
from hubspot_sdk.types.shared.collection_response_property_group_no_paging import (
    CollectionResponsePropertyGroupNoPaging,
)
from hubspot_sdk.types.shared.error_data import ErrorData
from hubspot_sdk.types.shared.property import Property
from hubspot_sdk.types.shared.property_group import PropertyGroup
from hubspot_sdk.types.shared.standard_error import StandardError
from pydantic import BaseModel

_BATCH = (
    BatchResponseSimplePublicObject,
    "hubspot.crm.objects",
    "BatchResponseSimplePublicObject",
    "BatchResponseSimplePublicObjectWithErrors",
)
# handler name -> (hubspot-sdk model, hubspot-api-client package, its model name, its 207 model name)
SUCCESS: dict[str, tuple[type[BaseModel], str, str, str]] = {
    "list_objects": (
        CollectionResponseSimplePublicObjectWithAssociationsForwardPaging,
        "hubspot.crm.objects",
        "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging",
        "",
    ),
    "get_object": (SimplePublicObjectWithAssociations, "hubspot.crm.objects", "SimplePublicObjectWithAssociations", ""),
    "create_object": (SimplePublicObject, "hubspot.crm.objects", "SimplePublicObject", ""),
    "update_object": (SimplePublicObject, "hubspot.crm.objects", "SimplePublicObject", ""),
    "search": (
        CollectionResponseWithTotalSimplePublicObject,
        "hubspot.crm.objects",
        "CollectionResponseWithTotalSimplePublicObjectForwardPaging",
        "",
    ),
    "batch_read": _BATCH,
    "batch_create": _BATCH,
    "batch_update": _BATCH,
    "batch_upsert": (
        BatchResponseSimplePublicUpsertObject,
        "hubspot.crm.objects",
        "BatchResponseSimplePublicUpsertObject",
        "BatchResponseSimplePublicUpsertObjectWithErrors",
    ),
    "list_associations": (
        CollectionResponseMultiAssociatedObjectWithLabelForwardPaging,
        "hubspot.crm.associations.v4",
        "CollectionResponseMultiAssociatedObjectWithLabelForwardPaging",
        "",
    ),
    "batch_read_associations": (
        BatchResponsePublicAssociationMultiWithLabel,
        "hubspot.crm.associations.v4",
        "BatchResponsePublicAssociationMultiWithLabel",
        "BatchResponsePublicAssociationMultiWithLabelWithErrors",
    ),
    "list_owners": (
        CollectionResponsePublicOwnerForwardPaging,
        "hubspot.crm.owners",
        "CollectionResponsePublicOwnerForwardPaging",
        "",
    ),
    "get_owner": (PublicOwner, "hubspot.crm.owners", "PublicOwner", ""),
    "list_properties": (
        CollectionResponsePropertyNoPaging,
        "hubspot.crm.properties",
        "CollectionResponsePropertyNoPaging",
        "",
    ),
    "get_property": (Property, "hubspot.crm.properties", "ModelProperty", ""),
    "create_property": (Property, "hubspot.crm.properties", "ModelProperty", ""),
    "list_groups": (
        CollectionResponsePropertyGroupNoPaging,
        "hubspot.crm.properties",
        "CollectionResponsePropertyGroupNoPaging",
        "",
    ),
    "get_group": (PropertyGroup, "hubspot.crm.properties", "PropertyGroup", ""),
    "create_group": (PropertyGroup, "hubspot.crm.properties", "PropertyGroup", ""),
    "list_schemas": (
        CollectionResponseObjectSchemaNoPaging,
        "hubspot.crm.schemas",
        "CollectionResponseObjectSchemaNoPaging",
        "",
    ),
}
NO_CONTENT = frozenset({"archive_object", "batch_archive"})  # 204, no body


class Nonconforming(AssertionError):
    """An answer that HubSpot's types reject."""


def documented_deviations(body: Any) -> tuple[Any, list[str]]:
    """A copy with the documented deviations rewritten to the reference's types, and where each was."""
    found: list[str] = []
    out = copy.deepcopy(body)

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            props = value.get("properties")
            if isinstance(props, dict) and "id" in value:  # a record: null = a requested property without a value
                for name, v in props.items():
                    if v is None:
                        props[name] = ""
                        found.append(f"{path}.properties.{name}=null")
            if isinstance(value.get("toObjectId"), int):  # v4: toObjectId a JSON number
                value["toObjectId"] = str(value["toObjectId"])
                found.append(f"{path}.toObjectId=number")
            for key, child in value.items():
                walk(child, f"{path}.{key}")
        elif isinstance(value, list):
            for i, child in enumerate(value):
                walk(child, f"{path}[{i}]")

    walk(out, "")
    return out, found


def validate_dated(handler: str, status: int, body: Any) -> list[str]:
    """Validate a date-based answer against hubspot-sdk's models; the documented deviations it had."""
    fixed, deviations = documented_deviations(body)
    try:
        if status >= 400:
            ErrorData.model_validate(fixed)
            _require_status(fixed)
        elif handler in NO_CONTENT:
            _require_empty(status, body)
        elif not isinstance(fixed, dict):
            raise Nonconforming(f"{handler} {status}: expected a JSON object, got {body!r}")
        else:
            SUCCESS[handler][0].model_validate(fixed)
            for entry in fixed.get("errors", []) if isinstance(fixed, dict) else []:
                StandardError.model_validate(entry)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise Nonconforming(f"{handler} {status}: {exc}") from None
    return deviations


def validate_numbered(handler: str, status: int, body: Any) -> None:
    """Validate a numbered-path answer against hubspot-api-client's models with client-side validation."""
    if handler in NO_CONTENT and status < 400:
        _require_empty(status, body)
        return
    _, package, model, with_errors = SUCCESS.get(handler, (None, "hubspot.crm.objects", "Error", ""))
    if status >= 400:
        model = "Error"
        _require_status(body)
    elif status == 207 or (isinstance(body, dict) and body.get("errors")):
        model = with_errors or model
    if not isinstance(body, dict):
        raise Nonconforming(f"{handler} {status}: expected a JSON object, got {body!r}")
    deserialize = _deserializer(package)
    try:
        deserialize(body, model)
        for entry in body.get("errors", []) if status < 400 and isinstance(body, dict) else []:
            deserialize(entry, "StandardError")
    except (ValueError, TypeError, AttributeError) as exc:
        raise Nonconforming(f"{handler} {status}: {exc}") from None


def _require_status(body: Any) -> None:
    if not isinstance(body, dict) or body.get("status") != "error":
        raise Nonconforming(f"HubSpot's error bodies carry status 'error': {body!r}")


def _require_empty(status: int, body: Any) -> None:
    if status != 204 or body is not None:
        raise Nonconforming(f"expected 204 without a body, got {status} {body!r}")


_DESERIALIZERS: dict[str, Callable[[Any, str], Any]] = {}


def _deserializer(package: str) -> Callable[[Any, str], Any]:
    """`deserialize(data, model_name)` of one hubspot-api-client package, client-side validation on."""
    if package not in _DESERIALIZERS:
        api_client = importlib.import_module(f"{package}.api_client")
        configuration = importlib.import_module(f"{package}.configuration").Configuration()
        configuration.client_side_validation = True
        client = api_client.ApiClient(configuration=configuration)
        _DESERIALIZERS[package] = client._ApiClient__deserialize  # the generated client's own model builder
    return _DESERIALIZERS[package]
