"""Writes: batch update, validation, modification dates, properties API, tasks, read-only objects (notes §4-§7)."""

from __future__ import annotations

import json
import time
from typing import Any

import hubspot
import pytest
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.objects import ApiException as ObjectsApiException
from hubspot.crm.objects.tasks import ApiException as TasksApiException
from hubspot.crm.properties import ApiException as PropertiesApiException

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox, build_sdk
from tests.sandbox import nps_contact_properties, small_portal


@pytest.fixture
def server(make_sandbox: MakeSandbox) -> SandboxHTTPServer:
    return make_sandbox({**small_portal(), **nps_contact_properties()})


@pytest.fixture
def client(server: SandboxHTTPServer) -> hubspot.HubSpot:
    return build_sdk(server)


def _error(exc: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.body)
    return body


def _task(**props: str) -> dict[str, Any]:
    base = {"hs_timestamp": "2026-10-03T10:00:00.000Z", "hs_task_subject": "Call back", "hs_task_type": "TODO"}
    return {"properties": {**base, **props}}


class TestBatchUpdate:
    """POST .../batch/update: 200 when all land, 207 with per-record errors otherwise (notes §4, §5)."""

    def test_all_valid_is_200(self, client: hubspot.HubSpot) -> None:
        """HubSpot: "200 when fully successful" (changelog: simplifying batch update response codes)."""
        resp = client.crm.contacts.batch_api.update(
            {
                "inputs": [
                    {"id": "301", "properties": {"nps_score": "9"}},
                    {"id": "302", "properties": {"nps_score": "6"}},
                ]
            },
            _preload_content=False,
        )
        assert resp.status == 200
        body = json.loads(resp.data)
        assert body["status"] == "COMPLETE"
        assert {r["id"]: r["properties"]["nps_score"] for r in body["results"]} == {"301": "9", "302": "6"}

    def test_bad_records_give_207_and_the_rest_lands(self, client: hubspot.HubSpot) -> None:
        """HubSpot: "a 207 Multi-Status ... when one or more ... fails"; valid inputs are applied (changelog, same)."""
        result = client.crm.contacts.batch_api.update(
            {
                "inputs": [
                    {"id": "301", "properties": {"nps_score": "9"}},
                    {"id": "302", "properties": {"nps_score": "abc"}},
                    {"id": "999", "properties": {"nps_score": "1"}},
                ]
            }
        )
        assert [r.id for r in result.results] == ["301"]
        by_category = {e.category: e for e in result.errors}
        assert set(by_category) == {"VALIDATION_ERROR", "OBJECT_NOT_FOUND"}
        assert by_category["VALIDATION_ERROR"].context["ids"] == ["302"]
        assert by_category["OBJECT_NOT_FOUND"].context["ids"] == ["999"]
        props = client.crm.contacts.basic_api.get_by_id("301", properties=["nps_score"]).properties
        assert props["nps_score"] == "9"
        assert client.crm.contacts.basic_api.get_by_id("302", properties=["nps_score"]).properties["nps_score"] is None

    def test_207_status_code(self, client: hubspot.HubSpot) -> None:
        """The partial answer's HTTP status is 207 (notes §5 table)."""
        resp = client.crm.contacts.batch_api.update(
            {"inputs": [{"id": "999", "properties": {"firstname": "X"}}]}, _preload_content=False
        )
        assert resp.status == 207

    def test_duplicate_ids_are_400(self, client: hubspot.HubSpot) -> None:
        """Duplicate ids in one batch are refused as a whole with 400 (sandbox choice; HubSpot's body undocumented)."""
        with pytest.raises(ContactsApiException) as info:
            client.crm.contacts.batch_api.update(
                {
                    "inputs": [
                        {"id": "301", "properties": {"firstname": "A"}},
                        {"id": "301", "properties": {"lastname": "B"}},
                    ]
                }
            )
        assert info.value.status == 400
        assert _error(info.value)["category"] == "VALIDATION_ERROR"
        assert client.crm.contacts.basic_api.get_by_id("301").properties["firstname"] == "Bo"

    def test_more_than_100_inputs_is_400(self, client: hubspot.HubSpot) -> None:
        """Batch operations are limited to 100 records (contacts guide; notes §5)."""
        inputs = [{"id": str(1000 + i), "properties": {"firstname": "x"}} for i in range(101)]
        with pytest.raises(ContactsApiException) as info:
            client.crm.contacts.batch_api.update({"inputs": inputs})
        assert info.value.status == 400

    def test_merged_id_updates_the_survivor(self, client: hubspot.HubSpot) -> None:
        """An update by a merged-away id lands on the survivor, keyed by its id (notes §5 merged records)."""
        result = client.crm.contacts.batch_api.update({"inputs": [{"id": "305", "properties": {"jobtitle": "CTO"}}]})
        assert [r.id for r in result.results] == ["301"]
        assert client.crm.contacts.basic_api.get_by_id("301", properties=["jobtitle"]).properties["jobtitle"] == "CTO"

    def test_empty_string_clears_a_value(self, client: hubspot.HubSpot) -> None:
        """HubSpot: "clear a value with \"\"" (properties guide; notes §6)."""
        client.crm.contacts.basic_api.update("301", {"properties": {"nps_score": "5"}})
        client.crm.contacts.basic_api.update("301", {"properties": {"nps_score": ""}})
        assert client.crm.contacts.basic_api.get_by_id("301", properties=["nps_score"]).properties["nps_score"] is None


