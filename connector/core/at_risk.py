"""The company-at-risk rule (off by default): a task for the company owner when its NPS drops.

A company is at risk when it became a detractor or lost more than `at_risk_drop` points against
the window before. One task per company per fixed `window_days`-long period (a rolling window
would allow one every day); its key is `at_risk:<company>:<period start>` and its body names no
submission.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from connector.config import FollowupSettings, ScoringSettings
from connector.core.followup import TaskPlan, add_business_days, record_link, route_owner, with_marker
from connector.core.scorecard import Scorecard
from connector.core.scoring import Category, company_category
from connector.core.values import truncate_to_ms
from connector.model import CompanyRow

_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class CompanyRisk:
    """A company's NPS now and in the window before, for the at-risk rule (plain numbers)."""

    company_id: str
    window_start: date
    nps: float | None
    category: Category | None
    previous_nps: float | None
    previous_category: Category | None = None


def risk_window_start(as_of: datetime, window_days: int) -> date:
    """Start of the fixed window-length period containing as-of: one at-risk task per company per period."""
    days = (as_of.astimezone(UTC).date() - _EPOCH).days
    return _EPOCH + timedelta(days=days - days % window_days)


def company_risks(card: Scorecard, scoring: ScoringSettings, as_of: datetime) -> list[CompanyRisk]:
    """Each scored company's NPS now and in the window before, for the at-risk rule."""
    start = risk_window_start(as_of, scoring.window_days)
    risks = []
    for company_id, score in card.company_scores.items():
        if score is None:
            continue
        previous = None if score.trend is None else score.nps - score.trend
        previous_category = (
            None
            if previous is None
            else company_category(previous, scoring.company_promoter_at, scoring.company_detractor_below)
        )
        risks.append(CompanyRisk(company_id, start, score.nps, score.category, previous, previous_category))
    return risks


def at_risk_key(company_id: str, window_start: date) -> str:
    """The ledger key of a company's at-risk task for one window."""
    return f"at_risk:{company_id}:{window_start.isoformat()}"


def is_at_risk(risk: CompanyRisk, drop: float, detractor_below: float, promoter_at: float) -> bool:
    """Whether a company dropped to detractor or lost more than `drop` NPS points since the window before."""
    if risk.nps is None:
        return False
    previous = risk.previous_category
    if previous is None and risk.previous_nps is not None:
        previous = company_category(risk.previous_nps, promoter_at, detractor_below)
    became_detractor = risk.category == "detractor" and previous != "detractor"
    fell = risk.previous_nps is not None and risk.previous_nps - risk.nps > drop
    return became_detractor or fell


def plan_at_risk(
    risks: Iterable[CompanyRisk],
    companies: Mapping[str, CompanyRow],
    active_owner_ids: Collection[str],
    known_keys: Collection[str],
    settings: FollowupSettings,
    as_of: datetime,
    *,
    detractor_below: float = 0.0,
    promoter_at: float = 30.0,
    portal_id: str = "",
) -> list[TaskPlan]:
    """One task per at-risk company and window not in `known_keys`, for the company owner."""
    plans: list[TaskPlan] = []
    for risk in risks:
        key = at_risk_key(risk.company_id, risk.window_start)
        if key in known_keys or not is_at_risk(risk, settings.at_risk_drop, detractor_below, promoter_at):
            continue
        company = companies.get(risk.company_id)
        if company is None:
            continue
        owner = route_owner((company.owner_id, settings.default_owner_id), active_owner_ids)
        if owner is None and settings.skip_without_owner:
            continue
        due = truncate_to_ms(add_business_days(as_of, settings.due_in_business_days, settings.zone, settings.holidays))
        plans.append(at_risk_task(key, company, owner, due, risk, portal_id))
    return plans


def at_risk_task(
    key: str,
    company: CompanyRow,
    owner_id: str | None,
    due: datetime,
    risk: CompanyRisk | None = None,
    portal_id: str = "",
) -> TaskPlan:
    """The at-risk task of a company (associated with the company only; its body names no submission)."""
    name = company.name or f"company {company.company_id}"
    if risk is not None and risk.nps is not None:
        before = "no score" if risk.previous_nps is None else f"{risk.previous_nps:.1f}"
        summary = (
            f"The NPS of {name} is now {risk.nps:.1f} ({risk.category or 'no category'}); "
            f"in the window before it was {before}."
        )
    else:  # re-created from a ledger intent, which keeps no scores
        summary = f"The NPS of {name} dropped."
    lines = [summary]
    link = record_link(portal_id, "0-2", company.company_id)
    if link:
        lines.append(f"Company in HubSpot: {link}")
    return TaskPlan(
        key=key,
        submission_id=None,
        contact_id=None,
        company_id=company.company_id,
        owner_id=owner_id,
        due=due,
        subject=f"NPS at risk: {name}",
        body=with_marker("\n\n".join(lines), key, "at_risk"),
        kind="at_risk",
    )
