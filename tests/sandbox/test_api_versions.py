"""Every API version family serves the same data: v3/v4 paths and the date-based 2026-03 and 2026-09 paths.

HubSpot serves the same operations under `/crm/{area}/{version}/...` with the same request and
response shapes (HUBSPOT_API_NOTES.md §13, Spec diff of v3 vs 2026-09). The numbered paths are
driven through the SDK's typed APIs, the date-based ones through its generic `api_request`
(notes §11: the SDK knows only `/crm/v3` and `/crm/v4`).
"""

from __future__ import annotations

from typing import Any

import hubspot
import pytest

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import TOKEN, MakeSandbox, build_sdk
from tests.sandbox import DATED_VERSIONS, call, nps_contact_properties, sdk_json, small_portal, without_volatile

READER = "companies-reader"  # a token without the contacts scopes


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    fixture = {**small_portal(), **nps_contact_properties()}
    fixture["tokens"] = [{"token": READER, "scopes": ["crm.objects.companies.read"]}]
    return make_module_sandbox(fixture, token=TOKEN)


@pytest.fixture(scope="module")
def client(server: SandboxHTTPServer) -> hubspot.HubSpot:
    return build_sdk(server)


@pytest.mark.parametrize("version", DATED_VERSIONS)
class TestObjectsEveryFamily:
    """`/crm/objects/{version}/...` answers exactly what `/crm/v3/objects/...` answers (notes §13)."""

    def test_list_pages_are_the_same(self, client: hubspot.HubSpot, version: str) -> None:
        """Every page of a paged list, cursors included, is the same on both paths."""
        after: str | None = None
        pages = 0
        while True:
            qs: dict[str, Any] = {"limit": 2, "properties": ["email", "nps_score"]}
            kwargs: dict[str, Any] = {"limit": 2, "properties": ["email", "nps_score"]}
            if after:
                qs["after"] = kwargs["after"] = after
            v3 = sdk_json(client.crm.objects.basic_api.get_page, "contacts", **kwargs)
            dated = call(client, "GET", f"/crm/objects/{version}/contacts", qs=qs)
            assert dated == v3
            pages += 1
            nxt = (v3[1].get("paging") or {}).get("next")
            if not nxt:
                break
            after = nxt["after"]
        assert pages >= 2

    def test_get_by_id_follows_merges_the_same(self, client: hubspot.HubSpot, version: str) -> None:
        """A merged-away id answers with the survivor, with its associations, on both paths (notes §5)."""
        v3 = sdk_json(
            client.crm.objects.basic_api.get_by_id, "contacts", "305", properties=["email"], associations=["companies"]
        )
        dated = call(
            client,
            "GET",
            f"/crm/objects/{version}/contacts/305",
            qs={"properties": ["email"], "associations": ["companies"]},
        )
        assert dated == v3
        assert dated[1]["id"] == "301"

    def test_get_missing_id_is_the_same_404(self, client: hubspot.HubSpot, version: str) -> None:
        """A missing id is 404 OBJECT_NOT_FOUND on both paths (notes §4)."""
        v3 = sdk_json(client.crm.objects.basic_api.get_by_id, "contacts", "999")
        dated = call(client, "GET", f"/crm/objects/{version}/contacts/999")
        assert dated[0] == v3[0] == 404
        assert without_volatile(dated[1]) == without_volatile(v3[1])

    def test_batch_read_is_the_same(self, client: hubspot.HubSpot, version: str) -> None:
        """Batch read of feedback submissions, one id missing: the same 207 on both paths (notes §5)."""
        body = {"inputs": [{"id": "401"}, {"id": "405"}, {"id": "999"}], "properties": ["hs_value"]}
        v3 = sdk_json(client.crm.objects.batch_api.read, "feedback_submissions", {**body, "propertiesWithHistory": []})
        dated = call(client, "POST", f"/crm/objects/{version}/feedback_submissions/batch/read", body)
        assert dated[0] == v3[0] == 207
        assert without_volatile(dated[1]) == without_volatile(v3[1])

    def test_search_pages_are_the_same(self, client: hubspot.HubSpot, version: str) -> None:
        """Search, page after page with the integer `after`: the same totals, results and cursors (notes §2)."""
        body: dict[str, Any] = {
            "filterGroups": [{"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}]}],
            "sorts": [{"propertyName": "email", "direction": "DESCENDING"}],
            "properties": ["email", "firstname"],
            "limit": 2,
        }
        seen: list[str] = []
        for _ in range(10):
            v3 = sdk_json(client.crm.objects.search_api.do_search, "contacts", body)
            dated = call(client, "POST", f"/crm/objects/{version}/contacts/search", body)
            assert dated == v3
            seen += [r["id"] for r in v3[1]["results"]]
            if "paging" not in v3[1]:
                break
            body["after"] = v3[1]["paging"]["next"]["after"]
        assert len(seen) == v3[1]["total"] == 4  # 301, 302, 307, 308: merged and deleted contacts are not found


@pytest.mark.parametrize("version", DATED_VERSIONS)
class TestAssociationsEveryFamily:
    """`/crm/associations/{version}/...` is the v4 batch read; the per-record list moved to the objects paths."""

    def test_batch_read_is_the_v4_batch_read(self, client: hubspot.HubSpot, version: str) -> None:
        """Same body and answer as the v4 batch read, NO_ASSOCIATIONS_FOUND items included (notes §8)."""
        body = {"inputs": [{"id": "301"}, {"id": "302"}, {"id": "307"}]}
        v4 = sdk_json(client.crm.associations.v4.batch_api.get_page, "contacts", "companies", body)
        dated = call(client, "POST", f"/crm/associations/{version}/contacts/companies/batch/read", body)
        assert dated[0] == v4[0] == 207
        assert without_volatile(dated[1]) == without_volatile(v4[1])
        assert {r["from"]["id"] for r in dated[1]["results"]} == {"301", "302"}

    def test_list_associations_is_the_v4_list(self, client: hubspot.HubSpot, version: str) -> None:
        """GET .../{objectId}/associations/{toObjectType} answers as the v4 list does (notes §8)."""
        v4 = sdk_json(client.crm.associations.v4.basic_api.get_page, "contacts", "301", "companies")
        dated = call(client, "GET", f"/crm/objects/{version}/contacts/301/associations/companies")
        assert dated == v4
        assert [r["toObjectId"] for r in dated[1]["results"]] == [201, 202, 203]


@pytest.mark.parametrize("version", DATED_VERSIONS)
class TestOwnersPropertiesSchemasEveryFamily:
    """Owners, properties and schemas under their date-based paths (notes §13)."""

    @pytest.mark.parametrize("slash", ["", "/"])
    def test_owners_list_with_or_without_slash(self, client: hubspot.HubSpot, version: str, slash: str) -> None:
        """`/crm/owners/{version}` lists the same owners as `/crm/v3/owners/`, also with a trailing slash."""
        for archived in (False, True):
            v3 = sdk_json(client.crm.owners.owners_api.get_page, archived=archived)
            dated = call(client, "GET", f"/crm/owners/{version}{slash}", qs={"archived": str(archived).lower()})
            assert dated == v3

    def test_owner_by_id(self, client: hubspot.HubSpot, version: str) -> None:
        """`/crm/owners/{version}/{ownerId}` is the v3 owner by id; an unknown owner is the same 404."""
        assert call(client, "GET", f"/crm/owners/{version}/101") == sdk_json(
            client.crm.owners.owners_api.get_by_id, 101
        )
        missing = call(client, "GET", f"/crm/owners/{version}/999")
        assert missing[0] == 404
        assert missing[1]["category"] == "OBJECT_NOT_FOUND"

    def test_properties_and_groups(self, client: hubspot.HubSpot, version: str) -> None:
        """Property list, one property, the group list and one group: as on `/crm/v3/properties` (notes §6)."""
        core, groups = client.crm.properties.core_api, client.crm.properties.groups_api
        base = f"/crm/properties/{version}/contacts"
        assert call(client, "GET", base) == sdk_json(core.get_all, "contacts")
        assert call(client, "GET", f"{base}/nps_score") == sdk_json(core.get_by_name, "contacts", "nps_score")
        assert call(client, "GET", f"{base}/groups") == sdk_json(groups.get_all, "contacts")
        assert call(client, "GET", f"{base}/groups/nps") == sdk_json(groups.get_by_name, "contacts", "nps")
        missing = call(client, "GET", f"{base}/no_such_property")
        assert missing[0] == 404
        assert missing[1]["category"] == "OBJECT_NOT_FOUND"

    def test_schemas(self, client: hubspot.HubSpot, version: str) -> None:
        """`/crm/schemas/{version}` answers as `/crm/v3/schemas`: a portal without custom objects (notes §12)."""
        assert call(client, "GET", f"/crm/schemas/{version}") == (200, {"results": []})


class TestUnknownVersions:
    """A version segment the sandbox does not serve is HubSpot's 404 error body."""

    @pytest.mark.parametrize(
        ("method", "path", "version"),
        [
            ("GET", "/crm/objects/2025-01/contacts", "2025-01"),
            ("GET", "/crm/objects/v9/contacts", "v9"),
            ("GET", "/crm/v9/objects/contacts", "v9"),
            ("POST", "/crm/objects/2027-03/contacts/search", "2027-03"),
            ("POST", "/crm/associations/2026-06/contacts/companies/batch/read", "2026-06"),
            ("GET", "/crm/owners/2024-09", "2024-09"),
            ("GET", "/crm/properties/latest/contacts", "latest"),
        ],
    )
    def test_unknown_version_is_404_with_the_error_body(
        self, client: hubspot.HubSpot, method: str, path: str, version: str
    ) -> None:
        """404 with status, message (naming the version), correlationId and category (notes §4, §13)."""
        status, body = call(client, method, path, {} if method == "POST" else None)
        assert status == 404
        assert set(body) == {"status", "message", "correlationId", "category"}
        assert body["status"] == "error"
        assert body["category"] == "OBJECT_NOT_FOUND"
        assert version in body["message"]

    def test_unknown_route_of_a_known_version_is_404_too(self, client: hubspot.HubSpot) -> None:
        """A path no version serves is the same 404 shape; a known path with another method is 405."""
        status, body = call(client, "GET", "/crm/objects/2026-09/contacts/301/nothing/here")
        assert status == 404
        assert set(body) == {"status", "message", "correlationId", "category"}
        assert call(client, "PUT", "/crm/objects/2026-09/contacts")[0] == 405


class TestStatsRouteKeys:
    """`/_sandbox/stats` route templates keep the version as it appears in the path (DESIGN contract)."""

    def test_date_paths_are_counted_under_their_own_templates(self, make_sandbox: MakeSandbox) -> None:
        """2026-09 search and association batch read, 2026-03 owners, and v3 keys exactly as before."""
        server = make_sandbox(small_portal())
        client = build_sdk(server)
        search = {"filterGroups": [], "limit": 1}
        call(client, "POST", "/crm/objects/2026-09/contacts/search", search)
        call(client, "POST", "/crm/objects/2026-09/contacts/search", search)
        call(client, "POST", "/crm/associations/2026-09/contacts/companies/batch/read", {"inputs": [{"id": "301"}]})
        call(client, "GET", "/crm/owners/2026-03/")
        call(client, "GET", "/crm/objects/2026-03/contacts/301")
        client.crm.contacts.search_api.do_search(search)
        client.crm.owners.owners_api.get_page()
        status, stats = call(client, "GET", "/_sandbox/stats")
        assert status == 200
        assert stats["by_route"] == {
            "POST /crm/objects/2026-09/{objectType}/search": 2,
            "POST /crm/associations/2026-09/{fromObjectType}/{toObjectType}/batch/read": 1,
            "GET /crm/owners/2026-03": 1,
            "GET /crm/objects/2026-03/{objectType}/{objectId}": 1,
            "POST /crm/v3/objects/{objectType}/search": 1,
            "GET /crm/v3/owners/": 1,
        }
        assert stats["calls"] == 7


class TestLimitsAuthFaultsEveryFamily:
    """Rate limits, search limits, faults, auth and scopes apply on every family alike (DESIGN)."""

    def test_search_shares_one_budget_across_families(self, make_sandbox: MakeSandbox) -> None:
        """Searches on v3, 2026-03 and 2026-09 draw on one per-second search budget (notes §3)."""
        server = make_sandbox(small_portal(), search_rate_limit=3, time_scale=0.01)
        client = build_sdk(server)
        body = {"filterGroups": [], "limit": 1}
        assert sdk_json(client.crm.objects.search_api.do_search, "contacts", body)[0] == 200
        assert call(client, "POST", "/crm/objects/2026-03/contacts/search", body)[0] == 200
        assert call(client, "POST", "/crm/objects/2026-09/contacts/search", body)[0] == 200
        status, throttled = call(client, "POST", "/crm/objects/2026-09/contacts/search", body)
        assert status == 429
        assert throttled["policyName"] == "SECONDLY"
        # search is exempt from the burst limit on every family
        assert call(client, "GET", "/crm/objects/2026-09/contacts")[0] == 200

    def test_burst_limit_counts_every_family(self, make_sandbox: MakeSandbox) -> None:
        """The rolling 10-second budget is one per token, whichever path the requests use (notes §3)."""
        server = make_sandbox(small_portal(), rate_limit=2, time_scale=0.01)
        client = build_sdk(server)
        assert call(client, "GET", "/crm/v3/objects/contacts")[0] == 200
        assert call(client, "GET", "/crm/objects/2026-09/contacts")[0] == 200
        status, body = call(client, "GET", "/crm/objects/2026-03/contacts")
        assert (status, body["policyName"]) == (429, "TEN_SECONDLY_ROLLING")
        assert call(client, "GET", "/_sandbox/stats")[1]["throttled"] == 1

    def test_wrong_token_is_401_on_date_paths(self, server: SandboxHTTPServer) -> None:
        """A token the portal does not know: 401 INVALID_AUTHENTICATION (notes §4)."""
        status, body = call(build_sdk(server, token="wrong"), "GET", "/crm/objects/2026-09/contacts")
        assert (status, body["category"]) == (401, "INVALID_AUTHENTICATION")

    @pytest.mark.parametrize("version", DATED_VERSIONS)
    def test_missing_scope_is_403_on_date_paths(self, server: SandboxHTTPServer, version: str) -> None:
        """A token without the contacts scopes: 403 MISSING_SCOPES; its companies scope still reads companies."""
        reader = build_sdk(server, token=READER)
        status, body = call(reader, "POST", f"/crm/objects/{version}/contacts/search", {"filterGroups": []})
        assert (status, body["category"]) == (403, "MISSING_SCOPES")
        assert call(reader, "GET", f"/crm/objects/{version}/companies/201")[0] == 200
        assert call(reader, "GET", f"/crm/owners/{version}")[0] == 403

    def test_faults_hit_date_paths(self, make_sandbox: MakeSandbox) -> None:
        """Injected faults answer date-based requests like numbered ones (DESIGN fault spec)."""
        server = make_sandbox(small_portal(), faults="502=1.0,seed=1")
        client = build_sdk(server)
        assert call(client, "GET", "/crm/objects/2026-09/contacts")[0] == 502
        assert call(client, "GET", "/crm/owners/2026-03")[0] == 502
        assert call(client, "GET", "/_sandbox/stats")[1]["faults"]["502"] == 2
