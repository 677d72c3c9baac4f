"""Associations v4 (notes §8) and owners (notes §9)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import hubspot
import pytest
from hubspot.crm.associations.v4 import ApiException as AssociationsApiException
from hubspot.crm.owners import ApiException as OwnersApiException

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox, RawResponse, build_sdk
from tests.sandbox import small_portal

Raw = Callable[..., RawResponse]
BUSY = "350"  # a contact with more answers than one associations page holds
BUSY_ANSWERS = 501


def portal() -> dict[str, Any]:
    data = small_portal()
    data["contacts"].append({"id": BUSY, "properties": {"email": "busy@example.com"}})
    data["feedback_submissions"] += [
        {"id": str(10_000 + i), "contact_id": BUSY, "properties": {"hs_survey_type": "NPS", "hs_value": "8"}}
        for i in range(BUSY_ANSWERS)
    ]
    return data


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    return make_module_sandbox(portal())


@pytest.fixture(scope="module")
def client(server: SandboxHTTPServer) -> hubspot.HubSpot:
    return build_sdk(server)


def _types(page: Any) -> dict[str, list[int]]:
    return {r.to_object_id: [t.type_id for t in r.association_types] for r in page.results}


class TestAssociationTypes:
    """HUBSPOT_DEFINED type ids (SDK association_type.py; notes §8)."""

    def test_primary_company_has_types_1_and_279(self, client: hubspot.HubSpot) -> None:
        """HubSpot: "a primary company appears with both 1 and 279"; others with 279 only (notes §8)."""
        page = client.crm.associations.v4.basic_api.get_page("contacts", "302", "companies")
        assert _types(page) == {"202": [1, 279], "203": [279]}

    def test_primary_label(self, client: hubspot.HubSpot) -> None:
        """Type 1 is labelled "Primary", 279 is unlabelled (notes §8; labels changelog 2024-02-19)."""
        page = client.crm.associations.v4.basic_api.get_page("contacts", "302", "companies")
        labels = {t.type_id: t.label for r in page.results for t in r.association_types}
        assert labels == {1: "Primary", 279: None}
        assert {t.category for r in page.results for t in r.association_types} == {"HUBSPOT_DEFINED"}

    def test_company_to_contact_reverse_types(self, client: hubspot.HubSpot) -> None:
        """Company→contact uses 2 (primary) and 280 (notes §8)."""
        page = client.crm.associations.v4.basic_api.get_page("companies", "202", "contacts")
        assert _types(page) == {"301": [280], "302": [2, 280]}

    def test_submission_contact_types(self, client: hubspot.HubSpot) -> None:
        """Contact→submission is 97 and submission→contact 98 (SDK association_type.py; notes §1)."""
        to_contact = client.crm.associations.v4.basic_api.get_page("feedback_submissions", "405", "contacts")
        assert _types(to_contact) == {"302": [98]}
        to_answers = client.crm.associations.v4.basic_api.get_page("contacts", "302", "feedback_submissions")
        assert _types(to_answers) == {"405": [97]}

    def test_to_object_id_is_a_json_number(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """`toObjectId` is a JSON number in the docs' examples (notes §8; the SDK reads it as str)."""
        body = raw(server, "GET", "/crm/v4/objects/contacts/302/associations/companies").json
        assert body["results"][0]["toObjectId"] == 202

    def test_type_id_names_accepted_for_object_types(self, client: hubspot.HubSpot) -> None:
        """Object types may be named by type id (0-1, 0-2) as well as by name (objects guide)."""
        page = client.crm.associations.v4.basic_api.get_page("0-1", "302", "0-2")
        assert set(_types(page)) == {"202", "203"}


class TestAssociationPaging:
    """HubSpot: "Limit 500 per call" with `paging.next.after` (Spec associations v4)."""

    def test_list_pages_of_500(self, client: hubspot.HubSpot) -> None:
        """A contact with 501 answers gives a page of 500 and a cursor to the last one (Spec)."""
        first = client.crm.associations.v4.basic_api.get_page("contacts", BUSY, "feedback_submissions", limit=500)
        assert len(first.results) == 500
        second = client.crm.associations.v4.basic_api.get_page(
            "contacts", BUSY, "feedback_submissions", limit=500, after=first.paging.next.after
        )
        assert len(second.results) == 1
        assert second.paging is None
        got = {r.to_object_id for r in first.results} | {r.to_object_id for r in second.results}
        assert got == {str(10_000 + i) for i in range(BUSY_ANSWERS)}

    def test_small_limit_pages(self, client: hubspot.HubSpot) -> None:
        """`limit` pages through a record's associations (Spec)."""
        first = client.crm.associations.v4.basic_api.get_page("contacts", "301", "companies", limit=2)
        assert list(_types(first)) == ["201", "202"]
        second = client.crm.associations.v4.basic_api.get_page(
            "contacts", "301", "companies", limit=2, after=first.paging.next.after
        )
        assert list(_types(second)) == ["203"]

    def test_batch_read_pages_per_input(self, client: hubspot.HubSpot) -> None:
        """Batch read pages each input; `after` passed back beside the id continues it (Spec; notes §8)."""
        api = client.crm.associations.v4.batch_api
        first = api.get_page("contacts", "feedback_submissions", {"inputs": [{"id": BUSY}, {"id": "302"}]})
        by_id = {r._from.id: r for r in first.results}
        assert len(by_id[BUSY].to) == 500
        assert by_id["302"].paging is None
        after = by_id[BUSY].paging.next.after
        rest = api.get_page("contacts", "feedback_submissions", {"inputs": [{"id": BUSY, "after": after}]})
        assert len(rest.results[0].to) == 1


