"""Follow-up task rules, pure: eligibility, owner routing, business-day due dates, templates, markers.

No I/O here: `connector.pipeline.followup` feeds these functions what it read from the ledger and
HubSpot and does the writing. Every task body ends with a marker line naming its key
(`NPS feedback submission ID: <id>` for answers, `NPS company at-risk key: <key>` for companies),
which is how a task is found again in HubSpot when the ledger cannot say whether it exists.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from connector.config import TEMPLATE_FIELDS, FollowupSettings
from connector.core.records import id_order
from connector.core.scorecard import is_nps_answer
from connector.core.scoring import Category, nps_category, parse_nps_value
from connector.core.values import format_datetime, truncate_to_ms
from connector.model import AnswerRow, CompanyRow, ContactRow, FollowupStatus, TaskIntent, TaskKind, TaskRow, TaskStatus

ANSWER_MARKER = "NPS feedback submission ID: "
AT_RISK_MARKER = "NPS company at-risk key: "
# A whole line, the key running to its end: "…ID: 40" never matches a line about 401.
_MARKER_LINE = re.compile(r"(NPS feedback submission ID|NPS company at-risk key): (\S+)")
# HubSpot keeps task notes as rich text, so a body may come back as HTML: these tags end lines.
_HTML_BREAK = re.compile(r"<br\s*/?>|</?(?:p|div|li|ul|ol|h[1-6])\b[^>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]+>")

# The record URL shape HubSpot's app uses for a feedback submission (object type 0-19). The API
# notes call this "the common record URL shape" and it is unconfirmed by HubSpot's docs.
RECORD_URL = "https://app.hubspot.com/contacts/{portal_id}/record/{object_type}/{record_id}"

SkipReason = Literal["no_contact", "contact_missing", "no_owner", "template_error"]


@dataclass(frozen=True)
class TaskPlan:
    """One follow-up task to create (or adopt): its ledger key, links, owner, due date and text."""

    key: str
    submission_id: str | None
    contact_id: str | None
    company_id: str | None
    owner_id: str | None
    due: datetime
    subject: str
    body: str
    kind: TaskKind = "answer"

    def properties(self) -> dict[str, str]:
        """The HubSpot task properties."""
        props = {
            "hs_task_subject": self.subject,
            "hs_task_body": self.body,
            "hs_task_priority": "HIGH",
            "hs_task_status": "NOT_STARTED",
            "hs_task_type": "TODO",
            "hs_timestamp": format_datetime(self.due),
        }
        if self.owner_id:
            props["hubspot_owner_id"] = self.owner_id
        return props

    def intent(self) -> TaskIntent:
        """The ledger intent recorded before the create call."""
        return TaskIntent(
            key=self.key,
            submission_id=self.submission_id,
            contact_id=self.contact_id,
            due_at=self.due,
            company_id=self.company_id,
            owner_id=self.owner_id,
            kind=self.kind,
        )


@dataclass(frozen=True)
class Skip:
    """An eligible answer that gets no task, and why."""

    submission_id: str
    contact_id: str | None
    reason: SkipReason


# ---------------------------------------------------------------- markers


def marker_line(key: str, kind: TaskKind = "answer") -> str:
    """The line that ends every connector task body and identifies its ledger key."""
    return f"{ANSWER_MARKER if kind == 'answer' else AT_RISK_MARKER}{key}"


def body_lines(body: str) -> list[str]:
    """A task body as plain-text lines (HTML line-ending tags become line breaks, other tags go)."""
    text = _HTML_TAG.sub("", _HTML_BREAK.sub("\n", body))
    return [html.unescape(line).strip() for line in text.splitlines()]


def marker_keys(body: str | None) -> set[str]:
    """The ledger keys named by exact marker lines of a task body (none when there is no body)."""
    keys: set[str] = set()
    for line in body_lines(body or ""):
        match = _MARKER_LINE.fullmatch(line)
        if match:
            keys.add(match.group(2))
    return keys


def _defuse_markers(text: str) -> str:
    # A comment or custom template must never pose as another answer's marker line.
    lines = text.split("\n")
    return "\n".join(f"> {line}" if _MARKER_LINE.fullmatch(line.strip()) else line for line in lines)


def with_marker(text: str, key: str, kind: TaskKind = "answer") -> str:
    """The body: the rendered text with any marker look-alike defused, then the marker as last line."""
    head = _defuse_markers(text).rstrip()
    marker = marker_line(key, kind)
    return f"{head}\n\n{marker}" if head else marker


# ---------------------------------------------------------------- eligibility


def eligible_answers(
    answers: Iterable[AnswerRow],
    contacts: Mapping[str, ContactRow],
    settings: FollowupSettings,
    as_of: datetime,
    *,
    nps_types: Collection[str] = ("NPS",),
    nps_survey_ids: Collection[str] = (),
) -> tuple[list[AnswerRow], list[Skip]]:
    """Answers that call for a task (valid, in category, recent, contact exists), and those skipped."""
    oldest = as_of - timedelta(days=settings.max_answer_age_days)
    wanted: set[Category] = {"detractor", "passive"} if settings.include_passives else {"detractor"}
    chosen: list[AnswerRow] = []
    skips: list[Skip] = []
    for answer in answers:
        if not is_nps_answer(answer, nps_types, nps_survey_ids):
            continue
        score = parse_nps_value(answer.raw_value)
        if score is None or nps_category(score) not in wanted:
            continue
        if not oldest <= answer.submitted_at <= as_of:
            continue
        if answer.contact_id is None:
            skips.append(Skip(answer.submission_id, None, "no_contact"))
            continue
        contact = contacts.get(answer.contact_id)
        if contact is None or not contact.exists:
            skips.append(Skip(answer.submission_id, answer.contact_id, "contact_missing"))
            continue
        chosen.append(answer)
    chosen.sort(key=lambda a: (a.submitted_at, id_order(a.submission_id)))
    return chosen, skips


# ---------------------------------------------------------------- owners and due dates


def route_owner(candidates: Sequence[str | None], active_owner_ids: Collection[str]) -> str | None:
    """The first candidate owner id that is an active HubSpot owner; None means unassigned."""
    for owner_id in candidates:
        # Archived (deactivated) and unknown owners cannot take work: fall through to the next in line.
        if owner_id and owner_id in active_owner_ids:
            return owner_id
    return None


def add_business_days(start: datetime, days: int, zone: ZoneInfo, holidays: Collection[date] = ()) -> datetime:
    """`start` plus `days` business days counted in `zone` (no weekends, no holidays), same wall time."""
    if start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    local = start.astimezone(zone)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            remaining -= 1
    # Same wall-clock time on the target day, whatever DST did in between. fold=0: an ambiguous
    # time is its first occurrence, and a time in a spring-forward gap reads with the offset before
    # it (so it lands as much later as the gap is long).
    wall = datetime.combine(day, local.time().replace(fold=0), tzinfo=zone)
    return wall.astimezone(UTC)


def due_date(submitted_at: datetime, as_of: datetime, settings: FollowupSettings) -> datetime:
    """The answer's time plus due_in_business_days in the follow-up zone, but never before as-of."""
    due = add_business_days(submitted_at, settings.due_in_business_days, settings.zone, settings.holidays)
    # The ledger and HubSpot keep milliseconds; a due date must read back equal to the planned one.
    return truncate_to_ms(max(due, as_of.astimezone(UTC)))


