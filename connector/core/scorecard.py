"""From ledger rows to desired property values for every contact and company (pure, no I/O).

Merged contacts are resolved here, once per run (`resolve_answers`); everything downstream sees
answers already pointing at the surviving contact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from connector.config import PropertyNames, ScoringSettings
from connector.core.records import is_later, resolve_alias
from connector.core.satisfaction import SatisfactionTally, satisfaction_company_values
from connector.core.scoring import (
    CompanyScore,
    ContactScore,
    Tally,
    company_score_from_tallies,
    nps_category,
    parse_nps_value,
    round_half_away,
    rounded_company_values,
)
from connector.core.values import format_datetime, format_number, to_ms
from connector.model import AnswerRow, CompanyRow, ContactRow, FollowupStatus


def is_nps_answer(answer: AnswerRow, survey_types: Collection[str], survey_ids: Collection[str]) -> bool:
    """Whether an answer belongs to these surveys: one of the survey types, or one of the survey ids."""
    return answer.survey_type in survey_types or (bool(answer.survey_id) and answer.survey_id in survey_ids)


def is_scored_answer(answer: AnswerRow, scoring: ScoringSettings) -> bool:
    """Whether an answer feeds a score: NPS, CSAT or CES, by survey type or configured survey id."""
    return (
        is_nps_answer(answer, scoring.survey_types, scoring.survey_ids)
        or is_nps_answer(answer, scoring.csat_survey_types, scoring.csat_survey_ids)
        or is_nps_answer(answer, scoring.ces_survey_types, scoring.ces_survey_ids)
    )


def resolve_answers(answers: Iterable[AnswerRow], aliases: Mapping[str, str]) -> list[AnswerRow]:
    """Answers with merged-away contact ids replaced by the surviving contact's id."""
    if not aliases:
        return list(answers)
    return [
        dataclasses.replace(a, contact_id=resolve_alias(a.contact_id, aliases))
        if a.contact_id and a.contact_id in aliases
        else a
        for a in answers
    ]


# One answer as the scorer reads it: submission id, contact id, survey type, survey id, raw value,
# submission time in epoch milliseconds. Plain tuples: a million of them must stay cheap.
ScoreRow = tuple[str, str | None, str, str, str | None, int]

_CATEGORY_INDEX = (0,) * 7 + (1,) * 2 + (2,) * 2  # NPS 0-6 detractor, 7-8 passive, 9-10 promoter
_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NONE = -1  # "no such answer" in a contact's running state


@dataclass
class Scorecard:
    """Desired values and the company scores behind them, with counts for the run summary."""

    contact_values: dict[str, dict[str, str]] = field(default_factory=dict)
    company_values: dict[str, dict[str, str]] = field(default_factory=dict)
    company_scores: dict[str, CompanyScore | None] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)  # submission ids of invalid NPS values
    anonymous: int = 0
    orphaned: int = 0  # answers whose contact is deleted or unknown
    invalid_satisfaction: int = 0  # CSAT/CES answers off their scale


def score_row(answer: AnswerRow) -> ScoreRow:
    """An answer as the scorer reads it."""
    return (
        answer.submission_id,
        answer.contact_id,
        answer.survey_type,
        answer.survey_id,
        answer.raw_value,
        to_ms(answer.submitted_at),
    )


def build_scorecard(
    answers: Iterable[AnswerRow],
    contacts: Mapping[str, ContactRow],
    as_of: datetime,
    scoring: ScoringSettings,
    names: PropertyNames,
    known_companies: Iterable[str] = (),
    companies: Mapping[str, CompanyRow] | None = None,
) -> Scorecard:
    """Score every contact and company that has or had answers, as of a moment (contacts already resolved)."""
    rows = (score_row(a) for a in answers)
    return score_rows(rows, contacts, as_of, scoring, names, known_companies=known_companies, companies=companies)


