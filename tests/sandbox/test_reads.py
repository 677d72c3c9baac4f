"""Reads: list paging, GET by id, batch read, merged and deleted records (HUBSPOT_API_NOTES.md §5, §10)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import hubspot
import pytest
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.contacts.exceptions import NotFoundException as ContactsNotFound

from connector.sandbox.demo import generate_portal
from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox, RawResponse, build_sdk
from tests.sandbox import small_portal

Raw = Callable[..., RawResponse]


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    return make_module_sandbox(small_portal())


@pytest.fixture(scope="module")
def client(server: SandboxHTTPServer) -> hubspot.HubSpot:
    return build_sdk(server)


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return generate_portal(600, seed=11)


@pytest.fixture(scope="module")
def demo_client(make_module_sandbox: MakeSandbox, demo: dict[str, Any]) -> hubspot.HubSpot:
    return build_sdk(make_module_sandbox(demo))


def _json(response: Any) -> Any:
    """The body of an SDK call made with `_preload_content=False`."""
    return json.loads(response.data)


class TestListPaging:
    """GET /crm/v3/objects/{objectType}: limit, opaque cursor, no `paging` on the last page."""

    def test_limit_is_capped_at_100(self, demo_client: hubspot.HubSpot) -> None:
        """`limit` max 100 per page ("You can retrieve up to 100 contacts in one request", notes §10)."""
        page = demo_client.crm.objects.feedback_submissions.basic_api.get_page(limit=500)
        assert len(page.results) == 100
        assert page.paging.next.after

    def test_default_limit_is_10(self, demo_client: hubspot.HubSpot) -> None:
        """`limit` defaults to 10 (Spec param; notes §10)."""
        body = _json(demo_client.crm.objects.feedback_submissions.basic_api.get_page(_preload_content=False))
        assert len(body["results"]) == 10

    def test_last_page_has_no_paging_key(self, client: hubspot.HubSpot) -> None:
        """`paging` is absent on the last page; the SDK's get_all stops only then (notes §10, §11)."""
        body = _json(client.crm.contacts.basic_api.get_page(limit=100, _preload_content=False))
        assert "paging" not in body

    def test_cursor_is_opaque_not_an_offset_or_id(self, demo_client: hubspot.HubSpot) -> None:
        """`after` is an opaque cursor taken from `paging.next.after` (notes §10)."""
        page = demo_client.crm.objects.feedback_submissions.basic_api.get_page(limit=5)
        after = page.paging.next.after
        assert not after.isdigit()
        nxt = demo_client.crm.objects.feedback_submissions.basic_api.get_page(limit=5, after=after)
        assert {r.id for r in page.results}.isdisjoint({r.id for r in nxt.results})

    def test_paging_reads_every_submission_exactly_as_the_fixture(
        self, demo_client: hubspot.HubSpot, demo: dict[str, Any]
    ) -> None:
        """Paging to the end returns each record once with its stored values (notes §10; DESIGN fixture)."""
        expected = {s["id"]: s["properties"] for s in demo["feedback_submissions"]}
        names = sorted({k for props in expected.values() for k in props} - {"hs_contact_id"})
        seen: dict[str, dict[str, Any]] = {}
        after = None
        while True:
            body = _json(
                demo_client.crm.objects.feedback_submissions.basic_api.get_page(
                    limit=100, after=after, properties=names, _preload_content=False
                )
            )
            for rec in body["results"]:
                assert rec["id"] not in seen
                seen[rec["id"]] = rec["properties"]
            if "paging" not in body:
                break
            after = body["paging"]["next"]["after"]
        assert seen.keys() == expected.keys()
        for sid, props in expected.items():
            got = {k: v for k, v in seen[sid].items() if k in props}
            assert got == {k: str(v) for k, v in props.items() if k != "hs_contact_id"}, sid

    def test_paging_reads_live_contacts_only(self, demo_client: hubspot.HubSpot, demo: dict[str, Any]) -> None:
        """Lists leave out deleted and merged-away contacts (DESIGN fixture: archived, merges)."""
        losers = {m["from"] for m in demo["merges"]}
        expected = {c["id"] for c in demo["contacts"] if not c.get("archived") and c["id"] not in losers}
        got = [r.id for r in demo_client.crm.contacts.get_all()]
        assert len(got) == len(set(got))
        assert set(got) == expected

    def test_generic_objects_api_pages_to_the_end(self, demo_client: hubspot.HubSpot, demo: dict[str, Any]) -> None:
        """`crm.objects.get_all` stops only on a missing `paging` key, and does stop (notes §11 gotcha)."""
        got = demo_client.crm.objects.get_all("feedback_submissions")
        assert len(got) == len(demo["feedback_submissions"])


