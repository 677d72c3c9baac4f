"""The sandbox portal: records, associations, owners, property definitions and the search view.

Thread-safe through one lock; every public method takes it. Errors are raised as `ApiError`
with HubSpot's status, category and message. Values are stored as written (strings).
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox import schema
from connector.sandbox.definitions import Definitions
from connector.sandbox.errors import not_found
from connector.sandbox.rules import ValidationRule
from connector.sandbox.search import Query, SearchIndex, page
from connector.sandbox.times import iso_ms, parse_instant_ms

Props = dict[str, str]


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


class Portal(Definitions):
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
        # With --state, every change is noted here for the journal (journal.py); None: not recorded.
        self.changes: list[dict[str, Any]] | None = None

    def _note(self, change: dict[str, Any]) -> None:
        if self.changes is not None:
            self.changes.append(change)

    def take_changes(self) -> list[dict[str, Any]]:
        """The changes noted since the last call (empty when none, or when not recording)."""
        if not self.changes:
            return []
        taken, self.changes = self.changes, []
        return taken

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
        self._note(
            {
                "op": "record",
                "type": otype,
                "id": record.id,
                "properties": dict(record.properties),
                "created_ms": record.created_ms,
                "updated_ms": record.updated_ms,
                "archived": record.archived,
                "merged_into": record.merged_into,
            }
        )

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
        change = {"op": "associate", "from_type": from_type, "from_id": from_id, "to_type": to_type, "to_id": to_id}
        self._note({**change, "kind": type_id})
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
        self._note({"op": "drop_associations", "type": otype, "id": record_id})
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
