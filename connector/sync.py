"""One run: lock, pull, score, plan, push; the cursor advances only after the push is confirmed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from connector.compute import Scorecard, build_scorecard, is_nps_answer, resolve_alias
from connector.config import Settings
from connector.errors import ConfigError
from connector.hubspot import HubSpotClient, RecordFailure
from connector.ledger import AnswerRow, ContactRow, Ledger
from connector.plan import diff_values, followup_values, parse_datetime
from connector.properties import property_kinds
from connector.pull import Puller, answer_row, modified_ms, to_ms

SUBMISSIONS_CURSOR = "submissions_modified_ms"
CONTACTS_CURSOR = "contacts_modified_ms"

Mode = Literal["sync", "backfill"]
FollowupState = dict[str, tuple[Literal["open", "completed"], datetime]]


@dataclass(frozen=True)
class RunOptions:
    """What one run does: incremental or backfill, as of when, and whether it writes."""

    mode: Mode
    as_of: datetime
    since: datetime | None = None
    until: datetime | None = None
    dry_run: bool = False


@dataclass
class FollowupOutcome:
    """What the follow-up step reports back to the run."""

    created: int = 0
    planned: list[Any] = field(default_factory=list)
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    contact_state: FollowupState = field(default_factory=dict)


# The follow-up step: (answers, contacts, companies, scorecard, as_of, dry_run) -> outcome.
FollowupStep = Callable[
    [list[AnswerRow], dict[str, ContactRow], dict[str, Any], Scorecard, datetime, bool], FollowupOutcome
]


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
    followup: FollowupOutcome = field(default_factory=FollowupOutcome)
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """1 when some records failed (each one logged), else 0."""
        return 1 if self.failures or self.followup.failed else 0

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary for logs and the ledger."""
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
            "contacts_updated": len(self.contact_updates),
            "companies_updated": len(self.company_updates),
            "failed_records": len(self.failures),
            "tasks_created": self.followup.created,
            "tasks_planned": len(self.followup.planned),
            "tasks_failed": len(self.followup.failed),
            "api_calls": sum(self.calls.values()),
        }


