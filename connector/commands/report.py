"""`report`: per-company scores from the ledger, or segments, monthly trend, closed-loop figures, an HTML page."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

from connector.config import Settings
from connector.core.insights import (
    CLOSED_LOOP_COLUMNS,
    FollowupTask,
    at_risk_companies,
    closed_loop,
    company_figures,
    contact_voices,
    monthly_trend,
    nps_distribution,
    segment_figures,
    segment_row,
)
from connector.core.properties import property_kinds
from connector.core.records import id_order
from connector.core.scorecard import build_scorecard, resolve_answers
from connector.core.values import format_datetime, format_number, parse_datetime
from connector.errors import ConfigError
from connector.hubspot import HubSpotClient
from connector.ledger import Ledger


def company_rows(ledger: Ledger, settings: Settings, as_of: datetime) -> list[dict[str, Any]]:
    """One row per scored company: id, name, the nine company properties, open follow-ups."""
    contacts = ledger.contacts()
    answers = resolve_answers(ledger.answers(), ledger.aliases())
    companies = ledger.companies()
    card = build_scorecard(answers, contacts, as_of, settings.scoring, settings.properties, companies=companies)
    open_tasks = Counter(t.company_id for t in ledger.tasks() if t.status == "open" and t.company_id)
    rows = []
    for company_id in sorted(card.company_values, key=lambda c: (len(c), c)):
        company = companies.get(company_id)
        row: dict[str, Any] = {"company_id": company_id, "name": (company.name if company else None) or ""}
        row.update(card.company_values[company_id])
        row["open_followups"] = open_tasks.get(company_id, 0)
        rows.append(row)
    return rows


def columns(settings: Settings) -> list[str]:
    """The report's columns: company id, name, the nine company properties, open follow-ups."""
    return ["company_id", "name", *settings.properties.all_company_properties(), "open_followups"]