class TestValidation:
    """Property values are checked against their definitions (notes §4 VALIDATION_ERROR)."""

    def test_number_property_rejects_text(self, client: hubspot.HubSpot) -> None:
        """A number property given "abc" is 400 VALIDATION_ERROR "Property values were not valid" (ruby #403)."""
        with pytest.raises(ContactsApiException) as info:
            client.crm.contacts.basic_api.update("301", {"properties": {"nps_score": "abc"}})
        body = _error(info.value)
        assert info.value.status == 400
        assert body["category"] == "VALIDATION_ERROR"
        assert body["message"].startswith("Property values were not valid")
        assert "nps_score" in body["message"]

    def test_enumeration_rejects_unknown_option(self, client: hubspot.HubSpot) -> None:
        """An enumeration takes only its options' values (properties guide, options)."""
        with pytest.raises(ContactsApiException) as info:
            client.crm.contacts.basic_api.update("301", {"properties": {"nps_category": "Promoter"}})
        assert _error(info.value)["category"] == "VALIDATION_ERROR"
        client.crm.contacts.basic_api.update("301", {"properties": {"nps_category": "promoter"}})

    def test_datetime_accepts_iso_and_epoch_ms_and_rejects_text(self, client: hubspot.HubSpot) -> None:
        """datetime: "ISO 8601 or epoch ms, UTC" (properties guide type table)."""
        client.crm.contacts.basic_api.update(
            "301", {"properties": {"nps_last_response_date": "2026-10-01T10:00:00.000Z"}}
        )
        client.crm.contacts.basic_api.update("301", {"properties": {"nps_last_response_date": "1790848800000"}})
        with pytest.raises(ContactsApiException):
            client.crm.contacts.basic_api.update("301", {"properties": {"nps_last_response_date": "yesterday"}})

    def test_unknown_property_is_rejected(self, client: hubspot.HubSpot) -> None:
        """Writing a property that does not exist is a VALIDATION_ERROR (PROPERTY_DOESNT_EXIST)."""
        with pytest.raises(ContactsApiException) as info:
            client.crm.contacts.basic_api.update("301", {"properties": {"no_such_prop": "1"}})
        assert "PROPERTY_DOESNT_EXIST" in _error(info.value)["message"]

    def test_owner_must_exist(self, client: hubspot.HubSpot) -> None:
        """`hubspot_owner_id` takes an owner id (owners guide; notes §9)."""
        client.crm.contacts.basic_api.update("301", {"properties": {"hubspot_owner_id": "101"}})
        with pytest.raises(ContactsApiException):
            client.crm.contacts.basic_api.update("301", {"properties": {"hubspot_owner_id": "999"}})

    def test_values_are_stored_as_written(self, client: hubspot.HubSpot) -> None:
        """The sandbox keeps values as written (DESIGN default properties written)."""
        client.crm.contacts.basic_api.update("301", {"properties": {"nps_score": "33.3"}})
        assert (
            client.crm.contacts.basic_api.get_by_id("301", properties=["nps_score"]).properties["nps_score"] == "33.3"
        )


