"""`report`: per-company scores from the ledger as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import datetime
from typing import Any

from connector.compute import build_scorecard
from connector.config import Settings
from connector.ledger import Ledger
from connector.properties import property_kinds


def company_rows(ledger: Ledger, settings: Settings, as_of: datetime) -> list[dict[str, Any]]:
    """One row per scored company: id, name, the nine company properties, open follow-ups."""
    contacts = ledger.contacts()
    card = build_scorecard(ledger.answers(), contacts, ledger.aliases(), as_of, settings.scoring, settings.properties)
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
    return ["company_id", "name", *settings.properties.company_properties(), "open_followups"]


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
