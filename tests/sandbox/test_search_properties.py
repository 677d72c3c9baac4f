"""Property-based: random searches over a generated portal equal a plain Python filter written here.

The model below is written from the search guide (https://developers.hubspot.com/docs/api-reference/search/guide.md)
and the sandbox's documented choices (records lacking a property match NEQ/NOT_IN/NOT_CONTAINS_TOKEN; ties and
records without the sort value are ordered by id, the latter last), not from the sandbox's code.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import hubspot
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox, build_sdk

SIZE = 200
NUMBERS = ["-1", "0", "2.5", "3", "7", "7.0", "9", "10", "42"]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
INSTANTS = [EPOCH + timedelta(days=d, hours=h) for d in (0, 3, 10, 45) for h in (0, 12)]
OPTIONS = ["alpha", "beta", "gamma", "delta"]
WORDS = ["red", "Green", "blue", "apple", "PEAR", "plum", "sky", "red-sky"]
PROPS = {"score": "number", "answered_at": "datetime", "tier": "enumeration", "note": "string"}


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def generate() -> dict[str, Any]:
    """~200 contacts with the four custom properties, each missing now and then."""
    rng = random.Random(20261001)
    contacts = []
    for i in range(SIZE):
        props: dict[str, str] = {"email": f"c{i}@example.com"}
        if rng.random() < 0.85:
            props["score"] = rng.choice(NUMBERS)
        if rng.random() < 0.85:
            props["answered_at"] = _iso(rng.choice(INSTANTS))
        if rng.random() < 0.85:
            props["tier"] = rng.choice(OPTIONS)
        if rng.random() < 0.85:
            props["note"] = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
        contacts.append({"id": str(1000 + i), "properties": props})
    definitions = [
        {"name": "score", "label": "Score", "type": "number", "fieldType": "number", "groupName": "g"},
        {"name": "answered_at", "label": "Answered", "type": "datetime", "fieldType": "date", "groupName": "g"},
        {
            "name": "tier",
            "label": "Tier",
            "type": "enumeration",
            "fieldType": "select",
            "groupName": "g",
            "options": [{"label": o, "value": o} for o in OPTIONS],
        },
        {"name": "note", "label": "Note", "type": "string", "fieldType": "text", "groupName": "g"},
    ]
    return {
        "property_groups": {"contacts": [{"name": "g", "label": "G"}]},
        "property_definitions": {"contacts": definitions},
        "contacts": contacts,
    }


PORTAL = generate()
RECORDS = {c["id"]: c["properties"] for c in PORTAL["contacts"]}


# ----- the model


def _key(value: str, ptype: str) -> Any:
    if ptype == "number":
        return float(value)
    if ptype == "datetime":
        if value.isdigit():
            return int(value)
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    if ptype == "enumeration":
        return value
    return value.lower()


def _tokens(text: str) -> set[str]:
    return {t for t in re.split(r"[^0-9a-z]+", text.lower()) if t}


def model_match(props: dict[str, str], flt: dict[str, Any]) -> bool:
    prop, op = flt["propertyName"], flt["operator"]
    ptype = PROPS[prop]
    raw = props.get(prop)
    present = raw is not None and raw != ""
    if op == "HAS_PROPERTY":
        return present
    if op == "NOT_HAS_PROPERTY":
        return not present
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        hit = present and flt["value"].lower() in _tokens(raw or "")
        return hit if op == "CONTAINS_TOKEN" else not hit
    if op in ("IN", "NOT_IN"):
        if ptype == "string":  # values must be lowercase; stored values match in any case
            inside = present and (raw or "").lower() in flt["values"]
        else:
            inside = present and _key(raw or "", ptype) in {_key(v, ptype) for v in flt["values"]}
        return inside if op == "IN" else not inside
    if op == "NEQ":
        return not present or _key(raw or "", ptype) != _key(flt["value"], ptype)
    if not present:
        return False
    key, value = _key(raw or "", ptype), _key(flt["value"], ptype)
    if op == "EQ":
        return bool(key == value)
    if op == "LT":
        return bool(key < value)
    if op == "LTE":
        return bool(key <= value)
    if op == "GT":
        return bool(key > value)
    if op == "GTE":
        return bool(key >= value)
    assert op == "BETWEEN"
    return bool(value <= key <= _key(flt["highValue"], ptype))


def model_search(
    groups: list[list[dict[str, Any]]], sort: tuple[str, bool] | None, records: dict[str, dict[str, str]] = RECORDS
) -> list[str]:
    hits = [
        rid
        for rid, props in records.items()
        if not groups or any(all(model_match(props, flt) for flt in group) for group in groups)
    ]
    hits.sort(key=int)
    if sort is None:
        return hits
    prop, descending = sort
    ptype = PROPS[prop]
    with_value = [rid for rid in hits if records[rid].get(prop)]
    without = [rid for rid in hits if not records[rid].get(prop)]
    with_value.sort(key=lambda rid: (_key(records[rid][prop], ptype), int(rid)))
    if descending:  # equal values keep ascending ids
        with_value.sort(key=lambda rid: _key(records[rid][prop], ptype), reverse=True)
    return with_value + without


# ----- strategies


def _value(ptype: str) -> st.SearchStrategy[str]:
    if ptype == "number":
        return st.sampled_from([*NUMBERS, "5", "-3", "100"])
    if ptype == "datetime":
        instants = [*INSTANTS, EPOCH - timedelta(days=1), EPOCH + timedelta(days=99)]
        return st.sampled_from(instants).flatmap(
            lambda dt: st.sampled_from([str(int(dt.timestamp() * 1000)), dt.strftime("%Y-%m-%dT%H:%M:%SZ")])
        )
    if ptype == "enumeration":
        return st.sampled_from([*OPTIONS, "Alpha", "omega"])
    return st.sampled_from([w.lower() for w in WORDS] + ["Red", "green blue", "nothing"])


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    prop = draw(st.sampled_from(sorted(PROPS)))
    ptype = PROPS[prop]
    ops = ["EQ", "NEQ", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"]
    if ptype in ("number", "datetime"):
        ops += ["LT", "LTE", "GT", "GTE", "BETWEEN"]
    if ptype == "string":
        ops += ["CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"]
    op = draw(st.sampled_from(ops))
    out: dict[str, Any] = {"propertyName": prop, "operator": op}
    if op in ("IN", "NOT_IN"):
        values = draw(st.lists(_value(ptype), min_size=1, max_size=3))
        out["values"] = [v.lower() for v in values] if ptype == "string" else values
    elif op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        out["value"] = draw(st.sampled_from(["red", "GREEN", "sky", "apple", "pear", "none"]))
    elif op == "BETWEEN":
        low, high = sorted((draw(_value(ptype)), draw(_value(ptype))), key=lambda v: _key(v, ptype))
        out["value"], out["highValue"] = low, high
    elif op not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        out["value"] = draw(_value(ptype))
    return out


groups_strategy = st.lists(st.lists(filters(), min_size=1, max_size=3), min_size=0, max_size=3)
sort_strategy = st.none() | st.tuples(st.sampled_from(sorted(PROPS)), st.booleans())


@st.composite
def updates(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A batch update: a few records, each getting new values or cleared ones ("")."""
    ids = draw(st.lists(st.sampled_from(sorted(RECORDS)), min_size=1, max_size=20, unique=True))
    out = []
    for rid in ids:
        names = draw(st.lists(st.sampled_from(sorted(PROPS)), min_size=1, max_size=4, unique=True))
        props = {}
        for name in names:
            if draw(st.integers(0, 5)) == 0:
                props[name] = ""
            elif PROPS[name] == "number":
                props[name] = draw(st.sampled_from(NUMBERS))
            elif PROPS[name] == "datetime":
                props[name] = _iso(draw(st.sampled_from(INSTANTS)))
            elif PROPS[name] == "enumeration":
                props[name] = draw(st.sampled_from(OPTIONS))
            else:
                props[name] = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)))
        out.append({"id": rid, "properties": props})
    return out