class TestModificationDates:
    """`lastmodifieddate` (contacts) / `hs_lastmodifieddate` (others) move on every write (search guide tables)."""

    @staticmethod
    def _modified(client: hubspot.HubSpot, otype: str, rid: str, prop: str) -> tuple[str, Any]:
        rec = client.crm.objects.basic_api.get_by_id(otype, rid, properties=[prop])
        return rec.properties[prop], rec.updated_at

    @pytest.mark.parametrize(
        ("otype", "rid", "prop", "change"),
        [
            ("contacts", "301", "lastmodifieddate", {"firstname": "Bob"}),
            ("companies", "201", "hs_lastmodifieddate", {"name": "Acme Two"}),
        ],
    )
    def test_every_write_advances_the_modified_date(
        self, client: hubspot.HubSpot, otype: str, rid: str, prop: str, change: dict[str, str]
    ) -> None:
        """PATCH and batch update both advance the modification date and `updatedAt` (search guide tables)."""
        seen = [self._modified(client, otype, rid, prop)]
        time.sleep(0.005)
        client.crm.objects.basic_api.update(otype, rid, {"properties": change})
        seen.append(self._modified(client, otype, rid, prop))
        time.sleep(0.005)
        client.crm.objects.batch_api.update(otype, {"inputs": [{"id": rid, "properties": change}]})
        seen.append(self._modified(client, otype, rid, prop))
        stamps = [s[0] for s in seen]
        assert stamps[0] < stamps[1] < stamps[2]
        assert seen[0][1] < seen[1][1] < seen[2][1]

    def test_task_update_advances_hs_lastmodifieddate(self, client: hubspot.HubSpot) -> None:
        """Tasks carry `hs_lastmodifieddate` (search guide default properties)."""
        task = client.crm.objects.tasks.basic_api.create(_task())
        before = task.properties["hs_lastmodifieddate"]
        time.sleep(0.005)
        after = client.crm.objects.tasks.basic_api.update(task.id, {"properties": {"hs_task_status": "COMPLETED"}})
        assert after.properties["hs_lastmodifieddate"] > before


class TestPropertiesApi:
    """/crm/v3/properties/{objectType} and its groups (notes §6)."""

    def test_list_and_get(self, client: hubspot.HubSpot) -> None:
        """GET lists every property; GET by name returns one definition (Spec properties)."""
        names = {p.name for p in client.crm.properties.core_api.get_all("contacts").results}
        assert {"email", "firstname", "nps_score", "lastmodifieddate"} <= names
        score = client.crm.properties.core_api.get_by_name("contacts", "nps_score")
        assert (score.type, score.field_type, score.group_name) == ("number", "number", "nps")

    def test_get_missing_property_is_404(self, client: hubspot.HubSpot) -> None:
        """An unknown property name is 404 (Spec properties)."""
        with pytest.raises(PropertiesApiException) as info:
            client.crm.properties.core_api.get_by_name("contacts", "nope")
        assert info.value.status == 404

    def test_create_property_is_201_and_then_usable(self, client: hubspot.HubSpot) -> None:
        """POST creates a property (201) that records can then carry (Spec PropertyCreate)."""
        body = {
            "name": "nps_company_score",
            "label": "Company NPS",
            "type": "number",
            "fieldType": "number",
            "groupName": "companyinformation",
        }
        resp = client.crm.properties.core_api.create("companies", body, _preload_content=False)
        assert resp.status == 201
        assert json.loads(resp.data)["name"] == "nps_company_score"
        client.crm.companies.basic_api.update("201", {"properties": {"nps_company_score": "33.3"}})

    def test_existing_name_is_409(self, client: hubspot.HubSpot) -> None:
        """Creating a property that exists is 409 Conflict (legacy property docs; notes §6, open question 9)."""
        body = {"name": "nps_score", "label": "Again", "type": "number", "fieldType": "number", "groupName": "nps"}
        with pytest.raises(PropertiesApiException) as info:
            client.crm.properties.core_api.create("contacts", body)
        assert info.value.status == 409
        assert _error(info.value)["category"] == "CONFLICT"

    @pytest.mark.parametrize(
        ("ptype", "field_type"), [("number", "text"), ("datetime", "select"), ("string", "number")]
    )
    def test_invalid_type_field_type_pair_is_400(self, client: hubspot.HubSpot, ptype: str, field_type: str) -> None:
        """type and fieldType must be a valid pair (properties guide type table)."""
        body = {"name": "bad_pair", "label": "Bad", "type": ptype, "fieldType": field_type, "groupName": "nps"}
        with pytest.raises(PropertiesApiException) as info:
            client.crm.properties.core_api.create("contacts", body)
        assert info.value.status == 400

    def test_enumeration_needs_options(self, client: hubspot.HubSpot) -> None:
        """`options[]` is required for enumerations (Spec PropertyCreate)."""
        body = {"name": "bad_enum", "label": "Bad", "type": "enumeration", "fieldType": "select", "groupName": "nps"}
        with pytest.raises(PropertiesApiException) as info:
            client.crm.properties.core_api.create("contacts", body)
        assert info.value.status == 400

    def test_groups_list_get_create(self, client: hubspot.HubSpot) -> None:
        """Property groups: list, create (201), get by name, 409 on an existing name (Spec property groups)."""
        assert "contactinformation" in {g.name for g in client.crm.properties.groups_api.get_all("contacts").results}
        resp = client.crm.properties.groups_api.create(
            "companies", {"name": "nps", "label": "NPS"}, _preload_content=False
        )
        assert resp.status == 201
        assert client.crm.properties.groups_api.get_by_name("companies", "nps").label == "NPS"
        with pytest.raises(PropertiesApiException) as info:
            client.crm.properties.groups_api.create("companies", {"name": "nps", "label": "NPS"})
        assert info.value.status == 409