class SyncRun:
    """Runs `sync` or `backfill` against one portal and one ledger."""

    def __init__(
        self,
        settings: Settings,
        client: HubSpotClient,
        ledger: Ledger,
        log: Any,
        followup: FollowupStep | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.ledger = ledger
        self.log = log
        self.puller = Puller(client, settings.properties, log)
        self.followup = followup
        self.kinds = property_kinds(settings.properties)
        self._own_contact_write: datetime | None = None
        self._new_ids: set[str] = set()
        self._nps_surveys = (settings.scoring.survey_types, settings.scoring.survey_ids)

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
                if mode == "backfill":
                    self._backfill(opts, report, started)
                else:
                    self._incremental(opts, report, started)
            except BaseException:
                self.ledger.finish_run(run_id, -1, {"mode": mode, "error": "run failed"})
                raise
            report.calls = dict(self.client.stats)
            self.ledger.finish_run(run_id, report.exit_code, report.summary())
            return report

    # ----- the two pull strategies

    def _backfill(self, opts: RunOptions, report: RunReport, started: datetime) -> None:
        rows = list(self.puller.all_submissions())
        report.pulled = len(rows)
        max_modified = max((r.modified_at for r in rows), default=None)
        in_range = [r for r in rows if _in_range(r.submitted_at, opts.since, opts.until)]
        with self.ledger.transaction():
            self.ledger.delete_answers_submitted_between(opts.since, opts.until)
            self.ledger.upsert_answers(in_range)
        report.new_answers = len(in_range)
        self._new_ids = {r.submission_id for r in in_range}
        self.log.info("pull.backfill", listed=len(rows), in_range=len(in_range))

        answers = self.ledger.answers()
        nps = [a for a in answers if is_nps_answer(a, *self._nps_surveys) and a.contact_id]
        aliases = self.ledger.aliases()
        refresh = self.puller.contacts({resolve_alias(a.contact_id or "", aliases) for a in nps})
        self._store_contacts(refresh.contacts, refresh.aliases, refresh.missing)
        contacts = self.ledger.contacts()
        written_companies = self.ledger.written_values("companies")
        company_ids = {c.company_id for c in contacts.values() if c.company_id and c.exists} | set(written_companies)
        company_rows, company_current = self.puller.companies(company_ids)
        self.ledger.upsert_companies(list(company_rows.values()))

        card = self._score(answers, contacts, opts, set(company_rows))
        contact_current: Mapping[str, Mapping[str, str | None]] = refresh.current
        self._plan_and_push(card, answers, contacts, contact_current, company_current, opts, report, full=True)
        if not opts.dry_run:
            if max_modified is not None:
                self.ledger.set_cursor(SUBMISSIONS_CURSOR, str(to_ms(max_modified)))
            self._advance_contacts_cursor(started)

    def _incremental(self, opts: RunOptions, report: RunReport, started: datetime) -> None:
        lookback = timedelta(minutes=self.settings.sync.lookback_minutes)
        cursor_ms = int(self.ledger.get_cursor(SUBMISSIONS_CURSOR) or "0")
        since = datetime.fromtimestamp(cursor_ms / 1000, tz=UTC) - lookback
        changed = self.puller.changed_submissions(since, self._survey_groups())
        report.pulled = len(changed)
        known = {a.submission_id: a for a in self.ledger.answers()}  # read once: 100,000s of rows
        fresh = [
            r for r in changed if r.id not in known or modified_ms(r) not in (None, to_ms(known[r.id].modified_at))
        ]
        new_rows: list[AnswerRow] = []
        if fresh:
            links = self.puller.submission_contacts([r.id for r in fresh])
            new_rows = [row for r in fresh if (row := answer_row(r, links.get(r.id))) is not None]
            self.ledger.upsert_answers(new_rows)
        report.new_answers = len(new_rows)
        self._new_ids = {r.submission_id for r in new_rows}
        max_modified = max((a.modified_at for a in new_rows), default=None)

        seen = self.ledger.contacts()
        touched = self._recently_modified_contacts(int(self.ledger.get_cursor(CONTACTS_CURSOR) or "0"), seen)
        aliases = self.ledger.aliases()
        # Contacts of new answers, contacts changed by others, and contacts never read (a run that
        # died between storing answers and reading their contacts).
        answers = list({**known, **{r.submission_id: r for r in new_rows}}.values())
        answering = {
            resolve_alias(a.contact_id, aliases)
            for a in answers
            if a.contact_id and is_nps_answer(a, *self._nps_surveys)
        }
        to_refresh = (
            {resolve_alias(r.contact_id, aliases) for r in new_rows if r.contact_id}
            | touched
            | {c for c in answering if c not in seen}
        )
        if to_refresh:
            refresh = self.puller.contacts(to_refresh)
            self._store_contacts(refresh.contacts, refresh.aliases, refresh.missing)
            company_ids = {c.company_id for c in refresh.contacts.values() if c.company_id}
            if company_ids:
                rows, _ = self.puller.companies(company_ids)
                self.ledger.upsert_companies(list(rows.values()))
        contacts = self.ledger.contacts()
        card = self._score(answers, contacts, opts, set(self.ledger.written_values("companies")))
        self._plan_and_push(
            card,
            answers,
            contacts,
            self.ledger.written_values("contacts"),
            self.ledger.written_values("companies"),
            opts,
            report,
            full=False,
        )
        if not opts.dry_run:
            if max_modified is not None and to_ms(max_modified) > cursor_ms:
                self.ledger.set_cursor(SUBMISSIONS_CURSOR, str(to_ms(max_modified)))
            self._advance_contacts_cursor(started)

    def _advance_contacts_cursor(self, started: datetime) -> None:
        """Next run's lower bound for "contacts changed by others".

        Normally the run's start minus the look-back (HubSpot's search index lags), never moving
        back. Our own writes also move `lastmodifieddate`, and re-reading them would cost pages
        of searches, so the bound moves past the last contact we wrote. Trade-off: a change
        someone else makes to a contact during our push is seen only when that contact answers
        again or on the next backfill.
        """
        lookback = timedelta(minutes=self.settings.sync.lookback_minutes)
        bound = max(to_ms(started - lookback), int(self.ledger.get_cursor(CONTACTS_CURSOR) or "0"))
        if self._own_contact_write is not None:
            bound = max(bound, to_ms(self._own_contact_write) + 1)
        self.ledger.set_cursor(CONTACTS_CURSOR, str(bound))

    def _survey_groups(self) -> list[list[dict[str, Any]]]:
        """Search filter groups selecting NPS answers (EQ matches enumeration and string properties alike)."""
        scoring = self.settings.scoring
        groups = [[{"propertyName": "hs_survey_type", "operator": "EQ", "value": t}] for t in scoring.survey_types]
        groups += [[{"propertyName": "hs_survey_id", "operator": "EQ", "value": s}] for s in scoring.survey_ids]
        # HubSpot allows five filter groups; with more, pull everything modified and filter locally.
        return groups if 0 < len(groups) <= 5 else [[]]

    def _recently_modified_contacts(self, since_ms: int, known: Mapping[str, ContactRow]) -> set[str]:
        """Known contacts someone else changed since we last read or wrote them (owner, merge, company)."""
        if not known:
            return set()
        found: set[str] = set()
        after: int | None = None
        while True:
            page = self.client.search(
                "contacts",
                [
                    {
                        "filters": [
                            {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(max(0, since_ms))}
                        ]
                    }
                ],
                sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                properties=["lastmodifieddate"],
                limit=200,
                after=after,
            )
            for rec in page.results:
                row = known.get(rec.id)
                modified = parse_datetime(rec.properties.get("lastmodifieddate") or "")
                # Our own writes move lastmodifieddate too; only a stamp we have not seen means a change.
                if row is not None and (row.updated_at is None or modified != row.updated_at):
                    found.add(rec.id)
            if page.next_after is None or int(page.next_after) >= 10_000:
                return found
            after = int(page.next_after)

    def _store_contacts(self, contacts: dict[str, ContactRow], aliases: dict[str, str], missing: list[str]) -> None:
        with self.ledger.transaction():
            self.ledger.upsert_contacts(list(contacts.values()))
            if aliases:
                self.ledger.add_aliases(aliases)
            if missing:
                self.ledger.mark_contacts_missing(missing)
        for old, new in aliases.items():
            self.log.info("contact.merged", contact_id=old, survivor_id=new)
        for cid in missing:
            self.log.info("contact.deleted", contact_id=cid, detail="answers of a deleted contact no longer count")

    def _score(
        self, answers: list[AnswerRow], contacts: dict[str, ContactRow], opts: RunOptions, companies: set[str]
    ) -> Scorecard:
        card = build_scorecard(
            answers,
            contacts,
            self.ledger.aliases(),
            opts.as_of,
            self.settings.scoring,
            self.settings.properties,
            known_companies=companies,
        )
        invalid = set(card.invalid)
        raw = {a.submission_id: a.raw_value for a in answers if a.submission_id in invalid}
        for sid in card.invalid:
            # Warn once, when the answer arrives; later runs only count it.
            log = self.log.warning if sid in self._new_ids else self.log.debug
            log("answer.invalid", submission_id=sid, value=raw.get(sid), detail="not an integer 0-10; skipped")
        return card

    # ----- plan and push

    def _plan_and_push(
        self,
        card: Scorecard,
        answers: list[AnswerRow],
        contacts: dict[str, ContactRow],
        contact_current: Mapping[str, Mapping[str, str | None]],
        company_current: Mapping[str, Mapping[str, str | None]],
        opts: RunOptions,
        report: RunReport,
        *,
        full: bool,
    ) -> None:
        report.invalid, report.anonymous, report.orphaned = len(card.invalid), card.anonymous, card.orphaned
        report.contacts_scored, report.companies_scored = len(card.contact_values), len(card.company_values)
        contact_desired = {cid: dict(v) for cid, v in card.contact_values.items()}
        if self.followup is not None and self.settings.followup.enabled:
            report.followup = self.followup(answers, contacts, self.ledger.companies(), card, opts.as_of, opts.dry_run)
            names = self.settings.properties
            for cid in contact_desired:
                status, due = report.followup.contact_state.get(cid, (None, None))
                contact_desired[cid].update(followup_values(status, due, names))
        report.contact_updates = diff_values(contact_desired, contact_current, self.kinds)
        report.company_updates = diff_values(card.company_values, company_current, self.kinds)
        report.before = {
            "contacts": {cid: dict(contact_current.get(cid, {})) for cid in list(report.contact_updates)[:5]},
            "companies": {cid: dict(company_current.get(cid, {})) for cid in list(report.company_updates)[:5]},
        }
        self.log.info(
            "plan.ready",
            contacts_changed=len(report.contact_updates),
            companies_changed=len(report.company_updates),
            dry_run=opts.dry_run,
        )
        if opts.dry_run:
            return
        for object_type, desired, updates in (
            ("contacts", contact_desired, report.contact_updates),
            ("companies", card.company_values, report.company_updates),
        ):
            failed = self._push(object_type, updates, report)
            if full:
                # A backfill read HubSpot's values: everything not failed now holds the desired values.
                self.ledger.forget_written(object_type)
                self.ledger.record_written(object_type, {i: v for i, v in desired.items() if i not in failed})

    def _push(self, object_type: str, updates: dict[str, dict[str, str]], report: RunReport) -> set[str]:
        if not updates:
            return set()
        result = self.client.batch_update(object_type, updates)
        unknown = next((f for f in result.failures if "PROPERTY_DOESNT_EXIST" in f.message), None)
        if unknown is not None and not result.ok:
            raise ConfigError(
                f"HubSpot has no {object_type} properties for the NPS values (run `nps-connector setup`, "
                f"or check the names in [properties]): {unknown.message[:300]}"
            )
        ok = set(result.ok)
        self.ledger.record_written(object_type, {i: updates[i] for i in ok if i in updates})
        if object_type == "contacts":
            stamps = {i: t for i, t in result.updated_at.items() if i in ok}
            self.ledger.set_contacts_modified(stamps)
            latest = max(stamps.values(), default=None)
            if latest is not None and (self._own_contact_write is None or latest > self._own_contact_write):
                self._own_contact_write = latest
        for failure in result.failures:
            self.log.error(
                "push.record_failed",
                object_type=object_type,
                record_id=failure.id,
                category=failure.category,
                message=failure.message,
            )
        report.failures.extend(result.failures)
        self.log.info("push.done", object_type=object_type, updated=len(ok), failed=len(result.failures))
        return {f.id for f in result.failures}


def _in_range(when: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or when >= since) and (until is None or when < until)
