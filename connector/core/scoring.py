"""NPS maths: answer parsing and categories, contact and company scores, rounding.

Pure functions over plain data. Exactness matters here because written values are compared with
what HubSpot holds: NPS and trend are kept as `Fraction`s and the margin of error as the exact
`Fraction` under its square root, so "round half away from zero on the exact value" is really exact
(100 * 3 / 2000 is 0.15 and rounds to 0.2, although the float 0.15 lies just below the tie).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from connector.core.records import id_order

Category = Literal["promoter", "passive", "detractor"]

# Adjusted Wald (Rocks 2016): add 3 pseudo-voices, 3/4 each to promoters and detractors.
_WALD_EXTRA_N = 3
_WALD_EXTRA_EACH = Fraction(3, 4)
_Z95_TIMES_100 = Fraction(196)  # 1.96 * 100, kept rational so the margin's square stays exact


def parse_scale_value(raw: str | None, low: int, high: int) -> int | None:
    """Parse a rating: ASCII digits only after stripping, within [low, high]; else None."""
    if raw is None:
        return None
    text = raw.strip()
    # isdigit alone accepts "²" and other Unicode digits; HubSpot ratings are plain ASCII.
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_nps_value(raw: str | None) -> int | None:
    """Parse an NPS `hs_value` (0-10); anything else is None, never guessed."""
    return parse_scale_value(raw, 0, 10)


def nps_category(score: int) -> Category:
    """Category of one NPS answer: 0-6 detractor, 7-8 passive, 9-10 promoter."""
    if not 0 <= score <= 10:
        raise ValueError(f"NPS answer {score} is outside 0-10")
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


@dataclass(frozen=True)
class Vote:
    """One valid NPS answer: which submission, whose, when (timezone-aware) and the score."""

    submission_id: str
    contact_id: str
    at: datetime
    score: int

    def __post_init__(self) -> None:
        if self.at.utcoffset() is None:
            raise ValueError(f"submission {self.submission_id}: answer time must be timezone-aware")


def vote_order_key(vote: Vote) -> tuple[datetime, tuple[int, int, str]]:
    """Sort key for "later answer": by time, then by submission id."""
    return (vote.at, id_order(vote.submission_id))


def _window_start(as_of: datetime, window_days: int) -> datetime:
    if as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    if window_days <= 0:
        raise ValueError(f"window_days must be positive, got {window_days}")
    return as_of - timedelta(days=window_days)


@dataclass(frozen=True)
class ContactScore:
    """A contact's values: its latest answer at or before as-of, and its answer count in the window."""

    score: int
    category: Category
    last_response_at: datetime
    response_count: int
    submission_id: str


def contact_score(votes: Iterable[Vote], as_of: datetime, window_days: int) -> ContactScore | None:
    """Score one contact's votes (all taken as that contact's); None when none is at or before as_of."""
    start = _window_start(as_of, window_days)
    past = [v for v in votes if v.at <= as_of]
    if not past:
        return None
    latest = max(past, key=vote_order_key)
    return ContactScore(
        score=latest.score,
        category=nps_category(latest.score),
        last_response_at=latest.at,
        response_count=sum(1 for v in past if v.at > start),
        submission_id=latest.submission_id,
    )


def nps_fraction(promoters: int, detractors: int, n: int) -> Fraction:
    """Exact NPS = 100 * (promoters - detractors) / n."""
    if n <= 0:
        raise ValueError("NPS needs at least one response")
    return Fraction(100 * (promoters - detractors), n)


def margin_of_error_squared(promoters: int, detractors: int, n: int) -> Fraction:
    """Exact square of the 95% adjusted-Wald half-width of NPS, in NPS points squared."""
    if n <= 0:
        raise ValueError("a margin of error needs at least one response")
    n_adj = n + _WALD_EXTRA_N
    p = (promoters + _WALD_EXTRA_EACH) / n_adj
    d = (detractors + _WALD_EXTRA_EACH) / n_adj
    return _Z95_TIMES_100**2 * (p + d - (p - d) ** 2) / n_adj


def company_category(nps: Fraction | float, promoter_at: float = 30.0, detractor_below: float = 0.0) -> Category:
    """Company category from its unrounded NPS: >= promoter_at promoter, < detractor_below detractor."""
    if nps >= promoter_at:
        return "promoter"
    return "detractor" if nps < detractor_below else "passive"


@dataclass(frozen=True)
class CompanyScore:
    """A company's values over one window; floats are unrounded, the *_exact fields are exact."""

    nps: float
    category: Category
    responses: int
    promoters: int
    passives: int
    detractors: int
    margin_of_error: float
    trend: float | None
    last_response_at: datetime
    # Exact values for rounding; None (hand-built scores) falls back to the floats above.
    nps_exact: Fraction | None = None
    margin_squared: Fraction | None = None
    trend_exact: Fraction | None = None


