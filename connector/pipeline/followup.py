"""Follow-up tasks in HubSpot, exactly once: the I/O around the pure rules of `core.followup`.

HubSpot has no idempotency key for tasks and its search index lags, so (docs/exactly-once.md):

1. the intent is committed to the ledger before the create call, and confirmed right after it;
2. intents left unconfirmed (a crash, a lost answer) are reconciled at the start of every run by
   reading the contact's task associations (v4 batch read: not search-indexed) and those tasks'
   bodies, looking for the marker line `NPS feedback submission ID: <id>`;
3. an eligible answer the ledger knows nothing about (lost ledger, backfill) gets the same check,
   and a task found is adopted instead of created;
4. a create whose outcome is unknown is never retried blindly: it is reconciled at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from connector.config import Settings
from connector.core.at_risk import CompanyRisk, at_risk_task, plan_at_risk
from connector.core.followup import (
    Skip,
    TaskPlan,
    answer_task,
    contact_followup_state,
    eligible_answers,
    marker_keys,
    plan_followups,
)
from connector.core.records import chunked, id_order
from connector.core.values import format_datetime, parse_datetime
from connector.errors import HubSpotRequestError
from connector.hubspot import BATCH_SIZE, HubSpotClient, Record, TaskInput, WriteOutcomeUnknown
from connector.ledger import Ledger
from connector.model import AnswerRow, CompanyRow, ContactRow, FollowupStatus, TaskRow, TaskStatus
from connector.pipeline.progress import Progress

__all__ = ["FollowupResult", "FollowupRunner"]

RECONCILE_ROUNDS = 3  # uncertain creates: check, create what is missing, check again, then give up
TASK_PROPERTIES = ("hs_task_body", "hs_task_status", "hs_timestamp", "hubspot_owner_id")

AfterCreate = Callable[[Sequence[TaskPlan], Sequence[str]], None]


@dataclass
class FollowupResult:
    """What one follow-up pass did (in a dry run: `created` lists the tasks it would create)."""

    created: list[TaskPlan] = field(default_factory=list)
    adopted: int = 0
    confirmed: int = 0
    skipped: list[Skip] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    contact_state: dict[str, tuple[FollowupStatus, datetime]] = field(default_factory=dict)


def task_status(hs_task_status: str | None) -> TaskStatus:
    """HubSpot's task status as the connector's: COMPLETED is completed, anything else open."""
    return "completed" if (hs_task_status or "").upper() == "COMPLETED" else "open"


def task_input(plan: TaskPlan) -> TaskInput:
    """The batch-create input: associated with the contact (204) and the company (192)."""
    return TaskInput(properties=plan.properties(), contact_id=plan.contact_id, company_id=plan.company_id)


class TaskBook:
    """The ledger's task rows, read once per run and kept in step with every write made through it."""

    def __init__(self, ledger: Ledger, clock: Callable[[], datetime]) -> None:
        self._ledger = ledger
        self._clock = clock
        self.rows: dict[str, TaskRow] = {row.key: row for row in ledger.tasks()}

    def record_intents(self, plans: Sequence[TaskPlan]) -> None:
        """Commit intents before HubSpot is called (keys already present are left alone)."""
        fresh = [p for p in plans if p.key not in self.rows]
        self._ledger.record_task_intents([p.intent() for p in fresh])
        now = self._clock()
        for p in fresh:
            self.rows[p.key] = TaskRow(
                p.key, p.submission_id, "intent", None, p.contact_id, p.company_id, p.owner_id, p.due, now, kind=p.kind
            )

    def confirm(self, task_ids: Mapping[str, str]) -> None:
        """Intents created in HubSpot: key -> task id."""
        self._ledger.confirm_tasks(task_ids)
        now = self._clock()
        for key, task_id in task_ids.items():
            row = self.rows.get(key)
            if row is not None:
                self.rows[key] = dataclasses.replace(
                    row, state="created", task_id=task_id, created_at=now, status=row.status or "open"
                )

    def adopt(self, rows: Sequence[TaskRow]) -> None:
        """Tasks found in HubSpot that the ledger did not know."""
        self._ledger.adopt_tasks(rows)
        self.rows.update({row.key: row for row in rows})

    def drop(self, keys: Iterable[str]) -> None:
        """Forget intents known not to have landed."""
        keys = [k for k in keys if k in self.rows and self.rows[k].state == "intent"]
        self._ledger.drop_intents(keys)
        for key in keys:
            del self.rows[key]

    def set_status(self, statuses: Mapping[str, TaskStatus]) -> None:
        """Record HubSpot task statuses by task id."""
        self._ledger.set_task_status(statuses)
        for key, row in list(self.rows.items()):
            if row.task_id is not None and row.task_id in statuses:
                self.rows[key] = dataclasses.replace(row, status=statuses[row.task_id])


