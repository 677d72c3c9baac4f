"""The rows every layer shares: answers, contacts, companies, follow-up tasks.

Plain frozen dataclasses with timezone-aware UTC datetimes. The ledger stores them, the pull
builds them from HubSpot records, the core scores them; none of them knows about I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

TaskState = Literal["intent", "created"]
TaskStatus = Literal["open", "completed", "deleted"]  # deleted: gone from HubSpot, never read again
TaskKind = Literal["answer", "at_risk"]
FollowupStatus = Literal["open", "completed"]  # as written to the contact


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One feedback submission as pulled from HubSpot (valid or not: scoring decides)."""

    submission_id: str
    contact_id: str | None
    survey_type: str
    survey_id: str
    survey_name: str
    raw_value: str | None
    submitted_at: datetime
    modified_at: datetime
    content: str = ""


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A contact as last seen in HubSpot; `exists` is False once HubSpot says it is gone."""

    contact_id: str
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    owner_id: str | None = None
    company_id: str | None = None
    exists: bool = True
    updated_at: datetime | None = None
    role: str | None = None  # the value of `scoring.weight_property` (HubSpot's `hs_buying_role`)


@dataclass(frozen=True, slots=True)
class CompanyRow:
    """A company as last seen in HubSpot."""

    company_id: str
    name: str | None = None
    owner_id: str | None = None
    contact_count: int | None = None  # contacts associated with the company, for coverage


@dataclass(frozen=True, slots=True)
class TaskIntent:
    """A follow-up task about to be created.

    `key` identifies it in the ledger and in the task body's marker line: the submission id for an
    answer's task, `at_risk:<company>:<window start>` for a company at risk (no submission).
    """

    key: str
    submission_id: str | None
    contact_id: str | None
    due_at: datetime
    company_id: str | None = None
    owner_id: str | None = None
    kind: TaskKind = "answer"


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A follow-up task in the ledger: intended (`state='intent'`) or confirmed created in HubSpot."""

    key: str
    submission_id: str | None
    state: TaskState
    task_id: str | None
    contact_id: str | None
    company_id: str | None
    owner_id: str | None
    due_at: datetime
    intent_at: datetime
    created_at: datetime | None = None
    status: TaskStatus | None = None
    kind: TaskKind = "answer"
