"""`sync` and `backfill`: one run of the pipeline, its summary line and, in a dry run, the plan."""

from __future__ import annotations

from datetime import datetime

import typer

from connector.commands.runtime import Runtime
from connector.pipeline.run import Mode, RunOptions, RunReport, SyncRun


def run_once(
    rt: Runtime,
    mode: Mode,
    as_of: datetime,
    *,
    dry_run: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Run the pipeline once, print its summary, return the exit code (0, or 1 when records failed)."""
    opts = RunOptions(mode=mode, as_of=as_of, since=since, until=until, dry_run=dry_run)
    client = rt.client()
    with rt.ledger(scratch=dry_run) as ledger:
        report = SyncRun(rt.settings, client, ledger, rt.log).execute(opts)
    rt.log.info("run.finished", **report.summary())
    for line in summary_lines(report):
        typer.echo(line)
    return report.exit_code


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
