"""Specification of desired values, HubSpot value formats, semantic comparison and the diff."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.config import PropertyNames
from connector.core.diff import diff_values
from connector.core.properties import property_kinds
from connector.core.records import chunked
from connector.core.scorecard import desired_company_values, desired_contact_values, followup_values
from connector.core.scoring import CompanyScore, ContactScore, Vote, company_score, round_half_away
from connector.core.values import format_datetime, format_number, parse_datetime, same_value

NAMES = PropertyNames()
KINDS = property_kinds(NAMES)
AT = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
AT_EPOCH_MS = "1790848800000"  # 2026-10-01T10:00:00Z

aware_datetimes = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


class TestFormatNumber:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (65, "65"),
            (65.0, "65"),
            (33.3, "33.3"),
            (-12.5, "-12.5"),
            (0, "0"),
            (0.0, "0"),
            (-0.0, "0"),
            (1e16, "10000000000000000"),
            (1e-7, "0.0000001"),
            (Fraction(1, 8), "0.125"),
            (Decimal("6.50"), "6.5"),
            (Decimal("-0.0"), "0"),
        ],
    )
    def test_shortest_decimal_without_exponent(self, value: float, text: str) -> None:
        """Numbers are written as the shortest plain decimal, never "-0" nor "1e-07"."""
        assert format_number(value) == text

    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, Decimal("NaN")])
    def test_non_finite_numbers_raise(self, value: float) -> None:
        """NaN and infinities have no HubSpot number form."""
        with pytest.raises(ValueError):
            format_number(value)

    @given(st.floats(allow_nan=False, allow_infinity=False))
    def test_formatted_float_parses_back_to_itself(self, value: float) -> None:
        """Any finite float survives the round trip through its written form."""
        text = format_number(value)
        assert float(text) == value
        assert "e" not in text.lower()
        assert text != "-0"

    @given(st.floats(-1000, 1000, allow_nan=False))
    def test_one_decimal_values_are_written_with_at_most_one_decimal(self, value: float) -> None:
        """A value rounded to one decimal is written with at most one decimal digit."""
        text = format_number(round_half_away(value))
        assert len(text.partition(".")[2]) <= 1
        assert float(text) == round_half_away(value)


class TestFormatDatetime:
    def test_iso_utc_with_milliseconds(self) -> None:
        """Datetimes are ISO 8601 UTC with exactly three fractional digits and Z."""
        assert format_datetime(AT) == "2026-10-01T10:00:00.000Z"

    def test_other_offsets_are_converted_to_utc(self) -> None:
        """A +02:00 time is written as the same instant in UTC."""
        local = datetime(2026, 10, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
        assert format_datetime(local) == "2026-10-01T10:00:00.123Z"

    def test_naive_datetimes_raise(self) -> None:
        """A naive datetime is ambiguous and refused."""
        with pytest.raises(ValueError):
            format_datetime(datetime(2026, 10, 1))

    @given(aware_datetimes)
    def test_written_datetime_parses_back_to_the_millisecond(self, dt: datetime) -> None:
        """The written form is the same instant, truncated to milliseconds."""
        assert parse_datetime(format_datetime(dt)) == dt.replace(microsecond=dt.microsecond // 1000 * 1000)

    @given(aware_datetimes)
    def test_iso_and_epoch_milliseconds_are_the_same_value(self, dt: datetime) -> None:
        """HubSpot may answer a datetime as epoch milliseconds; it compares equal to the ISO form."""
        ms = dt.replace(microsecond=dt.microsecond // 1000 * 1000)
        epoch_ms = (ms - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
        assert same_value("datetime", format_datetime(dt), str(epoch_ms))


class TestSameValue:
    @pytest.mark.parametrize(
        ("a", "b"), [("65", "65.0"), ("65", "6.5e1"), ("-12.5", "-12.50"), ("0", "-0"), ("7", " 7 ")]
    )
    def test_numbers_compare_as_numbers(self, a: str, b: str) -> None:
        """A reformatted number is the same number."""
        assert same_value("number", a, b)

    @pytest.mark.parametrize(
        "other", ["2026-10-01T10:00:00Z", "2026-10-01T10:00:00.000Z", "2026-10-01T12:00:00+02:00", AT_EPOCH_MS]
    )
    def test_datetimes_compare_as_instants(self, other: str) -> None:
        """ISO forms with or without milliseconds, other offsets and epoch ms are one instant."""
        assert same_value("datetime", "2026-10-01T10:00:00.000Z", other)

    @pytest.mark.parametrize(
        ("kind", "a", "b"),
        [
            ("number", "65", "65.1"),
            ("number", "65", "abc"),
            ("number", "0", ""),
            ("datetime", "2026-10-01T10:00:00.000Z", "2026-10-01T10:00:00.001Z"),
            ("datetime", "2026-10-01T10:00:00.000Z", "yesterday"),
            ("enumeration", "promoter", "Promoter"),
            ("enumeration", "promoter", None),
            ("string", "a", "a "),
        ],
    )
    def test_different_or_unparseable_values_differ(self, kind: str, a: str, b: str | None) -> None:
        """Different values, and current values that cannot be read, count as different."""
        assert not same_value(kind, a, b)

    @pytest.mark.parametrize("kind", ["number", "datetime", "enumeration", "string"])
    def test_none_and_empty_are_both_empty(self, kind: str) -> None:
        """Never set (None) and cleared ("") are the same empty value."""
        assert same_value(kind, "", None)
        assert same_value(kind, None, "")

    def test_unknown_kind_raises(self) -> None:
        """A kind outside number/datetime/enumeration/string is a programming error."""
        with pytest.raises(ValueError):
            same_value("bool", "true", "false")

    @given(st.floats(-1e9, 1e9, allow_nan=False), st.sampled_from(["{:.1f}", "{:e}", "{:.4f}", "{!r}"]))
    def test_number_formats_of_one_value_are_equal(self, value: float, pattern: str) -> None:
        """Whatever way HubSpot prints a number, it equals our form of the same number."""
        shown = pattern.format(value)
        assert same_value("number", format_number(float(shown)), shown)


class TestDesiredValues:
    def test_contact_values(self) -> None:
        """A scored contact gets score, category, last response date and response count."""
        cs = ContactScore(score=6, category="detractor", last_response_at=AT, response_count=3, submission_id="9")
        assert desired_contact_values(cs, NAMES) == {
            "nps_score": "6",
            "nps_category": "detractor",
            "nps_last_response_date": "2026-10-01T10:00:00.000Z",
            "nps_response_count": "3",
        }

    def test_followup_values_and_clearing(self) -> None:
        """Follow-up status and due date are written, or cleared with "" when absent."""
        assert followup_values("open", AT, NAMES) == {
            "nps_followup_status": "open",
            "nps_followup_due_date": "2026-10-01T10:00:00.000Z",
        }
        assert followup_values(None, None, NAMES) == {"nps_followup_status": "", "nps_followup_due_date": ""}

    def test_company_values_are_rounded_and_formatted(self) -> None:
        """n=8 with P-D=1 gives 12.5 exactly; counts are plain integers; no trend gives ""."""
        votes = [Vote(str(i), f"c{i}", AT - timedelta(days=1), 10 if i == 0 else 8) for i in range(8)]
        cs = company_score(votes, AT, 365)
        assert cs is not None
        values = desired_company_values(cs, NAMES)
        assert values == {
            "nps_company_score": "12.5",
            "nps_company_category": "passive",
            "nps_company_responses": "8",
            "nps_company_promoters": "1",
            "nps_company_passives": "7",
            "nps_company_detractors": "0",
            "nps_company_margin_of_error": values["nps_company_margin_of_error"],
            "nps_company_trend": "",
            "nps_company_last_response_date": "2026-09-30T10:00:00.000Z",
        }
        n, p, d = 11, 1.75 / 11, 0.75 / 11
        expected_margin = 196 * math.sqrt((p + d - (p - d) ** 2) / n)
        assert float(values["nps_company_margin_of_error"]) == pytest.approx(expected_margin, abs=0.05)

    def test_company_values_round_half_away_from_zero(self) -> None:
        """n=16 with P-D=-1 gives -6.25, written as -6.3; a trend of 0.25 is written 0.3."""
        cs = CompanyScore(-6.25, "detractor", 16, 0, 15, 1, 10.0, 0.25, AT)
        values = desired_company_values(cs, NAMES)
        assert (values["nps_company_score"], values["nps_company_trend"]) == ("-6.3", "0.3")

    def test_company_without_score_clears_all_nine(self) -> None:
        """No company score: all nine properties are "" (counts too, never "0")."""
        values = desired_company_values(None, NAMES)
        assert values == dict.fromkeys(NAMES.company_properties(), "")
        assert len(values) == 9

    def test_custom_property_names_are_used(self) -> None:
        """Configured names replace the defaults in desired values."""
        names = PropertyNames(company_score="acme_nps")
        assert "acme_nps" in desired_company_values(None, names)


class TestDiff:
    def test_identical_values_emit_nothing(self) -> None:
        """Nothing is written when HubSpot already holds the desired values."""
        desired = {"1": {"nps_score": "9", "nps_category": "promoter"}}
        assert diff_values(desired, {"1": {"nps_score": "9", "nps_category": "promoter"}}, KINDS) == {}

    def test_reformatted_values_emit_nothing(self) -> None:
        """HubSpot's own formatting of numbers and datetimes never causes a rewrite."""
        desired = {"1": {"nps_score": "9", "nps_last_response_date": "2026-10-01T10:00:00.000Z"}}
        current = {"1": {"nps_score": "9.0", "nps_last_response_date": AT_EPOCH_MS}}
        assert diff_values(desired, current, KINDS) == {}

    def test_only_changed_properties_of_changed_records_are_sent(self) -> None:
        """A record's unchanged properties and unchanged records are left out."""
        desired = {"1": {"nps_score": "9", "nps_category": "promoter"}, "2": {"nps_score": "3"}}
        current = {"1": {"nps_score": "8", "nps_category": "promoter"}, "2": {"nps_score": "3"}}
        assert diff_values(desired, current, KINDS) == {"1": {"nps_score": "9"}}

    def test_unparseable_current_value_is_repaired(self) -> None:
        """A garbled value in HubSpot is overwritten."""
        assert diff_values({"1": {"nps_score": "9"}}, {"1": {"nps_score": "nine"}}, KINDS) == {"1": {"nps_score": "9"}}

    def test_absent_record_counts_as_empty(self) -> None:
        """A record never seen gets its non-empty values; clearing it sends nothing."""
        desired = {"1": {"nps_score": "9", "nps_followup_status": ""}}
        assert diff_values(desired, {}, KINDS) == {"1": {"nps_score": "9"}}

    def test_clearing_a_written_value_sends_empty_string(self) -> None:
        """A value that must be cleared is sent as ""."""
        assert diff_values({"1": {"nps_company_trend": ""}}, {"1": {"nps_company_trend": "4.5"}}, KINDS) == {
            "1": {"nps_company_trend": ""}
        }

    def test_cleared_company_against_empty_current_emits_nothing(self) -> None:
        """A cleared company whose properties are already empty or absent needs no write."""
        desired = {"201": desired_company_values(None, NAMES), "202": desired_company_values(None, NAMES)}
        current: dict[str, dict[str, str | None]] = {"201": dict.fromkeys(NAMES.company_properties())}
        assert diff_values(desired, current, KINDS) == {}

    def test_unknown_property_compares_exactly(self) -> None:
        """A property missing from kinds is compared as an exact string."""
        assert diff_values({"1": {"x": "1"}}, {"1": {"x": "1.0"}}, KINDS) == {"1": {"x": "1"}}

    @given(st.lists(aware_datetimes, min_size=1, max_size=20), st.integers(1, 3))
    def test_desired_values_diffed_against_themselves_are_empty(self, times: list[datetime], minimum: int) -> None:
        """Any desired state (scored or cleared) diffed against itself needs no write."""
        votes = [Vote(str(i), f"c{i % 4}", t, i % 11) for i, t in enumerate(times)]
        desired = {"1": desired_company_values(company_score(votes, max(times), 30, minimum), NAMES)}
        assert diff_values(desired, desired, KINDS) == {}


class TestChunked:
    def test_batches_of_at_most_size(self) -> None:
        """250 items in batches of 100: 100, 100, 50."""
        assert [len(c) for c in chunked(range(250), 100)] == [100, 100, 50]

    def test_empty_input_gives_no_batches(self) -> None:
        """No items, no batch calls."""
        assert list(chunked([], 100)) == []

    def test_non_positive_size_raises(self) -> None:
        """A batch size of zero would loop forever."""
        with pytest.raises(ValueError):
            list(chunked([1], 0))

    @given(st.lists(st.integers()), st.integers(1, 10))
    def test_batches_preserve_order_and_content(self, items: list[int], size: int) -> None:
        """Concatenated batches are the input; every batch is non-empty and at most size long."""
        batches = list(chunked(items, size))
        assert [x for b in batches for x in b] == items
        assert all(0 < len(b) <= size for b in batches)
