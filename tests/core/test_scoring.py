"""Specification of the NPS maths: parsing, categories, contact and company scores, rounding."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.core.scoring import (
    CompanyScore,
    Vote,
    company_category,
    company_score,
    contact_score,
    nps_category,
    parse_nps_value,
    parse_scale_value,
    round_half_away,
    round_sqrt_half_away,
    rounded_company_values,
    vote_order_key,
)

AS_OF = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
WINDOW = 365
WINDOW_SECONDS = WINDOW * 86400
CONTACTS = [f"c{i}" for i in range(8)]


def vote(sid: str, contact: str, score: int, seconds_before: int = 3600) -> Vote:
    """A vote `seconds_before` as-of (negative: after as-of)."""
    return Vote(sid, contact, AS_OF - timedelta(seconds=seconds_before), score)


def population(promoters: int, passives: int, detractors: int) -> list[Vote]:
    """One vote per contact, each contact distinct, all inside the window."""
    scores = [10] * promoters + [7] * passives + [3] * detractors
    return [vote(str(i + 1), f"c{i}", s, 3600 * (i + 1)) for i, s in enumerate(scores)]


@st.composite
def vote_lists(draw: st.DrawFn, max_size: int = 30) -> list[Vote]:
    """Votes with distinct numeric ids, spread over the window, the one before, and after as-of."""
    count = draw(st.integers(0, max_size))
    offsets = st.one_of(
        st.integers(-5 * 86400, 2 * WINDOW_SECONDS + 86400),
        st.sampled_from([0, WINDOW_SECONDS, 2 * WINDOW_SECONDS, -1, 1]),
    )
    return [
        vote(str(i + 1), draw(st.sampled_from(CONTACTS)), draw(st.integers(0, 10)), draw(offsets)) for i in range(count)
    ]


def reference_voices(votes: list[Vote], start: datetime, end: datetime) -> list[Vote]:
    """Independent brute force: per contact, the last of its in-window votes by (time, numeric id)."""
    voices = []
    for contact in {v.contact_id for v in votes}:
        mine = sorted(
            (v for v in votes if v.contact_id == contact and start < v.at <= end),
            key=lambda v: (v.at, int(v.submission_id)),
        )
        if mine:
            voices.append(mine[-1])
    return voices


def independent_margin(promoters: int, detractors: int, n: int) -> float:
    """Adjusted-Wald 95% half-width (Rocks 2016), written out in plain floats."""
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    return 1.96 * 100 * math.sqrt((p + d - (p - d) ** 2) / n_adj)


class TestParseValue:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("0", 0), ("10", 10), ("07", 7), (" 9 ", 9), ("\t5\n", 5), ("0010", 10)],
    )
    def test_plain_digits_in_range_are_valid(self, raw: str, expected: int) -> None:
        """Digits-only values within 0-10 parse, leading zeros and surrounding blanks allowed."""
        assert parse_nps_value(raw) == expected

    @pytest.mark.parametrize("raw", [None, "", "  ", "9.0", "-1", "+9", "11", "abc", "½", "²", "٩", "1 0", "1e1"])
    def test_anything_else_is_rejected_not_guessed(self, raw: str | None) -> None:
        """Decimals, signs, out-of-range, non-ASCII digits and blanks are all invalid."""
        assert parse_nps_value(raw) is None

    def test_scale_bounds_apply_to_csat_and_ces(self) -> None:
        """parse_scale_value enforces the survey's own scale (CSAT 0-2, CES 1-7)."""
        assert parse_scale_value("2", 0, 2) == 2
        assert parse_scale_value("3", 0, 2) is None
        assert parse_scale_value("0", 1, 7) is None
        assert parse_scale_value("7", 1, 7) == 7

    @given(st.integers(0, 10))
    def test_every_nps_value_round_trips(self, score: int) -> None:
        """Every integer 0-10 written as text parses back to itself."""
        assert parse_nps_value(str(score)) == score


