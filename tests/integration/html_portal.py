"""The portal behind the HTML report tests, and plain computations of what its report must show.

The demo portal (400 answers, taken now) with an industry on most companies, one segment value
and one company name full of HTML (`<i>R&D</i>`, `<b>&Co`), every other follow-up task completed
in the sandbox; the real CLI runs setup, backfill and `report --format html`. The expected figures
are computed here from the fixture's raw answers and the sandbox's tasks, from their definitions,
without the connector's code.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from connector.sandbox.demo import generate_portal
from tests.conftest import build_sdk
from tests.integration.conftest import SECRET, Portal
from tests.integration.test_report_insights import plain_segment, plain_voices

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
# After the task completions made below (real time), so that they count as completed.
REPORT_AS_OF = datetime.now(UTC) + timedelta(minutes=10)
PORTAL_ID = "555"
RECORD_LINK = f"https://app.hubspot.com/contacts/{PORTAL_ID}/record/0-2/"
NASTY_COMPANY = "<b>&Co"
NASTY_SEGMENT = "<i>R&D</i>"
INDUSTRIES = ("Software", NASTY_SEGMENT, "Retail")
SECTIONS = ("portal", "trend", "distribution", "at-risk", "segments", "satisfaction", "closed-loop")
CHARTS = 3  # benchmarks (portal), trend, distribution
MARKER = re.compile(r"^NPS feedback submission ID: (\d+)$", re.MULTILINE)
WINDOW = timedelta(days=365)


def plain_company_risks(fixture: dict[str, Any], end: datetime) -> dict[str, list[str]]:
    """Company id -> why it is at risk: NPS below 0 (detractor), or NPS now minus before below -0.05."""
    voices = plain_voices(fixture, end)
    by_company: dict[str, list[dict[str, int]]] = {}
    for v in voices.values():
        by_company.setdefault(str(v["company"]), []).append(v)
    risks: dict[str, list[str]] = {}
    for company, group in by_company.items():
        now = [v["nps"] for v in group if "nps" in v]
        before = [v["before"] for v in group if "before" in v]
        if not now:
            continue
        reasons = []
        score = _nps(now)
        if score < 0:
            reasons.append("detractor")
        # Falling: the trend shown with one decimal (half away from zero) is below zero.
        if before and score - _nps(before) <= Fraction(-1, 20):
            reasons.append("falling")
        if reasons:
            risks[company] = reasons
    return risks


def plain_company_nps(fixture: dict[str, Any], end: datetime) -> dict[str, Fraction]:
    """Company id -> its exact NPS over its contacts' voices in the window (companies with a voice)."""
    by_company: dict[str, list[int]] = {}
    for v in plain_voices(fixture, end).values():
        if "nps" in v and v.get("company") is not None:
            by_company.setdefault(str(v["company"]), []).append(v["nps"])
    return {company: _nps(scores) for company, scores in by_company.items()}


def _nps(scores: list[int]) -> Fraction:
    return Fraction(100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)), len(scores))


def make_fixture() -> dict[str, Any]:
    """The demo portal with industries, a segment and a company name that need escaping."""
    fixture = generate_portal(400, seed=3, now=NOW)
    for i, company in enumerate(fixture["companies"]):
        if i % 4 < 3:
            company["properties"]["industry"] = INDUSTRIES[i % 4]
    at_risk = plain_company_risks(fixture, REPORT_AS_OF)
    assert at_risk, "the demo portal should have a company at risk"
    target = min(at_risk, key=int)
    next(c for c in fixture["companies"] if c["id"] == target)["properties"]["name"] = NASTY_COMPANY
    return fixture