def score_rows(
    rows: Iterable[ScoreRow],
    contacts: Mapping[str, ContactRow],
    as_of: datetime,
    scoring: ScoringSettings,
    names: PropertyNames,
    *,
    aliases: Mapping[str, str] | None = None,
    known_companies: Iterable[str] = (),
    companies: Mapping[str, CompanyRow] | None = None,
) -> Scorecard:
    """Score every contact and company in one pass over the answers, keeping only per-contact state.

    For each contact it keeps its latest answer at or before as-of, its count in the window, its
    latest answer in the window and in the window before (the company's voice now and for the
    trend). Companies are then tallied from those voices: integer counts, with exact fractions
    only at the end, per company (`scoring.company_score_from_tallies`). Times are compared as
    integer microseconds, so the half-open windows are exact.
    """
    if as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    if scoring.window_days <= 0:
        raise ValueError(f"window_days must be positive, got {scoring.window_days}")
    card = Scorecard()
    now_us = (as_of - _EPOCH) // _US
    start_us = now_us - scoring.window_days * 86_400_000_000
    prev_us = start_us - scoring.window_days * 86_400_000_000
    types, ids = frozenset(scoring.survey_types), frozenset(scoring.survey_ids)
    aliases = aliases or {}
    parsed: dict[str | None, int | None] = {}  # a portal has few distinct raw values
    # contact id -> [latest t, sid, score, count in window, window t, sid, score, before t, sid, score]
    state: dict[str, list[Any]] = {}
    satisfaction = SatisfactionTally(scoring, now_us, start_us)
    for sid, cid, survey_type, survey_id, raw, submitted_ms in rows:
        if survey_type not in types and not (survey_id and survey_id in ids):
            metric = satisfaction.metric(survey_type, survey_id)
            if metric is not None and cid is not None and (value := satisfaction.value(metric, raw)) is not None:
                cid = resolve_alias(cid, aliases) if cid in aliases else cid
                contact = contacts.get(cid)
                if contact is not None and contact.exists:
                    satisfaction.add(metric, cid, submitted_ms * 1000, sid, value)
            continue
        if raw in parsed:
            score = parsed[raw]
        else:
            score = parsed[raw] = parse_nps_value(raw)
        if score is None:
            card.invalid.append(sid)
            continue
        if cid is None:
            card.anonymous += 1
            continue
        if cid in aliases:
            cid = resolve_alias(cid, aliases)
        contact = contacts.get(cid)
        if contact is None or not contact.exists:
            card.orphaned += 1
            continue
        st = state.get(cid)
        if st is None:
            st = state[cid] = [_NONE, "", 0, 0, _NONE, "", 0, _NONE, "", 0]
        t = submitted_ms * 1000
        if t > now_us:
            continue  # after as-of: ignored, but its company is still scored (and cleared)
        if is_later(t, sid, st[0], st[1]):
            st[0], st[1], st[2] = t, sid, score
        if t > start_us:
            st[3] += 1
            if is_later(t, sid, st[4], st[5]):
                st[4], st[5], st[6] = t, sid, score
        elif t > prev_us and is_later(t, sid, st[7], st[8]):
            st[7], st[8], st[9] = t, sid, score

    now: dict[str, list[int]] = {}
    before: dict[str, list[int]] = {}
    weighted: dict[str, list[Fraction]] = {}  # company -> [weight of promoters, of detractors, of all]
    weights = {role: Fraction(str(w)) for role, w in scoring.role_weights.items()}
    for cid, st in state.items():
        if st[0] != _NONE:
            cs = ContactScore(
                score=st[2],
                category=nps_category(st[2]),
                last_response_at=_EPOCH + st[0] * _US,
                response_count=st[3],
                submission_id=st[1],
            )
            card.contact_values[cid] = desired_contact_values(cs, names)
        company_id = contacts[cid].company_id
        if not company_id:
            continue
        counts = now.setdefault(company_id, [0, 0, 0, _NONE])
        if st[4] != _NONE:
            counts[_CATEGORY_INDEX[st[6]]] += 1
            counts[3] = max(counts[3], st[4])
            if weights:
                w = _weight(contacts[cid].role, weights)
                sums = weighted.setdefault(company_id, [Fraction(0), Fraction(0), Fraction(0)])
                sums[2] += w
                if _CATEGORY_INDEX[st[6]] == 2:
                    sums[0] += w
                elif _CATEGORY_INDEX[st[6]] == 0:
                    sums[1] += w
        if st[7] != _NONE:
            back = before.setdefault(company_id, [0, 0, 0, _NONE])
            back[_CATEGORY_INDEX[st[9]]] += 1

    satisfaction.contact_values(names, card.contact_values)
    felt = satisfaction.company_tallies(contacts)
    felt_values: dict[tuple[int, ...], dict[str, str]] = {}
    # The exact arithmetic depends only on the six counts, and companies share few distinct ones:
    # do it once per distinct tally, then stamp each company's own last response date.
    exact: dict[tuple[int, ...], tuple[CompanyScore | None, dict[str, str]]] = {}
    for company_id in set(now) | set(felt) | set(known_companies):
        counts = now.get(company_id) or [0, 0, 0, _NONE]
        back = before.get(company_id) or [0, 0, 0, _NONE]
        key = (*counts[:3], *back[:3])
        if key not in exact:
            company = company_score_from_tallies(
                _tally([*counts[:3], 0]),
                _tally(back),
                min_responses=scoring.min_company_responses,
                promoter_at=scoring.company_promoter_at,
                detractor_below=scoring.company_detractor_below,
            )
            exact[key] = (company, desired_company_values(company, names))
        company, shared = exact[key]
        values = dict(shared)  # each company its own dict: later stages may hold on to it
        if company is not None:
            last = _EPOCH + counts[3] * _US
            company = dataclasses.replace(company, last_response_at=last)
            values[names.company_last_response_date] = format_datetime(last)
        tally = tuple(felt.get(company_id) or (0, 0, 0, 0, 0))
        if tally not in felt_values:
            felt_values[tally] = satisfaction_company_values(tally, scoring.min_company_responses, names)
        values.update(felt_values[tally])
        values.update(_depth_values(company, company_id, companies, weighted, names))
        card.company_scores[company_id] = company
        card.company_values[company_id] = values
    card.invalid_satisfaction = satisfaction.invalid
    return card