# ---------------------------------------------------------------- text


def record_link(portal_id: str, object_type: str, record_id: str) -> str:
    """A link to a record in the HubSpot app, or "" without a portal id (unconfirmed URL shape)."""
    if not portal_id:
        return ""
    return RECORD_URL.format(portal_id=portal_id, object_type=object_type, record_id=record_id)


def contact_name(contact: ContactRow) -> str:
    """The contact's full name, else its email, else a description with its id."""
    name = " ".join(part.strip() for part in (contact.firstname, contact.lastname) if part and part.strip())
    return name or (contact.email or "").strip() or f"contact {contact.contact_id}"


def template_fields(
    answer: AnswerRow,
    contact: ContactRow,
    company: CompanyRow | None,
    score: int,
    settings: FollowupSettings,
    portal_id: str,
) -> dict[str, Any]:
    """Every TEMPLATE_FIELDS value for one answer (score stays an int so `{score:d}` works)."""
    submitted = answer.submitted_at.astimezone(settings.zone)
    fields: dict[str, Any] = {
        "contact_name": contact_name(contact),
        "firstname": contact.firstname or "",
        "lastname": contact.lastname or "",
        "email": contact.email or "",
        "score": score,
        "category": nps_category(score),
        "comment": answer.content.strip(),
        "survey_name": answer.survey_name,
        "survey_type": answer.survey_type,
        "survey_id": answer.survey_id,
        "submission_id": answer.submission_id,
        "submitted_at": submitted.strftime("%Y-%m-%d %H:%M %Z"),
        "link": record_link(portal_id, "0-19", answer.submission_id),
        "company_name": (company.name or "") if company else "",
    }
    missing = TEMPLATE_FIELDS - fields.keys()
    if missing:  # config.TEMPLATE_FIELDS grew without this function: fail loudly, not per task
        raise RuntimeError(f"template fields not supplied: {', '.join(sorted(missing))}")
    return fields


