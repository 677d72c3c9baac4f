"""HubSpot CRM search semantics over an in-memory view: filters, sorting, paging limits.

Documented (search guide, https://developers.hubspot.com/docs/api-reference/search/guide.md):
filter groups are ORed, filters in a group ANDed; at most 5 groups, 6 filters per group,
18 in all; one sort rule; `limit` at most 200; `after` is an integer offset; at most 10,000
results per query (paging past them is a 400); string values compare case-insensitively,
enumerations case-sensitively; IN/NOT_IN values for string properties must be lowercase.
Not documented (our choices, see docs/hubspot-behaviour.md): a record lacking a property
matches NEQ / NOT_IN / NOT_CONTAINS_TOKEN (Elasticsearch `must_not` semantics, which
HubSpot's search is built on); ties in the sort order, and records without the sort
property (last), are ordered by record id.
"""

from __future__ import annotations

import bisect
import fnmatch
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox.schema import id_order
from connector.sandbox.times import parse_instant_ms

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_BODY_CHARS = 3_000
OPERATORS = frozenset(
    [
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    ]
)
_RANGE_OPS = frozenset({"EQ", "GT", "GTE", "LT", "LTE", "BETWEEN", "IN", "HAS_PROPERTY"})
_TOKEN_SPLIT = re.compile(r"[^\w*]+", re.UNICODE)

Key = float | str


class SearchError(ValueError):
    """A search body HubSpot would answer with 400 VALIDATION_ERROR."""


def sort_key(value: str | None, ptype: str) -> Key | None:
    """The comparable form of a stored value for a property type, or None when absent/unusable."""
    if value is None or value == "":
        return None
    if ptype == "number":
        try:
            return float(value)
        except ValueError:
            return None
    if ptype in ("datetime", "date"):
        return parse_instant_ms(value)
    if ptype == "enumeration":
        return value
    return value.casefold()


def _filter_key(value: Any, ptype: str) -> Key:
    text = "" if value is None else str(value)
    if ptype in ("number", "datetime", "date"):
        key = sort_key(text, ptype)
        if key is None:
            raise SearchError(f"{text!r} is not a valid {ptype} value for a filter")
        return key
    if ptype == "enumeration":
        return text
    return text.casefold()


@dataclass(frozen=True)
class Filter:
    """One validated filter with its values already in comparable form."""

    prop: str
    op: str
    ptype: str
    keys: tuple[Key, ...] = ()
    raw: tuple[str, ...] = ()

    def matches(self, props: Mapping[str, str], assoc: Callable[[str, str], bool] | None) -> bool:
        """Whether one record's properties satisfy this filter."""
        if self.prop.startswith("associations."):
            found = assoc is not None and bool(self.raw) and assoc(self.prop.split(".", 1)[1], self.raw[0])
            return found if self.op in ("EQ", "IN") else not found
        value = props.get(self.prop)
        present = value is not None and value != ""
        op = self.op
        if op == "HAS_PROPERTY":
            return present
        if op == "NOT_HAS_PROPERTY":
            return not present
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            hit = present and _contains_token(str(value), self.raw[0])
            return hit if op == "CONTAINS_TOKEN" else not hit
        if op == "IN" and self.ptype == "string":
            # Documented: IN values for string properties must be lowercase; they are not folded.
            return present and str(value).casefold() in self.raw
        if op == "NOT_IN" and self.ptype == "string":
            return not (present and str(value).casefold() in self.raw)
        key = sort_key(value, self.ptype) if present else None
        if op == "NEQ":
            return key is None or key != self.keys[0]
        if op == "NOT_IN":
            return key is None or key not in self.keys
        if key is None:
            return False
        if op == "EQ":
            return key == self.keys[0]
        if op == "IN":
            return key in self.keys
        if type(key) is not type(self.keys[0]):
            return False
        lo = self.keys[0]
        if op == "GT":
            return key > lo  # type: ignore[operator]
        if op == "GTE":
            return key >= lo  # type: ignore[operator]
        if op == "LT":
            return key < lo  # type: ignore[operator]
        if op == "LTE":
            return key <= lo  # type: ignore[operator]
        if op == "BETWEEN":
            return lo <= key <= self.keys[1]  # type: ignore[operator]
        return False


