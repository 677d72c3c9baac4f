"""From ledger rows to desired property values for every contact and company (pure, no I/O)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.config import ScoringSettings
from connector.ledger import AnswerRow, ContactRow
from connector.plan import desired_company_values, desired_contact_values
from connector.properties import PropertyNames
from connector.scoring import CompanyScore, ContactScore, Vote, company_score, contact_score, parse_nps_value


def is_nps_answer(answer: AnswerRow, survey_types: Collection[str], survey_ids: Collection[str]) -> bool:
    """Whether an answer is an NPS answer: a configured survey type, or a configured survey id."""
    return answer.survey_type in survey_types or (bool(answer.survey_id) and answer.survey_id in survey_ids)


def resolve_alias(contact_id: str, aliases: Mapping[str, str]) -> str:
    """Follow merged-contact aliases to the surviving contact (bounded, so a cycle cannot hang)."""
    seen = 0
    while contact_id in aliases and seen < 20:
        contact_id = aliases[contact_id]
        seen += 1
    return contact_id


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
    aliases: Mapping[str, str],
    as_of: datetime,
    scoring: ScoringSettings,
    names: PropertyNames,
    known_companies: Iterable[str] = (),
) -> Scorecard:
    """Score every contact and company that has or had answers, as of a moment."""
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
        contact_id = resolve_alias(answer.contact_id, aliases)
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