class FollowupRunner:
    """Creates, reconciles and tracks follow-up tasks for one run, with a HubSpot client and the ledger."""

    def __init__(
        self,
        client: HubSpotClient,
        ledger: Ledger,
        settings: Settings,
        log: Any = None,
        *,
        after_create: AfterCreate | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        progress: Progress | None = None,
    ) -> None:
        self._client = client
        self._ledger = ledger
        self._settings = settings
        self._log: Any = log if log is not None else structlog.get_logger("connector.followup")
        # Test seam: runs after a create call returned and before the ledger confirms it.
        self._after_create = after_create
        self._clock = clock
        self._progress = progress or Progress(self._log)

    # ------------------------------------------------------------------ the run

    def run(
        self,
        answers: Sequence[AnswerRow],
        contacts: Mapping[str, ContactRow],
        companies: Mapping[str, CompanyRow],
        as_of: datetime,
        dry_run: bool = False,
        company_risk: Sequence[CompanyRisk] = (),
    ) -> FollowupResult:
        """Reconcile, plan, create (unless dry run) and refresh statuses; answers' contacts already resolved."""
        result = FollowupResult()
        book = TaskBook(self._ledger, self._clock)
        answers_by_id = {a.submission_id: a for a in answers}
        pending = [row for row in book.rows.values() if row.state == "intent"]
        new_plans = self._plan(answers, contacts, companies, as_of, company_risk, set(book.rows), result)

        # One association sweep covers both: intents that may have landed, and answers the ledger
        # has no row for (a lost ledger) whose task may already exist.
        found = self._find_existing(
            {r.key for r in pending} | {p.key for p in new_plans},
            contact_ids=[*self._pending_contacts(pending, answers_by_id), *(p.contact_id for p in new_plans)],
            company_ids=[
                *(r.company_id for r in pending if r.kind == "at_risk"),
                *(p.company_id for p in new_plans if p.kind == "at_risk"),
            ],
        )
        landed = [r for r in pending if r.key in found]
        retry = self._replan_missing(
            [r for r in pending if r.key not in found], answers_by_id, contacts, companies, as_of, book, dry_run
        )
        adopt = [p for p in new_plans if p.key in found]
        create = [p for p in new_plans if p.key not in found]
        if dry_run:
            result.confirmed, result.adopted = len(landed), len(adopt)
            result.created = [*retry, *create]
        else:
            self._confirm_found(landed, found, book, result)
            self._adopt(adopt, found, book, result)
            # Committed before HubSpot is called: a crash from here on leaves a pending intent.
            book.record_intents(create)
            todo = [*retry, *create]
            with self._progress.phase("tasks", total=len(todo)) as phase:
                for batch in chunked(todo, BATCH_SIZE):
                    self._create_batch(batch, book, result)
                    phase.advance(len(batch))
        result.contact_state = self._contact_state(answers, book, result, dry_run)
        return result

    def _plan(
        self,
        answers: Sequence[AnswerRow],
        contacts: Mapping[str, ContactRow],
        companies: Mapping[str, CompanyRow],
        as_of: datetime,
        company_risk: Sequence[CompanyRisk],
        known: set[str],
        result: FollowupResult,
    ) -> list[TaskPlan]:
        cfg, scoring = self._settings.followup, self._settings.scoring
        if not cfg.enabled:
            return []
        eligible, skips = eligible_answers(
            answers, contacts, cfg, as_of, nps_types=scoring.survey_types, nps_survey_ids=scoring.survey_ids
        )
        risky = cfg.at_risk_enabled and bool(company_risk)
        # The owners list is only worth a call when something new may need an owner.
        needs_owners = risky or any(a.submission_id not in known for a in eligible)
        active = {o.id for o in self._client.list_owners() if not o.archived} if needs_owners else set()
        portal = self._settings.hubspot.portal_id
        plans, more_skips = plan_followups(eligible, contacts, companies, active, known, cfg, as_of, portal_id=portal)
        skips += more_skips
        if risky:
            plans += plan_at_risk(
                company_risk,
                companies,
                active,
                known,
                cfg,
                as_of,
                detractor_below=scoring.company_detractor_below,
                promoter_at=scoring.company_promoter_at,
                portal_id=portal,
            )
        for skip in skips:
            self._log.info(
                "followup.skipped", submission_id=skip.submission_id, contact_id=skip.contact_id, reason=skip.reason
            )
        result.skipped.extend(skips)
        return plans

    def _pending_contacts(self, pending: Sequence[TaskRow], answers_by_id: Mapping[str, AnswerRow]) -> list[str]:
        # The contact the task was made for, and the answer's contact now (it may have been merged).
        ids: list[str] = []
        for row in pending:
            if row.kind != "answer" or row.submission_id is None:
                continue
            answer = answers_by_id.get(row.submission_id)
            ids += [i for i in (row.contact_id, answer.contact_id if answer else None) if i]
        return ids

    def _replan_missing(
        self,
        rows: Sequence[TaskRow],
        answers_by_id: Mapping[str, AnswerRow],
        contacts: Mapping[str, ContactRow],
        companies: Mapping[str, CompanyRow],
        as_of: datetime,
        book: TaskBook,
        dry_run: bool,
    ) -> list[TaskPlan]:
        """Intents known not to have landed, as plans again: same key, owner, company, due; text afresh."""
        plans: list[TaskPlan] = []
        dropped: list[str] = []
        for row in rows:
            plan = self._replan(row, answers_by_id, contacts, companies, as_of)
            if plan is None:
                # Its answer or contact is gone, and HubSpot has no task for it: nothing to create.
                dropped.append(row.key)
                self._log.warning("followup.intent_dropped", key=row.key, contact_id=row.contact_id)
            else:
                plans.append(plan)
        if dropped and not dry_run:
            book.drop(dropped)
        return plans

    def _replan(
        self,
        row: TaskRow,
        answers_by_id: Mapping[str, AnswerRow],
        contacts: Mapping[str, ContactRow],
        companies: Mapping[str, CompanyRow],
        as_of: datetime,
    ) -> TaskPlan | None:
        if row.kind == "at_risk":
            company = companies.get(row.company_id or "")
            return None if company is None else at_risk_task(row.key, company, row.owner_id, row.due_at)
        answer = answers_by_id.get(row.submission_id or "")
        contact = contacts.get(answer.contact_id or "") if answer else None
        if answer is None or contact is None or not contact.exists:
            return None
        company = companies.get(row.company_id) if row.company_id else None
        cfg, portal = self._settings.followup, self._settings.hubspot.portal_id
        return answer_task(answer, contact, company, row.owner_id, cfg, as_of, portal, due=row.due_at)

    # ------------------------------------------------------------------ finding tasks in HubSpot

    def _find_existing(
        self, keys: set[str], *, contact_ids: Iterable[str | None], company_ids: Iterable[str | None]
    ) -> dict[str, Record]:
        """Connector tasks already in HubSpot for these keys (association batch reads, never search)."""
        if not keys:
            return {}
        task_ids: set[str] = set()
        for from_type, ids in (("contacts", contact_ids), ("companies", company_ids)):
            anchors = sorted({i for i in ids if i}, key=id_order)
            if anchors:
                for targets in self._client.associations(from_type, "tasks", anchors).values():
                    task_ids.update(t.to_id for t in targets)
        if not task_ids:
            return {}
        records = self._client.batch_read("tasks", sorted(task_ids, key=id_order), TASK_PROPERTIES).records
        found: dict[str, Record] = {}
        for record in sorted(records, key=lambda r: id_order(r.id)):
            for key in marker_keys(record.properties.get("hs_task_body")) & keys:
                if key in found:
                    # Made by hand or by something else; keep the oldest, never delete anyone's task.
                    self._log.warning("followup.duplicate_task", key=key, task_id=record.id, kept=found[key].id)
                    continue
                found[key] = record
        return found

    def _find_plans(self, plans: Sequence[TaskPlan]) -> dict[str, Record]:
        return self._find_existing(
            {p.key for p in plans},
            contact_ids=[p.contact_id for p in plans if p.kind == "answer"],
            company_ids=[p.company_id for p in plans if p.kind == "at_risk"],
        )

    def _confirm_found(
        self, rows: Sequence[TaskRow], found: Mapping[str, Record], book: TaskBook, result: FollowupResult
    ) -> None:
        if not rows:
            return
        book.confirm({r.key: found[r.key].id for r in rows})
        book.set_status({found[r.key].id: task_status(found[r.key].properties.get("hs_task_status")) for r in rows})
        for row in rows:
            self._log.info("followup.intent_confirmed", key=row.key, task_id=found[row.key].id)
        result.confirmed += len(rows)

    def _adopt(
        self, plans: Sequence[TaskPlan], found: Mapping[str, Record], book: TaskBook, result: FollowupResult
    ) -> None:
        if not plans:
            return
        now = self._clock()
        rows = []
        for plan in plans:
            record = found[plan.key]
            due = parse_datetime(record.properties.get("hs_timestamp") or "") or plan.due
            rows.append(
                TaskRow(
                    key=plan.key,
                    submission_id=plan.submission_id,
                    state="created",
                    task_id=record.id,
                    contact_id=plan.contact_id,
                    company_id=plan.company_id,
                    owner_id=record.properties.get("hubspot_owner_id") or None,
                    due_at=due,
                    intent_at=now,
                    created_at=record.created_at or now,
                    status=task_status(record.properties.get("hs_task_status")),
                    kind=plan.kind,
                )
            )
            self._log.info("followup.task_adopted", key=plan.key, contact_id=plan.contact_id, task_id=record.id)
        book.adopt(rows)
        result.adopted += len(rows)

    # ------------------------------------------------------------------ creating

    def _create_batch(
        self, batch: Sequence[TaskPlan], book: TaskBook, result: FollowupResult, rounds: int = RECONCILE_ROUNDS
    ) -> None:
        """Create one batch (at most 100), confirming it as soon as HubSpot answers."""
        try:
            ids = self._client.create_tasks([task_input(p) for p in batch])
        except WriteOutcomeUnknown as exc:
            self._log.warning("followup.write_outcome_unknown", keys=[p.key for p in batch], error=str(exc))
            self._settle(batch, book, result, rounds - 1)
            return
        except HubSpotRequestError as exc:
            if len(batch) > 1:
                # A refused batch was applied to none of its inputs; find the bad one(s) alone.
                for plan in batch:
                    self._create_batch([plan], book, result, rounds)
                return
            self._fail(batch[0], str(exc), book, result)
            return
        if self._after_create is not None:
            self._after_create(batch, ids)
        book.confirm({p.key: task_id for p, task_id in zip(batch, ids, strict=True)})
        for plan, task_id in zip(batch, ids, strict=True):
            self._created(plan, task_id, result)

    def _settle(self, batch: Sequence[TaskPlan], book: TaskBook, result: FollowupResult, rounds: int) -> None:
        """After an uncertain create: confirm what landed; create the rest only once it is known missing."""
        found = self._find_plans(batch)
        landed = [p for p in batch if p.key in found]
        if landed:
            book.confirm({p.key: found[p.key].id for p in landed})
            for plan in landed:
                self._created(plan, found[plan.key].id, result)
        missing = [p for p in batch if p.key not in found]
        if not missing:
            return
        if rounds <= 0:
            # Left as pending intents: the next run reconciles them before anything else.
            for plan in missing:
                self._log.error("followup.task_uncertain", key=plan.key, contact_id=plan.contact_id)
            result.failed.extend(p.key for p in missing)
            return
        self._create_batch(missing, book, result, rounds)

    def _created(self, plan: TaskPlan, task_id: str, result: FollowupResult) -> None:
        result.created.append(plan)
        self._log.info(
            "followup.task_created",
            key=plan.key,
            kind=plan.kind,
            submission_id=plan.submission_id,
            contact_id=plan.contact_id,
            company_id=plan.company_id,
            owner_id=plan.owner_id,
            due=format_datetime(plan.due),
            task_id=task_id,
        )

    def _fail(self, plan: TaskPlan, error: str, book: TaskBook, result: FollowupResult) -> None:
        # HubSpot refused it, so nothing was created: drop the intent and let the next run try again.
        book.drop([plan.key])
        result.failed.append(plan.key)
        self._log.error("followup.task_failed", key=plan.key, contact_id=plan.contact_id, error=error)

    # ------------------------------------------------------------------ follow-up state per contact

    def _contact_state(
        self, answers: Sequence[AnswerRow], book: TaskBook, result: FollowupResult, dry_run: bool
    ) -> dict[str, tuple[FollowupStatus, datetime]]:
        """Refresh the statuses of open tasks from HubSpot, then each contact's follow-up state."""
        # Tasks created in this run are open by construction: no need to read them back.
        made = {p.key for p in result.created}
        open_ids = [
            r.task_id
            for r in book.rows.values()
            if r.kind == "answer" and r.state == "created" and r.task_id and r.status == "open" and r.key not in made
        ]
        statuses: dict[str, TaskStatus] = {}
        if open_ids:
            read = self._client.batch_read("tasks", open_ids, ["hs_task_status"])
            statuses = {rec.id: task_status(rec.properties.get("hs_task_status")) for rec in read.records}
            # Archived (deleted) tasks are not returned by batch read: they no longer count.
            statuses.update({task_id: "deleted" for task_id in open_ids if task_id not in statuses})
            changed = {task_id: s for task_id, s in statuses.items() if s != "open"}
            if changed and not dry_run:
                book.set_status(changed)  # deleted ones are never read again
        planned = {p.key: p for p in result.created} if dry_run else {}
        return contact_followup_state(answers, book.rows, statuses, planned)
