"""Property definitions of a portal: value validation, custom properties and groups, owners.

A mixin of store.Portal (kept apart so each module stays small); it reads and writes the portal's
`props`, `groups`, `owners` and search views, and notes its changes for the --state journal.
Property types, field types and HubSpot's checks: properties guide (notes §6).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Protocol

from connector.sandbox import schema
from connector.sandbox.errors import ApiError, property_errors, validation
from connector.sandbox.search import SearchIndex, sort_key
from connector.sandbox.times import iso_ms, parse_instant_ms


class _View(Protocol):
    """What definitions need of store.SearchView (imported by name it would be an import cycle)."""

    index: SearchIndex


Props = dict[str, str]


class Definitions:
    """Property definitions, groups and owners, as part of store.Portal."""

    props: dict[str, dict[str, dict[str, Any]]]
    groups: dict[str, dict[str, dict[str, Any]]]
    owners: dict[str, dict[str, Any]]
    views: Mapping[str, _View]

    def now_ms(self) -> float:
        """The portal's current time in epoch milliseconds (store.Portal's clock)."""
        raise NotImplementedError

    def _note(self, change: dict[str, Any]) -> None:
        raise NotImplementedError

    # ----- property validation

    def validate_properties(self, otype: str, values: Mapping[str, Any], *, creating: bool) -> Props:
        """Check values against the property definitions; raise 400 VALIDATION_ERROR like HubSpot."""
        defs = self.props[otype]
        problems: list[dict[str, str]] = []
        clean: Props = {}
        for name, raw in values.items():
            value = "" if raw is None else str(raw)
            defn = defs.get(name)
            if defn is None:
                problems.append(_problem(name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST"))
                continue
            meta = defn.get("modificationMetadata", {})
            if meta.get("readOnlyValue") and name != "hs_object_id":
                problems.append(
                    _problem(name, f'"{name}" is a read only property; its value cannot be set.', "READ_ONLY_VALUE")
                )
                continue
            if name == "hs_object_id":
                problems.append(
                    _problem(
                        name, '"hs_object_id" is a read only property; its value cannot be set.', "READ_ONLY_VALUE"
                    )
                )
                continue
            error = self._value_error(defn, value)
            if error:
                problems.append(_problem(name, error[0], error[1]))
                continue
            clean[name] = value
        if creating and otype == "tasks" and not clean.get("hs_timestamp"):
            problems.append(_problem("hs_timestamp", "hs_timestamp is required", "REQUIRED_PROPERTY"))
        if problems:
            raise property_errors(problems)
        return clean

    def _value_error(self, defn: Mapping[str, Any], value: str) -> tuple[str, str] | None:
        if value == "":
            return None  # "" clears a value
        ptype = defn["type"]
        name = defn["name"]
        if ptype == "number" and sort_key(value, "number") is None:
            return f"{value} was not a valid number.", "INVALID_DECIMAL"
        if ptype in ("datetime", "date") and parse_instant_ms(value) is None:
            return f"{value} was not a valid date.", "INVALID_DATE"
        if ptype == "bool" and value.lower() not in ("true", "false"):
            return f"{value} was not a valid boolean.", "INVALID_BOOLEAN"
        if name == "hubspot_owner_id":
            if value not in self.owners:
                return f"{value} is not a valid owner id.", "INVALID_OWNER_ID"
            return None
        if ptype == "enumeration" and defn.get("options"):
            allowed = [o["value"] for o in defn["options"]]
            picked = value.split(";") if defn.get("fieldType") == "checkbox" else [value]
            bad = [p for p in picked if p and p not in allowed]
            if bad:
                return f"{bad[0]} was not one of the allowed options: {allowed}", "INVALID_OPTION"
        return None

    # ----- owners and properties

    def add_owner(self, owner: Mapping[str, Any]) -> None:
        """Add an owner from the fixture shape."""
        oid = str(owner["id"])
        now = iso_ms(self.now_ms())
        user_id = int(oid) + 1_000_000 if oid.isdigit() else None
        self.owners[oid] = {
            "id": oid,
            "email": owner.get("email", ""),
            "firstName": owner.get("firstName", ""),
            "lastName": owner.get("lastName", ""),
            "userId": user_id,
            "userIdIncludingInactive": user_id,
            "type": "PERSON",
            "teams": [],
            "archived": bool(owner.get("archived", False)),
            "createdAt": owner.get("createdAt", now),
            "updatedAt": owner.get("updatedAt", now),
        }

    def create_group(self, otype: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a property group; 409 when the name exists."""
        name, label = body.get("name"), body.get("label")
        if not name or not label:
            raise validation("Property group name and label are required")
        if name in self.groups[otype]:
            raise ApiError(409, "CONFLICT", f"A property group named '{name}' already exists.")
        group = {"name": name, "label": label, "displayOrder": int(body.get("displayOrder", -1)), "archived": False}
        self.groups[otype][name] = group
        self._note({"op": "group", "type": otype, "body": dict(body)})
        return group

    def create_property(self, otype: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a custom property after HubSpot's checks (type/fieldType, options, group, name)."""
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            raise validation(f"Missing required fields: {missing}")
        name, ptype, field_type = str(body["name"]), str(body["type"]), str(body["fieldType"])
        if name in self.props[otype]:
            raise ApiError(409, "CONFLICT", f"Property named '{name}' already exists.", context={"name": [name]})
        if ptype not in schema.FIELD_TYPES:
            raise validation(f"{ptype} is not a valid property type")
        if field_type not in schema.FIELD_TYPES[ptype]:
            raise validation(f"fieldType {field_type} is not valid for a property of type {ptype}")
        if body["groupName"] not in self.groups[otype]:
            raise validation(f"Property group {body['groupName']} does not exist")
        options = body.get("options") or []
        if ptype == "enumeration" and not options and field_type != "booleancheckbox":
            raise validation("Enumeration properties must have options")
        if body.get("hasUniqueValue") and otype in ("tasks", "feedback_submissions"):
            raise validation(f"Unique value properties are not supported on {otype}")
        now = iso_ms(self.now_ms())
        defn = {
            "name": name,
            "label": body["label"],
            "type": ptype,
            "fieldType": field_type,
            "description": body.get("description", ""),
            "groupName": body["groupName"],
            "options": [
                {
                    "label": o.get("label", o.get("value")),
                    "value": o.get("value"),
                    "displayOrder": o.get("displayOrder", i),
                    "hidden": bool(o.get("hidden", False)),
                }
                for i, o in enumerate(options)
            ],
            "displayOrder": int(body.get("displayOrder", -1)),
            "calculated": False,
            "externalOptions": False,
            "hasUniqueValue": bool(body.get("hasUniqueValue", False)),
            "hidden": bool(body.get("hidden", False)),
            "hubspotDefined": False,
            "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False},
            "formField": bool(body.get("formField", False)),
            "createdAt": now,
            "updatedAt": now,
            # Only a fixture or snapshot can say so (a deleted property); PropertyCreate has no such field.
            "archived": bool(body.get("archived", False)),
        }
        self.props[otype][name] = defn
        self._note({"op": "property", "type": otype, "body": dict(body)})
        if otype in self.views:  # types with records have a search index typed by their definitions
            self.views[otype].index.invalidate()  # cached sort indexes and results typed the values as strings
        return copy.deepcopy(defn)

    def unique_props(self, otype: str) -> set[str]:
        """Properties usable as idProperty (unique values; email for contacts)."""
        out = {n for n, d in self.props[otype].items() if d.get("hasUniqueValue")}
        if otype == "contacts":
            out.add("email")
        return out


def _problem(name: str, message: str, error: str) -> dict[str, str]:
    return {"name": name, "message": message, "error": error}
