"""Desired values against current ones: only what changed semantically goes to HubSpot (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from connector.config import PropertyNames
from connector.core.scorecard import Scorecard, followup_values
from connector.core.values import same_value
from connector.model import FollowupStatus


def diff_values(
    desired: Mapping[str, Mapping[str, str]],
    current: Mapping[str, Mapping[str, str | None]],
    kinds: Mapping[str, str],
) -> dict[str, dict[str, str]]:
    """Per record id, the desired properties that differ semantically from current; unchanged omitted.

    A record or property missing from `current` counts as empty, so clearing what was never written
    sends nothing. A property missing from `kinds` is compared as an exact string.
    """
    changes: dict[str, dict[str, str]] = {}
    for record_id, values in desired.items():
        now = current.get(record_id, {})
        changed = {
            name: value
            for name, value in values.items()
            if not same_value(kinds.get(name, "string"), value, now.get(name))
        }
        if changed:
            changes[record_id] = changed
    return changes


@dataclass(frozen=True)
class ValuePlan:
    """What the push writes: the desired values per record, and the changed ones among them."""

    contact_desired: dict[str, dict[str, str]]
    company_desired: dict[str, dict[str, str]]
    contact_updates: dict[str, dict[str, str]]
    company_updates: dict[str, dict[str, str]]


def plan_values(
    card: Scorecard,
    followup_state: Mapping[str, tuple[FollowupStatus, datetime]] | None,
    contact_current: Mapping[str, Mapping[str, str | None]],
    company_current: Mapping[str, Mapping[str, str | None]],
    kinds: Mapping[str, str],
    names: PropertyNames,
) -> ValuePlan:
    """Desired values (follow-up state included when follow-ups run) and their diff against current ones."""
    contact_desired = {cid: dict(values) for cid, values in card.contact_values.items()}
    if followup_state is not None:
        for cid, values in contact_desired.items():
            status, due = followup_state.get(cid, (None, None))
            values.update(followup_values(status, due, names))
    return ValuePlan(
        contact_desired=contact_desired,
        company_desired=card.company_values,
        contact_updates=diff_values(contact_desired, contact_current, kinds),
        company_updates=diff_values(card.company_values, company_current, kinds),
    )