def render(template: str, fields: Mapping[str, Any]) -> str:
    """`str.format` a template with the given fields (no positional fields, no attribute surprises)."""
    return string.Formatter().vformat(template, (), dict(fields))


# ---------------------------------------------------------------- planning


def plan_followups(
    eligible: Sequence[AnswerRow],
    contacts: Mapping[str, ContactRow],
    companies: Mapping[str, CompanyRow],
    active_owner_ids: Collection[str],
    known_keys: Collection[str],
    settings: FollowupSettings,
    as_of: datetime,
    *,
    portal_id: str = "",
) -> tuple[list[TaskPlan], list[Skip]]:
    """Tasks for the `eligible_answers` whose key is not in `known_keys`, and those skipped (no owner, bad template)."""
    plans: list[TaskPlan] = []
    skips: list[Skip] = []
    for answer in eligible:
        if answer.submission_id in known_keys:
            continue
        contact = contacts[answer.contact_id or ""]
        company = companies.get(contact.company_id) if contact.company_id else None
        owner = route_owner(
            (contact.owner_id, company.owner_id if company else None, settings.default_owner_id), active_owner_ids
        )
        if owner is None and settings.skip_without_owner:
            skips.append(Skip(answer.submission_id, contact.contact_id, "no_owner"))
            continue
        plan = answer_task(answer, contact, company, owner, settings, as_of, portal_id)
        if plan is None:
            skips.append(Skip(answer.submission_id, contact.contact_id, "template_error"))
            continue
        plans.append(plan)
    return plans, skips


def answer_task(
    answer: AnswerRow,
    contact: ContactRow,
    company: CompanyRow | None,
    owner_id: str | None,
    settings: FollowupSettings,
    as_of: datetime,
    portal_id: str = "",
    *,
    due: datetime | None = None,
) -> TaskPlan | None:
    """The task for one answer (None when its template cannot be rendered or the value is invalid)."""
    score = parse_nps_value(answer.raw_value)
    if score is None:
        return None
    subject_template, body_template = settings.templates_for(answer.survey_id)
    fields = template_fields(answer, contact, company, score, settings, portal_id)
    try:
        subject = render(subject_template, fields)
        text = render(body_template, fields)
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        return None  # e.g. "{score:%}" is a valid template but no valid format for an int
    return TaskPlan(
        key=answer.submission_id,
        submission_id=answer.submission_id,
        contact_id=contact.contact_id,
        company_id=company.company_id if company else None,
        owner_id=owner_id,
        due=due if due is not None else due_date(answer.submitted_at, as_of, settings),
        # HubSpot shows the subject on one line; a newline from a template or comment would be lost.
        subject=" ".join(subject.split()),
        body=with_marker(text, answer.submission_id),
    )


# ---------------------------------------------------------------- follow-up state per contact


def contact_followup_state(
    answers: Iterable[AnswerRow],
    tasks: Mapping[str, TaskRow],
    statuses: Mapping[str, TaskStatus],
    planned: Mapping[str, TaskPlan] | None = None,
) -> dict[str, tuple[FollowupStatus, datetime]]:
    """contact id -> (status, due) of the task of the contact's latest answer that has one.

    `tasks` are the ledger's task rows by key, `statuses` what HubSpot says now by task id
    (overriding the ledger's), `planned` the tasks a dry run would create by key. Deleted tasks
    do not count; archived answers' contacts are already resolved to the survivor.
    """
    planned = planned or {}
    state: dict[str, tuple[FollowupStatus, datetime]] = {}
    for answer in sorted(answers, key=lambda a: (a.submitted_at, id_order(a.submission_id)), reverse=True):
        contact_id = answer.contact_id
        if contact_id is None or contact_id in state:
            continue
        row = tasks.get(answer.submission_id)
        if row is not None and row.kind == "answer" and row.state == "created" and row.task_id:
            status = statuses.get(row.task_id, row.status)
            if status != "deleted":
                state[contact_id] = ("completed" if status == "completed" else "open", row.due_at)
                continue
        plan = planned.get(answer.submission_id)
        if plan is not None and plan.kind == "answer":
            state[contact_id] = ("open", plan.due)
    return state
