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


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    """Rows as csv or json text (the table format is drawn by the CLI with rich)."""
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    fields = list(rows[0]) if rows else ["company_id", "name", "open_followups"]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
