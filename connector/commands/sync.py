"""`sync` and `backfill`: one run of the pipeline, its summary line and, in a dry run, the plan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from connector.commands.preflight import Preflight
from connector.commands.progress_bar import terminal_display
from connector.commands.runtime import Runtime
from connector.commands.stop import StopSignal
from connector.errors import Interrupted, MissingScopeError
from connector.hubspot import HubSpotClient
from connector.ledger import Ledger
from connector.pipeline.run import SUBMISSIONS_CURSOR, Mode, RunOptions, RunReport, SyncRun


def run_once(
    rt: Runtime,
    mode: Mode,
    as_of: datetime,
    *,
    dry_run: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    stop: StopSignal | None = None,
) -> int:
    """Run the pipeline once (after the preflight), print its summary, return the exit code (0, or 1)."""
    opts = RunOptions(mode=mode, as_of=as_of, since=since, until=until, dry_run=dry_run)
    client = rt.client(stop)
    started = datetime.now(UTC)
    with rt.ledger(scratch=dry_run) as ledger:
        preflight: Preflight | None = None
        try:
            if not dry_run:
                preflight = _arm_preflight(rt, client, ledger, mode)
            display = terminal_display(rt.settings.log.format)
            report = SyncRun(rt.settings, client, ledger, rt.log, display=display).execute(opts)
        except MissingScopeError as exc:
            if preflight is None:
                raise
            raise preflight.explain(exc) from None
        except Interrupted as exc:
            rt.log.warning("run.interrupted", **_interrupted_counts(exc, mode, client, ledger, started))
            raise
    if stop is not None and stop.requested:
        # The signal came after the last HubSpot call: the run is complete, nothing to resume.
        rt.log.info("run.stop_requested", detail="the run had finished its work; exiting with its own code")
    rt.log.info("run.finished", **report.summary())
    for line in summary_lines(report):
        typer.echo(line)
    return report.exit_code


def _arm_preflight(rt: Runtime, client: HubSpotClient, ledger: Ledger, mode: Mode) -> Preflight:
    """Backfills (a first sync is one) check properties and write scopes before pulling; every run gates its writes."""
    command = "sync" if mode == "sync" else "backfill"
    preflight = Preflight(client, rt.settings, rt.log, command=command)
    if mode == "backfill" or ledger.get_cursor(SUBMISSIONS_CURSOR) is None:
        with ledger.lock():
            pass  # another run holding the lock is exit 4 before any HubSpot call, as without a preflight
        preflight.before_pull()
    # A quiet sync writes nothing and so pays for no preflight; the gate runs it before the first write.
    preflight.arm()
    return preflight


def _interrupted_counts(
    exc: Interrupted, mode: Mode, client: HubSpotClient, ledger: Ledger, started: datetime
) -> dict[str, Any]:
    """What the interrupted run had done, for the `run.interrupted` line (from the client and the ledger)."""
    tasks = ledger.tasks()
    writes = {op: n for op, n in client.stats.items() if op.endswith(("batch_update", "batch_create"))}
    return {
        "signal": exc.signal_number,
        "exit_code": exc.exit_code,
        "mode": mode,
        "api_calls": sum(client.stats.values()),
        "write_calls": writes,
        "tasks_created_this_run": sum(1 for t in tasks if t.created_at is not None and t.created_at >= started),
        "task_intents_pending": sum(1 for t in tasks if t.state == "intent"),
        "detail": "stopped at a safe point; the next run resumes (pending intents are reconciled first)",
    }


def summary_lines(report: RunReport) -> list[str]:
    """The run's one-line summary, then (dry run) the first changes and tasks it would make."""
    s = report.summary()
    prefix = "dry run: would update" if report.dry_run else "updated"
    lines = [
        f"{s['mode']}: {s['new_answers']} new answers, {prefix} {s['contacts_updated']} contacts and "
        f"{s['companies_updated']} companies; tasks {'planned' if report.dry_run else 'created'}: "
        f"{s['tasks_planned'] if report.dry_run else s['tasks_created']}; failed records: {s['failed_records']}; "
        f"invalid answers skipped: {s['invalid_answers']}; API calls: {s['api_calls']}"
    ]
    if report.dry_run:
        for label, object_type, updates in (
            ("contact", "contacts", report.contact_updates),
            ("company", "companies", report.company_updates),
        ):
            for record_id in list(updates)[:5]:
                before = report.before.get(object_type, {}).get(record_id, {})
                changes = ", ".join(f"{k}: {before.get(k) or '∅'} → {v or '∅'}" for k, v in updates[record_id].items())
                lines.append(f"  {label} {record_id}: {changes}")
        for plan in report.followup.created[:20]:
            lines.append(
                f"  task for submission {plan.submission_id}: contact {plan.contact_id}, "
                f"owner {plan.owner_id or 'unassigned'}, due {plan.due.isoformat()}"
            )
    return lines