def _voices(votes: Iterable[Vote], start: datetime, end: datetime) -> list[Vote]:
    """The latest vote of each contact in the half-open interval (start, end]."""
    latest: dict[str, Vote] = {}
    for vote in votes:
        if start < vote.at <= end:
            held = latest.get(vote.contact_id)
            if held is None or vote_order_key(vote) > vote_order_key(held):
                latest[vote.contact_id] = vote
    return list(latest.values())


@dataclass(frozen=True)
class Tally:
    """Category counts of one window's voices (one per contact), and the latest voice's time."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    last_at: datetime | None = None

    @property
    def n(self) -> int:
        """The number of voices."""
        return self.promoters + self.passives + self.detractors


def tally(voices: Iterable[Vote]) -> Tally:
    """Count voices by category."""
    counts = {"promoter": 0, "passive": 0, "detractor": 0}
    last: Vote | None = None
    for vote in voices:
        counts[nps_category(vote.score)] += 1
        if last is None or vote_order_key(vote) > vote_order_key(last):
            last = vote
    return Tally(counts["promoter"], counts["passive"], counts["detractor"], None if last is None else last.at)


def company_score(
    votes: Iterable[Vote],
    as_of: datetime,
    window_days: int,
    min_responses: int = 1,
    promoter_at: float = 30.0,
    detractor_below: float = 0.0,
) -> CompanyScore | None:
    """Company NPS over (as_of - window, as_of], one voice per contact; None below min_responses."""
    start = _window_start(as_of, window_days)
    all_votes = list(votes)
    now = tally(_voices(all_votes, start, as_of))
    before = tally(_voices(all_votes, start - (as_of - start), start))
    return company_score_from_tallies(now, before, min_responses, promoter_at, detractor_below)


def company_score_from_tallies(
    now: Tally,
    before: Tally,
    min_responses: int = 1,
    promoter_at: float = 30.0,
    detractor_below: float = 0.0,
) -> CompanyScore | None:
    """Company NPS from the window's tally and the window before's (for the trend); None below min_responses."""
    needed = max(min_responses, 1)
    if now.n < needed or now.last_at is None:
        return None
    nps = nps_fraction(now.promoters, now.detractors, now.n)
    margin_sq = margin_of_error_squared(now.promoters, now.detractors, now.n)
    trend: Fraction | None = None
    if before.n >= needed:
        trend = nps - nps_fraction(before.promoters, before.detractors, before.n)
    return CompanyScore(
        nps=float(nps),
        category=company_category(nps, promoter_at, detractor_below),
        responses=now.n,
        promoters=now.promoters,
        passives=now.passives,
        detractors=now.detractors,
        margin_of_error=math.sqrt(margin_sq),
        trend=None if trend is None else float(trend),
        last_response_at=now.last_at,
        nps_exact=nps,
        margin_squared=margin_sq,
        trend_exact=trend,
    )


def round_half_away(x: float | int | Fraction | Decimal, digits: int = 1) -> float:
    """Round half away from zero on the exact value of x (a float's exact binary value, not its repr).

    So 0.25 -> 0.3 and -0.25 -> -0.3 (both exact ties), but round_half_away(2.675, 2) is 2.67 because
    the float 2.675 is 2.67499999...; pass a Fraction when the true value is not a float. Never -0.0.
    """
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"cannot round {x}")
    scaled = Fraction(x) * Fraction(10) ** digits
    units = math.floor(abs(scaled) + Fraction(1, 2))
    if units == 0:
        return 0.0
    return float(Fraction(units if scaled > 0 else -units) / Fraction(10) ** digits)


def round_sqrt_half_away(square: Fraction, digits: int = 1) -> float:
    """Round sqrt(square) half away from zero, exactly (no float error at ties)."""
    if square < 0:
        raise ValueError("cannot take the square root of a negative number")
    scaled = square * Fraction(100) ** digits
    # units = floor(sqrt(scaled) + 1/2) = floor((floor(2 * sqrt(scaled)) + 1) / 2), all in integers.
    twice_root_floor = math.isqrt(math.floor(4 * scaled))
    units = (twice_root_floor + 1) // 2
    return float(Fraction(units) / Fraction(10) ** digits)


@dataclass(frozen=True)
class RoundedCompanyValues:
    """The company figures as written to HubSpot: one decimal, rounded half away from zero."""

    score: float
    margin_of_error: float
    trend: float | None


def rounded_company_values(cs: CompanyScore, digits: int = 1) -> RoundedCompanyValues:
    """Round score, margin and trend (exact now - exact before) the way they are written."""
    nps = cs.nps_exact if cs.nps_exact is not None else Fraction(cs.nps)
    margin_sq = cs.margin_squared if cs.margin_squared is not None else Fraction(cs.margin_of_error) ** 2
    trend: Fraction | None = cs.trend_exact
    if trend is None and cs.trend is not None:
        trend = Fraction(cs.trend)
    return RoundedCompanyValues(
        score=round_half_away(nps, digits),
        margin_of_error=round_sqrt_half_away(margin_sq, digits),
        trend=None if trend is None else round_half_away(trend, digits),
    )