def show(value: float | int | None) -> str:
    """A figure as the page writes it: the shortest decimal, an en dash for no value."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def plain_round(x: Fraction) -> float:
    """One decimal, half away from zero (the report's rounding), from the exact value."""
    units = (abs(x) * 10 + Fraction(1, 2)).__floor__()
    return float(Fraction(units if x > 0 else -units, 10))


@dataclass
class Report:
    """A backfilled portal, its HTML report and what the test computed to expect in it."""

    portal: Portal
    fixture: dict[str, Any]
    html: Path
    text: str
    tasks: list[dict[str, Any]] = field(default_factory=list)  # the connector's tasks, as the sandbox holds them
    completed: set[str] = field(default_factory=set)


def build_report(make_sandbox: Any, workdir: Path) -> Report:
    """Start the sandbox, run setup + backfill, complete every other task, write the HTML report."""
    fixture = make_fixture()
    server = make_sandbox(copy.deepcopy(fixture), token=SECRET)
    config = workdir / "nps-connector.toml"
    config.write_text(
        f'[hubspot]\nbase_url = "{server.url}"\naccess_token = "{SECRET}"\nportal_id = "{PORTAL_ID}"\n'
        f'max_retries = 2\n[ledger]\npath = "{workdir / "ledger.sqlite"}"\n',
        encoding="utf-8",
    )
    portal = Portal(server, config, workdir)
    assert portal.cli("setup").exit_code == 0
    result = portal.cli("backfill", "--as-of", NOW.isoformat())
    assert result.exit_code == 0, result.output
    tasks = [t for t in portal.get("/_sandbox/snapshot")["tasks"] if MARKER.search(t["properties"]["hs_task_body"])]
    sdk = build_sdk(server.url, token=SECRET)
    completed = set()
    for task in tasks[::2]:
        sdk.crm.objects.tasks.basic_api.update(
            task["id"], simple_public_object_input={"properties": {"hs_task_status": "COMPLETED"}}
        )
        completed.add(task["id"])
    html = workdir / "report.html"
    result = portal.cli(*html_args(html))
    assert result.exit_code == 0, result.output
    held = {t["id"]: t for t in portal.get("/_sandbox/snapshot")["tasks"]}
    return Report(portal, fixture, html, html.read_text(encoding="utf-8"), [held[t["id"]] for t in tasks], completed)


def html_args(output: Path, *, by: bool = True) -> list[str]:
    """`report --format html` as the tests run it."""
    args = ["report", "--format", "html", "--output", str(output), "--as-of", REPORT_AS_OF.isoformat()]
    return [*args, "--by", "industry"] if by else args


def expected(report: Report) -> dict[str, Any]:
    """One figure per section, computed plainly from the fixture and the sandbox's tasks."""
    fixture = report.fixture
    voices = plain_voices(fixture, REPORT_AS_OF)
    portal = plain_segment(list(voices.values()))
    last_month_end = datetime(REPORT_AS_OF.year, REPORT_AS_OF.month, 1, tzinfo=UTC)
    trend_last = plain_segment(list(plain_voices(fixture, last_month_end).values()))
    industry = {c["id"]: c["properties"].get("industry") for c in fixture["companies"]}
    software = [v for v in voices.values() if industry.get(str(v["company"])) == "Software"]
    nasty = [v for v in voices.values() if industry.get(str(v["company"])) == NASTY_SEGMENT]
    return {
        "portal_nps": portal["nps"],
        "portal_n": portal["n"],
        "trend_last_month": f"{(last_month_end - timedelta(days=1)):%Y-%m}",
        "trend_last_nps": trend_last["nps"],
        "distribution": Counter(v["nps"] for v in voices.values() if "nps" in v),
        "at_risk": plain_company_risks(fixture, REPORT_AS_OF),
        "software_nps": plain_segment(software)["nps"],
        "nasty_segment_n": plain_segment(nasty)["n"],
        "portal_csat": portal["csat"],
        "portal_ces": portal["ces_average"],
        "followups": len(report.tasks),
        "completed": sum(1 for t in report.tasks if t["properties"]["hs_task_status"] == "COMPLETED"),
    }


class Page(HTMLParser):
    """A parsed page: the text of every element with an id, each table's rows, every id used."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.texts: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.tags: Counter[str] = Counter()
        self._open: list[str | None] = []
        self._table: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track ids, tables, rows and cells."""
        self.tags[tag] += 1
        ident = dict(attrs).get("id")
        if ident:
            self.ids.append(ident)
            self.texts[ident] = ""
        if tag == "table" and ident:
            self._table = ident
            self.tables[ident] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self.tables[self._table][-1].append("")
        if tag not in self.VOID:
            self._open.append(ident)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """A self-closed element (SVG): an id, no text."""
        self.tags[tag] += 1
        ident = dict(attrs).get("id")
        if ident:
            self.ids.append(ident)

    def handle_endtag(self, tag: str) -> None:
        """Close the innermost element."""
        if tag == "table":
            self._table = None
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        """Text goes to every open element with an id, and to the current cell."""
        for ident in self._open:
            if ident:
                self.texts[ident] += data
        if self._table and self.tables[self._table] and self.tables[self._table][-1]:
            self.tables[self._table][-1][-1] += data

    def rows(self, table: str) -> dict[str, list[str]]:
        """A table's body rows by their first cell (stripped)."""
        return {row[0].strip(): [c.strip() for c in row[1:]] for row in self.tables[table][1:] if row}
