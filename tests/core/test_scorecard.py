"""The scorecard against a plain computation of the contract, on random answers (hypothesis).

The reference below is written straight from the scoring rules with lists and sorting, and
shares nothing with `connector.core.scorecard` but the output format helpers' contract
(shortest decimal strings, ISO 8601 UTC with milliseconds).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.config import PropertyNames, ScoringSettings
from connector.core.scorecard import build_scorecard, score_rows
from connector.model import AnswerRow, CompanyRow, ContactRow

AS_OF = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
NAMES = PropertyNames()


def _round1(x: Fraction) -> str:
    """One decimal, half away from zero, as the shortest decimal string."""
    units = (abs(x) * 10 + Fraction(1, 2)).__floor__()
    value = Fraction(units if x >= 0 else -units, 10)
    text = f"{float(value):.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _margin(p: int, d: int, n: int) -> str:
    """Adjusted Wald half-width, computed with exact squares, rounded half away by bisection on tenths."""
    big_n = Fraction(n + 3)
    pp, dd = (p + Fraction(3, 4)) / big_n, (d + Fraction(3, 4)) / big_n
    square = Fraction(196) ** 2 * (pp + dd - (pp - dd) ** 2) / big_n
    tenths = 0
    while Fraction(2 * tenths + 1, 20) ** 2 <= square:  # the next tie lies at or below the value
        tenths += 1
    return _round1(Fraction(tenths, 10)) if tenths else "0"


def _agresti_coull(happy: int, n: int) -> str:
    """The CSAT margin: z = 1.96, n' = n + z², p' = (happy + z²/2) / n', 100 z sqrt(p'(1-p')/n')."""
    z2 = Fraction(196, 100) ** 2
    n_adj = n + z2
    p = (happy + z2 / 2) / n_adj
    square = 100**2 * z2 * p * (1 - p) / n_adj
    tenths = 0
    while Fraction(2 * tenths + 1, 20) ** 2 <= square:
        tenths += 1
    return _round1(Fraction(tenths, 10)) if tenths else "0"


def reference(
    answers: list[AnswerRow],
    contacts: dict[str, ContactRow],
    window_days: int,
    minimum: int,
    sizes: dict[str, int] | None = None,
    weights: dict[str, float] | None = None,
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Contact and company values as the contract states them."""
    window = timedelta(days=window_days)
    valid = [
        a
        for a in answers
        if a.survey_type == "NPS"
        and (a.raw_value or "").strip().isascii()
        and (a.raw_value or "").strip().isdigit()
        and int((a.raw_value or "").strip()) <= 10
        and a.contact_id in contacts
        and contacts[a.contact_id].exists
    ]

    def key(a: AnswerRow) -> tuple[datetime, int]:
        return (a.submitted_at, int(a.submission_id))

    def score(a: AnswerRow) -> int:
        return int((a.raw_value or "").strip())

    def category(s: int) -> str:
        return "promoter" if s >= 9 else "passive" if s >= 7 else "detractor"

    people: dict[str, dict[str, str]] = {}
    for cid in {a.contact_id for a in valid if a.contact_id}:
        mine = [a for a in valid if a.contact_id == cid and a.submitted_at <= AS_OF]
        if not mine:
            continue
        latest = max(mine, key=key)
        people[cid] = {
            NAMES.contact_score: str(score(latest)),
            NAMES.contact_category: category(score(latest)),
            NAMES.contact_last_response_date: _iso(latest.submitted_at),
            NAMES.contact_response_count: str(sum(1 for a in mine if a.submitted_at > AS_OF - window)),
        }

    def voices(company: str, end: datetime) -> list[AnswerRow]:
        inside = [
            a
            for a in valid
            if contacts[a.contact_id or ""].company_id == company and end - window < a.submitted_at <= end
        ]
        latest: dict[str, AnswerRow] = {}
        for a in sorted(inside, key=key):
            latest[a.contact_id or ""] = a
        return list(latest.values())

    def nps(vs: list[AnswerRow]) -> Fraction:
        cats = [category(score(a)) for a in vs]
        return Fraction(100 * (cats.count("promoter") - cats.count("detractor")), len(vs))

    felt: dict[str, list[AnswerRow]] = {"CSAT": [], "CES": []}
    for a in answers:
        text = (a.raw_value or "").strip()
        low, high = (0, 2) if a.survey_type == "CSAT" else (1, 7)
        if (
            a.survey_type in felt
            and text.isascii()
            and text.isdigit()
            and low <= int(text) <= high
            and a.contact_id in contacts
            and contacts[a.contact_id].exists
        ):
            felt[a.survey_type].append(a)
    for kind, score_name, date_name in (
        ("CSAT", NAMES.contact_csat_score, NAMES.contact_csat_last_response_date),
        ("CES", NAMES.contact_ces_score, NAMES.contact_ces_last_response_date),
    ):
        for cid in {a.contact_id for a in felt[kind] if a.contact_id}:
            mine = [a for a in felt[kind] if a.contact_id == cid and a.submitted_at <= AS_OF]
            if mine:
                latest = max(mine, key=key)
                people.setdefault(cid, {}).update(
                    {score_name: str(int((latest.raw_value or "").strip())), date_name: _iso(latest.submitted_at)}
                )

    def felt_voices(kind: str, company: str) -> list[int]:
        inside = [
            a
            for a in felt[kind]
            if contacts[a.contact_id or ""].company_id == company and AS_OF - window < a.submitted_at <= AS_OF
        ]
        latest: dict[str, AnswerRow] = {}
        for a in sorted(inside, key=key):
            latest[a.contact_id or ""] = a
        return [int((a.raw_value or "").strip()) for a in latest.values()]

    firms: dict[str, dict[str, str]] = {}
    every = valid + felt["CSAT"] + felt["CES"]
    for company in {contacts[a.contact_id or ""].company_id for a in every} - {None}:
        assert company is not None
        firms[company] = dict.fromkeys(NAMES.all_company_properties(), "")
        csat, ces = felt_voices("CSAT", company), felt_voices("CES", company)
        if len(csat) >= minimum:
            happy = sum(1 for v in csat if v == 2)
            firms[company][NAMES.company_csat_score] = _round1(Fraction(100 * happy, len(csat)))
            firms[company][NAMES.company_csat_responses] = str(len(csat))
            firms[company][NAMES.company_csat_margin_of_error] = _agresti_coull(happy, len(csat))
        if len(ces) >= minimum:
            firms[company][NAMES.company_ces_average] = _round1(Fraction(sum(ces), len(ces)))
            firms[company][NAMES.company_ces_easy_share] = _round1(
                Fraction(100 * sum(1 for v in ces if v >= 6), len(ces))
            )
            firms[company][NAMES.company_ces_responses] = str(len(ces))
        now, before = voices(company, AS_OF), voices(company, AS_OF - window)
        if len(now) < minimum:
            continue
        cats = [category(score(a)) for a in now]
        value = nps(now)
        firms[company] |= {
            NAMES.company_score: _round1(value),
            NAMES.company_category: "promoter" if value >= 30 else "detractor" if value < 0 else "passive",
            NAMES.company_responses: str(len(now)),
            NAMES.company_promoters: str(cats.count("promoter")),
            NAMES.company_passives: str(cats.count("passive")),
            NAMES.company_detractors: str(cats.count("detractor")),
            NAMES.company_margin_of_error: _margin(cats.count("promoter"), cats.count("detractor"), len(now)),
            NAMES.company_trend: _round1(value - nps(before)) if len(before) >= minimum else "",
            NAMES.company_last_response_date: _iso(max(a.submitted_at for a in now)),
        }
        if sizes and sizes.get(company):
            firms[company][NAMES.company_coverage] = _round1(Fraction(100 * len(now), sizes[company]))
        if weights:

            def weight(a: AnswerRow) -> Fraction:
                roles = (contacts[a.contact_id or ""].role or "").split(";")
                listed = [Fraction(str(weights[r])) for r in roles if r in weights]
                return max(listed) if listed else Fraction(1)

            total = sum((weight(a) for a in now), Fraction(0))
            signed = sum((weight(a) * (1 if score(a) >= 9 else -1 if score(a) <= 6 else 0) for a in now), Fraction(0))
            firms[company][NAMES.company_weighted_score] = _round1(100 * signed / total)
    return people, firms


