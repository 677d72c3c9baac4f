"""Property-based: for random reads and searches, the v3 and the 2026-09 answers carry the same data.

HubSpot documents the same request and response shapes for these operations in both versions
(HUBSPOT_API_NOTES.md §13, Spec diff of v3 vs 2026-09). v3 is driven through the SDK's typed
APIs, 2026-09 through its generic `api_request`; the answers must be equal but for what differs
between any two requests (batch times, correlation ids).
"""

from __future__ import annotations

from typing import Any

import hubspot
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox, build_sdk
from tests.sandbox import call, sdk_json, without_volatile
from tests.sandbox.test_search_properties import PORTAL, PROPS, RECORDS, groups_strategy, sort_strategy

DATED = "/crm/objects/2026-09/contacts"
IDS = [*sorted(RECORDS)[:40], "999", "5000"]  # some existing records and two that are not
PROPERTY_NAMES = [*sorted(PROPS), "email", "no_such_property"]

properties_strategy = st.none() | st.lists(st.sampled_from(PROPERTY_NAMES), max_size=4, unique=True)


@pytest.fixture(scope="module")
def client(make_module_sandbox: MakeSandbox) -> hubspot.HubSpot:
    server: SandboxHTTPServer = make_module_sandbox(PORTAL)
    return build_sdk(server)


def _query(properties: list[str] | None, **params: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same parameters for the typed SDK (keyword arguments) and for `api_request` (query string)."""
    kwargs = {k: v for k, v in params.items() if v is not None}
    qs = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in kwargs.items()}
    if properties is not None:
        kwargs["properties"] = qs["properties"] = properties
    return kwargs, qs


class TestNumberedAndDatedAnswerTheSame:
    """Lists, gets, batch reads and searches: one answer whatever the version family."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        limit=st.integers(min_value=1, max_value=120),
        skip=st.integers(min_value=0, max_value=230),
        archived=st.booleans(),
        properties=properties_strategy,
    )
    def test_list_pages(
        self, client: hubspot.HubSpot, limit: int, skip: int, archived: bool, properties: list[str] | None
    ) -> None:
        """A list page from a cursor handed out by an earlier page (limits above 100 are capped)."""
        after = None
        if skip:
            first = sdk_json(client.crm.objects.basic_api.get_page, "contacts", limit=min(skip, 100))[1]
            after = ((first.get("paging") or {}).get("next") or {}).get("after")
        kwargs, qs = _query(properties, limit=limit, after=after, archived=archived)
        v3 = sdk_json(client.crm.objects.basic_api.get_page, "contacts", **kwargs)
        assert call(client, "GET", DATED, qs=qs) == v3

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(record_id=st.sampled_from(IDS), properties=properties_strategy)
    def test_get_by_id(self, client: hubspot.HubSpot, record_id: str, properties: list[str] | None) -> None:
        """One record, or the same 404, by id."""
        kwargs, qs = _query(properties)
        v3 = sdk_json(client.crm.objects.basic_api.get_by_id, "contacts", record_id, **kwargs)
        dated = call(client, "GET", f"{DATED}/{record_id}", qs=qs)
        assert (dated[0], without_volatile(dated[1])) == (v3[0], without_volatile(v3[1]))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ids=st.lists(st.sampled_from(IDS), min_size=1, max_size=12), properties=properties_strategy)
    def test_batch_read(self, client: hubspot.HubSpot, ids: list[str], properties: list[str] | None) -> None:
        """Batch read, missing ids and repeats included: the same status, results and errors."""
        body = {"inputs": [{"id": i} for i in ids], "properties": properties or [], "propertiesWithHistory": []}
        v3 = sdk_json(client.crm.objects.batch_api.read, "contacts", body)
        dated = call(client, "POST", f"{DATED}/batch/read", body)
        assert (dated[0], without_volatile(dated[1])) == (v3[0], without_volatile(v3[1]))

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        groups=groups_strategy,
        sort=sort_strategy,
        limit=st.integers(min_value=1, max_value=200),
        after=st.integers(min_value=0, max_value=250),
        properties=properties_strategy,
    )
    def test_search(
        self,
        client: hubspot.HubSpot,
        groups: list[list[dict[str, Any]]],
        sort: tuple[str, bool] | None,
        limit: int,
        after: int,
        properties: list[str] | None,
    ) -> None:
        """One search page: the same total, results, order and paging (errors too, e.g. a bad property)."""
        body: dict[str, Any] = {"filterGroups": [{"filters": g} for g in groups], "limit": limit, "after": after}
        if properties is not None:
            body["properties"] = properties
        if sort is not None:
            body["sorts"] = [{"propertyName": sort[0], "direction": "DESCENDING" if sort[1] else "ASCENDING"}]
        v3 = sdk_json(client.crm.objects.search_api.do_search, "contacts", body)
        dated = call(client, "POST", f"{DATED}/search", body)
        assert (dated[0], without_volatile(dated[1])) == (v3[0], without_volatile(v3[1]))
