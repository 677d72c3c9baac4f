"""The property definitions the connector writes: types, labels, options (names come from config).

Pure data: `setup` turns these into API calls and compares them with what a portal has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from connector.config import PropertyNames

ObjectType = Literal["contacts", "companies"]
ValueKind = Literal["number", "enumeration", "datetime", "string"]
FieldType = Literal["number", "select", "date", "text"]

# HubSpot accepts only these type/fieldType pairs for the kinds of value we write.
VALID_FIELD_TYPES: dict[ValueKind, FieldType] = {
    "number": "number",
    "enumeration": "select",
    "datetime": "date",
    "string": "text",
}

CATEGORY_OPTIONS: tuple[tuple[str, str], ...] = (
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
)
FOLLOWUP_OPTIONS: tuple[tuple[str, str], ...] = (("open", "Open"), ("completed", "Completed"))


@dataclass(frozen=True)
class PropertyDef:
    """One property the connector writes, as HubSpot's properties API describes it."""

    object_type: ObjectType
    name: str
    label: str
    type: ValueKind
    field_type: FieldType
    description: str
    group_name: str
    options: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if VALID_FIELD_TYPES.get(self.type) != self.field_type:
            raise ValueError(f"{self.name}: type {self.type!r} does not go with fieldType {self.field_type!r}")
        if (self.type == "enumeration") != bool(self.options):
            raise ValueError(f"{self.name}: options are required for enumerations and only for them")

    def option_values(self) -> tuple[str, ...]:
        """The internal values of the enumeration options (empty for other types)."""
        return tuple(value for value, _ in self.options)

    def as_payload(self) -> dict[str, Any]:
        """The JSON body of HubSpot's create-property call for this definition."""
        payload: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "groupName": self.group_name,
            "description": self.description,
        }
        if self.options:
            payload["options"] = [
                {"value": value, "label": label, "displayOrder": order, "hidden": False}
                for order, (value, label) in enumerate(self.options)
            ]
        return payload


def property_definitions(names: PropertyNames) -> list[PropertyDef]:
    """Every property the connector writes (NPS, follow-up, CSAT, CES), in a stable order."""
    group = names.group

    def contact(name: str, label: str, kind: ValueKind, description: str, **kw: Any) -> PropertyDef:
        return PropertyDef("contacts", name, label, kind, VALID_FIELD_TYPES[kind], description, group, **kw)

    def company(name: str, label: str, kind: ValueKind, description: str, **kw: Any) -> PropertyDef:
        return PropertyDef("companies", name, label, kind, VALID_FIELD_TYPES[kind], description, group, **kw)

    return [
        contact(names.contact_score, "NPS score", "number", "Latest NPS answer of this contact (0-10)."),
        contact(
            names.contact_category,
            "NPS category",
            "enumeration",
            "Category of the latest NPS answer: 0-6 detractor, 7-8 passive, 9-10 promoter.",
            options=CATEGORY_OPTIONS,
        ),
        contact(
            names.contact_last_response_date,
            "NPS last response date",
            "datetime",
            "When the contact gave the latest NPS answer.",
        ),
        contact(
            names.contact_response_count,
            "NPS response count",
            "number",
            "Number of NPS answers of this contact in the scoring window.",
        ),
        contact(
            names.contact_followup_status,
            "NPS follow-up status",
            "enumeration",
            "State of the connector's follow-up task for the contact's latest answer that has one.",
            options=FOLLOWUP_OPTIONS,
        ),
        contact(
            names.contact_followup_due_date,
            "NPS follow-up due date",
            "datetime",
            "Due date of that follow-up task.",
        ),
        company(
            names.company_score,
            "Company NPS",
            "number",
            "NPS over the window (-100 to 100), from the latest answer of each contact; one decimal.",
        ),
        company(
            names.company_category,
            "Company NPS category",
            "enumeration",
            "Category of the company from its unrounded NPS (thresholds are configurable).",
            options=CATEGORY_OPTIONS,
        ),
        company(
            names.company_responses,
            "Company NPS responses",
            "number",
            "Contacts whose latest answer in the window counts (one voice per contact).",
        ),
        company(names.company_promoters, "Company NPS promoters", "number", "Promoters among the voices."),
        company(names.company_passives, "Company NPS passives", "number", "Passives among the voices."),
        company(names.company_detractors, "Company NPS detractors", "number", "Detractors among the voices."),
        company(
            names.company_margin_of_error,
            "Company NPS margin of error",
            "number",
            "95% adjusted-Wald half-width of the company NPS, in NPS points; one decimal.",
        ),
        company(
            names.company_trend,
            "Company NPS trend",
            "number",
            "Company NPS minus the company NPS of the preceding window of the same length.",
        ),
        company(
            names.company_last_response_date,
            "Company NPS last response date",
            "datetime",
            "Latest answer among the company's voices in the window.",
        ),
        contact(
            names.contact_csat_score, "CSAT score", "number", "Latest CSAT answer (0 unhappy, 1 neutral, 2 happy)."
        ),
        contact(names.contact_csat_last_response_date, "CSAT last response date", "datetime", "Latest CSAT answer."),
        contact(names.contact_ces_score, "CES score", "number", "Latest CES answer (1-7, 7 easiest)."),
        contact(names.contact_ces_last_response_date, "CES last response date", "datetime", "Latest CES answer."),
        company(
            names.company_csat_score,
            "Company CSAT",
            "number",
            "Share of happy CSAT voices over the window (%, one voice per contact); one decimal.",
        ),
        company(names.company_csat_responses, "Company CSAT responses", "number", "CSAT voices in the window."),
        company(
            names.company_csat_margin_of_error,
            "Company CSAT margin of error",
            "number",
            "95% adjusted-Wald half-width of the CSAT share, in percentage points; one decimal.",
        ),
        company(
            names.company_ces_average,
            "Company CES average",
            "number",
            "Mean customer effort (1-7) over the window, one voice per contact; one decimal.",
        ),
        company(
            names.company_ces_easy_share,
            "Company CES easy share",
            "number",
            "Share of CES voices answering 6-7 (easy), in %; one decimal.",
        ),
        company(names.company_ces_responses, "Company CES responses", "number", "CES voices in the window."),
        company(
            names.company_coverage,
            "Company NPS coverage",
            "number",
            "Share of the company's contacts with an NPS voice in the window (%); one decimal.",
        ),
        company(
            names.company_weighted_score,
            "Company NPS (role-weighted)",
            "number",
            "NPS with each voice weighted by the contact's buying role; empty unless weights are configured.",
        ),
    ]


def property_kinds(names: PropertyNames) -> dict[str, ValueKind]:
    """Map each property name to its value kind, for semantic diffing."""
    return {defn.name: defn.type for defn in property_definitions(names)}


def definition_mismatches(defn: PropertyDef, existing_type: str, existing_options: Iterable[str] = ()) -> list[str]:
    """Why an existing HubSpot property cannot hold this definition's values (empty list: it can)."""
    problems: list[str] = []
    if existing_type != defn.type:
        problems.append(f"{defn.object_type} property {defn.name!r} has type {existing_type!r}, expected {defn.type!r}")
    elif defn.type == "enumeration":
        missing = sorted(set(defn.option_values()) - set(existing_options))
        if missing:
            problems.append(f"{defn.object_type} property {defn.name!r} lacks option values {', '.join(missing)}")
    return problems