RAW = st.sampled_from(["0", "1", "2", "3", "6", "7", "8", "9", "10", " 9 ", "007", "11", "x", "", "-1", "²"])
ANSWER = st.tuples(
    st.integers(0, 7),  # contact
    RAW,
    # days before as-of (negative: after), often right at a window's edge or the window before's
    st.one_of(
        st.integers(-40, 800),
        st.sampled_from([0, 29, 30, 31, 59, 60, 61, 89, 90, 91, 179, 180, 181, 364, 365, 366, 729, 730, 731]),
    ),
    st.integers(0, 3),  # hour: several answers share a time
    st.sampled_from(["NPS", "NPS", "NPS", "CSAT", "CES", "OTHER"]),
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(ANSWER, max_size=40),
    companies=st.lists(st.sampled_from(["201", "202", "203", None]), min_size=8, max_size=8),
    deleted=st.sets(st.integers(0, 7), max_size=2),
    window_days=st.sampled_from([30, 90, 365]),
    minimum=st.integers(1, 3),
    roles=st.lists(st.sampled_from([None, "DECISION_MAKER", "INFLUENCER;END_USER", "OTHER"]), min_size=8, max_size=8),
    weights=st.sampled_from([{}, {"DECISION_MAKER": 3, "INFLUENCER": 2, "END_USER": 1}, {"END_USER": 0.5}]),
    sizes=st.dictionaries(st.sampled_from(["201", "202", "203"]), st.integers(0, 12)),
)
def test_scorecard_matches_the_contract(
    rows: list[tuple[int, str, int, int, str]],
    companies: list[str | None],
    deleted: set[int],
    window_days: int,
    minimum: int,
    roles: list[str | None],
    weights: dict[str, float],
    sizes: dict[str, int],
) -> None:
    """Random answers, ties, future answers, invalid values, deleted contacts, roles: values as the contract says."""
    contacts = {
        str(300 + i): ContactRow(str(300 + i), company_id=companies[i], exists=i not in deleted, role=roles[i])
        for i in range(8)
    }
    answers = [
        AnswerRow(
            str(1000 + n),
            str(300 + c),
            survey_type,
            "s1",
            "Q",
            raw,
            AS_OF - timedelta(days=days, hours=hour),
            AS_OF,
        )
        for n, (c, raw, days, hour, survey_type) in enumerate(rows)
    ]
    scoring = ScoringSettings(window_days=window_days, min_company_responses=minimum, role_weights=weights)
    firm_rows = {cid: CompanyRow(cid, contact_count=n) for cid, n in sizes.items()}
    card = build_scorecard(answers, contacts, AS_OF, scoring, NAMES, companies=firm_rows)
    people, firms = reference(answers, contacts, window_days, minimum, sizes, weights)
    assert card.contact_values == people
    assert card.company_values == firms


