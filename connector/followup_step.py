"""Adapter between a run (`SyncRun`) and the follow-up runner: inputs resolved, outcome summarised."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connector.compute import Scorecard, resolve_alias
from connector.config import Settings
from connector.followup import CompanyRisk, FollowupRunner
from connector.hubspot import HubSpotClient
from connector.ledger import AnswerRow, ContactRow, Ledger
from connector.scoring import company_category
from connector.sync import FollowupOutcome, FollowupStep

_EPOCH = date(1970, 1, 1)


def risk_window_start(as_of: datetime, window_days: int) -> date:
    """Start of the fixed window-length period containing as-of: one at-risk task per company per period."""
    days = (as_of.astimezone(UTC).date() - _EPOCH).days
    return _EPOCH + timedelta(days=days - days % window_days)


def company_risks(card: Scorecard, settings: Settings, as_of: datetime) -> list[CompanyRisk]:
    """Each scored company's NPS now and in the window before, for the at-risk rule."""
    scoring = settings.scoring
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


def make_followup_step(client: HubSpotClient, ledger: Ledger, settings: Settings, log: Any) -> FollowupStep | None:
    """The follow-up step for `SyncRun` (None when follow-ups are disabled)."""
    if not settings.followup.enabled:
        return None
    runner = FollowupRunner(client, ledger, settings, log)

    def step(
        answers: list[AnswerRow],
        contacts: dict[str, ContactRow],
        companies: dict[str, Any],
        card: Scorecard,
        as_of: datetime,
        dry_run: bool,
    ) -> FollowupOutcome:
        aliases = ledger.aliases()
        resolved = [
            dataclasses.replace(a, contact_id=resolve_alias(a.contact_id, aliases)) if a.contact_id else a
            for a in answers
        ]
        risks = company_risks(card, settings, as_of) if settings.followup.at_risk_enabled else []
        result = runner.run(resolved, contacts, companies, as_of, dry_run=dry_run, company_risk=risks)
        return FollowupOutcome(
            created=0 if dry_run else len(result.created),
            planned=list(result.created) if dry_run else [],
            skipped=len(result.skipped),
            failed=list(result.failed),
            contact_state=dict(result.contact_state),
        )

    return step
