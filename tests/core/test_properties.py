"""Specification of the property group, property names and property definitions."""

from __future__ import annotations

import pydantic
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from connector.config import PropertyNames
from connector.core.properties import (
    PropertyDef,
    definition_mismatches,
    property_definitions,
    property_kinds,
)

NAMES = PropertyNames()
DEFS = property_definitions(NAMES)
BY_NAME = {d.name: d for d in DEFS}


class TestPropertyNames:
    def test_defaults_are_the_design_names(self) -> None:
        """The default names are those of the design contract."""
        assert (NAMES.group, NAMES.group_label) == ("nps", "NPS")
        assert NAMES.contact_properties() == (
            "nps_score",
            "nps_category",
            "nps_last_response_date",
            "nps_response_count",
            "nps_followup_status",
            "nps_followup_due_date",
        )
        assert NAMES.company_properties() == (
            "nps_company_score",
            "nps_company_category",
            "nps_company_responses",
            "nps_company_promoters",
            "nps_company_passives",
            "nps_company_detractors",
            "nps_company_margin_of_error",
            "nps_company_trend",
            "nps_company_last_response_date",
        )

    @pytest.mark.parametrize("bad", ["NPS_score", "1nps", "nps-score", "nps score", "", "_nps", "nps.score", "npsé"])
    def test_names_must_be_hubspot_internal_names(self, bad: str) -> None:
        """Uppercase, leading digits or underscores, dashes, spaces and non-ASCII are refused."""
        with pytest.raises(pydantic.ValidationError):
            PropertyNames(contact_score=bad)

    def test_group_name_is_validated_too(self) -> None:
        """The group's internal name follows the same rule; its label is free text."""
        with pytest.raises(pydantic.ValidationError):
            PropertyNames(group="NPS Group")
        assert PropertyNames(group_label="Net Promoter Score").group_label == "Net Promoter Score"

    def test_blank_group_label_is_refused(self) -> None:
        """A group needs a visible label."""
        with pytest.raises(pydantic.ValidationError):
            PropertyNames(group_label="  ")

    def test_names_must_be_distinct(self) -> None:
        """Two settings naming the same property are a configuration error."""
        with pytest.raises(pydantic.ValidationError, match="nps_score"):
            PropertyNames(company_score="nps_score")

    def test_unknown_keys_are_refused(self) -> None:
        """A misspelt key in the [properties] section is an error, not silently ignored."""
        with pytest.raises(pydantic.ValidationError):
            PropertyNames(contact_scroe="x")  # type: ignore[call-arg]

    def test_names_are_frozen(self) -> None:
        """Names cannot change during a run."""
        with pytest.raises(pydantic.ValidationError):
            NAMES.contact_score = "other"  # type: ignore[misc]

    @given(st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True))
    def test_any_internal_name_is_accepted(self, name: str) -> None:
        """Every lowercase name starting with a letter is a valid custom name."""
        assume(name == "nps_score" or name not in (*NAMES.contact_properties(), *NAMES.company_properties()))
        names = PropertyNames(contact_score=name)
        assert names.contact_score == name


