"""Object types, system property definitions and association types the sandbox serves.

Facts and sources: docs/hubspot-behaviour.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector.sandbox.standard_types import ALIASES, BY_NAME, STANDARD_TYPES


@dataclass(frozen=True)
class ObjectType:
    """One CRM object type: its API name, type id and system properties (its scopes: scopes.py)."""

    name: str  # plural API name used in paths, e.g. "contacts"
    type_id: str  # "0-1"
    singular: str  # used in error messages and association type names
    created_prop: str
    modified_prop: str
    default_props: tuple[str, ...]  # returned when no `properties` were asked for
    query_props: tuple[str, ...]  # searched by the free-text `query`
    writable: bool = True


CONTACTS = ObjectType(
    "contacts",
    "0-1",
    "contact",
    "createdate",
    "lastmodifieddate",
    ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    ("firstname", "lastname", "email", "phone", "company"),
)
COMPANIES = ObjectType(
    "companies",
    "0-2",
    "company",
    "createdate",
    "hs_lastmodifieddate",
    ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    ("name", "domain", "website", "phone"),
)
FEEDBACK = ObjectType(
    "feedback_submissions",
    "0-19",
    "feedback_submission",
    "hs_createdate",
    "hs_lastmodifieddate",
    ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    ("hs_submission_name", "hs_content"),
    writable=False,
)
TASKS = ObjectType(
    "tasks",
    "0-27",
    "task",
    "hs_createdate",
    "hs_lastmodifieddate",
    ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    ("hs_task_subject", "hs_task_body"),
)

OBJECT_TYPES: dict[str, ObjectType] = {t.name: t for t in (CONTACTS, COMPANIES, FEEDBACK, TASKS)}
_ALIASES = {t.type_id: t.name for t in OBJECT_TYPES.values()} | {t.singular: t.name for t in OBJECT_TYPES.values()}


def resolve_type(name: str) -> ObjectType | None:
    """The object type for a path segment: plural name, singular name or type id."""
    key = name.lower()
    return OBJECT_TYPES.get(key) or OBJECT_TYPES.get(_ALIASES.get(key, ""))


def resolve_property_type(name: str) -> str | None:
    """The type the properties API knows by a path segment: a record type or another standard one."""
    ot = resolve_type(name)
    if ot is not None:
        return ot.name
    key = name.lower()
    return key if key in BY_NAME else ALIASES.get(key)


def id_order(record_id: str) -> tuple[int, str]:
    """Sort key of record and owner ids: numeric ids by value, then any other ids by text."""
    # Fixtures may hold non-numeric ids; they sort after every numeric id instead of failing.
    return (int(record_id), "") if record_id.isdigit() else (1 << 62, record_id)


# HUBSPOT_DEFINED association type ids (SDK hubspot/crm/association_type.py):
# (from, to) -> (primary type or None, unlabeled/default type); and the reverse pairing.
ASSOC_TYPES: dict[tuple[str, str], dict[str, int]] = {
    ("contacts", "companies"): {"primary": 1, "default": 279},
    ("companies", "contacts"): {"primary": 2, "default": 280},
    ("contacts", "feedback_submissions"): {"default": 97},
    ("feedback_submissions", "contacts"): {"default": 98},
    ("tasks", "contacts"): {"default": 204},
    ("contacts", "tasks"): {"default": 203},
    ("tasks", "companies"): {"default": 192},
    ("companies", "tasks"): {"default": 191},
}
REVERSE_TYPE: dict[int, int] = {
    1: 2,
    2: 1,
    279: 280,
    280: 279,
    97: 98,
    98: 97,
    204: 203,
    203: 204,
    192: 191,
    191: 192,
}
TYPE_NAMES: dict[int, str] = {
    1: "contact_to_company",
    279: "contact_to_company_unlabeled",
    2: "company_to_contact",
    280: "company_to_contact_unlabeled",
    97: "contact_to_feedback_submission",
    98: "feedback_submission_to_contact",
    203: "contact_to_task",
    204: "task_to_contact",
    191: "company_to_task",
    192: "task_to_company",
}
TYPE_LABELS: dict[int, str | None] = {1: "Primary", 2: "Primary"}
TYPE_PAIR: dict[int, tuple[str, str]] = {tid: pair for pair, kinds in ASSOC_TYPES.items() for tid in kinds.values()}


def type_order(type_id: int) -> bool:
    """Sort key of association type ids: the primary types (1, 2) before the others."""
    return type_id not in (1, 2)


# Type/fieldType pairs HubSpot accepts (properties guide).
FIELD_TYPES: dict[str, set[str]] = {
    "bool": {"booleancheckbox", "calculation_equation"},
    "enumeration": {"booleancheckbox", "checkbox", "radio", "select", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "string": {"text", "textarea", "file", "html", "phonenumber", "calculation_equation"},
    "number": {"number", "calculation_equation"},
}

_FIELD_FOR_TYPE = {
    "string": "text",
    "number": "number",
    "datetime": "date",
    "date": "date",
    "enumeration": "select",
    "bool": "booleancheckbox",
}


def _prop(
    name: str,
    ptype: str,
    group: str,
    *,
    options: tuple[str, ...] = (),
    read_only: bool = False,
    label: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "label": label or name.replace("hs_", "").replace("_", " ").capitalize(),
        "type": ptype,
        "fieldType": _FIELD_FOR_TYPE[ptype],
        "description": "",
        "groupName": group,
        "options": [
            {"label": o.replace("_", " ").title(), "value": o, "displayOrder": i, "hidden": False}
            for i, o in enumerate(options)
        ],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": False,
        "hidden": False,
        "hubspotDefined": True,
        "modificationMetadata": {
            "archivable": False,
            "readOnlyDefinition": True,
            "readOnlyValue": read_only,
        },
        "formField": False,
        "archived": False,
    }


def _common(created: str, modified: str, group: str) -> list[dict[str, Any]]:
    return [
        _prop("hs_object_id", "number", group, read_only=True, label="Record ID"),
        _prop(created, "datetime", group, read_only=True, label="Create date"),
        _prop(modified, "datetime", group, read_only=True, label="Last modified date"),
        _prop("hs_merged_object_ids", "enumeration", group, read_only=True),
        _prop("hubspot_owner_id", "enumeration", group, label="Owner"),
    ]


SURVEY_TYPES = ("NPS", "CSAT", "CES", "CUSTOM", "KNOWLEDGE")
TASK_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")
TASK_PRIORITIES = ("NONE", "LOW", "MEDIUM", "HIGH")
TASK_TYPES = ("EMAIL", "CALL", "TODO", "LINKED_IN", "MEETING")


def system_properties() -> dict[str, dict[str, dict[str, Any]]]:
    """Fresh copies of the HubSpot-defined properties of each object type."""
    contacts = [
        *_common("createdate", "lastmodifieddate", "contactinformation"),
        *(
            _prop(n, "string", "contactinformation")
            for n in ("email", "firstname", "lastname", "phone", "company", "jobtitle")
        ),
    ]
    companies = [
        *_common("createdate", "hs_lastmodifieddate", "companyinformation"),
        *(_prop(n, "string", "companyinformation") for n in ("name", "domain", "website", "phone")),
    ]
    feedback = [
        *_common("hs_createdate", "hs_lastmodifieddate", "feedbacksubmissioninformation")[:4],
        _prop("hs_survey_type", "enumeration", "feedbacksubmissioninformation", options=SURVEY_TYPES),
        _prop(
            "hs_response_group",
            "enumeration",
            "feedbacksubmissioninformation",
            options=("PROMOTER", "PASSIVE", "DETRACTOR"),
        ),
        _prop("hs_submission_timestamp", "datetime", "feedbacksubmissioninformation"),
        *(
            _prop(n, "string", "feedbacksubmissioninformation")
            for n in (
                "hs_value",
                "hs_content",
                "hs_survey_id",
                "hs_survey_name",
                "hs_survey_channel",
                "hs_contact_id",
                "hs_contact_email_rollup",
                "hs_submission_name",
                "hs_submission_url",
                "hs_form_guid",
                "hs_sentiment",
                "hs_ingestion_id",
                "hs_visitor_id",
                "hs_engagement_id",
            )
        ),
    ]
    tasks = [
        *_common("hs_createdate", "hs_lastmodifieddate", "task")[:3],
        _prop("hubspot_owner_id", "enumeration", "task", label="Assigned to"),
        _prop("hs_timestamp", "datetime", "task", label="Due date"),
        _prop("hs_task_subject", "string", "task"),
        _prop("hs_task_body", "string", "task"),
        _prop("hs_task_status", "enumeration", "task", options=TASK_STATUSES),
        _prop("hs_task_priority", "enumeration", "task", options=TASK_PRIORITIES),
        _prop("hs_task_type", "enumeration", "task", options=TASK_TYPES),
        _prop("hs_task_completion_date", "datetime", "task", read_only=True),
        _prop("hs_task_reminders", "string", "task"),
    ]
    standard = {
        t.name: {n: _prop(n, ptype, t.group[0], read_only=n in _READ_ONLY) for n, ptype in t.properties}
        for t in STANDARD_TYPES
    }
    return {
        "contacts": {p["name"]: p for p in contacts},
        "companies": {p["name"]: p for p in companies},
        "feedback_submissions": {p["name"]: p for p in feedback},
        "tasks": {p["name"]: p for p in tasks},
        **standard,
    }


_READ_ONLY = frozenset({"hs_object_id", "hs_lastmodifieddate", "hs_createdate", "createdate"})


SYSTEM_GROUPS = {
    "contacts": [("contactinformation", "Contact information")],
    "companies": [("companyinformation", "Company information")],
    "feedback_submissions": [("feedbacksubmissioninformation", "Feedback submission information")],
    "tasks": [("task", "Task information")],
    **{t.name: [t.group] for t in STANDARD_TYPES},
}
