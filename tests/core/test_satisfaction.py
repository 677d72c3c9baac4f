"""CSAT and CES maths against independent computations (decimal arithmetic, plain formulas)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.core.satisfaction import ces_score, csat_score, parse_ces_value, parse_csat_value
from connector.core.scoring import round_sqrt_half_away


def _decimal_margin(happy: int, n: int) -> Decimal:
    """The Agresti-Coull half-width in percentage points, with 60 digits of decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 60
        z = Decimal("1.96")
        n_adj = n + z * z
        p = (happy + z * z / 2) / n_adj
        return (100 * z * (p * (1 - p) / n_adj).sqrt()).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class TestParsing:
    @pytest.mark.parametrize(("raw", "value"), [("0", 0), ("1", 1), ("2", 2), (" 2 ", 2), ("3", None), ("x", None)])
    def test_csat_on_hubspots_scale(self, raw: str, value: int | None) -> None:
        """CSAT is 0 (unhappy), 1 (neutral) or 2 (happy); anything else is skipped."""
        assert parse_csat_value(raw) == value

    @pytest.mark.parametrize(("raw", "value"), [("1", 1), ("7", 7), ("0", None), ("8", None), ("", None)])
    def test_ces_on_hubspots_scale(self, raw: str, value: int | None) -> None:
        """CES is 1-7; 0 and 8 are outside the scale."""
        assert parse_ces_value(raw) == value

    def test_a_configured_mapping_replaces_the_digits(self) -> None:
        """A portal storing CSAT as words maps them in config; unmapped values are skipped, never guessed."""
        mapping = {"happy": 2, "neutral": 1, "unhappy": 0}
        assert parse_csat_value("happy", mapping) == 2
        assert parse_csat_value("2", mapping) is None
        assert parse_csat_value("meh", mapping) is None


class TestCsat:
    @given(n=st.integers(1, 400), data=st.data())
    def test_share_and_margin_match_decimal_arithmetic(self, n: int, data: st.DataObject) -> None:
        """% happy is exact, and the margin rounds like a 60-digit decimal computation."""
        happy = data.draw(st.integers(0, n))
        score = csat_score(happy, n)
        assert score is not None
        assert score.share == Fraction(100 * happy, n)
        assert Decimal(str(round_sqrt_half_away(score.margin_squared))) == _decimal_margin(happy, n)

    def test_no_voices_no_score(self) -> None:
        """A company without CSAT voices has no CSAT (its properties are cleared)."""
        assert csat_score(0, 0) is None

    def test_small_samples_stay_honest(self) -> None:
        """One happy voice of one: 100% with a wide margin, not zero."""
        score = csat_score(1, 1)
        assert score is not None
        assert score.share == 100
        assert round_sqrt_half_away(score.margin_squared) > 30


class TestCes:
    @given(efforts=st.lists(st.integers(1, 7), min_size=1, max_size=60))
    def test_average_and_easy_share(self, efforts: list[int]) -> None:
        """Mean effort and the share answering 6-7, from the plain list."""
        easy = sum(1 for e in efforts if e >= 6)
        score = ces_score(sum(efforts), easy, len(efforts))
        assert score is not None
        assert score.average == Fraction(sum(efforts), len(efforts))
        assert score.easy_share == Fraction(100 * easy, len(efforts))

    def test_counts_off_the_scale_are_refused(self) -> None:
        """A sum below one per voice cannot come from a 1-7 scale."""
        with pytest.raises(ValueError):
            ces_score(1, 0, 2)