def render(rows: list[dict[str, Any]], fmt: str, settings: Settings) -> str:
    """Rows as csv (HubSpot's value strings) or json (numbers as numbers, empty as null)."""
    if fmt == "json":
        kinds = property_kinds(settings.properties)
        typed = [{key: _typed(value, kinds.get(key)) for key, value in row.items()} for row in rows]
        return json.dumps(typed, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(settings), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _typed(value: Any, kind: str | None) -> Any:
    if not isinstance(value, str) or kind is None:
        return value
    if value == "":
        return None
    if kind == "number":
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


FORMATS = ("table", "csv", "json", "html")


def check_format(fmt: str, output: Path | None = None) -> None:
    """Refuse an unknown `--format`, and `--format html` without `--output`, before anything is opened."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "html" and output is None:
        raise ConfigError("--format html: give --output FILE, e.g. --output nps-report.html")


def check_output(output: Path | None) -> None:
    """Refuse an `--output` that cannot be written, before the ledger is read."""
    if output is None:
        return
    if output.is_dir():
        raise ConfigError(f"--output {output}: is a folder; give a file name, e.g. {output / 'nps-report.csv'}")
    folder = output.parent
    if not folder.is_dir():
        raise ConfigError(f"--output {output}: the folder {folder} does not exist; create it first or pick another")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise ConfigError(f"--output {output}: not writable by this user; pick a folder you can write to")


def _write(output: Path, write: Callable[[TextIO], object]) -> None:
    try:
        with output.open("w", encoding="utf-8") as handle:
            write(handle)
    except OSError as exc:
        raise ConfigError(f"--output {output}: cannot write the report: {exc.strerror or type(exc).__name__}") from None


def write_report(ledger: Ledger, settings: Settings, fmt: str, output: Path | None, as_of: datetime) -> None:
    """`report`: the per-company rows in `fmt` (table, csv, json), to `output` or stdout."""
    check_format(fmt, output)
    if fmt == "html":
        raise ValueError("--format html holds every view: write it with write_insights")  # a wiring bug
    rows = company_rows(ledger, settings, as_of)
    if fmt == "table":
        table = Table(title=f"NPS per company ({len(rows)})")
        names = settings.properties
        cols = [
            ("company_id", "id"),
            ("name", "name"),
            (names.company_score, "NPS"),
            (names.company_category, "category"),
            (names.company_responses, "n"),
            (names.company_margin_of_error, "±"),
            (names.company_trend, "trend"),
            (names.company_csat_score, "CSAT %"),
            (names.company_ces_average, "CES"),
            ("open_followups", "open tasks"),
        ]
        for _, title in cols:
            table.add_column(title)
        for row in rows:
            table.add_row(*(str(row.get(key, "")) for key, _ in cols))
        if output is None:
            Console(width=140).print(table)
        else:
            _write(output, lambda handle: Console(file=handle, width=140).print(table))
        return
    text = render(rows, fmt, settings)
    if output:
        _write(output, lambda handle: handle.write(text))
    else:
        typer.echo(text, nl=False)


# --- segments, trend, closed loop (issue 13) -------------------------------------------------------

SEGMENT_COLUMNS = (
    "segment",
    "companies",
    "nps",
    "n",
    "promoters",
    "passives",
    "detractors",
    "margin_of_error",
    "trend",
    "csat",
    "csat_n",
    "csat_margin_of_error",
    "ces_average",
    "ces_easy",
    "ces_n",
)
TREND_COLUMNS = ("month", "month_end", "segment", "nps", "n", "margin_of_error")
TASK_READ = ("hs_task_status", "hs_task_completion_date", "hs_lastmodifieddate")


@dataclass(frozen=True)
class Views:
    """What an insights report holds: segments by a property, the monthly trend, closed-loop figures."""

    by: str | None = None
    trend: bool = False
    closed_loop: bool = False

    @classmethod
    def for_format(cls, fmt: str, by: str | None, trend: bool, closed_loop: bool) -> Views:
        """The views asked for; `--format html` holds them all (segments only with `--by`)."""
        everything = fmt == "html"
        return cls(by=by, trend=trend or everything, closed_loop=closed_loop or everything)

    @property
    def any(self) -> bool:
        """Whether any insights view is asked for (else the per-company report, unchanged)."""
        return self.by is not None or self.trend or self.closed_loop


def check_views(views: Views, fmt: str) -> None:
    """Refuse an empty `--by` and, for csv (one table per file), more than one table."""
    if views.by is not None and not views.by.strip():
        raise ConfigError("--by: give a company property name, e.g. --by industry")
    if fmt == "csv" and views.closed_loop and (views.by is not None or views.trend):
        raise ConfigError("--format csv holds one table: give --closed-loop alone, or use --format json")


def company_segments(client: HubSpotClient, company_ids: Sequence[str], prop: str) -> dict[str, str]:
    """Each company's value of `prop` now, read in batches of 100; a company without a value is left out."""
    result = client.batch_read("companies", sorted(company_ids, key=id_order), [prop])
    segments: dict[str, str] = {}
    for record in result.records:
        value = (record.properties.get(prop) or "").strip()
        if value:
            segments[record.id] = value
    return segments


def followup_tasks(ledger: Ledger, client: HubSpotClient) -> list[FollowupTask]:
    """The connector's detractor follow-ups in HubSpot, with their completion time as HubSpot holds it."""
    rows = [t for t in ledger.tasks() if t.kind == "answer" and t.task_id and t.state == "created"]
    rows = [t for t in rows if t.status != "deleted"]
    if not rows:
        return []
    answered = {a.submission_id: a.submitted_at for a in ledger.answers()}
    read = client.batch_read("tasks", sorted({t.task_id or "" for t in rows}, key=id_order), TASK_READ)
    held = {r.id: r.properties for r in read.records}
    tasks = []
    for row in rows:
        props = held.get(row.task_id or "")
        if props is None:
            continue  # gone from HubSpot: not a follow-up any more
        completed_at = None
        if props.get("hs_task_status") == "COMPLETED":
            completed_at = parse_datetime(props.get("hs_task_completion_date") or "") or parse_datetime(
                props.get("hs_lastmodifieddate") or ""
            )
        at = answered.get(row.submission_id or "") or row.created_at or row.intent_at
        tasks.append(FollowupTask(row.owner_id or "", at, row.due_at, completed_at))
    return tasks


def insights(
    ledger: Ledger, settings: Settings, views: Views, as_of: datetime, client: Callable[[], HubSpotClient]
) -> dict[str, Any]:
    """The requested views as plain rows, after the portal's figures, its 0-10 distribution and companies at risk.

    Always: `as_of`, `window_days`, `benchmarks`, `portal` (the `(all)` segment row), `distribution`,
    `companies` (each against the benchmarks) and `at_risk` (ledger only, no HubSpot call); then
    `by` and `segments` (portal first), `trend`, `followup_target_hours` and `closed_loop` as asked.
    """
    out: dict[str, Any] = {"as_of": format_datetime(as_of), "window_days": settings.scoring.window_days}
    client = functools.cache(client)  # one HubSpot client for segments and closed loop alike
    contacts = ledger.contacts()
    answers = resolve_answers(ledger.answers(), ledger.aliases())
    card = build_scorecard(answers, contacts, as_of, settings.scoring, settings.properties)
    scored = list(card.company_values)
    voices = contact_voices(answers, contacts, as_of, settings.scoring)
    benchmarks = settings.report.benchmarks
    out["benchmarks"] = dict(benchmarks)
    segment_of: dict[str, str] | None = None
    if views.by is not None:
        segment_of = company_segments(client(), scored, views.by) if scored else {}
        if scored and not segment_of:
            # HubSpot ignores an unknown property in a batch read: a typo would look like "(none)" only.
            typer.echo(
                f"warning: no scored company has a value for {views.by!r}; is the property name right?", err=True
            )
    figures = segment_figures(voices, segment_of or {}, scored, settings.scoring)
    out["portal"] = segment_row(figures[0], benchmarks)
    out["distribution"] = nps_distribution(voices.values())
    names = {cid: company.name or "" for cid, company in ledger.companies().items()}
    out["companies"] = company_figures(card.company_scores, names, settings.hubspot.portal_id, benchmarks)
    out["at_risk"] = at_risk_companies(out["companies"])
    if views.by is not None:
        out["by"] = views.by
        out["segments"] = [segment_row(f, benchmarks) for f in figures]
    if views.trend or views.by is not None:
        months = settings.report.trend_months
        out["trend"] = monthly_trend(answers, contacts, as_of, settings.scoring, segment_of, months)
    if views.closed_loop:
        tasks = followup_tasks(ledger, client())
        out["followup_target_hours"] = settings.report.followup_target_hours
        out["closed_loop"] = closed_loop(tasks, as_of, settings.report.followup_target_hours)
    return out


def write_insights(
    ledger: Ledger,
    settings: Settings,
    fmt: str,
    output: Path | None,
    as_of: datetime,
    views: Views,
    client: Callable[[], HubSpotClient],
) -> None:
    """`report --by/--trend/--closed-loop` or `--format html`: the views in `fmt`, to `output` or stdout."""
    check_format(fmt, output)
    check_views(views, fmt)
    data = insights(ledger, settings, views, as_of, client)
    if fmt == "html" and output is not None:
        from connector.commands.html_report import render_html  # matplotlib loads only for this format

        page = render_html(data)
        _write(output, lambda handle: handle.write(page))
        return
    if fmt == "json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = _insights_csv(data, views, settings)
    else:
        _print_tables(data, settings, output)
        return
    if output:
        _write(output, lambda handle: handle.write(text))
    else:
        typer.echo(text, nl=False)


def _vs(settings: Settings) -> list[str]:
    return [f"vs {name}" for name in settings.report.benchmarks]


def _insights_csv(data: dict[str, Any], views: Views, settings: Settings) -> str:
    # One table per file: closed loop alone; else the trend when asked for; else the segments.
    if views.closed_loop:
        rows, cols = data["closed_loop"], list(CLOSED_LOOP_COLUMNS)
    elif views.trend:
        rows, cols = data["trend"], list(TREND_COLUMNS)
    else:
        rows, cols = data["segments"], [*SEGMENT_COLUMNS, *_vs(settings)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def _print_tables(data: dict[str, Any], settings: Settings, output: Path | None) -> None:
    tables: list[Table] = []
    if "segments" in data:
        tables.append(
            _table(
                f"NPS by {data['by']} (value now) as of {data['as_of']}",
                data["segments"],
                [
                    ("segment", "segment"),
                    ("companies", "companies"),
                    ("nps", "NPS"),
                    ("n", "n"),
                    ("margin_of_error", "±"),
                    ("trend", "trend"),
                    ("csat", "CSAT %"),
                    ("ces_average", "CES"),
                    *((key, key) for key in _vs(settings)),
                ],
            )
        )
    if "trend" in data:
        tables.append(
            _table(
                "Rolling-window NPS at each month end",
                data["trend"],
                [(c, c) for c in TREND_COLUMNS if c != "month_end"],
            )
        )
    if "closed_loop" in data:
        tables.append(
            _table(
                f"Detractor follow-ups (target {format_number(data['followup_target_hours'])} h)",
                data["closed_loop"],
                [(c, c) for c in CLOSED_LOOP_COLUMNS],
            )
        )

    def show(console: Console) -> None:
        for table in tables:
            console.print(table)

    if output is None:
        show(Console(width=160))
    else:
        _write(output, lambda handle: show(Console(file=handle, width=160)))


def _table(title: str, rows: list[dict[str, Any]], cols: Sequence[tuple[str, str]]) -> Table:
    table = Table(title=title)
    for _, heading in cols:
        table.add_column(heading)
    for row in rows:
        table.add_row(*("" if row.get(key) is None else str(row.get(key)) for key, _ in cols))
    return table
