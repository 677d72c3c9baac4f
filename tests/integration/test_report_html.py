"""`report --format html`: the real CLI against the sandbox, the page checked for structure and figures.

Structure: every section with its heading, one inline `<svg>` per chart in a `<figure>` with a
caption and an accessible title, unique ids, nothing that loads from elsewhere, CRM values
escaped, the same bytes for the same as-of. Figures: one per section against a plain
computation from the fixture's raw answers and the sandbox's tasks (tests/integration/html_portal.py).
The JSON export carries the page's figures too (issue 13 item 9).
"""

from __future__ import annotations

import html
import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from tests.integration.html_portal import (
    CHARTS,
    NASTY_COMPANY,
    NASTY_SEGMENT,
    RECORD_LINK,
    REPORT_AS_OF,
    SECTIONS,
    Page,
    Report,
    build_report,
    expected,
    html_args,
    plain_company_nps,
    plain_company_risks,
    plain_round,
    show,
)


@pytest.fixture(scope="module")
def report(make_module_sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Report:
    """One backfilled portal and its HTML report for the whole module (the tests only read)."""
    return build_report(make_module_sandbox, tmp_path_factory.mktemp("html-report"))


@pytest.fixture(scope="module")
def page(report: Report) -> Page:
    """The report, parsed."""
    return Page(report.text)


@pytest.fixture(scope="module")
def want(report: Report) -> dict[str, Any]:
    """The plainly computed figures."""
    return expected(report)


class TestStructure:
    def test_every_section_has_its_id_and_a_heading(self, report: Report) -> None:
        """Seven sections, in order, each `<section id=...>` with an `<h2>` right inside."""
        found = re.findall(r'<section id="([^"]+)"[^>]*>\s*<h2[^>]*>([^<]+)</h2>', report.text)
        assert [key for key, _ in found] == list(SECTIONS)
        assert all(title.strip() for _, title in found)

    def test_one_inline_svg_per_chart_each_in_a_captioned_figure_with_a_title(self, report: Report) -> None:
        """Three charts; each `<figure>` holds one `<svg role=img>` with `<title>`, then a `<figcaption>`."""
        figures = re.findall(r"<figure>(.*?)</figure>", report.text, re.DOTALL)
        assert len(figures) == CHARTS
        assert report.text.count("<svg") == CHARTS
        for figure in figures:
            assert figure.count("<svg") == 1
            assert re.search(r'<svg [^>]*role="img"[^>]*aria-labelledby="[^"]+"', figure)
            assert re.search(r"<title id=[^>]+>[^<]+</title>", figure)
            assert re.search(r"<figcaption>[^<]+</figcaption>\s*$", figure)
        for section in ("portal", "trend", "distribution"):
            body = report.text.split(f'<section id="{section}"', 1)[1].split("</section>", 1)[0]
            assert body.count("<svg") == 1, section

    def test_text_in_charts_stays_text_and_no_font_is_embedded(self, report: Report) -> None:
        """svg.fonttype none: axis labels are `<text>`, no glyph paths or @font-face."""
        assert "<text" in report.text
        assert "@font-face" not in report.text
        assert 'id="DejaVuSans' not in report.text  # the glyph defs fonttype "path" would write

    def test_nothing_is_loaded_from_elsewhere(self, report: Report) -> None:
        """No script, stylesheet, import, image or font; the only URLs are HubSpot record links."""
        text = report.text
        lowered = text.lower()
        for needle in ("<script", "<link", "@import", "<img", "<iframe", "<object", "<embed", " src=", "srcset"):
            assert needle not in lowered, needle
        # url(...) only points inside the page (clip paths of the charts).
        assert re.findall(r"url\((?!#)", lowered) == []
        urls = re.findall(r"https?://[^\s\"'<>)]+", text)
        assert urls, "the at-risk companies link to their HubSpot records"
        assert all(u.startswith(RECORD_LINK) for u in urls), [u for u in urls if not u.startswith(RECORD_LINK)]
        assert "<!DOCTYPE svg" not in text
        assert "<?xml" not in text

    def test_readable_on_a_phone_and_printable(self, report: Report) -> None:
        """Viewport meta, a print stylesheet, tables in boxes that scroll sideways, charts that shrink."""
        text = report.text
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
        assert "@media print" in text
        assert text.count('<div class="table-wrap">') == text.count("<table")
        assert ".table-wrap { max-width: 100%; overflow-x: auto;" in text
        assert 'lang="en"' in text
        assert '<meta charset="utf-8">' in text

    def test_ids_are_unique_across_the_inline_svgs(self, report: Report, page: Page) -> None:
        """Several charts in one document: each chart's ids are prefixed, none repeats, every reference resolves."""
        repeated = sorted({i for i in page.ids if page.ids.count(i) > 1})
        assert repeated == []
        refs = re.findall(r"url\(#([^)]+)\)", report.text) + re.findall(r'href="#([^"]+)"', report.text)
        assert refs
        assert sorted(set(refs) - set(page.ids)) == []

    def test_crm_values_are_escaped(self, report: Report, page: Page) -> None:
        """A company named `<b>&Co` and a segment `<i>R&D</i>` appear as text, never as markup."""
        text = report.text
        assert NASTY_COMPANY not in text
        assert NASTY_SEGMENT not in text
        assert html.escape(NASTY_COMPANY) in text
        assert NASTY_COMPANY in page.rows("at-risk-table")
        assert NASTY_SEGMENT in page.rows("segments-table")
        # The segment is also a line in the trend chart's legend: escaped inside the SVG too.
        trend = text.split('<section id="trend"', 1)[1].split("</figure>", 1)[0]
        assert html.escape(NASTY_SEGMENT, quote=False) in trend
        assert page.tags["i"] == 0

    def test_the_same_as_of_gives_the_same_bytes(self, report: Report, tmp_path: Path) -> None:
        """Deterministic: fixed SVG hash salt and no date in the charts' metadata."""
        again = tmp_path / "again.html"
        result = report.portal.cli(*html_args(again))
        assert result.exit_code == 0, result.output
        assert again.read_text(encoding="utf-8") == report.text

    def test_without_by_the_segments_section_shows_the_portal_and_says_how(
        self, report: Report, tmp_path: Path
    ) -> None:
        """No --by: one portal row, and the hint to give --by PROPERTY."""
        output = tmp_path / "portal-only.html"
        result = report.portal.cli(*html_args(output, by=False))
        assert result.exit_code == 0, result.output
        page = Page(output.read_text(encoding="utf-8"))
        assert list(page.rows("segments-table")) == ["(all)"]
        assert "give --by PROPERTY to segment" in page.texts["segments-hint"]
        assert list(page.rows("satisfaction-table")) == ["(all)"]

    def test_html_needs_an_output_file(self, report: Report) -> None:
        """`--format html` without --output: one line, exit 2, before anything is read."""
        result = report.portal.cli("report", "--format", "html")
        assert result.exit_code == 2
        assert result.stderr.strip() == "error: --format html: give --output FILE, e.g. --output nps-report.html"


class TestFigures:
    def test_portal_nps_and_n(self, page: Page, want: dict[str, Any]) -> None:
        """portal: NPS and voices from the raw answers (latest per contact in the window)."""
        assert page.texts["portal-nps"] == show(want["portal_nps"])
        assert page.texts["portal-n"] == str(want["portal_n"])
        benchmarks = page.rows("benchmarks-table")
        assert benchmarks["B2B average"][0] == "29"

    def test_trend_last_month(self, page: Page, want: dict[str, Any]) -> None:
        """trend: the portal's rolling-window NPS at the last month end."""
        rows = page.rows("trend-table")
        assert list(rows)[-1] == want["trend_last_month"]
        assert rows[want["trend_last_month"]][0] == show(want["trend_last_nps"])
        assert len(rows) == 12

    def test_distribution_counts(self, page: Page, want: dict[str, Any]) -> None:
        """distribution: contacts per answer 0-10, the voices the portal NPS counts."""
        counts = page.rows("distribution-table")["Contacts"]
        assert [int(c) for c in counts] == [want["distribution"].get(s, 0) for s in range(11)]
        assert sum(int(c) for c in counts) == want["portal_n"]

    def test_companies_at_risk(self, report: Report, page: Page, want: dict[str, Any]) -> None:
        """at-risk: exactly the companies below 0 or falling, each linked to its HubSpot record."""
        links = re.findall(rf'<a href="{re.escape(RECORD_LINK)}(\d+)">', report.text)
        assert set(links) == set(want["at_risk"])
        assert len(links) == len(want["at_risk"])
        assert page.texts["at-risk-count"] == str(len(want["at_risk"]))
        reasons = {r[5] for r in page.rows("at-risk-table").values()}
        assert reasons <= {"detractor", "falling", "detractor, falling"}

    def test_each_company_against_the_benchmarks(self, report: Report, page: Page) -> None:
        """Each company's NPS minus each benchmark line: in the at-risk table and in json `companies`."""
        plain = plain_company_nps(report.fixture, REPORT_AS_OF)
        lines = {"B2B average": 29, "B2B top performers": 46, "B2B best in class": 71, "ICT average": 6}
        names = {c["id"]: c["properties"].get("name") or f"company {c['id']}" for c in report.fixture["companies"]}
        rows = page.rows("at-risk-table")
        checked = 0
        for company_id in plain_company_risks(report.fixture, REPORT_AS_OF):
            cells = rows[html.unescape(names[company_id])]
            for offset, line in enumerate(lines.values()):
                want = plain_round(Fraction(str(plain_round(plain[company_id]))) - line)
                assert cells[6 + offset].replace("+", "").replace("−", "-") == show(want), (company_id, line)
                checked += 1
        assert checked >= 4
        result = report.portal.cli("report", "--format", "json", "--trend", "--as-of", REPORT_AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        companies = {r["company_id"]: r for r in json.loads(result.stdout)["companies"]}
        assert set(companies) == set(plain)
        for company_id, nps in plain.items():
            for name, line in lines.items():
                want = plain_round(Fraction(str(plain_round(nps))) - line)
                assert companies[company_id][f"vs {name}"] == want, (company_id, name)

    def test_segment_nps(self, page: Page, want: dict[str, Any]) -> None:
        """segments: the Software segment's pooled NPS; the escaped segment's voices."""
        rows = page.rows("segments-table")
        assert next(iter(rows)) == "(all)"
        assert rows["Software"][1] == show(want["software_nps"])
        assert rows[NASTY_SEGMENT][3] == str(want["nasty_segment_n"])

    def test_portal_csat_and_ces(self, page: Page, want: dict[str, Any]) -> None:
        """satisfaction: the portal's CSAT % happy and CES average."""
        portal = page.rows("satisfaction-table")["(all)"]
        assert portal[0] == show(want["portal_csat"])
        assert portal[3] == show(want["portal_ces"])

    def test_closed_loop_counts(self, page: Page, want: dict[str, Any]) -> None:
        """closed-loop: follow-ups and completed ones, as the sandbox holds the connector's tasks."""
        assert want["followups"] >= 2
        assert page.texts["closed-loop-followups"] == str(want["followups"])
        everyone = page.rows("closed-loop-table")["all owners"]
        assert everyone[0] == str(want["followups"])
        assert everyone[1] == str(want["completed"])
        assert everyone[6] == str(want["followups"] - want["completed"])  # open


class TestJsonCarriesTheSameFigures:
    def test_distribution_at_risk_and_portal_are_in_the_json(self, report: Report, page: Page) -> None:
        """`report --format json` with the same views holds the page's figures (issue 13 item 9)."""
        args = ["report", "--format", "json", "--by", "industry", "--trend", "--closed-loop"]
        result = report.portal.cli(*args, "--as-of", REPORT_AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert show(data["portal"]["nps"]) == page.texts["portal-nps"]
        assert data["portal"] == data["segments"][0]
        counts = page.rows("distribution-table")["Contacts"]
        assert [r["voices"] for r in data["distribution"]] == [int(c) for c in counts]
        assert [r["score"] for r in data["distribution"]] == list(range(11))
        names = list(page.rows("at-risk-table"))
        assert [r["name"] or f"company {r['company_id']}" for r in data["at_risk"]] == names
        assert all(r["link"] == f"{RECORD_LINK}{r['company_id']}" for r in data["at_risk"])
        assert data["closed_loop"][0]["followups"] == int(page.texts["closed-loop-followups"])
        last = [r for r in data["trend"] if r["segment"] == "(all)"][-1]
        assert show(last["nps"]) == page.rows("trend-table")[last["month"]][0]