class TestCategories:
    @pytest.mark.parametrize(
        ("score", "category"),
        [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
    )
    def test_nps_answer_categories(self, score: int, category: str) -> None:
        """0-6 detractor, 7-8 passive, 9-10 promoter."""
        assert nps_category(score) == category

    @pytest.mark.parametrize("score", [11, -1])
    def test_out_of_scale_scores_raise(self, score: int) -> None:
        """A score outside the survey's scale is a programming error, not a category."""
        with pytest.raises(ValueError):
            nps_category(score)

    @pytest.mark.parametrize(
        ("nps", "category"),
        [
            (Fraction(30), "promoter"),
            (Fraction(2999, 100), "passive"),
            (Fraction(0), "passive"),
            (Fraction(-1, 10), "detractor"),
        ],
    )
    def test_company_category_thresholds_are_inclusive_at_30_and_exclusive_at_0(
        self, nps: Fraction, category: str
    ) -> None:
        """>= 30 promoter, < 0 detractor, otherwise passive."""
        assert company_category(nps) == category

    def test_company_category_uses_unrounded_nps(self) -> None:
        """29.96 would round to 30.0 but stays passive: the category is taken before rounding."""
        assert company_category(Fraction(2996, 100)) == "passive"


class TestVoteOrder:
    def test_naive_times_are_rejected(self) -> None:
        """A vote needs a timezone-aware time so windows compare instants."""
        with pytest.raises(ValueError):
            Vote("1", "c", datetime(2026, 1, 1), 9)

    def test_higher_numeric_id_is_later_on_time_tie(self) -> None:
        """On equal times "10" is later than "9" (numeric, not text, comparison)."""
        assert vote_order_key(vote("10", "c", 1)) > vote_order_key(vote("9", "c", 1))

    def test_time_beats_id(self) -> None:
        """A later time wins whatever the ids."""
        assert vote_order_key(vote("1", "c", 1, 10)) > vote_order_key(vote("99", "c", 1, 20))


class TestContactScore:
    def test_latest_answer_gives_score_category_and_date(self) -> None:
        """The latest answer at or before as-of sets score, category and date."""
        votes = [vote("1", "c", 3, 7200), vote("2", "c", 9, 3600)]
        cs = contact_score(votes, AS_OF, WINDOW)
        assert cs is not None
        assert (cs.score, cs.category, cs.last_response_at, cs.submission_id) == (9, "promoter", votes[1].at, "2")

    def test_latest_answer_counts_at_any_age(self) -> None:
        """An answer older than the window still sets the score; it is just not counted."""
        cs = contact_score([vote("1", "c", 5, 3 * WINDOW_SECONDS)], AS_OF, WINDOW)
        assert cs is not None
        assert (cs.score, cs.category, cs.response_count) == (5, "detractor", 0)

    def test_response_count_counts_answers_in_the_half_open_window(self) -> None:
        """Answers exactly window-old are out, answers at as-of are in, later ones ignored."""
        votes = [
            vote("1", "c", 8, WINDOW_SECONDS),
            vote("2", "c", 8, WINDOW_SECONDS - 1),
            vote("3", "c", 8, 0),
            vote("4", "c", 2, -1),
        ]
        cs = contact_score(votes, AS_OF, WINDOW)
        assert cs is not None
        assert (cs.response_count, cs.submission_id, cs.score) == (2, "3", 8)

    def test_no_answer_at_or_before_as_of_gives_none(self) -> None:
        """A contact whose only answers are after as-of is not scored."""
        assert contact_score([vote("1", "c", 9, -60)], AS_OF, WINDOW) is None
        assert contact_score([], AS_OF, WINDOW) is None

    def test_tie_on_time_higher_id_wins(self) -> None:
        """Two answers at the same time: the higher submission id is the latest."""
        cs = contact_score([vote("10", "c", 2), vote("9", "c", 10)], AS_OF, WINDOW)
        assert cs is not None
        assert (cs.score, cs.submission_id) == (2, "10")


class TestCompanyScore:
    def test_seed_example_75_15_10_gives_65(self) -> None:
        """75% promoters, 15% passives, 10% detractors: NPS 65."""
        cs = company_score(population(15, 3, 2), AS_OF, WINDOW)
        assert cs is not None
        assert (cs.nps, cs.responses, cs.promoters, cs.passives, cs.detractors) == (65.0, 20, 15, 3, 2)
        assert cs.category == "promoter"

    def test_seed_example_70_10_20_gives_50(self) -> None:
        """70% promoters, 10% passives, 20% detractors: NPS 50."""
        cs = company_score(population(7, 1, 2), AS_OF, WINDOW)
        assert cs is not None
        assert cs.nps == 50.0

    def test_company_nps_counts_each_contact_once(self) -> None:
        """A contact's latest answer in the window is its only voice."""
        votes = [vote("1", "a", 0, 7200), vote("2", "a", 10, 3600), vote("3", "b", 10, 3600)]
        cs = company_score(votes, AS_OF, WINDOW)
        assert cs is not None
        assert (cs.responses, cs.promoters, cs.detractors, cs.nps) == (2, 2, 0, 100.0)

    def test_margin_of_error_matches_seed_value(self) -> None:
        """n=20, 15 promoters, 2 detractors: adjusted-Wald half-width is 28.5 points after rounding."""
        cs = company_score(population(15, 3, 2), AS_OF, WINDOW)
        assert cs is not None
        assert cs.margin_of_error == pytest.approx(independent_margin(15, 2, 20))
        assert rounded_company_values(cs).margin_of_error == 28.5

    def test_below_min_responses_gives_none(self) -> None:
        """Fewer voices than min_responses: no company score at all."""
        assert company_score(population(2, 0, 0), AS_OF, WINDOW, min_responses=3) is None
        assert company_score(population(3, 0, 0), AS_OF, WINDOW, min_responses=3) is not None
        assert company_score([], AS_OF, WINDOW) is None

    def test_window_is_half_open_and_ignores_the_future(self) -> None:
        """Exactly window-old: out; exactly as-of: in; after as-of: ignored."""
        votes = [vote("1", "a", 0, WINDOW_SECONDS), vote("2", "b", 10, 0), vote("3", "c", 0, -1)]
        cs = company_score(votes, AS_OF, WINDOW)
        assert cs is not None
        assert (cs.responses, cs.nps, cs.last_response_at) == (1, 100.0, AS_OF)

    def test_trend_is_now_minus_previous_window(self) -> None:
        """A detractor now after a promoter in the window before: trend -200."""
        votes = [vote("1", "a", 10, WINDOW_SECONDS + 3600), vote("2", "a", 0, 3600)]
        cs = company_score(votes, AS_OF, WINDOW)
        assert cs is not None
        assert (cs.nps, cs.trend) == (-100.0, -200.0)

    def test_trend_is_none_when_previous_window_is_empty(self) -> None:
        """No voice in the window before: no trend."""
        cs = company_score(population(1, 0, 0), AS_OF, WINDOW)
        assert cs is not None
        assert cs.trend is None
        assert rounded_company_values(cs).trend is None

    def test_trend_is_none_when_previous_window_is_below_min_responses(self) -> None:
        """The window before must meet min_responses as well."""
        votes = [*population(2, 0, 0), vote("9", "z", 0, WINDOW_SECONDS + 10)]
        cs = company_score(votes, AS_OF, WINDOW, min_responses=2)
        assert cs is not None
        assert cs.trend is None

    def test_previous_window_takes_its_own_latest_vote_per_contact(self) -> None:
        """In the window before, a contact's latest answer *in that window* is its voice."""
        votes = [
            vote("1", "a", 0, WINDOW_SECONDS + 7200),
            vote("2", "a", 10, WINDOW_SECONDS + 3600),
            vote("3", "a", 8, 3600),
        ]
        cs = company_score(votes, AS_OF, WINDOW)
        assert cs is not None
        assert (cs.nps, cs.trend) == (0.0, -100.0)

    def test_trend_is_exact_difference_rounded_once(self) -> None:
        """Trend rounds exact now minus exact before (12.5), not 6.3 - (-6.3) = 12.6."""
        now = population(1, 15, 0)  # 6.25
        before = [vote(str(100 + i), f"p{i}", 0 if i == 0 else 7, WINDOW_SECONDS + 60) for i in range(16)]  # -6.25
        cs = company_score(now + before, AS_OF, WINDOW)
        assert cs is not None
        rounded = rounded_company_values(cs)
        assert (rounded.score, rounded.trend) == (6.3, 12.5)

    def test_category_from_configurable_thresholds(self) -> None:
        """Thresholds come from configuration."""
        cs = company_score(population(7, 1, 2), AS_OF, WINDOW, promoter_at=60, detractor_below=55)
        assert cs is not None
        assert cs.category == "detractor"

    def test_tie_on_time_higher_id_is_the_voice(self) -> None:
        """Same contact, same time: the higher submission id is its voice."""
        cs = company_score([vote("10", "a", 0), vote("9", "a", 10)], AS_OF, WINDOW)
        assert cs is not None
        assert cs.detractors == 1

    @given(vote_lists())
    def test_nps_is_percent_promoters_minus_percent_detractors(self, votes: list[Vote]) -> None:
        """NPS lies in [-100, 100] and equals %P - %D over the reference voices."""
        cs = company_score(votes, AS_OF, WINDOW)
        voices = reference_voices(votes, AS_OF - timedelta(days=WINDOW), AS_OF)
        if not voices:
            assert cs is None
            return
        assert cs is not None
        n = len(voices)
        p = sum(v.score >= 9 for v in voices)
        d = sum(v.score <= 6 for v in voices)
        assert -100 <= cs.nps <= 100
        assert cs.responses == n == cs.promoters + cs.passives + cs.detractors
        assert (cs.promoters, cs.detractors) == (p, d)
        assert cs.nps == pytest.approx(100 * p / n - 100 * d / n)
        assert cs.last_response_at == max(v.at for v in voices)

    @given(vote_lists(), st.randoms(use_true_random=False))
    def test_result_is_invariant_to_vote_order(self, votes: list[Vote], rnd: random.Random) -> None:
        """Shuffling the input never changes the company score."""
        shuffled = list(votes)
        rnd.shuffle(shuffled)
        assert company_score(shuffled, AS_OF, WINDOW) == company_score(votes, AS_OF, WINDOW)

    @given(vote_lists(), st.sampled_from(CONTACTS), st.integers(0, 10))
    def test_an_older_vote_of_a_voice_changes_nothing(self, votes: list[Vote], contact: str, score: int) -> None:
        """Adding an answer older than a contact's in-window voice leaves the score unchanged."""
        before = company_score(votes, AS_OF, WINDOW)
        mine = [v for v in votes if v.contact_id == contact and AS_OF - timedelta(days=WINDOW) < v.at <= AS_OF]
        if not mine:
            return
        # Same time as the contact's earliest in-window answer, lower id: older by the tie rule.
        older = Vote("0", contact, min(v.at for v in mine), score)
        after = company_score([*votes, older], AS_OF, WINDOW)
        assert after is not None
        assert before is not None
        assert (after.responses, after.nps, after.margin_of_error) == (
            before.responses,
            before.nps,
            before.margin_of_error,
        )

    @given(vote_lists())
    def test_margin_matches_independent_adjusted_wald(self, votes: list[Vote]) -> None:
        """The margin equals a plain re-computation of the adjusted-Wald half-width."""
        cs = company_score(votes, AS_OF, WINDOW)
        if cs is None:
            return
        assert cs.margin_of_error == pytest.approx(independent_margin(cs.promoters, cs.detractors, cs.responses))
        assert 0 < cs.margin_of_error <= 196

    @given(vote_lists())
    def test_trend_matches_reference_previous_window(self, votes: list[Vote]) -> None:
        """Trend is NPS now minus NPS of the preceding window, None when that window is empty."""
        cs = company_score(votes, AS_OF, WINDOW)
        if cs is None:
            return
        w = timedelta(days=WINDOW)
        prev = reference_voices(votes, AS_OF - 2 * w, AS_OF - w)
        if not prev:
            assert cs.trend is None
            return
        prev_nps = 100 * (sum(v.score >= 9 for v in prev) - sum(v.score <= 6 for v in prev)) / len(prev)
        assert cs.trend == pytest.approx(cs.nps - prev_nps)

    @given(vote_lists(), st.integers(1, 6))
    def test_min_responses_clears_small_companies(self, votes: list[Vote], minimum: int) -> None:
        """A company is scored exactly when it has at least min_responses voices."""
        voices = reference_voices(votes, AS_OF - timedelta(days=WINDOW), AS_OF)
        cs = company_score(votes, AS_OF, WINDOW, min_responses=minimum)
        assert (cs is not None) == (len(voices) >= minimum)


class TestRounding:
    @pytest.mark.parametrize(
        ("value", "digits", "expected"),
        [
            (0.25, 1, 0.3),
            (-0.25, 1, -0.3),
            (33.333, 1, 33.3),
            (12.5, 1, 12.5),
            (6.25, 1, 6.3),
            (-6.25, 1, -6.3),
            (2.675, 2, 2.67),  # the float 2.675 is 2.67499999...: exact binary value decides
            (Fraction(300, 2000), 1, 0.2),  # exactly 0.15, a tie, although float(0.15) < 0.15
            (Fraction(-100, 3), 1, -33.3),
            (Fraction(200, 3), 1, 66.7),
            (0, 1, 0.0),
        ],
    )
    def test_half_away_from_zero_on_exact_value(self, value: float | Fraction, digits: int, expected: float) -> None:
        """Ties go away from zero; the exact value, not its printed form, decides."""
        assert round_half_away(value, digits) == expected

    def test_never_negative_zero(self) -> None:
        """A small negative value rounds to +0.0, so it is never written as "-0"."""
        assert math.copysign(1, round_half_away(-0.04)) == 1

    def test_non_finite_raises(self) -> None:
        """NaN and infinities cannot be rounded to a property value."""
        with pytest.raises(ValueError):
            round_half_away(math.nan)

    @given(st.integers(-2000, 2000), st.integers(1, 2000))
    def test_matches_decimal_half_up_on_nps_fractions(self, diff: int, n: int) -> None:
        """For every 100*(P-D)/n, rounding agrees with Decimal ROUND_HALF_UP at high precision."""
        exact = Fraction(100 * diff, n)
        # 28 digits suffice: a tie's expansion is short and a non-tie is >= 1/(20n) away from one.
        dec = Decimal(exact.numerator) / Decimal(exact.denominator)
        expected = float(dec.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        assert round_half_away(exact) == (expected if expected != 0 else 0.0)

    @given(st.integers(0, 100_000))
    def test_sqrt_rounding_is_exact_at_ties(self, k: int) -> None:
        """sqrt((k/20)^2) rounds exactly like k/20, including every .x5 tie."""
        assert round_sqrt_half_away(Fraction(k, 20) ** 2) == round_half_away(Fraction(k, 20))

    def test_hand_built_company_score_rounds_from_floats(self) -> None:
        """A CompanyScore built without exact fields is rounded from its float values."""
        cs = CompanyScore(12.25, "passive", 8, 2, 5, 1, 30.05, -0.25, AS_OF)
        rounded = rounded_company_values(cs)
        assert (rounded.score, rounded.trend) == (12.3, -0.3)
        assert rounded.margin_of_error == round_half_away(30.05)
