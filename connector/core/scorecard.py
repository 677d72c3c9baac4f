"""From ledger rows to desired property values for every contact and company (pure, no I/O).

Merged contacts are resolved here, once per run (`resolve_answers`); everything downstream sees
answers already pointing at the surviving contact.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.config import PropertyNames, ScoringSettings
from connector.core.records import resolve_alias
from connector.core.scoring import (
    CompanyScore,
    ContactScore,
    Vote,
    company_score,
    contact_score,
    parse_nps_value,
    rounded_company_values,
)
from connector.core.values import format_datetime, format_number
from connector.model import AnswerRow, ContactRow, FollowupStatus


def is_nps_answer(answer: AnswerRow, survey_types: Collection[str], survey_ids: Collection[str]) -> bool:
    """Whether an answer is an NPS answer: a configured survey type, or a configured survey id."""
    return answer.survey_type in survey_types or (bool(answer.survey_id) and answer.survey_id in survey_ids)


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


@dataclass
class Scorecard:
    """Desired values and the scores behind them, with counts for the run summary."""

    contact_values: dict[str, dict[str, str]] = field(default_factory=dict)
    company_values: dict[str, dict[str, str]] = field(default_factory=dict)
    contact_scores: dict[str, ContactScore] = field(default_factory=dict)
    company_scores: dict[str, CompanyScore | None] = field(default_factory=dict)
    votes_by_contact: dict[str, list[Vote]] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)  # submission ids of invalid NPS values
    anonymous: int = 0
    orphaned: int = 0  # answers whose contact is deleted or unknown


def build_scorecard(
    answers: Sequence[AnswerRow],
    contacts: Mapping[str, ContactRow],
    as_of: datetime,
    scoring: ScoringSettings,
    names: PropertyNames,
    known_companies: Iterable[str] = (),
) -> Scorecard:
    """Score every contact and company that has or had answers, as of a moment (contacts already resolved)."""
    card = Scorecard()
    votes: dict[str, list[Vote]] = defaultdict(list)
    for answer in answers:
        if not is_nps_answer(answer, scoring.survey_types, scoring.survey_ids):
            continue
        score = parse_nps_value(answer.raw_value)
        if score is None:
            card.invalid.append(answer.submission_id)
            continue
        if answer.contact_id is None:
            card.anonymous += 1
            continue
        contact_id = answer.contact_id
        contact = contacts.get(contact_id)
        if contact is None or not contact.exists:
            card.orphaned += 1
            continue
        votes[contact_id].append(Vote(answer.submission_id, contact_id, answer.submitted_at, score))
    card.votes_by_contact = dict(votes)

    by_company: dict[str, list[Vote]] = defaultdict(list)
    for contact_id, contact_votes in votes.items():
        cs = contact_score(contact_votes, as_of, scoring.window_days)
        if cs is not None:
            card.contact_scores[contact_id] = cs
            card.contact_values[contact_id] = desired_contact_values(cs, names)
        company_id = contacts[contact_id].company_id
        if company_id:
            by_company[company_id].extend(contact_votes)

    for company_id in set(by_company) | set(known_companies):
        company = company_score(
            by_company.get(company_id, []),
            as_of,
            scoring.window_days,
            min_responses=scoring.min_company_responses,
            promoter_at=scoring.company_promoter_at,
            detractor_below=scoring.company_detractor_below,
        )
        card.company_scores[company_id] = company
        card.company_values[company_id] = desired_company_values(company, names)
    return card


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