class TestPropertyDefinitions:
    def test_six_contact_and_nine_company_properties(self) -> None:
        """The contract's 6 contact and 9 company NPS properties, then CSAT, CES, coverage and weighted NPS."""
        assert [d.name for d in DEFS if d.object_type == "contacts"] == list(NAMES.all_contact_properties())
        assert [d.name for d in DEFS if d.object_type == "companies"] == list(NAMES.all_company_properties())
        assert len(NAMES.contact_properties()) == 6
        assert len(NAMES.company_properties()) == 9
        assert NAMES.contact_satisfaction_properties() == (
            "csat_score",
            "csat_last_response_date",
            "ces_score",
            "ces_last_response_date",
        )
        assert NAMES.company_satisfaction_properties() == (
            "csat_company_score",
            "csat_company_responses",
            "csat_company_margin_of_error",
            "ces_company_average",
            "ces_company_easy_share",
            "ces_company_responses",
        )
        assert NAMES.company_depth_properties() == ("nps_company_coverage", "nps_company_weighted_score")

    def test_every_property_is_in_the_group_with_label_and_description(self) -> None:
        """All properties live in the connector's group and say what they hold."""
        assert all(d.group_name == "nps" and d.label and d.description for d in DEFS)

    def test_type_and_field_type_pairs_are_valid_for_hubspot(self) -> None:
        """Only number/number, enumeration/select and datetime/date are used."""
        pairs = {(d.type, d.field_type) for d in DEFS}
        assert pairs == {("number", "number"), ("enumeration", "select"), ("datetime", "date")}

    @pytest.mark.parametrize(
        ("name", "kind"),
        [
            ("nps_score", "number"),
            ("nps_category", "enumeration"),
            ("nps_last_response_date", "datetime"),
            ("nps_response_count", "number"),
            ("nps_followup_status", "enumeration"),
            ("nps_followup_due_date", "datetime"),
            ("nps_company_score", "number"),
            ("nps_company_category", "enumeration"),
            ("nps_company_responses", "number"),
            ("nps_company_promoters", "number"),
            ("nps_company_passives", "number"),
            ("nps_company_detractors", "number"),
            ("nps_company_margin_of_error", "number"),
            ("nps_company_trend", "number"),
            ("nps_company_last_response_date", "datetime"),
        ],
    )
    def test_each_property_has_the_contract_type(self, name: str, kind: str) -> None:
        """Each property's type is the one the contract names."""
        assert BY_NAME[name].type == kind
        assert property_kinds(NAMES)[name] == kind

    def test_category_options(self) -> None:
        """Categories are promoter, passive, detractor."""
        for name in ("nps_category", "nps_company_category"):
            assert BY_NAME[name].option_values() == ("promoter", "passive", "detractor")

    def test_followup_status_options(self) -> None:
        """Follow-up status is open or completed."""
        assert BY_NAME["nps_followup_status"].option_values() == ("open", "completed")

    def test_custom_names_flow_into_definitions(self) -> None:
        """Renamed properties and group appear in the definitions."""
        defs = property_definitions(PropertyNames(group="feedback", company_trend="acme_trend"))
        assert {d.group_name for d in defs} == {"feedback"}
        assert "acme_trend" in {d.name for d in defs}

    def test_payload_matches_hubspot_create_body(self) -> None:
        """as_payload gives HubSpot's create-property body, options with display order."""
        payload = BY_NAME["nps_category"].as_payload()
        assert payload["fieldType"] == "select"
        assert payload["groupName"] == "nps"
        assert payload["options"][0] == {"value": "promoter", "label": "Promoter", "displayOrder": 0, "hidden": False}
        assert "options" not in BY_NAME["nps_score"].as_payload()

    @pytest.mark.parametrize(
        ("kind", "field_type", "options"),
        [("number", "select", ()), ("enumeration", "select", ()), ("datetime", "date", (("a", "A"),))],
    )
    def test_invalid_definitions_are_refused(
        self, kind: str, field_type: str, options: tuple[tuple[str, str], ...]
    ) -> None:
        """A definition HubSpot would reject cannot be built."""
        with pytest.raises(ValueError):
            PropertyDef("contacts", "x", "X", kind, field_type, "", "nps", options)  # type: ignore[arg-type]


class TestDefinitionMismatches:
    def test_matching_property_has_no_problem(self) -> None:
        """An existing property of the right type with all options is fine."""
        assert (
            definition_mismatches(BY_NAME["nps_category"], "enumeration", ["promoter", "passive", "detractor", "x"])
            == []
        )

    def test_wrong_type_is_named(self) -> None:
        """A property of the wrong type is reported by name."""
        [problem] = definition_mismatches(BY_NAME["nps_score"], "string")
        assert "nps_score" in problem
        assert "string" in problem

    def test_missing_enumeration_options_are_named(self) -> None:
        """An enumeration lacking one of our option values is reported."""
        [problem] = definition_mismatches(BY_NAME["nps_followup_status"], "enumeration", ["open"])
        assert "completed" in problem