def search_all(client: hubspot.HubSpot, groups: list[list[dict[str, Any]]], sort: Any, limit: int) -> list[str]:
    """Every result of one search, page after page; checks `total` on each page."""
    body: dict[str, Any] = {"filterGroups": [{"filters": g} for g in groups], "limit": limit, "properties": []}
    if sort is not None:
        body["sorts"] = [{"propertyName": sort[0], "direction": "DESCENDING" if sort[1] else "ASCENDING"}]
    got: list[str] = []
    totals = set()
    for _ in range(SIZE + 1):
        page = client.crm.contacts.search_api.do_search(body)
        totals.add(page.total)
        got += [r.id for r in page.results]
        if page.paging is None:
            break
        body["after"] = page.paging.next.after
    assert totals == {len(got)}
    return got


@pytest.fixture(scope="module")
def client(make_module_sandbox: MakeSandbox) -> hubspot.HubSpot:
    server: SandboxHTTPServer = make_module_sandbox(PORTAL)
    return build_sdk(server)


class TestSearchMatchesModel:
    """Search results equal an independent filter over the fixture, in sort order, across pages."""

    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(groups=groups_strategy, sort=sort_strategy, limit=st.integers(min_value=1, max_value=200))
    def test_search_equals_python_filter(
        self,
        client: hubspot.HubSpot,
        groups: list[list[dict[str, Any]]],
        sort: tuple[str, bool] | None,
        limit: int,
    ) -> None:
        """Filters AND within a group, groups OR, one sort rule, integer paging (search guide)."""
        assert search_all(client, groups, sort, limit) == model_search(groups, sort)


@pytest.fixture(scope="module")
def writable(make_module_sandbox: MakeSandbox) -> tuple[hubspot.HubSpot, dict[str, dict[str, str]]]:
    """A second sandbox that the test writes to, and the model's copy of its records."""
    server: SandboxHTTPServer = make_module_sandbox(PORTAL)
    return build_sdk(server), {rid: dict(props) for rid, props in RECORDS.items()}


class TestSearchFollowsWrites:
    """With no lag, search reflects every batch update at once (search guide; DESIGN --search-lag-ms 0)."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(batch=updates(), groups=groups_strategy, sort=sort_strategy, limit=st.integers(min_value=20, max_value=200))
    def test_search_after_updates_equals_python_filter(
        self,
        writable: tuple[hubspot.HubSpot, dict[str, dict[str, str]]],
        batch: list[dict[str, Any]],
        groups: list[list[dict[str, Any]]],
        sort: tuple[str, bool] | None,
        limit: int,
    ) -> None:
        """Updated, cleared and unchanged values all match and sort as the model says after each write."""
        client, records = writable
        client.crm.contacts.batch_api.update({"inputs": batch})
        for item in batch:
            for name, value in item["properties"].items():
                if value == "":
                    records[item["id"]].pop(name, None)
                else:
                    records[item["id"]][name] = value
        assert search_all(client, groups, sort, limit) == model_search(groups, sort, records)