def test_merged_ids_are_resolved_when_given_aliases() -> None:
    """`score_rows` with aliases counts a merged-away id's answers for the survivor, one voice."""
    contacts = {"301": ContactRow("301", company_id="201")}
    at = int((AS_OF - timedelta(days=1)).timestamp() * 1000)
    rows: list[Any] = [
        ("1", "305", "NPS", "s1", "0", at),
        ("2", "301", "NPS", "s1", "10", at + 1),
        ("3", "309", "NPS", "s1", "10", at + 2),  # an alias chain: 309 -> 305 -> 301
    ]
    card = score_rows(rows, contacts, AS_OF, ScoringSettings(), NAMES, aliases={"305": "301", "309": "305"})
    assert card.contact_values["301"][NAMES.contact_response_count] == "3"
    assert card.company_values["201"][NAMES.company_responses] == "1"
    assert card.company_values["201"][NAMES.company_score] == "100"
    assert card.orphaned == 0


def test_role_weights_and_coverage_by_hand() -> None:
    """A decision maker (weight 3) promoter, an unweighted detractor: (3 - 1) / (3 + 1) = 50; 2 of 5 contacts: 40%."""
    contacts = {
        "301": ContactRow("301", company_id="201", role="DECISION_MAKER;END_USER"),
        "302": ContactRow("302", company_id="201", role="OTHER"),
    }
    at = AS_OF - timedelta(days=1)
    answers = [
        AnswerRow("1", "301", "NPS", "s1", "Q", "10", at, at),
        AnswerRow("2", "302", "NPS", "s1", "Q", "0", at, at),
    ]
    scoring = ScoringSettings(role_weights={"DECISION_MAKER": 3, "END_USER": 0.5})
    firms = {"201": CompanyRow("201", contact_count=5)}
    values = build_scorecard(answers, contacts, AS_OF, scoring, NAMES, companies=firms).company_values["201"]
    assert values[NAMES.company_weighted_score] == "50"
    assert values[NAMES.company_score] == "0"  # unweighted: one promoter, one detractor
    assert values[NAMES.company_coverage] == "40"
    unweighted = build_scorecard(answers, contacts, AS_OF, ScoringSettings(), NAMES, companies=firms)
    assert unweighted.company_values["201"][NAMES.company_weighted_score] == ""
