"""CSAT and CES maths on HubSpot's scales: answer parsing, per-company shares, exact rounding.

HubSpot's knowledge base ("Feedback submission properties") stores CSAT as 0/1/2 (unhappy,
neutral, happy) and CES as 1-7 (1-3 difficult, 4-5 neutral, 6-7 easy). A portal that stores them
differently maps its raw values in config (`csat_values`, `ces_values`); nothing is guessed.

Per company, one voice per contact (the latest answer in the window), like NPS:
- CSAT = 100 * happy / voices, with the 95% adjusted-Wald (Agresti-Coull) margin of a proportion:
  n' = n + z², p' = (happy + z²/2) / n', margin = 100 * z * sqrt(p' (1 - p') / n'), z = 1.96;
- CES = the mean effort (1-7), and 100 * easy (6-7) / voices.
Everything stays a `Fraction` until it is rounded, half away from zero, to one decimal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from connector.core.scoring import parse_scale_value

CSAT_HAPPY = 2
CES_EASY_FROM = 6
_Z = Fraction(196, 100)  # 1.96, rational so the margin's square stays exact


def parse_mapped_value(raw: str | None, low: int, high: int, mapping: Mapping[str, int] | None) -> int | None:
    """A rating on its HubSpot scale: through the portal's mapping when one is configured, else as digits."""
    if mapping:
        value = mapping.get((raw or "").strip())
        return value if value is not None and low <= value <= high else None
    return parse_scale_value(raw, low, high)


def parse_csat_value(raw: str | None, mapping: Mapping[str, int] | None = None) -> int | None:
    """A CSAT `hs_value` as 0 (unhappy), 1 (neutral) or 2 (happy); None when it is none of them."""
    return parse_mapped_value(raw, 0, 2, mapping)


def parse_ces_value(raw: str | None, mapping: Mapping[str, int] | None = None) -> int | None:
    """A CES `hs_value` as 1-7 (7 easiest); None when it is outside the scale."""
    return parse_mapped_value(raw, 1, 7, mapping)


@dataclass(frozen=True)
class CsatScore:
    """A company's CSAT over the window: exact share of happy voices and the margin's square."""

    happy: int
    responses: int
    share: Fraction  # percent
    margin_squared: Fraction  # percentage points squared


def csat_score(happy: int, responses: int) -> CsatScore | None:
    """CSAT from counts; None without voices."""
    if responses <= 0:
        return None
    if not 0 <= happy <= responses:
        raise ValueError("happy voices must be between 0 and the number of voices")
    z2 = _Z * _Z
    n_adj = responses + z2
    p_adj = (happy + z2 / 2) / n_adj
    margin_squared = Fraction(100) ** 2 * z2 * p_adj * (1 - p_adj) / n_adj
    return CsatScore(happy, responses, Fraction(100 * happy, responses), margin_squared)


@dataclass(frozen=True)
class CesScore:
    """A company's CES over the window: exact mean effort and share of easy voices."""

    total: int
    easy: int
    responses: int
    average: Fraction
    easy_share: Fraction  # percent


def ces_score(total: int, easy: int, responses: int) -> CesScore | None:
    """CES from the sum of efforts, the easy voices and the voices; None without voices."""
    if responses <= 0:
        return None
    if not responses <= total <= 7 * responses or not 0 <= easy <= responses:
        raise ValueError("CES counts do not fit the 1-7 scale")
    return CesScore(total, easy, responses, Fraction(total, responses), Fraction(100 * easy, responses))