def _tally(counts: list[int] | None) -> Tally:
    if counts is None:
        return Tally()
    detractors, passives, promoters, last_us = counts
    return Tally(promoters, passives, detractors, None if last_us == _NONE else _EPOCH + last_us * _US)


def desired_contact_values(cs: ContactScore, names: PropertyNames) -> dict[str, str]:
    """A scored contact's four NPS properties (follow-up properties come from followup_values)."""
    return {
        names.contact_score: format_number(cs.score),
        names.contact_category: cs.category,
        names.contact_last_response_date: format_datetime(cs.last_response_at),
        names.contact_response_count: format_number(cs.response_count),
    }


def followup_values(status: FollowupStatus | None, due: datetime | None, names: PropertyNames) -> dict[str, str]:
    """A contact's follow-up status and due date; None clears the property."""
    return {
        names.contact_followup_status: status or "",
        names.contact_followup_due_date: "" if due is None else format_datetime(due),
    }


def desired_company_values(cs: CompanyScore | None, names: PropertyNames) -> dict[str, str]:
    """A company's nine NPS properties; all cleared ("") when there is no score."""
    if cs is None:
        return dict.fromkeys(names.company_properties(), "")
    rounded = rounded_company_values(cs)
    return {
        names.company_score: format_number(rounded.score),
        names.company_category: cs.category,
        names.company_responses: format_number(cs.responses),
        names.company_promoters: format_number(cs.promoters),
        names.company_passives: format_number(cs.passives),
        names.company_detractors: format_number(cs.detractors),
        names.company_margin_of_error: format_number(rounded.margin_of_error),
        names.company_trend: "" if rounded.trend is None else format_number(rounded.trend),
        names.company_last_response_date: format_datetime(cs.last_response_at),
    }


def _weight(role: str | None, weights: Mapping[str, Fraction]) -> Fraction:
    # HubSpot's buying role is multi-select ("DECISION_MAKER;INFLUENCER"): the highest weight counts.
    found = [weights[value.strip()] for value in (role or "").split(";") if value.strip() in weights]
    return max(found, default=Fraction(1))


def _depth_values(
    company: CompanyScore | None,
    company_id: str,
    companies: Mapping[str, CompanyRow] | None,
    weighted: Mapping[str, list[Fraction]],
    names: PropertyNames,
) -> dict[str, str]:
    """Coverage (voices / the company's contacts) and the role-weighted NPS; cleared with the NPS."""
    values = dict.fromkeys(names.company_depth_properties(), "")
    if company is None:
        return values
    row = companies.get(company_id) if companies else None
    if row is not None and row.contact_count:
        values[names.company_coverage] = format_number(
            round_half_away(Fraction(100 * company.responses, row.contact_count))
        )
    sums = weighted.get(company_id)
    if sums is not None and sums[2] > 0:
        values[names.company_weighted_score] = format_number(round_half_away(100 * (sums[0] - sums[1]) / sums[2]))
    return values
