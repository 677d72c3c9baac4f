"""The sandbox portal: records, associations, owners, property definitions and the search view.

Thread-safe through one lock; every public method takes it. Errors are raised as `ApiError`
with HubSpot's status, category and message. Values are stored as written (strings).
"""

from __future__ import annotations

import bisect
import copy
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connector.sandbox import schema
from connector.sandbox.errors import ApiError, not_found, property_errors, validation
from connector.sandbox.rules import ValidationRule
from connector.sandbox.search import Query, SearchIndex, page, parse_instant_ms, sort_key

Props = dict[str, str]


def iso_ms(ms: float) -> str:
    """HubSpot's datetime format: ISO 8601 UTC with milliseconds."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass
class Record:
    """One CRM record as the portal holds it."""

    id: str
    properties: Props
    created_ms: float
    updated_ms: float
    archived: bool = False
    merged_into: str | None = None

    @property
    def live(self) -> bool:
        """Visible in lists and searches: not deleted, not merged away."""
        return not self.archived and self.merged_into is None


@dataclass
class SearchView:
    """What search sees: each record as it was `lag_ms` ago (HubSpot's index lags behind writes)."""

    index: SearchIndex
    lag_ms: float
    pending: deque[tuple[float, str, Props | None]] = field(default_factory=deque)

    def push(self, now_ms: float, record: Record) -> None:
        """Queue a record's new state; it becomes searchable after the lag."""
        state = dict(record.properties) if record.live else None
        if self.lag_ms <= 0:
            self.index.put(record.id, state)
        else:
            self.pending.append((now_ms, record.id, state))

    def refresh(self, now_ms: float) -> None:
        """Apply queued states older than the lag."""
        horizon = now_ms - self.lag_ms
        while self.pending and self.pending[0][0] <= horizon:
            _, rid, state = self.pending.popleft()
            self.index.put(rid, state)


class Portal:
    """An in-memory HubSpot portal."""

    def __init__(self, *, clock: Callable[[], float] = time.time, search_lag_ms: float = 0) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.records: dict[str, dict[str, Record]] = {t: {} for t in schema.OBJECT_TYPES}
        # (from_type, to_type) -> from_id -> to_id -> association type ids
        self.assoc: dict[tuple[str, str], dict[str, dict[str, set[int]]]] = {pair: {} for pair in schema.ASSOC_TYPES}
        self.owners: dict[str, dict[str, Any]] = {}
        self.validation_rules: list[ValidationRule] = []  # enforced on writes from API version 2026-09
        self.props = schema.system_properties()
        self.groups: dict[str, dict[str, dict[str, Any]]] = {
            t: {name: {"name": name, "label": label, "displayOrder": -1, "archived": False} for name, label in g}
            for t, g in schema.SYSTEM_GROUPS.items()
        }
        self.views: dict[str, SearchView] = {}
        for name, otype in schema.OBJECT_TYPES.items():
            index = SearchIndex(prop_types=_TypeMap(self.props[name]), text_props=otype.query_props)
            self.views[name] = SearchView(index, search_lag_ms)
        self._next_id = 1
        self._sorted_ids: dict[str, list[str] | None] = dict.fromkeys(schema.OBJECT_TYPES)

    # ----- clock and ids

    def now_ms(self) -> float:
        """The portal's current time in epoch milliseconds."""
        return self.clock() * 1000

    def new_id(self) -> str:
        """A fresh record id, unique across object types."""
        self._next_id += 1
        return str(self._next_id)

    def reserve_ids(self, ids: Iterable[str]) -> None:
        """Make sure new ids never collide with ids given by a fixture."""
        for rid in ids:
            if rid.isdigit():
                self._next_id = max(self._next_id, int(rid))

    # ----- record storage primitives

    def put_record(self, otype: str, record: Record) -> None:
        """Insert or replace a record and make the change visible to search (after the lag)."""
        ot = schema.OBJECT_TYPES[otype]
        record.properties["hs_object_id"] = record.id
        record.properties.setdefault(ot.created_prop, iso_ms(record.created_ms))
        record.properties[ot.modified_prop] = iso_ms(record.updated_ms)
        self.records[otype][record.id] = record
        self._sorted_ids[otype] = None
        self.views[otype].push(self.now_ms(), record)

    def touch(self, otype: str, record: Record, now_ms: float | None = None) -> None:
        """Record a write: bump the modification time and publish the new state to search."""
        record.updated_ms = self.now_ms() if now_ms is None else now_ms
        self.put_record(otype, record)

    def resolve(self, otype: str, record_id: str) -> Record | None:
        """The record an id names, following merges; None when missing or deleted."""
        rec = self.records[otype].get(record_id)
        seen = 0
        while rec is not None and rec.merged_into is not None and seen < 10:
            rec = self.records[otype].get(rec.merged_into)
            seen += 1
        if rec is None or rec.archived:
            return None
        return rec

    def find_by(self, otype: str, prop: str, value: str) -> Record | None:
        """A live record whose (unique) property equals value."""
        if prop in ("hs_object_id", "id"):
            return self.resolve(otype, value)
        for rec in self.records[otype].values():
            if rec.live and rec.properties.get(prop) == value:
                return rec
        return None

    def sorted_ids(self, otype: str) -> list[str]:
        """All record ids of a type in id order (cached until a record is added)."""
        ids = self._sorted_ids[otype]
        if ids is None:
            ids = sorted(self.records[otype], key=schema.id_order)
            self._sorted_ids[otype] = ids
        return ids

    # ----- associations

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str, type_id: int) -> None:
        """Add an association and its reverse."""
        self.assoc[(from_type, to_type)].setdefault(from_id, {}).setdefault(to_id, set()).add(type_id)
        self.assoc[(to_type, from_type)].setdefault(to_id, {}).setdefault(from_id, set()).add(
            schema.REVERSE_TYPE[type_id]
        )

    def associations(self, from_type: str, from_id: str, to_type: str) -> dict[str, set[int]]:
        """The live targets of one record's associations to a type."""
        table = self.assoc.get((from_type, to_type))
        if table is None:
            return {}
        out = {}
        for to_id, kinds in table.get(from_id, {}).items():
            target = self.records[to_type].get(to_id)
            if target is not None and target.live:
                out[to_id] = kinds
        return out

    def drop_associations(self, otype: str, record_id: str) -> None:
        """Remove every association of a record (deleted records lose them)."""
        for (from_type, to_type), table in self.assoc.items():
            if from_type == otype:
                for to_id in table.pop(record_id, {}):
                    self.assoc[(to_type, from_type)].get(to_id, {}).pop(record_id, None)

    def move_associations(self, otype: str, loser: str, survivor: str, demote: int | None = None) -> None:
        """Move a merged record's associations to the survivor; `demote` drops a primary type id."""
        for (from_type, to_type), table in list(self.assoc.items()):
            if from_type != otype:
                continue
            for to_id, kinds in list(table.pop(loser, {}).items()):
                self.assoc[(to_type, from_type)].get(to_id, {}).pop(loser, None)
                for kind in kinds:
                    if demote is not None and kind == demote:
                        continue
                    if to_id != survivor:
                        self.associate(from_type, survivor, to_type, to_id, kind)

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

    # ----- reads

    def get(self, otype: str, record_id: str, *, id_property: str | None = None, archived: bool = False) -> Record:
        """A record by id (merged ids give the survivor) or by a unique property; 404 otherwise."""
        if archived:
            rec = self.records[otype].get(record_id)
            if rec is None or not rec.archived:
                raise not_found(record_id)
            return rec
        rec = self.find_by(otype, id_property, record_id) if id_property else self.resolve(otype, record_id)
        if rec is None:
            raise not_found(record_id)
        return rec

    def page(self, otype: str, after: str | None, limit: int, archived: bool) -> tuple[list[Record], str | None]:
        """One page of a list in id order, and the id that starts the next page."""
        ids = self.sorted_ids(otype)
        start = 0
        if after:
            start = bisect.bisect_left(ids, schema.id_order(after), key=schema.id_order)
        out: list[Record] = []
        table = self.records[otype]

        def listed(rec: Record) -> bool:
            # archived=true lists deleted records, but not those merged away
            return (rec.archived if archived else rec.live) and (not archived or rec.merged_into is None)

        i = start
        while i < len(ids) and len(out) < limit:
            rec = table[ids[i]]
            if listed(rec):
                out.append(rec)
            i += 1
        while i < len(ids):  # only hand out a cursor when something follows
            if listed(table[ids[i]]):
                return out, ids[i]
            i += 1
        return out, None

    def search(self, otype: str, query: Query) -> tuple[int, list[Record], int | None]:
        """Run a search against the lagging view: total, this page's records, next offset."""
        view = self.views[otype]
        view.refresh(self.now_ms())

        def has_assoc(record_id: str, to_type: str, to_id: str) -> bool:
            target = schema.resolve_type(to_type)
            return target is not None and to_id in self.associations(otype, record_id, target.name)

        ordered = view.index.run(query, has_assoc)
        ids, nxt = page(ordered, query)
        modified = schema.OBJECT_TYPES[otype].modified_prop
        snapshots = []
        for rid in ids:
            props = dict(view.index.docs[rid])
            created = parse_instant_ms(props.get(schema.OBJECT_TYPES[otype].created_prop, "")) or 0.0
            snapshots.append(Record(rid, props, created, parse_instant_ms(props.get(modified, "")) or created))
        return len(ordered), snapshots, nxt

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
            "archived": False,
        }
        self.props[otype][name] = defn
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


class _TypeMap(Mapping[str, str]):
    """A live view of property types by name, for the search index."""

    def __init__(self, defs: dict[str, dict[str, Any]]) -> None:
        self._defs = defs

    def __getitem__(self, key: str) -> str:
        return str(self._defs[key]["type"])

    def __iter__(self) -> Any:
        return iter(self._defs)

    def __len__(self) -> int:
        return len(self._defs)
