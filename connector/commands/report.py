"""`report`: per-company scores from the ledger as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

from connector.config import Settings
from connector.core.properties import property_kinds
from connector.core.scorecard import build_scorecard, resolve_answers
from connector.errors import ConfigError
from connector.ledger import Ledger


def company_rows(ledger: Ledger, settings: Settings, as_of: datetime) -> list[dict[str, Any]]:
    """One row per scored company: id, name, the nine company properties, open follow-ups."""
    contacts = ledger.contacts()
    answers = resolve_answers(ledger.answers(), ledger.aliases())
    card = build_scorecard(answers, contacts, as_of, settings.scoring, settings.properties)
    companies = ledger.companies()
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


FORMATS = ("table", "csv", "json")


def check_format(fmt: str) -> None:
    """Refuse an unknown `--format` before anything is opened."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")


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
    """`report`: the per-company rows in `fmt`, to `output` or stdout."""
    check_format(fmt)
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