class TestTasks:
    """Tasks: create with associations, required `hs_timestamp`, batch create and upsert (notes §7)."""

    def test_create_with_inline_associations(self, client: hubspot.HubSpot) -> None:
        """Inline associations 204 (task→contact) and 192 (task→company) on create (tasks guide; notes §7)."""
        body = {
            **_task(hs_task_priority="HIGH", hubspot_owner_id="101"),
            "associations": [
                {"to": {"id": "301"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]},
                {"to": {"id": "201"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 192}]},
            ],
        }
        resp = client.crm.objects.tasks.basic_api.create(body, _preload_content=False)
        assert resp.status == 201
        task_id = json.loads(resp.data)["id"]
        to_contact = client.crm.associations.v4.basic_api.get_page("tasks", task_id, "contacts")
        assert [(r.to_object_id, [t.type_id for t in r.association_types]) for r in to_contact.results] == [
            ("301", [204])
        ]
        to_company = client.crm.associations.v4.basic_api.get_page("tasks", task_id, "companies")
        assert [(r.to_object_id, [t.type_id for t in r.association_types]) for r in to_company.results] == [
            ("201", [192])
        ]
        back = client.crm.associations.v4.basic_api.get_page("contacts", "301", "tasks")
        assert [(r.to_object_id, [t.type_id for t in r.association_types]) for r in back.results] == [(task_id, [203])]

    def test_hs_timestamp_is_required(self, client: hubspot.HubSpot) -> None:
        """`hs_timestamp` is required on create (tasks guide; notes §7)."""
        with pytest.raises(TasksApiException) as info:
            client.crm.objects.tasks.basic_api.create({"properties": {"hs_task_subject": "No date"}})
        assert info.value.status == 400
        assert "hs_timestamp" in _error(info.value)["message"]

    def test_association_to_missing_record_is_400(self, client: hubspot.HubSpot) -> None:
        """An association to a record that does not exist fails the create (tasks guide, associations)."""
        body = {
            **_task(),
            "associations": [
                {"to": {"id": "306"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}
            ],
        }
        with pytest.raises(TasksApiException) as info:
            client.crm.objects.tasks.basic_api.create(body)
        assert info.value.status == 400

    def test_batch_create_is_all_or_nothing(self, client: hubspot.HubSpot, server: SandboxHTTPServer) -> None:
        """One bad input fails the whole batch create; nothing is created (error-handling "Multi-status"; notes §4)."""
        with pytest.raises(TasksApiException) as info:
            client.crm.objects.tasks.batch_api.create(
                {"inputs": [_task(), {"properties": {"hs_task_subject": "bad"}}, _task()]}
            )
        assert info.value.status == 400
        assert server.sandbox.stats()["writes"] == 0
        assert client.crm.objects.tasks.basic_api.get_page(limit=100).results == []

    def test_batch_create_valid_is_201(self, client: hubspot.HubSpot) -> None:
        """A valid batch create answers 201 with every record (Spec; notes §5 table)."""
        resp = client.crm.objects.tasks.batch_api.create({"inputs": [_task(), _task()]}, _preload_content=False)
        assert resp.status == 201
        assert len(json.loads(resp.data)["results"]) == 2

    def test_batch_create_with_trace_ids_is_partial(self, client: hubspot.HubSpot) -> None:
        """With an `objectWriteTraceId` on every input, bad inputs come back as 207 errors (error-handling guide)."""
        inputs = [
            {**_task(), "objectWriteTraceId": "a"},
            {"properties": {"hs_task_subject": "x"}, "objectWriteTraceId": "b"},
        ]
        resp = client.crm.objects.tasks.batch_api.create({"inputs": inputs}, _preload_content=False)
        assert resp.status == 207
        body = json.loads(resp.data)
        assert len(body["results"]) == 1
        assert body["errors"][0]["context"]["objectWriteTraceId"] == ["b"]

    def test_batch_upsert_is_rejected(self, client: hubspot.HubSpot) -> None:
        """Tasks have no unique property, so upsert by a property fails (nodejs #548; notes §5, §7)."""
        inputs = [{"id": "nps-401", "idProperty": "hs_task_subject", "properties": {"hs_timestamp": "1790848800000"}}]
        with pytest.raises(TasksApiException) as info:
            client.crm.objects.tasks.batch_api.upsert({"inputs": inputs})
        assert info.value.status == 400
        assert "non-unique" in _error(info.value)["message"]

    def test_unique_property_on_tasks_cannot_be_created(self, client: hubspot.HubSpot) -> None:
        """No source confirms unique properties on tasks; the sandbox refuses them (notes open question 7)."""
        body = {
            "name": "nps_key",
            "label": "Key",
            "type": "string",
            "fieldType": "text",
            "groupName": "task",
            "hasUniqueValue": True,
        }
        with pytest.raises(PropertiesApiException) as info:
            client.crm.properties.core_api.create("tasks", body)
        assert info.value.status == 400

    def test_completed_status_sets_completion_date(self, client: hubspot.HubSpot) -> None:
        """Completing a task records `hs_task_completion_date` (tasks guide, status)."""
        task = client.crm.objects.tasks.basic_api.create(_task())
        done = client.crm.objects.tasks.basic_api.update(task.id, {"properties": {"hs_task_status": "COMPLETED"}})
        assert done.properties["hs_task_completion_date"]


class TestReadOnlyFeedbackSubmissions:
    """HubSpot: "This API is read-only" for survey responses (feedback submissions docs; notes §1)."""

    def test_create_is_rejected(self, client: hubspot.HubSpot, server: SandboxHTTPServer) -> None:
        """POST create on feedback_submissions is refused; nothing changes (notes §1)."""
        with pytest.raises(ObjectsApiException) as info:
            client.crm.objects.basic_api.create("feedback_submissions", {"properties": {"hs_value": "9"}})
        assert info.value.status == 405
        assert server.sandbox.stats()["writes"] == 0

    def test_update_is_rejected(self, client: hubspot.HubSpot) -> None:
        """PATCH and batch update on feedback_submissions are refused (notes §1)."""
        with pytest.raises(ObjectsApiException):
            client.crm.objects.basic_api.update("feedback_submissions", "401", {"properties": {"hs_value": "1"}})
        with pytest.raises(ObjectsApiException):
            client.crm.objects.batch_api.update(
                "feedback_submissions", {"inputs": [{"id": "401", "properties": {"hs_value": "1"}}]}
            )
        rec = client.crm.objects.feedback_submissions.basic_api.get_by_id("401", properties=["hs_value"])
        assert rec.properties["hs_value"] == "9"

    def test_archive_is_rejected(self, client: hubspot.HubSpot) -> None:
        """DELETE on feedback_submissions is refused (notes §1)."""
        with pytest.raises(ObjectsApiException):
            client.crm.objects.basic_api.archive("feedback_submissions", "401")
        assert client.crm.objects.feedback_submissions.basic_api.get_by_id("401").id == "401"