def _contains_token(text: str, pattern: str) -> bool:
    pat = pattern.casefold()
    tokens = [t for t in _TOKEN_SPLIT.split(text.casefold()) if t]
    if "*" in pat:
        return any(fnmatch.fnmatchcase(t, pat) for t in tokens) or fnmatch.fnmatchcase(text.casefold(), pat)
    return pat in tokens


@dataclass(frozen=True)
class Query:
    """A validated search request."""

    groups: tuple[tuple[Filter, ...], ...]
    sort_prop: str | None
    descending: bool
    text: str
    limit: int
    after: int
    properties: tuple[str, ...] | None
    cache_key: str


def parse_query(body: Mapping[str, Any], prop_types: Mapping[str, str]) -> Query:
    """Validate a PublicObjectSearchRequest body the way HubSpot does; raise SearchError."""
    groups_in = body.get("filterGroups") or []
    if not isinstance(groups_in, list):
        raise SearchError("filterGroups must be a list")
    if len(groups_in) > MAX_GROUPS:
        raise SearchError(f"Too many filter groups ({len(groups_in)}). The maximum is {MAX_GROUPS}.")
    total = 0
    groups: list[tuple[Filter, ...]] = []
    for group in groups_in:
        filters_in = (group or {}).get("filters") or []
        if len(filters_in) > MAX_FILTERS_PER_GROUP:
            raise SearchError(
                f"Too many filters in a group ({len(filters_in)}). The maximum is {MAX_FILTERS_PER_GROUP}."
            )
        total += len(filters_in)
        groups.append(tuple(_parse_filter(f, prop_types) for f in filters_in))
    if total > MAX_FILTERS:
        raise SearchError(f"Too many filters ({total}). The maximum is {MAX_FILTERS} in total.")
    sorts = body.get("sorts") or []
    if len(sorts) > 1:
        raise SearchError("Only one sort rule can be applied.")
    sort_prop: str | None = None
    descending = False
    if sorts:
        rule = sorts[0]
        if isinstance(rule, str):  # the spec types sorts as strings: "prop" or "-prop"
            descending = rule.startswith("-")
            sort_prop = rule.lstrip("-")
        else:
            sort_prop = rule.get("propertyName")
            descending = str(rule.get("direction", "ASCENDING")).upper() == "DESCENDING"
    limit = _int_field(body.get("limit"), 10, "limit")
    if limit < 0 or limit > MAX_LIMIT:
        raise SearchError(f"limit must be between 0 and {MAX_LIMIT}")
    after = _int_field(body.get("after"), 0, "after")
    if after < 0:
        raise SearchError("after must be a non-negative integer")
    if after >= MAX_RESULTS:
        raise SearchError(f"Paging past {MAX_RESULTS} results is not supported. Narrow your search.")
    props = body.get("properties")
    cache_key = json.dumps([groups_in, sorts, body.get("query") or ""], sort_keys=True, default=str)
    return Query(
        groups=tuple(groups),
        sort_prop=sort_prop,
        descending=descending,
        text=str(body.get("query") or ""),
        limit=limit,
        after=after,
        properties=tuple(props) if isinstance(props, list) else None,
        cache_key=cache_key,
    )


