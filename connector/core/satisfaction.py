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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from connector.config import PropertyNames, ScoringSettings
from connector.core.records import is_later
from connector.core.scoring import parse_scale_value, round_half_away, round_sqrt_half_away
from connector.core.values import format_datetime, format_number
from connector.model import ContactRow

CSAT_HAPPY = 2
CES_EASY_FROM = 6
_Z = Fraction(196, 100)  # 1.96, rational so the margin's square stays exact
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


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


class SatisfactionTally:
    """CSAT and CES answers gathered in one pass, per contact, then per company (see `score_rows`).

    Each contact keeps, per metric, its latest answer at or before as-of (for its own properties)
    and its latest answer in the window (its company voice). The caller has already resolved
    merged contacts and skipped deleted ones, as for NPS.
    """

    def __init__(self, scoring: ScoringSettings, now_us: int, start_us: int) -> None:
        self._types = {"csat": frozenset(scoring.csat_survey_types), "ces": frozenset(scoring.ces_survey_types)}
        self._ids = {"csat": frozenset(scoring.csat_survey_ids), "ces": frozenset(scoring.ces_survey_ids)}
        self._maps = {"csat": scoring.csat_values, "ces": scoring.ces_values}
        self._parsed: dict[tuple[str, str | None], int | None] = {}
        self._now_us, self._start_us = now_us, start_us
        # metric -> contact id -> [latest t, sid, value, window t, sid, value]
        self.state: dict[str, dict[str, list[Any]]] = {"csat": {}, "ces": {}}
        self.invalid = 0

    def metric(self, survey_type: str, survey_id: str) -> str | None:
        """Which metric a submission answers: "csat", "ces" or None."""
        for metric in ("csat", "ces"):
            if survey_type in self._types[metric] or (survey_id and survey_id in self._ids[metric]):
                return metric
        return None

    def value(self, metric: str, raw: str | None) -> int | None:
        """The answer on HubSpot's scale (None: invalid, counted)."""
        key = (metric, raw)
        if key not in self._parsed:
            parse = parse_csat_value if metric == "csat" else parse_ces_value
            self._parsed[key] = parse(raw, self._maps[metric])
        value = self._parsed[key]
        if value is None:
            self.invalid += 1
        return value

    def add(self, metric: str, contact_id: str, t_us: int, sid: str, value: int) -> None:
        """One valid answer of an existing contact."""
        st = self.state[metric].get(contact_id)
        if st is None:
            st = self.state[metric][contact_id] = [-1, "", 0, -1, "", 0]
        if t_us > self._now_us:
            return
        if is_later(t_us, sid, st[0], st[1]):
            st[0], st[1], st[2] = t_us, sid, value
        if t_us > self._start_us and is_later(t_us, sid, st[3], st[4]):
            st[3], st[4], st[5] = t_us, sid, value

    def contact_values(self, names: PropertyNames, out: dict[str, dict[str, str]]) -> None:
        """Add each contact's latest CSAT and CES (value and date) to `out`."""
        for metric, score_name, date_name in (
            ("csat", names.contact_csat_score, names.contact_csat_last_response_date),
            ("ces", names.contact_ces_score, names.contact_ces_last_response_date),
        ):
            for contact_id, st in self.state[metric].items():
                if st[0] >= 0:
                    values = out.setdefault(contact_id, {})
                    values[score_name] = str(st[2])
                    values[date_name] = format_datetime(_EPOCH + st[0] * _US)

    def company_tallies(self, contacts: Mapping[str, ContactRow]) -> dict[str, list[int]]:
        """company id -> [happy, csat voices, effort sum, easy, ces voices], for every company with answers."""
        tallies: dict[str, list[int]] = {}
        for metric in ("csat", "ces"):
            for contact_id, st in self.state[metric].items():
                company_id = contacts[contact_id].company_id
                if not company_id:
                    continue
                tally = tallies.setdefault(company_id, [0, 0, 0, 0, 0])
                if st[3] < 0:
                    continue
                if metric == "csat":
                    tally[0] += st[5] == CSAT_HAPPY
                    tally[1] += 1
                else:
                    tally[2] += st[5]
                    tally[3] += st[5] >= CES_EASY_FROM
                    tally[4] += 1
        return tallies


def satisfaction_company_values(tally: Sequence[int], minimum: int, names: PropertyNames) -> dict[str, str]:
    """A company's six CSAT/CES properties; a metric with fewer than `minimum` voices is cleared."""
    happy, csat_n, total, easy, ces_n = tally
    values = dict.fromkeys(names.company_satisfaction_properties(), "")
    csat = csat_score(happy, csat_n) if csat_n >= max(minimum, 1) else None
    if csat is not None:
        values[names.company_csat_score] = format_number(round_half_away(csat.share))
        values[names.company_csat_responses] = str(csat.responses)
        values[names.company_csat_margin_of_error] = format_number(round_sqrt_half_away(csat.margin_squared))
    ces = ces_score(total, easy, ces_n) if ces_n >= max(minimum, 1) else None
    if ces is not None:
        values[names.company_ces_average] = format_number(round_half_away(ces.average))
        values[names.company_ces_easy_share] = format_number(round_half_away(ces.easy_share))
        values[names.company_ces_responses] = str(ces.responses)
    return values