class TestBatchReadAssociations:
    """POST /crm/v4/associations/{from}/{to}/batch/read (notes §8)."""

    def test_ids_without_associations_give_207_items(self, client: hubspot.HubSpot) -> None:
        """Inputs with nothing associated come back as NO_ASSOCIATIONS_FOUND errors in a 207 (Spec 200/207)."""
        api = client.crm.associations.v4.batch_api
        resp = api.get_page(
            "contacts", "companies", {"inputs": [{"id": "302"}, {"id": "307"}, {"id": "306"}]}, _preload_content=False
        )
        assert resp.status == 207
        body = json.loads(resp.data)
        assert [r["from"]["id"] for r in body["results"]] == ["302"]
        assert body["numErrors"] == 2
        assert {e["subCategory"] for e in body["errors"]} == {"crm.associations.NO_ASSOCIATIONS_FOUND"}
        assert sorted(e["context"]["fromObjectId"][0] for e in body["errors"]) == ["306", "307"]

    def test_all_found_is_200(self, client: hubspot.HubSpot) -> None:
        """Every input associated: 200 (Spec)."""
        resp = client.crm.associations.v4.batch_api.get_page(
            "feedback_submissions", "contacts", {"inputs": [{"id": "401"}, {"id": "402"}]}, _preload_content=False
        )
        assert resp.status == 200
        body = json.loads(resp.data)
        assert {r["from"]["id"]: [t["toObjectId"] for t in r["to"]] for r in body["results"]} == {
            "401": [301],
            "402": [301],
        }

    def test_up_to_1000_inputs(self, client: hubspot.HubSpot) -> None:
        """Max 1,000 inputs per association batch read (changelog 2025-02-10); 1,001 is 400."""
        api = client.crm.associations.v4.batch_api
        ok = api.get_page("contacts", "companies", {"inputs": [{"id": str(90_000 + i)} for i in range(1000)]})
        assert ok.results == []
        with pytest.raises(AssociationsApiException) as info:
            api.get_page("contacts", "companies", {"inputs": [{"id": str(90_000 + i)} for i in range(1001)]})
        assert info.value.status == 400

    def test_merged_id_reads_the_survivors_associations(self, client: hubspot.HubSpot) -> None:
        """A merged-away id resolves to the survivor (notes §5 merged records)."""
        result = client.crm.associations.v4.batch_api.get_page("contacts", "companies", {"inputs": [{"id": "305"}]})
        assert result.results[0]._from.id == "301"
        assert {t.to_object_id for t in result.results[0].to} == {"201", "202", "203"}


class TestOwners:
    """GET /crm/v3/owners (notes §9)."""

    def test_sdk_trailing_slash_and_plain_path_agree(
        self, client: hubspot.HubSpot, server: SandboxHTTPServer, raw: Raw
    ) -> None:
        """The SDK calls /crm/v3/owners/; the docs name /crm/v3/owners; both answer (notes §9, SDK-verified)."""
        via_sdk = [o.id for o in client.crm.owners.owners_api.get_page().results]
        plain = raw(server, "GET", "/crm/v3/owners")
        assert plain.status == 200
        assert [o["id"] for o in plain.json["results"]] == via_sdk == ["101", "102"]

    def test_archived_true_returns_only_archived(
        self, client: hubspot.HubSpot, server: SandboxHTTPServer, raw: Raw
    ) -> None:
        """`archived=true` returns only archived (deactivated) owners (owners guide; notes §9)."""
        assert [o.id for o in client.crm.owners.owners_api.get_page(archived=True).results] == ["103"]
        assert [o["id"] for o in raw(server, "GET", "/crm/v3/owners/?archived=true").json["results"]] == ["103"]

    def test_owner_shape(self, client: hubspot.HubSpot) -> None:
        """An owner carries id (string), email, names, userId, type, teams, archived (Spec Owner)."""
        owner = client.crm.owners.owners_api.get_by_id(101)
        assert (owner.id, owner.email, owner.first_name, owner.last_name) == ("101", "ann@example.com", "Ann", "Lee")
        assert owner.archived is False
        assert isinstance(owner.user_id, int)

    def test_get_by_user_id(self, client: hubspot.HubSpot) -> None:
        """`idProperty=userId` looks an owner up by user id (Spec owners)."""
        owner = client.crm.owners.owners_api.get_by_id(101)
        again = client.crm.owners.owners_api.get_by_id(owner.user_id, id_property="userId")
        assert again.id == "101"

    def test_email_filter(self, client: hubspot.HubSpot) -> None:
        """`email` filters the list (Spec owners)."""
        assert [o.id for o in client.crm.owners.owners_api.get_page(email="ben@example.com").results] == ["102"]

    def test_archived_owner_is_404_without_archived_flag(self, client: hubspot.HubSpot) -> None:
        """An archived owner's GET needs `archived=true` (Spec owners, archived)."""
        with pytest.raises(OwnersApiException) as info:
            client.crm.owners.owners_api.get_by_id(103)
        assert info.value.status == 404
        assert client.crm.owners.owners_api.get_by_id(103, archived=True).archived is True

    def test_paging(self, client: hubspot.HubSpot) -> None:
        """`limit` and `after` page the owners (Spec owners)."""
        first = client.crm.owners.owners_api.get_page(limit=1)
        second = client.crm.owners.owners_api.get_page(limit=1, after=first.paging.next.after)
        assert [first.results[0].id, second.results[0].id] == ["101", "102"]
        assert second.paging is None