def _int_field(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(str(value))
    except ValueError:
        raise SearchError(f"{name} must be formatted as an integer") from None


def _parse_filter(raw: Mapping[str, Any], prop_types: Mapping[str, str]) -> Filter:
    prop, op = raw.get("propertyName"), raw.get("operator")
    if not prop or not op:
        raise SearchError(
            "Invalid input JSON on line 1: Cannot build Filter, some of required attributes are not set "
            "[propertyName, operator]"
        )
    if op not in OPERATORS:
        raise SearchError(f"Invalid input JSON on line 1: Cannot deserialize value of type `Operator` from {op!r}")
    ptype = prop_types.get(prop, "string")
    if prop.startswith("associations."):
        return Filter(prop, op, ptype, raw=(str(raw.get("value", "")),))
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return Filter(prop, op, ptype)
    if op in ("IN", "NOT_IN"):
        values = raw.get("values")
        if not isinstance(values, list) or not values:
            raise SearchError(f"{op} filter on {prop} needs a non-empty `values` list")
        return Filter(prop, op, ptype, tuple(_filter_key(v, ptype) for v in values), tuple(str(v) for v in values))
    if "value" not in raw or isinstance(raw.get("value"), list):
        raise SearchError(f"{op} filter on {prop} needs a single `value`")
    keys = [_filter_key(raw["value"], ptype)]
    if op == "BETWEEN":
        if "highValue" not in raw:
            raise SearchError(f"BETWEEN filter on {prop} needs `highValue`")
        keys.append(_filter_key(raw["highValue"], ptype))
    return Filter(prop, op, ptype, tuple(keys), (str(raw["value"]),))


@dataclass
class _Sorted:
    """One property's values in sort order: parallel lists ordered by (key, id), plus each record's key."""

    keys: list[Key]
    ids: list[str]
    key_of: dict[str, tuple[Key, tuple[int, str]]]

    def position(self, key: Key, record_id: str) -> int:
        """Where (key, record_id) is or would go."""
        lo = bisect.bisect_left(self.keys, key)
        hi = bisect.bisect_right(self.keys, key, lo)
        return bisect.bisect_left(self.ids, id_order(record_id), lo, hi, key=id_order)

    def remove(self, record_id: str) -> None:
        """Take a record out (no-op when it has no value)."""
        entry = self.key_of.pop(record_id, None)
        if entry is not None:
            i = self.position(entry[0], record_id)
            del self.keys[i]
            del self.ids[i]

    def add(self, record_id: str, key: Key) -> None:
        """Insert a record with its key."""
        i = self.position(key, record_id)
        self.keys.insert(i, key)
        self.ids.insert(i, record_id)
        self.key_of[record_id] = (key, id_order(record_id))


@dataclass
class SearchIndex:
    """Records as search sees them, with per-property sorted indexes and a result cache.

    A property's sorted index is built on first use and then kept up to date by `put`, so writes
    cost a few list insertions instead of a rebuild; `invalidate` drops them when property types
    change. Cached results are tied to `version`, which every change bumps.
    """

    prop_types: Mapping[str, str]
    text_props: tuple[str, ...] = ()
    docs: dict[str, dict[str, str]] = field(default_factory=dict)
    version: int = 0
    _sorted: dict[str, _Sorted] = field(default_factory=dict)
    _results: OrderedDict[str, tuple[int, list[str]]] = field(default_factory=OrderedDict)

    def put(self, record_id: str, props: dict[str, str] | None) -> None:
        """Make a record's state visible to search (None removes it)."""
        old = self.docs.pop(record_id, None) if props is None else self.docs.get(record_id)
        if props is not None:
            self.docs[record_id] = props
        for prop, index in self._sorted.items():
            before = old.get(prop) if old is not None else None
            after = props.get(prop) if props is not None else None
            if before == after and (old is None) == (props is None):
                continue
            index.remove(record_id)
            key = sort_key(after, self.prop_types.get(prop, "string"))
            if key is not None:
                index.add(record_id, key)
        self.version += 1

    def invalidate(self) -> None:
        """Forget the sorted indexes and cached results (a property's type changed)."""
        self._sorted.clear()
        self.version += 1

    def _index(self, prop: str) -> _Sorted:
        index = self._sorted.get(prop)
        if index is not None:
            return index
        ptype = self.prop_types.get(prop, "string")
        pairs: list[tuple[Key, tuple[int, str], str]] = []
        for rid, props in self.docs.items():
            key = sort_key(props.get(prop), ptype)
            if key is not None:
                pairs.append((key, id_order(rid), rid))
        pairs.sort()
        index = _Sorted([p[0] for p in pairs], [p[2] for p in pairs], {p[2]: (p[0], p[1]) for p in pairs})
        self._sorted[prop] = index
        return index

    def _candidates(self, f: Filter) -> list[str] | None:
        """Exactly the ids matching an indexable filter, or None when the filter is not indexable."""
        if (
            f.op not in _RANGE_OPS
            or f.op == "HAS_PROPERTY"  # the index leaves out values it cannot compare; matches() does not
            or f.prop.startswith("associations.")
            or (f.op == "IN" and f.ptype == "string")
        ):
            return None
        if f.keys and any(type(k) is not type(f.keys[0]) for k in f.keys):
            return None
        index = self._index(f.prop)
        keys, ids = index.keys, index.ids
        if keys and type(keys[0]) is not type(f.keys[0]):
            return []
        spans: list[tuple[int, int]] = []
        if f.op in ("EQ", "IN"):
            spans = [(bisect.bisect_left(keys, k), bisect.bisect_right(keys, k)) for k in f.keys]
        elif f.op == "GT":
            spans = [(bisect.bisect_right(keys, f.keys[0]), len(keys))]
        elif f.op == "GTE":
            spans = [(bisect.bisect_left(keys, f.keys[0]), len(keys))]
        elif f.op == "LT":
            spans = [(0, bisect.bisect_left(keys, f.keys[0]))]
        elif f.op == "LTE":
            spans = [(0, bisect.bisect_right(keys, f.keys[0]))]
        else:  # BETWEEN
            spans = [(bisect.bisect_left(keys, f.keys[0]), bisect.bisect_right(keys, f.keys[1]))]
        out: list[str] = []
        for lo, hi in spans:
            out.extend(ids[lo:hi])
        return out

    def run(self, query: Query, assoc: Callable[[str, str, str], bool] | None = None) -> list[str]:
        """All matching ids in result order (cached per query until the index changes)."""
        cache_key = f"{query.cache_key}|{query.sort_prop}|{query.descending}"
        hit = self._results.get(cache_key)
        if hit and hit[0] == self.version and not _uses_associations(query):
            self._results.move_to_end(cache_key)
            return hit[1]
        matched = self._match(query, assoc)
        ordered = self._order(matched, query)
        self._results[cache_key] = (self.version, ordered)
        while len(self._results) > 32:
            self._results.popitem(last=False)
        return ordered

    def _match(self, query: Query, assoc: Callable[[str, str, str], bool] | None) -> set[str]:
        docs = self.docs
        matched: set[str] = set()
        groups: Iterable[tuple[Filter, ...]] = query.groups or ((),)
        words = [w for w in query.text.casefold().split() if w]
        for group in groups:
            best: list[str] | None = None
            used: Filter | None = None
            for f in group:
                cands = self._candidates(f)
                if cands is not None and (best is None or len(cands) < len(best)):
                    best, used = cands, f
            pool: Iterable[str] = best if best is not None else docs.keys()
            rest = tuple(f for f in group if f is not used)  # the index answered `used` exactly
            for rid in pool:
                if rid in matched:
                    continue
                props = docs[rid]
                check = (lambda t, v, _r=rid: assoc(_r, t, v)) if assoc else None
                if all(f.matches(props, check) for f in rest) and (not words or self._text_match(props, words)):
                    matched.add(rid)
        return matched

    def _text_match(self, props: Mapping[str, str], words: list[str]) -> bool:
        hay = " ".join(props.get(p, "") or "" for p in self.text_props).casefold()
        tokens = [t for t in _TOKEN_SPLIT.split(hay) if t]
        return all(any(t.startswith(w) for t in tokens) or w in hay for w in words)

    def _order(self, matched: set[str], query: Query) -> list[str]:
        if not query.sort_prop:
            return sorted(matched, key=id_order)
        index = self._index(query.sort_prop)
        keys, ids = index.keys, index.ids
        if len(matched) * 8 < len(ids):
            # Few matches: sort them by their keys rather than walk the whole index.
            key_of = index.key_of
            valued = [rid for rid in matched if rid in key_of]
            if not query.descending:
                ordered = sorted(valued, key=key_of.__getitem__)
            else:  # keys descending, ids ascending within equal keys
                ordered = sorted(valued, key=lambda r: key_of[r][1])
                ordered.sort(key=lambda r: key_of[r][0], reverse=True)
        elif not query.descending:
            ordered = [rid for rid in ids if rid in matched]
        else:
            # Walk runs of equal keys from the top, keeping ids ascending within a run.
            ordered = []
            i = len(ids)
            while i > 0:
                j = bisect.bisect_left(keys, keys[i - 1], 0, i)
                ordered.extend(rid for rid in ids[j:i] if rid in matched)
                i = j
        missing = sorted(matched.difference(ordered), key=id_order)
        return ordered + missing


def _uses_associations(query: Query) -> bool:
    return any(f.prop.startswith("associations.") for g in query.groups for f in g)


def page(ordered: list[str], query: Query) -> tuple[list[str], int | None]:
    """The ids of one page and the next offset (None on the last page); stops at 10,000."""
    if query.limit == 0:
        return [], None  # the total alone: a cursor would point back at this same page
    end = min(query.after + query.limit, len(ordered), MAX_RESULTS)
    ids = ordered[query.after : end]
    nxt = end if end < min(len(ordered), MAX_RESULTS) else None
    return ids, nxt
