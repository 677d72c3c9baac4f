"""One run, in one direction: lock -> pull -> score -> follow up -> plan values -> push -> cursors.

Each stage hands the next a typed value (`Pulled`, `Scorecard`, `FollowupResult`, `ValuePlan`,
`PushResult`). Tasks are created before the value push, so the follow-up status written on a
contact always describes a task that exists. The cursors advance only after the push.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from connector.config import Settings
from connector.core.at_risk import company_risks
from connector.core.diff import ValuePlan, plan_values
from connector.core.properties import property_kinds
from connector.core.scorecard import Scorecard, build_scorecard, is_scored_answer, resolve_answers
from connector.core.values import to_ms
from connector.hubspot import HubSpotClient, RecordFailure
from connector.ledger import Ledger
from connector.model import AnswerRow, CompanyRow, ContactRow
from connector.pipeline.followup import FollowupResult, FollowupRunner
from connector.pipeline.progress import Display, Progress
from connector.pipeline.pull import ContactRefresh, Puller, answer_row, modified_ms, survey_groups
from connector.pipeline.push import Pusher, PushResult

SUBMISSIONS_CURSOR = "submissions_modified_ms"
CONTACTS_CURSOR = "contacts_modified_ms"

Mode = Literal["sync", "backfill"]
Values = Mapping[str, Mapping[str, str | None]]


@dataclass(frozen=True)
class RunOptions:
    """What one run does: incremental or backfill, as of when, and whether it writes."""

    mode: Mode
    as_of: datetime
    since: datetime | None = None
    until: datetime | None = None
    dry_run: bool = False


@dataclass
class Pulled:
    """What the pull stage hands on: every answer (contacts resolved), contacts, companies, current values."""

    answers: list[AnswerRow]
    contacts: dict[str, ContactRow]
    companies: dict[str, CompanyRow]
    contact_current: Values
    company_current: Values
    known_companies: set[str]
    full: bool  # HubSpot's current values were read (backfill), not the ledger's record of them
    pulled: int = 0
    new_ids: set[str] = field(default_factory=set)
    submissions_cursor: int | None = None  # the next submissions cursor, set after the push


@dataclass
class RunReport:
    """The outcome of one run, for the summary line, the ledger's run table and the exit code."""

    mode: Mode
    as_of: datetime
    dry_run: bool
    pulled: int = 0
    new_answers: int = 0
    invalid: int = 0
    anonymous: int = 0
    orphaned: int = 0
    contacts_scored: int = 0
    companies_scored: int = 0
    contact_updates: dict[str, dict[str, str]] = field(default_factory=dict)
    company_updates: dict[str, dict[str, str]] = field(default_factory=dict)
    before: dict[str, dict[str, dict[str, str | None]]] = field(default_factory=dict)
    failures: list[RecordFailure] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)  # records HubSpot confirmed, per object type
    followup: FollowupResult = field(default_factory=FollowupResult)
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """1 when some records failed (each one logged), else 0."""
        return 1 if self.failures or self.followup.failed else 0

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary for logs and the ledger."""
        tasks = len(self.followup.created)
        return {
            "mode": self.mode,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "pulled": self.pulled,
            "new_answers": self.new_answers,
            "invalid_answers": self.invalid,
            "anonymous_answers": self.anonymous,
            "orphaned_answers": self.orphaned,
            "contacts_scored": self.contacts_scored,
            "companies_scored": self.companies_scored,
            # Planned in a dry run; otherwise only what HubSpot confirmed (a failed record is not "updated").
            "contacts_updated": len(self.contact_updates) if self.dry_run else self.applied.get("contacts", 0),
            "companies_updated": len(self.company_updates) if self.dry_run else self.applied.get("companies", 0),
            "failed_records": len(self.failures),
            "tasks_created": 0 if self.dry_run else tasks,
            "tasks_planned": tasks if self.dry_run else 0,
            "tasks_failed": len(self.followup.failed),
            "api_calls": sum(self.calls.values()),
        }


class SyncRun:
    """Runs `sync` or `backfill` against one portal and one ledger."""

    def __init__(
        self, settings: Settings, client: HubSpotClient, ledger: Ledger, log: Any, display: Display | None = None
    ) -> None:
        self.settings = settings
        self.client = client
        self.ledger = ledger
        self.log = log
        self.progress = Progress(log, display=display)
        self.puller = Puller(client, settings.properties, log, self.progress, settings.scoring.weight_property)
        self.kinds = property_kinds(settings.properties)

    def execute(self, opts: RunOptions) -> RunReport:
        """Run once under the ledger lock; raises ConnectorError subclasses on fatal errors."""
        with self.ledger.lock():
            run_id = self.ledger.start_run(opts.mode + (" --dry-run" if opts.dry_run else ""))
            started = datetime.now(UTC)
            mode: Mode = opts.mode
            if mode == "sync" and self.ledger.get_cursor(SUBMISSIONS_CURSOR) is None:
                self.log.info("sync.first_run", detail="no cursor in the ledger yet: this run is a backfill")
                mode = "backfill"
            report = RunReport(mode=mode, as_of=opts.as_of, dry_run=opts.dry_run)
            try:
                pulled = self._pull_backfill(opts) if mode == "backfill" else self._pull_incremental()
                report.pulled, report.new_answers = pulled.pulled, len(pulled.new_ids)
                card = self._score(pulled, opts, report)
                if self.settings.followup.enabled:
                    report.followup = self._follow_up(pulled, card, opts)
                state = report.followup.contact_state if self.settings.followup.enabled else None
                values = plan_values(
                    card, state, pulled.contact_current, pulled.company_current, self.kinds, self.settings.properties
                )
                self._report_plan(values, pulled, report, opts.dry_run)
                if not opts.dry_run:
                    pushed = Pusher(self.client, self.ledger, self.log, self.progress).push(values, full=pulled.full)
                    report.failures, report.applied = pushed.failures, pushed.updated
                    self._advance_cursors(pulled, pushed, started)
            except BaseException:
                self.ledger.finish_run(run_id, -1, {"mode": mode, "error": "run failed"})
                raise
            report.calls = dict(self.client.stats)
            self.ledger.finish_run(run_id, report.exit_code, report.summary())
            return report

    # ----- pull

    def _pull_backfill(self, opts: RunOptions) -> Pulled:
        rows, plan = self.puller.backfill_submissions(survey_groups(self.settings.scoring), opts.since, opts.until)
        in_range = [r for r in rows if _in_range(r.submitted_at, opts.since, opts.until)]
        with self.ledger.transaction():
            self.ledger.delete_answers_submitted_between(opts.since, opts.until)
            self.ledger.upsert_answers(in_range)
        self.log.info("pull.backfill", plan=plan, read=len(rows), in_range=len(in_range))

        answers = self.ledger.answers()
        aliases = self.ledger.aliases()
        answering = {a.contact_id for a in resolve_answers(answers, aliases) if a.contact_id and self._is_scored(a)}
        refresh = self.puller.contacts(answering)
        self._store_contacts(refresh)
        contacts = self.ledger.contacts()
        written_companies = self.ledger.written_values("companies")
        company_ids = {c.company_id for c in contacts.values() if c.company_id and c.exists} | set(written_companies)
        company_rows, company_current = self.puller.companies(company_ids)
        self.ledger.upsert_companies(list(company_rows.values()))
        max_modified = max((r.modified_at for r in rows), default=None)
        return Pulled(
            answers=resolve_answers(answers, self.ledger.aliases()),
            contacts=contacts,
            companies=self.ledger.companies(),
            contact_current=refresh.current,
            company_current=company_current,
            known_companies=set(company_rows),
            full=True,
            pulled=len(rows),
            new_ids={r.submission_id for r in in_range},
            submissions_cursor=None if max_modified is None else to_ms(max_modified),
        )

    def _pull_incremental(self) -> Pulled:
        lookback = timedelta(minutes=self.settings.sync.lookback_minutes)
        cursor_ms = int(self.ledger.get_cursor(SUBMISSIONS_CURSOR) or "0")
        since = datetime.fromtimestamp(cursor_ms / 1000, tz=UTC) - lookback
        changed = self.puller.changed_submissions(since, survey_groups(self.settings.scoring))
        known = {a.submission_id: a for a in self.ledger.answers()}  # read once: 100,000s of rows
        fresh = [
            r for r in changed if r.id not in known or modified_ms(r) not in (None, to_ms(known[r.id].modified_at))
        ]
        new_rows: list[AnswerRow] = []
        if fresh:
            links = self.puller.submission_contacts([r.id for r in fresh])
            new_rows = [row for r in fresh if (row := answer_row(r, links.get(r.id))) is not None]
            self.ledger.upsert_answers(new_rows)
        max_modified = max((to_ms(a.modified_at) for a in new_rows), default=None)

        seen = self.ledger.contacts()
        touched = self.puller.changed_contacts(int(self.ledger.get_cursor(CONTACTS_CURSOR) or "0"), seen)
        deleted = self.puller.deleted_contacts(seen)
        if deleted:
            self._store_contacts(ContactRefresh(missing=deleted))
        stored = list({**known, **{r.submission_id: r for r in new_rows}}.values())
        answers = resolve_answers(stored, self.ledger.aliases())
        # Contacts of new answers, contacts changed by others, and contacts never read (a run that
        # died between storing answers and reading their contacts).
        new_ids = {r.submission_id for r in new_rows}
        to_refresh = {a.contact_id for a in answers if a.contact_id and a.submission_id in new_ids} | touched
        to_refresh |= {
            a.contact_id for a in answers if a.contact_id and self._is_scored(a) and a.contact_id not in seen
        }
        if to_refresh:
            refresh = self.puller.contacts(to_refresh)
            self._store_contacts(refresh)
            company_ids = {c.company_id for c in refresh.contacts.values() if c.company_id}
            if company_ids:
                rows, _ = self.puller.companies(company_ids)
                self.ledger.upsert_companies(list(rows.values()))
            if refresh.aliases:  # merges just learnt
                answers = resolve_answers(stored, self.ledger.aliases())
        written_companies = self.ledger.written_values("companies")
        return Pulled(
            answers=answers,
            contacts=self.ledger.contacts(),
            companies=self.ledger.companies(),
            contact_current=self.ledger.written_values("contacts"),
            company_current=written_companies,
            known_companies=set(written_companies),
            full=False,
            pulled=len(changed),
            new_ids=new_ids,
            submissions_cursor=max_modified if max_modified is not None and max_modified > cursor_ms else None,
        )

    def _is_scored(self, answer: AnswerRow) -> bool:
        return is_scored_answer(answer, self.settings.scoring)

    def _store_contacts(self, refresh: ContactRefresh) -> None:
        with self.ledger.transaction():
            self.ledger.upsert_contacts(list(refresh.contacts.values()))
            if refresh.aliases:
                self.ledger.add_aliases(refresh.aliases)
            if refresh.missing:
                self.ledger.mark_contacts_missing(refresh.missing)
        for old, new in refresh.aliases.items():
            self.log.info("contact.merged", contact_id=old, survivor_id=new)
        for cid in refresh.missing:
            self.log.info("contact.deleted", contact_id=cid, detail="answers of a deleted contact no longer count")

    # ----- score, follow up, plan

    def _score(self, pulled: Pulled, opts: RunOptions, report: RunReport) -> Scorecard:
        scoring, names = self.settings.scoring, self.settings.properties
        card = build_scorecard(
            pulled.answers,
            pulled.contacts,
            opts.as_of,
            scoring,
            names,
            known_companies=pulled.known_companies,
            companies=pulled.companies,
        )
        invalid = set(card.invalid)
        raw = {a.submission_id: a.raw_value for a in pulled.answers if a.submission_id in invalid}
        for sid in card.invalid:
            # Warn once, when the answer arrives; later runs only count it.
            log = self.log.warning if sid in pulled.new_ids else self.log.debug
            log("answer.invalid", submission_id=sid, value=raw.get(sid), detail="not an integer 0-10; skipped")
        report.invalid, report.anonymous, report.orphaned = len(card.invalid), card.anonymous, card.orphaned
        report.contacts_scored, report.companies_scored = len(card.contact_values), len(card.company_values)
        return card

    def _follow_up(self, pulled: Pulled, card: Scorecard, opts: RunOptions) -> FollowupResult:
        cfg = self.settings.followup
        risks = company_risks(card, self.settings.scoring, opts.as_of) if cfg.at_risk_enabled else []
        runner = FollowupRunner(self.client, self.ledger, self.settings, self.log, progress=self.progress)
        return runner.run(
            pulled.answers, pulled.contacts, pulled.companies, opts.as_of, dry_run=opts.dry_run, company_risk=risks
        )

    def _report_plan(self, values: ValuePlan, pulled: Pulled, report: RunReport, dry_run: bool) -> None:
        report.contact_updates, report.company_updates = values.contact_updates, values.company_updates
        report.before = {
            "contacts": {cid: dict(pulled.contact_current.get(cid, {})) for cid in list(values.contact_updates)[:5]},
            "companies": {cid: dict(pulled.company_current.get(cid, {})) for cid in list(values.company_updates)[:5]},
        }
        self.log.info(
            "plan.ready",
            contacts_changed=len(values.contact_updates),
            companies_changed=len(values.company_updates),
            dry_run=dry_run,
        )

    # ----- cursors

    def _advance_cursors(self, pulled: Pulled, pushed: PushResult, started: datetime) -> None:
        """Move the submissions cursor to the newest answer stored, and the contacts cursor (below)."""
        if pulled.submissions_cursor is not None:
            self.ledger.set_cursor(SUBMISSIONS_CURSOR, str(pulled.submissions_cursor))
        # Next run's lower bound for "contacts changed by others": normally the run's start minus the
        # look-back (HubSpot's search index lags), never moving back. Our own writes also move
        # `lastmodifieddate`, and re-reading them would cost pages of searches, so the bound moves
        # past the last contact we wrote. Trade-off: a change someone else makes to a contact during
        # our push is seen only when that contact answers again or on the next backfill.
        lookback = timedelta(minutes=self.settings.sync.lookback_minutes)
        bound = max(to_ms(started - lookback), int(self.ledger.get_cursor(CONTACTS_CURSOR) or "0"))
        if pushed.last_contact_write is not None:
            bound = max(bound, to_ms(pushed.last_contact_write) + 1)
        self.ledger.set_cursor(CONTACTS_CURSOR, str(bound))


def _in_range(when: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or when >= since) and (until is None or when < until)
