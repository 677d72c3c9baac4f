"""HubSpot's other standard object types, as far as the properties API knows them.

Third-party clients list property definitions of every standard object type at start-up (issue
10), so `GET /crm/v3/properties/{type}` (and its date-based paths) answers for these types too.
The sandbox stores no records of them: their objects routes still answer 400 "Unable to infer
object type". Each type gets *at least* the property names HubSpot creates by default, not its
full list: the properties HubSpot's search guide says each type returns by default, plus the ones
its object guides require on create (`hs_timestamp` of engagements, `hs_note_body`, ...). Type
ids: HubSpot's object type table ("Using object APIs"). docs/hubspot-behaviour.md says so too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StandardType:
    """A standard object type served by the properties API only."""

    name: str  # plural API name
    type_id: str
    singular: str
    group: tuple[str, str]  # its default property group: name, label
    properties: tuple[tuple[str, str], ...]  # (name, type) of its default properties


_CREATED = (("hs_object_id", "number"), ("hs_lastmodifieddate", "datetime"))
_ENGAGEMENT = (
    *_CREATED,
    ("hs_createdate", "datetime"),
    ("hs_timestamp", "datetime"),
    ("hubspot_owner_id", "enumeration"),
)

STANDARD_TYPES: tuple[StandardType, ...] = (
    StandardType(
        "deals",
        "0-3",
        "deal",
        ("dealinformation", "Deal information"),
        (
            *_CREATED,
            ("createdate", "datetime"),
            ("dealname", "string"),
            ("amount", "number"),
            ("closedate", "datetime"),
            ("dealstage", "enumeration"),
            ("pipeline", "enumeration"),
            ("hubspot_owner_id", "enumeration"),
        ),
    ),
    StandardType(
        "tickets",
        "0-5",
        "ticket",
        ("ticketinformation", "Ticket information"),
        (
            *_CREATED,
            ("createdate", "datetime"),
            ("subject", "string"),
            ("content", "string"),
            ("hs_pipeline", "enumeration"),
            ("hs_pipeline_stage", "enumeration"),
            ("hs_ticket_category", "enumeration"),
            ("hs_ticket_priority", "enumeration"),
        ),
    ),
    StandardType(
        "products",
        "0-7",
        "product",
        ("productinformation", "Product information"),
        (*_CREATED, ("createdate", "datetime"), ("name", "string"), ("description", "string"), ("price", "number")),
    ),
    StandardType(
        "line_items",
        "0-8",
        "line_item",
        ("lineiteminformation", "Line item information"),
        (
            *_CREATED,
            ("createdate", "datetime"),
            ("name", "string"),
            ("quantity", "number"),
            ("price", "number"),
            ("amount", "number"),
            ("hs_product_id", "number"),
        ),
    ),
    StandardType(
        "quotes",
        "0-14",
        "quote",
        ("quoteinformation", "Quote information"),
        (
            *_CREATED,
            ("hs_createdate", "datetime"),
            ("hs_title", "string"),
            ("hs_expiration_date", "datetime"),
            ("hs_status", "enumeration"),
        ),
    ),
    StandardType(
        "calls",
        "0-48",
        "call",
        ("callinformation", "Call information"),
        (*_ENGAGEMENT, ("hs_call_title", "string"), ("hs_call_body", "string"), ("hs_call_duration", "number")),
    ),
    StandardType(
        "emails",
        "0-49",
        "email",
        ("emailinformation", "Email information"),
        (
            *_ENGAGEMENT,
            ("hs_email_subject", "string"),
            ("hs_email_text", "string"),
            ("hs_email_direction", "enumeration"),
        ),
    ),
    StandardType(
        "meetings",
        "0-47",
        "meeting",
        ("meetinginformation", "Meeting information"),
        (
            *_ENGAGEMENT,
            ("hs_meeting_title", "string"),
            ("hs_meeting_body", "string"),
            ("hs_meeting_start_time", "datetime"),
            ("hs_meeting_end_time", "datetime"),
        ),
    ),
    StandardType(
        "notes",
        "0-46",
        "note",
        ("notesinformation", "Note information"),
        (*_ENGAGEMENT, ("hs_note_body", "string")),
    ),
)
BY_NAME = {t.name: t for t in STANDARD_TYPES}
ALIASES = {t.type_id: t.name for t in STANDARD_TYPES} | {t.singular: t.name for t in STANDARD_TYPES}