class TestQueryParameters:
    """List-valued and boolean query parameters as the SDK and the docs send them (notes §11)."""

    def test_repeated_and_comma_separated_properties_agree(
        self, client: hubspot.HubSpot, server: SandboxHTTPServer, raw: Raw
    ) -> None:
        """`properties` comes repeated from the SDK and comma-separated in the docs; both work (notes §11)."""
        via_sdk = client.crm.contacts.basic_api.get_by_id("302", properties=["email", "firstname"])
        comma = raw(server, "GET", "/crm/v3/objects/contacts/302?properties=email,firstname").json
        assert comma["properties"] == via_sdk.properties
        assert {"email", "firstname", "hs_object_id", "createdate", "lastmodifieddate"} <= set(comma["properties"])
        assert "lastname" not in comma["properties"]

    def test_default_properties_without_properties_param(self, client: hubspot.HubSpot) -> None:
        """Without `properties` a record carries the type's default properties (notes §1, §2)."""
        rec = client.crm.objects.feedback_submissions.basic_api.get_by_id("401")
        assert set(rec.properties) == {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"}

    def test_asked_property_without_value_is_null(self, client: hubspot.HubSpot) -> None:
        """A defined property with no value comes back as null, not left out (Spec SimplePublicObject)."""
        rec = client.crm.contacts.basic_api.get_by_id("307", properties=["phone"])
        assert "phone" in rec.properties
        assert rec.properties["phone"] is None

    def test_associations_inline(self, client: hubspot.HubSpot) -> None:
        """`associations=companies` adds the associated ids with their type names (contacts guide; notes §8)."""
        rec = client.crm.contacts.basic_api.get_by_id("302", associations=["companies"])
        links = {(a.id, a.type) for a in rec.associations["companies"].results}
        assert links == {
            ("202", "contact_to_company"),
            ("202", "contact_to_company_unlabeled"),
            ("203", "contact_to_company_unlabeled"),
        }

    @pytest.mark.parametrize("flag", ["true", "True"])
    def test_archived_flag_lists_only_archived(self, server: SandboxHTTPServer, raw: Raw, flag: str) -> None:
        """`archived=true` (docs) and `True` (SDK) return only archived records (notes §10, §11)."""
        body = raw(server, "GET", f"/crm/v3/objects/contacts?archived={flag}&limit=100").json
        assert [r["id"] for r in body["results"]] == ["306"]
        assert body["results"][0]["archived"] is True

    def test_archived_false_from_the_sdk_lists_live_records(self, client: hubspot.HubSpot) -> None:
        """The SDK sends `archived=False`; live records only (notes §11)."""
        page = client.crm.contacts.basic_api.get_page(limit=100, archived=False)
        assert [r.id for r in page.results] == ["301", "302", "307", "308"]


class TestGetById:
    """GET /crm/v3/objects/{objectType}/{objectId}."""

    def test_get_by_id(self, client: hubspot.HubSpot) -> None:
        """A record by its id with the asked properties (contacts guide)."""
        rec = client.crm.contacts.basic_api.get_by_id("301", properties=["email"])
        assert rec.id == "301"
        assert rec.properties["email"] == "bo@acme.example"
        assert rec.properties["hs_object_id"] == "301"

    def test_get_by_unique_id_property(self, client: hubspot.HubSpot) -> None:
        """`idProperty=email` looks a contact up by e-mail (contacts guide; notes §5)."""
        rec = client.crm.contacts.basic_api.get_by_id("cat@beta.example", id_property="email")
        assert rec.id == "302"

    def test_merged_id_returns_the_survivor(self, client: hubspot.HubSpot) -> None:
        """A merged-away id answers with the merged record and its id (changelog, updated merge functionality)."""
        rec = client.crm.contacts.basic_api.get_by_id("305", properties=["email", "hs_merged_object_ids"])
        assert rec.id == "301"
        assert rec.properties["email"] == "bo@acme.example"

    def test_survivor_lists_merged_ids(self, client: hubspot.HubSpot) -> None:
        """The survivor lists consumed ids in `hs_merged_object_ids` (notes §5, merged records)."""
        rec = client.crm.contacts.basic_api.get_by_id("301", properties=["hs_merged_object_ids"])
        assert rec.properties["hs_merged_object_ids"].split(";") == ["305"]

    def test_deleted_contact_is_404_object_not_found(self, client: hubspot.HubSpot) -> None:
        """A deleted record's GET is 404 OBJECT_NOT_FOUND with the id in context (notes §4, §5)."""
        with pytest.raises(ContactsNotFound) as info:
            client.crm.contacts.basic_api.get_by_id("306")
        body = json.loads(info.value.body)
        assert body["status"] == "error"
        assert body["category"] == "OBJECT_NOT_FOUND"
        assert body["context"] == {"id": ["306"]}
        assert body["correlationId"]

    def test_unknown_id_is_404(self, client: hubspot.HubSpot) -> None:
        """An id that never existed is 404 too (notes §4)."""
        with pytest.raises(ContactsNotFound):
            client.crm.contacts.basic_api.get_by_id("999999")

    def test_deleted_contact_with_archived_true(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """`archived=true` on GET returns the deleted record (Spec param `archived`)."""
        resp = raw(server, "GET", "/crm/v3/objects/contacts/306?archived=true")
        assert resp.status == 200
        assert resp.json["archived"] is True
        assert resp.json["archivedAt"]


class TestBatchRead:
    """POST /crm/v3/objects/{objectType}/batch/read (notes §4 batch partial failure, §5)."""

    def test_all_found_is_200(self, client: hubspot.HubSpot) -> None:
        """Every id found: 200 with a result per id (Spec; notes §5)."""
        resp = client.crm.objects.feedback_submissions.batch_api.read(
            {"inputs": [{"id": "401"}, {"id": "405"}], "properties": ["hs_value"]}, _preload_content=False
        )
        assert resp.status == 200
        body = json.loads(resp.data)
        assert body["status"] == "COMPLETE"
        assert "errors" not in body
        assert {r["id"]: r["properties"]["hs_value"] for r in body["results"]} == {"401": "9", "405": "7"}

    def test_missing_ids_give_207_with_error_items(self, client: hubspot.HubSpot) -> None:
        """Missing or deleted ids: 207 and one OBJECT_NOT_FOUND item naming them (php #619; notes §4)."""
        result = client.crm.contacts.batch_api.read({"inputs": [{"id": "302"}, {"id": "306"}, {"id": "999"}]})
        assert [r.id for r in result.results] == ["302"]
        assert result.num_errors == 1
        err = result.errors[0]
        assert err.status == "error"
        assert err.category == "OBJECT_NOT_FOUND"
        assert sorted(err.context["ids"]) == ["306", "999"]

    def test_batch_read_207_status(self, client: hubspot.HubSpot) -> None:
        """The partial answer's HTTP status is 207 Multi-Status (notes §5 table)."""
        resp = client.crm.contacts.batch_api.read({"inputs": [{"id": "999"}]}, _preload_content=False)
        assert resp.status == 207

    def test_more_than_100_inputs_is_400(self, client: hubspot.HubSpot) -> None:
        """HubSpot: "Batch operations are limited to 100 records at a time" (contacts guide; notes §5)."""
        with pytest.raises(ContactsApiException) as info:
            client.crm.contacts.batch_api.read({"inputs": [{"id": str(i)} for i in range(101)]})
        assert info.value.status == 400
        assert json.loads(info.value.body)["category"] == "VALIDATION_ERROR"

    def test_exactly_100_inputs_is_accepted(self, client: hubspot.HubSpot) -> None:
        """100 inputs is within the limit (contacts guide)."""
        result = client.crm.contacts.batch_api.read({"inputs": [{"id": str(300 + i)} for i in range(100)]})
        assert {r.id for r in result.results} == {"301", "302", "307", "308"}

    def test_merged_id_reads_as_survivor(self, client: hubspot.HubSpot) -> None:
        """A merged-away id comes back keyed by the survivor's id, without an error (notes §5, merged records)."""
        result = client.crm.contacts.batch_api.read({"inputs": [{"id": "305"}]})
        assert [r.id for r in result.results] == ["301"]
        assert not getattr(result, "errors", None)

    def test_batch_read_by_email(self, client: hubspot.HubSpot) -> None:
        """`idProperty=email` in a batch read (contacts guide; notes §5)."""
        result = client.crm.contacts.batch_api.read(
            {"idProperty": "email", "inputs": [{"id": "solo@example.com"}], "properties": ["email"]}
        )
        assert [r.id for r in result.results] == ["307"]


class TestMergedAndDeletedContacts:
    """What a merge and a deletion do to answers and companies (DESIGN fixture `merges`, `archived`)."""

    def test_merged_contacts_answers_move_to_survivor(self, client: hubspot.HubSpot) -> None:
        """The loser's answers move to the survivor and `hs_contact_id` follows (DESIGN fixture `merges`)."""
        rec = client.crm.objects.feedback_submissions.basic_api.get_by_id(
            "402", properties=["hs_contact_id"], associations=["contacts"]
        )
        assert rec.properties["hs_contact_id"] == "301"
        assert [a.id for a in rec.associations["contacts"].results] == ["301"]

    def test_survivor_sees_both_answers(self, client: hubspot.HubSpot) -> None:
        """The survivor's submission associations include the loser's answers (DESIGN fixture `merges`)."""
        page = client.crm.associations.v4.basic_api.get_page("contacts", "301", "feedback_submissions")
        assert sorted(r.to_object_id for r in page.results) == ["401", "402"]

    def test_survivor_keeps_its_primary_and_gains_losers_companies(self, client: hubspot.HubSpot) -> None:
        """The survivor keeps its primary company; the loser's join as non-primary (DESIGN fixture `merges`)."""
        page = client.crm.associations.v4.basic_api.get_page("contacts", "301", "companies")
        types = {r.to_object_id: sorted(t.type_id for t in r.association_types) for r in page.results}
        assert types == {"201": [1, 279], "202": [279], "203": [279]}

    def test_losers_companies_point_back_to_survivor(self, client: hubspot.HubSpot) -> None:
        """Reverse associations follow the merge: company 203 lists 301, non-primary (notes §8, 280)."""
        page = client.crm.associations.v4.basic_api.get_page("companies", "203", "contacts")
        types = {r.to_object_id: sorted(t.type_id for t in r.association_types) for r in page.results}
        assert types == {"301": [280], "302": [280]}

    def test_deleted_contacts_answer_keeps_contact_id_but_loses_association(self, client: hubspot.HubSpot) -> None:
        """A deleted contact's answer keeps `hs_contact_id`, its association is gone (DESIGN fixture `archived`)."""
        rec = client.crm.objects.feedback_submissions.basic_api.get_by_id(
            "403", properties=["hs_contact_id"], associations=["contacts"]
        )
        assert rec.properties["hs_contact_id"] == "306"
        assert not rec.associations

    def test_anonymous_answer_has_no_contact(self, client: hubspot.HubSpot) -> None:
        """A submission without `contact_id` has neither `hs_contact_id` nor an association (DESIGN fixture)."""
        rec = client.crm.objects.feedback_submissions.basic_api.get_by_id(
            "404", properties=["hs_contact_id"], associations=["contacts"]
        )
        assert rec.properties.get("hs_contact_id") is None
        assert not rec.associations

    def test_deleted_company_association_is_gone(self, client: hubspot.HubSpot) -> None:
        """A deleted company leaves no association behind (DESIGN fixture `archived`)."""
        page = client.crm.associations.v4.basic_api.get_page("contacts", "308", "companies")
        assert page.results == []

    def test_submission_system_properties(self, client: hubspot.HubSpot) -> None:
        """`hs_createdate`/`hs_lastmodifieddate` default to `hs_submission_timestamp` (DESIGN fixture)."""
        rec = client.crm.objects.feedback_submissions.basic_api.get_by_id("401")
        assert rec.properties == {
            "hs_createdate": "2026-09-01T10:00:00.000Z",
            "hs_lastmodifieddate": "2026-09-01T10:00:00.000Z",
            "hs_object_id": "401",
        }
