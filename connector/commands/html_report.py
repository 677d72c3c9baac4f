"""`report --format html`: one self-contained page from the figures `insights()` computed.

No script, stylesheet, font or image is loaded from anywhere: the CSS is inline, the charts are
inline SVG (connector/commands/charts.py) and the only URLs are links to HubSpot records. Every
value that comes from the CRM or the config is escaped. The page reads on a phone (viewport meta,
tables scroll sideways inside their own box, charts shrink) and prints (`@media print`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from connector.commands import charts
from connector.core.insights import CLOSED_LOOP_COLUMNS
from connector.core.values import format_number

NA = "–"  # an empty cell: no value (too few voices, or nothing to measure)
PORTAL = "(all)"

SECTIONS = (
    ("portal", "Portal NPS"),
    ("trend", "Trend"),
    ("distribution", "Distribution of answers"),
    ("at-risk", "Companies at risk"),
    ("segments", "Segments"),
    ("satisfaction", "CSAT and CES"),
    ("closed-loop", "Closed loop"),
)

CSS = """
:root { --fg: #1d2733; --muted: #5b6675; --line: #dde2e8; --soft: #f4f6f9; --accent: #1f4e79;
  --promoter: #1b7f62; --passive: #6b717a; --detractor: #b0480c; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1060px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 16px; }
h1 { font-size: 1.7rem; margin: .2rem 0; }
h2 { font-size: 1.3rem; margin: 0 0 .6rem; }
p, li, td.name, figcaption { overflow-wrap: anywhere; }
a { color: var(--accent); }
.meta, figcaption, .note, footer { color: var(--muted); }
.note { font-size: .92rem; }
nav ul { display: flex; flex-wrap: wrap; gap: .2rem 1rem; list-style: none; padding: 0; margin: .6rem 0 0; }
section { margin: 1.6rem 0; padding-top: 1rem; border-top: 1px solid var(--line); }
.headline { display: flex; flex-wrap: wrap; align-items: baseline; gap: .2rem .8rem; margin: .2rem 0 .6rem; }
.big { font-size: 2.8rem; font-weight: 700; line-height: 1.1; font-variant-numeric: tabular-nums; }
.margin { font-size: 1.3rem; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .6rem;
  list-style: none; padding: 0; margin: .8rem 0; }
.cards li { background: var(--soft); border-radius: 6px; padding: .5rem .7rem; border-left: 4px solid var(--line); }
.cards b { display: block; font-size: 1.35rem; font-variant-numeric: tabular-nums; }
.cards .promoter { border-left-color: var(--promoter); }
.cards .passive { border-left-color: var(--passive); }
.cards .detractor { border-left-color: var(--detractor); }
.table-wrap { max-width: 100%; overflow-x: auto; -webkit-overflow-scrolling: touch; margin: .6rem 0; }
table { border-collapse: collapse; font-size: .92rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding: 0 0 .3rem; }
th, td { padding: .32rem .6rem; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: var(--soft); font-weight: 600; }
thead th { white-space: normal; vertical-align: bottom; min-width: 3.2rem; }
th:first-child, td:first-child { text-align: left; }
tbody th { position: sticky; left: 0; z-index: 1; }  /* the row's name stays in view while a wide table scrolls */
td.name { white-space: normal; min-width: 10rem; }
th.text, td.text { text-align: left; }
tr.portal td { font-weight: 600; }
.pos { color: var(--promoter); }
.neg { color: var(--detractor); }
figure { margin: .8rem 0; }
figure svg.chart { display: block; width: 100%; height: auto; }
figure svg.chart * { stroke-linejoin: round; stroke-linecap: butt; }
figcaption { font-size: .9rem; margin-top: .3rem; }
footer { font-size: .85rem; padding-bottom: 24px; }
@media (max-width: 600px) {
  body { font-size: 15px; }
  .big { font-size: 2.2rem; }
  header, main, footer { padding: 0 12px; }
}
@media print {
  body { font-size: 10.5pt; }
  header, main, footer { max-width: none; padding: 0; }
  nav { display: none; }
  section { border-top: 0; padding-top: 0; break-inside: auto; }
  h2 { break-after: avoid; }
  figure, tr, .cards li { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  th, td { white-space: normal; }
  tbody th { position: static; }
  a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def render_html(data: Mapping[str, Any]) -> str:
    """The report page for `insights()` data computed with every view (segments only with `--by`)."""
    as_of = str(data["as_of"])
    by = data.get("by")
    meta = [f"As of {_e(_when(as_of))}", f"window {_e(data.get('window_days', ''))} days"]
    meta.append(f"segments by <code>{_e(by)}</code> (each company's value now)" if by else "no segments")
    nav = "".join(f'<li><a href="#{key}">{_e(title)}</a></li>' for key, title in SECTIONS)
    body = "\n".join(
        [
            _portal(data),
            _trend(data),
            _distribution(data),
            _at_risk(data),
            _segments(data),
            _satisfaction(data),
            _closed_loop(data),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="nps-connector">\n'
        f"<title>NPS report, as of {_e(_when(as_of))}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header>\n<h1>NPS report</h1>\n<p class="meta">{" · ".join(meta)}</p>\n'
        f'<nav aria-label="Sections"><ul>{nav}</ul></nav>\n</header>\n'
        f"<main>\n{body}\n</main>\n"
        "<footer><p>Made by nps-connector from its ledger (and, for segments and follow-ups, HubSpot). "
        "One voice per contact: its latest answer in the window, counted under its primary company. "
        "Figures have one decimal, rounded half away from zero; ± is the 95 % margin of error. "
        "This page runs no script and loads nothing from the network.</p></footer>\n"
        "</body>\n</html>\n"
    )


# --- sections ---------------------------------------------------------------------------------------


def _section(key: str, inner: str) -> str:
    title = dict(SECTIONS)[key]
    head = f'<h2 id="{key}-heading">{_e(title)}</h2>'
    return f'<section id="{key}" aria-labelledby="{key}-heading">\n{head}\n{inner}\n</section>'


def _portal(data: Mapping[str, Any]) -> str:
    row: Mapping[str, Any] = data["portal"]
    benchmarks: Mapping[str, float] = data.get("benchmarks", {})
    nps, margin = row.get("nps"), row.get("margin_of_error")
    if nps is None:
        headline = '<p class="headline"><span class="big" id="portal-nps">–</span> no NPS voice in the window</p>'
    else:
        headline = (
            f'<p class="headline"><span class="big" id="portal-nps">{_n(nps)}</span>'
            f'<span class="margin" id="portal-margin">± {_n(margin)}</span>'
            f'<span>NPS over <b id="portal-n">{_n(row.get("n"))}</b> contacts '
            f"in {_n(row.get('companies'))} companies</span></p>"
        )
    cards = "".join(
        f'<li class="{cls}">{label} <b id="portal-{cls}s">{_n(row.get(cls + "s"))}</b></li>'
        for cls, label in (("promoter", "Promoters 9-10"), ("passive", "Passives 7-8"), ("detractor", "Detractors 0-6"))
    )
    cards += f'<li>Trend vs the window before <b id="portal-trend">{_signed(row.get("trend"))}</b></li>'
    lines = [[_e(name), _n(value), _signed_cell(row.get(f"vs {name}"))] for name, value in benchmarks.items()]
    table = _table(
        "benchmarks-table",
        "Portal NPS minus each benchmark line, in points",
        ["Benchmark", "NPS", "Portal minus benchmark"],
        lines,
    )
    chart = _figure(
        charts.benchmark_chart(nps, margin, benchmarks),
        "The portal's NPS (with its 95 % margin of error) against the benchmark lines"
        " (Integron, Customer Experience in B2B Netherlands 2024, unless configured otherwise).",
    )
    return _section("portal", f'{headline}\n<ul class="cards">{cards}</ul>\n{table}\n{chart}')


def _trend(data: Mapping[str, Any]) -> str:
    rows: Sequence[Mapping[str, Any]] = data.get("trend", [])
    months = list(dict.fromkeys(str(r["month"]) for r in rows))
    by_series: dict[str, dict[str, Mapping[str, Any]]] = {}
    for r in rows:
        by_series.setdefault(str(r["segment"]), {})[str(r["month"])] = r
    names = list(by_series)
    # The chart keeps the largest segments readable; the table below holds them all.
    latest = months[-1] if months else ""
    segments = sorted(
        (s for s in names if s != PORTAL), key=lambda s: -int(by_series[s].get(latest, {}).get("n") or 0)
    )[: charts.MAX_SEGMENT_LINES]
    shown = [s for s in names if s == PORTAL or s in segments]
    series = {_series_name(s): [by_series[s].get(m, {}).get("nps") for m in months] for s in shown}
    left_out = len(names) - len(shown)
    caption = "NPS over the rolling window ending at each month end (00:00 UTC on the first of the next month)"
    if len(shown) > 1:
        caption += f": the portal in bold, {len(shown) - 1} segment{'s' if len(shown) > 2 else ''}"
        if left_out:
            caption += f" (the largest; {left_out} more in the table)"
    chart = _figure(charts.trend_chart(months, series), caption + ".")
    head = ["Month", "NPS", "±", "n", *(_e(s) for s in names if s != PORTAL)]
    body = []
    for m in months:
        portal = by_series.get(PORTAL, {}).get(m, {})
        cells = [_e(m), _n(portal.get("nps")), _n(portal.get("margin_of_error")), _n(portal.get("n"))]
        cells += [_n(by_series[s].get(m, {}).get("nps")) for s in names if s != PORTAL]
        body.append(cells)
    note = "Portal NPS, its margin and voices per month" + (", then each segment's NPS." if len(names) > 1 else ".")
    return _section("trend", f"{chart}\n{_table('trend-table', note, head, body)}")


def _series_name(segment: str) -> str:
    return "Portal (all)" if segment == PORTAL else segment


def _distribution(data: Mapping[str, Any]) -> str:
    rows: Sequence[Mapping[str, Any]] = data.get("distribution", [])
    counts = [int(r["voices"]) for r in sorted(rows, key=lambda r: int(r["score"]))]
    total = sum(counts)
    chart = _figure(
        charts.distribution_chart(counts),
        f"The {total} voices the portal NPS counts: each contact's latest answer in the window.",
    )
    head = ["Answer", *(str(s) for s in range(len(counts)))]
    shares = [_n(round(100 * c / total, 1)) if total else NA for c in counts]
    table = _table(
        "distribution-table",
        "Contacts per answer, and their share in %",
        head,
        [["Contacts", *(str(c) for c in counts)], ["Share %", *shares]],
    )
    return _section("distribution", f"{chart}\n{table}")


def _at_risk(data: Mapping[str, Any]) -> str:
    rows: Sequence[Mapping[str, Any]] = data.get("at_risk", [])
    benchmarks: Mapping[str, float] = data.get("benchmarks", {})
    scored = data["portal"].get("companies", 0)
    intro = (
        f'<p class="note"><b id="at-risk-count">{len(rows)}</b> of {_n(scored)} scored companies are in the '
        "detractor category or have a falling trend (NPS below the window before), lowest NPS first.</p>"
    )
    if not rows:
        return _section("at-risk", intro)
    body = []
    for r in rows:
        name = _e(r.get("name") or f"company {r['company_id']}")
        link = r.get("link")
        cell = f'<a href="{_e(link)}">{name}</a>' if link else name
        body.append(
            [
                cell,
                _n(r.get("nps")),
                _n(r.get("margin_of_error")),
                _n(r.get("n")),
                _signed_cell(r.get("trend")),
                _e(r.get("category")),
                _e(", ".join(r.get("reasons", []))),
                *(_signed_cell(r.get(f"vs {name}")) for name in benchmarks),
            ]
        )
    table = _table(
        "at-risk-table",
        "Companies at risk, and their NPS minus each benchmark line"
        + ("" if any(r.get("link") for r in rows) else " (set [hubspot] portal_id for links)"),
        ["Company", "NPS", "±", "n", "Trend", "Category", "Why", *(f"vs {_e(name)}" for name in benchmarks)],
        body,
        name_column=True,
        text_columns=(5, 6),
    )
    return _section("at-risk", f"{intro}\n{table}")


def _segment_rows(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(data.get("segments") or [data["portal"]])


def _segments(data: Mapping[str, Any]) -> str:
    benchmarks: Mapping[str, float] = data.get("benchmarks", {})
    rows = _segment_rows(data)
    head = ["Segment", "Companies", "NPS", "±", "n", "Promoters", "Passives", "Detractors", "Trend"]
    body = []
    for r in rows:
        cells = [_e(r["segment"]), *(_n(r.get(k)) for k in ("companies", "nps", "margin_of_error", "n"))]
        cells += [_n(r.get(k)) for k in ("promoters", "passives", "detractors")]
        body.append([*cells, _signed_cell(r.get("trend"))])
    by = data.get("by")
    if by:
        intro = (
            f'<p class="note">Companies grouped by <code>{_e(by)}</code> (each company\'s value now, read from '
            "HubSpot); each segment pools its companies' voices. <code>(none)</code>: no value.</p>"
        )
    else:
        intro = '<p class="note" id="segments-hint">Portal only: give --by PROPERTY to segment, e.g. --by industry.</p>'
    table = _table("segments-table", "NPS per segment, the portal first", head, body, portal_first=True)
    # The benchmark differences get their own table: one wide table would scroll even on a desktop.
    versus = _table(
        "segments-benchmarks-table",
        "Each segment's NPS minus each benchmark line, in points",
        ["Segment", "NPS", *(_e(name) for name in benchmarks)],
        [
            [_e(r["segment"]), _n(r.get("nps")), *(_signed_cell(r.get(f"vs {name}")) for name in benchmarks)]
            for r in rows
        ],
        portal_first=True,
    )
    return _section("segments", f"{intro}\n{table}\n{versus}")


def _satisfaction(data: Mapping[str, Any]) -> str:
    head = ["Segment", "CSAT % happy", "±", "CSAT n", "CES average (1-7)", "CES % easy (6-7)", "CES n"]
    body = [
        [
            _e(r["segment"]),
            *(_n(r.get(k)) for k in ("csat", "csat_margin_of_error", "csat_n", "ces_average", "ces_easy", "ces_n")),
        ]
        for r in _segment_rows(data)
    ]
    intro = (
        '<p class="note">CSAT: share of contacts whose latest CSAT answer is "happy" (2 on HubSpot\'s 0-2 scale). '
        "CES: mean effort on 1-7 and the share answering 6-7 (easy). One voice per contact, same window.</p>"
    )
    table = _table("satisfaction-table", "CSAT and CES, the portal first", head, body, portal_first=True)
    return _section("satisfaction", f"{intro}\n{table}")


def _closed_loop(data: Mapping[str, Any]) -> str:
    rows: Sequence[Mapping[str, Any]] = data.get("closed_loop", [])
    target = data.get("followup_target_hours", 48)
    overall = rows[0] if rows else {}
    total = overall.get("followups", 0)
    if total:
        summary = (
            f'<p class="note"><b id="closed-loop-followups">{_n(total)}</b> detractor follow-ups: '
            f"{_n(overall.get('completed_share'))} % completed, {_n(overall.get('on_time_share'))} % within "
            f"{_n(target)} h of the answer, median {_n(overall.get('median_hours_to_complete'))} h to completion; "
            f"{_n(overall.get('open'))} open, {_n(overall.get('overdue'))} overdue.</p>"
        )
    else:
        summary = '<p class="note"><b id="closed-loop-followups">0</b> detractor follow-ups so far.</p>'
    head = ["Owner", "Follow-ups", "Completed", "%", f"Within {_n(target)} h", "%", "Median h", "Open", "Overdue"]
    keys = CLOSED_LOOP_COLUMNS[1:]  # after the owner
    body = [[_e("all owners" if r["owner"] == PORTAL else r["owner"]), *(_n(r.get(k)) for k in keys)] for r in rows]
    table = _table(
        "closed-loop-table",
        "The connector's detractor follow-up tasks in HubSpot, per owner id",
        head,
        body,
        portal_first=True,
    )
    return _section("closed-loop", f"{summary}\n{table}")


# --- pieces ---------------------------------------------------------------------------------------------


def _table(
    key: str,
    caption: str,
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    portal_first: bool = False,
    name_column: bool = False,
    text_columns: Sequence[int] = (),
) -> str:
    """A table in a box that scrolls sideways; cells are already-escaped HTML, numbers right-aligned."""
    th = "".join(
        f'<th scope="col" class="text">{h}</th>' if j in text_columns else f'<th scope="col">{h}</th>'
        for j, h in enumerate(head)
    )
    trs = []
    for i, cells in enumerate(rows):
        cls = ' class="portal"' if portal_first and i == 0 else ""
        first, rest = cells[0], cells[1:]
        lead = f'<td class="name">{first}</td>' if name_column else f'<th scope="row">{first}</th>'
        tds = "".join(
            f'<td class="text">{c}</td>' if j in text_columns else f"<td>{c}</td>" for j, c in enumerate(rest, 1)
        )
        trs.append(f"<tr{cls}>{lead}{tds}</tr>")
    return (
        f'<div class="table-wrap"><table id="{key}"><caption>{_e(caption)}</caption>'
        f"<thead><tr>{th}</tr></thead><tbody>{''.join(trs)}</tbody></table></div>"
    )


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _n(value: Any) -> str:
    """A figure as text: the shortest decimal (33.3, 65), NA for no value."""
    if value is None or value == "":
        return NA
    if isinstance(value, bool):
        return _e(value)
    if isinstance(value, int | float):
        return format_number(value)
    return _e(value)


def _signed(value: Any) -> str:
    if value is None:
        return NA
    text = _n(value)
    return f"+{text}" if isinstance(value, int | float) and value > 0 else text


def _signed_cell(value: Any) -> str:
    if value is None:
        return NA
    cls = "pos" if value > 0 else "neg" if value < 0 else ""
    text = _signed(value)
    return f'<span class="{cls}">{text}</span>' if cls else text


def _when(iso: str) -> str:
    # 2026-11-20T12:00:00.000Z -> 2026-11-20 12:00 UTC
    if len(iso) >= 16 and iso[10] == "T":
        return f"{iso[:10]} {iso[11:16]} UTC"
    return iso
