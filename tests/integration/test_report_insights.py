"""`report --by`, `--trend` and `--closed-loop` end to end: the real CLI against the sandbox, checked plainly."""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from statistics import median
from typing import Any

from connector.sandbox.demo import generate_portal
from tests.conftest import build_sdk
from tests.integration.conftest import SECRET, Portal
from tests.integration.test_sync_e2e import AS_OF, NO_TASKS

INDUSTRIES = ("Software", "Manufacturing", "Retail")
BENCHMARKS = {"B2B average": 29, "B2B top performers": 46, "B2B best in class": 71, "ICT average": 6}
MARKER = re.compile(r"^NPS feedback submission ID: (\d+)$", re.MULTILINE)
WINDOW = timedelta(days=365)


def _fixture() -> dict[str, Any]:
    """The demo portal, with an industry on three companies in four (the fourth has none)."""
    fixture = generate_portal(400, seed=3, now=AS_OF)
    for i, company in enumerate(fixture["companies"]):
        if i % 4 < 3:
            company["properties"]["industry"] = INDUSTRIES[i % 4]
    return fixture


FIXTURE = _fixture()


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _round(x: Fraction) -> float:
    d = Decimal(x.numerator) / Decimal(x.denominator)
    return float(d.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def plain_voices(fixture: dict[str, Any], end: datetime) -> dict[str, dict[str, int]]:
    """Contact id -> {"company", "nps", "before", "csat", "ces"}: latest valid answer per slot, plainly."""
    merged = {m["from"]: m["into"] for m in fixture.get("merges", [])}
    contacts = {c["id"]: c for c in fixture["contacts"]}
    scales = {"NPS": (0, 10), "CSAT": (0, 2), "CES": (1, 7)}
    latest: dict[tuple[str, str], tuple[datetime, int, int]] = {}
    for sub in fixture["feedback_submissions"]:
        props = sub["properties"]
        kind = props.get("hs_survey_type")
        raw = props.get("hs_value")
        if kind not in scales or not sub.get("contact_id") or not isinstance(raw, str):
            continue
        raw = raw.strip()
        if not raw or not all(c in "0123456789" for c in raw) or not scales[kind][0] <= int(raw) <= scales[kind][1]:
            continue
        cid = sub["contact_id"]
        while cid in merged:
            cid = merged[cid]
        if contacts[cid].get("archived"):
            continue
        at = _time(props["hs_submission_timestamp"])
        if end - WINDOW < at <= end:
            slot = kind.lower()
        elif kind == "NPS" and end - 2 * WINDOW < at <= end - WINDOW:
            slot = "before"
        else:
            continue
        item = (at, int(sub["id"]), int(raw))
        if (cid, slot) not in latest or item > latest[(cid, slot)]:
            latest[(cid, slot)] = item
    out: dict[str, dict[str, int]] = {}
    for (cid, slot), item in latest.items():
        company = next((str(x["id"]) for x in contacts[cid].get("companies", []) if x.get("primary")), None)
        if company:
            out.setdefault(cid, {"company": int(company)})[slot] = item[2]
    return out


def plain_segment(voices: list[dict[str, int]]) -> dict[str, Any]:
    """NPS, n, margin, trend, CSAT % and CES mean over pooled voices, from their definitions."""
    now = [v["nps"] for v in voices if "nps" in v]
    before = [v["before"] for v in voices if "before" in v]

    def nps(scores: list[int]) -> Fraction:
        return Fraction(100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)), len(scores))

    out: dict[str, Any] = {"n": len(now), "nps": None, "trend": None, "margin_of_error": None}
    if now:
        out["nps"] = _round(nps(now))
        n3 = len(now) + 3
        p = (sum(s >= 9 for s in now) + 0.75) / n3
        d = (sum(s <= 6 for s in now) + 0.75) / n3
        out["margin_of_error"] = round(196 * math.sqrt((p + d - (p - d) ** 2) / n3), 1)
        if before:
            out["trend"] = _round(nps(now) - nps(before))
    csat = [v["csat"] for v in voices if "csat" in v]
    ces = [v["ces"] for v in voices if "ces" in v]
    out["csat"] = _round(Fraction(100 * sum(c == 2 for c in csat), len(csat))) if csat else None
    out["csat_n"] = len(csat)
    out["ces_average"] = _round(Fraction(sum(ces), len(ces))) if ces else None
    out["ces_n"] = len(ces)
    return out


def industry_of(fixture: dict[str, Any]) -> dict[int, str]:
    """Company id -> industry, where it has one."""
    return {int(c["id"]): c["properties"]["industry"] for c in fixture["companies"] if "industry" in c["properties"]}


def _backfilled(make_portal: Any, fixture: dict[str, Any], extra: str = NO_TASKS) -> Portal:
    portal: Portal = make_portal(copy.deepcopy(fixture), extra)
    assert portal.cli("setup").exit_code == 0
    result = portal.cli("backfill", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    return portal


class TestSegments:
    def test_by_industry_matches_a_plain_pooled_computation(self, make_portal: Any) -> None:
        """Per industry and for the portal (first): NPS, n, margin, trend, CSAT, CES and benchmark differences."""
        portal = _backfilled(make_portal, FIXTURE)
        result = portal.cli("report", "--by", "industry", "--format", "json", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        voices = plain_voices(FIXTURE, AS_OF)
        industries = industry_of(FIXTURE)
        groups: dict[str, list[dict[str, int]]] = {"(all)": list(voices.values())}
        for v in voices.values():
            groups.setdefault(industries.get(v["company"], "(none)"), []).append(v)
        rows = data["segments"]
        assert rows[0]["segment"] == "(all)"
        assert {r["segment"] for r in rows} == set(groups)
        for row in rows:
            want = plain_segment(groups[row["segment"]])
            for key, value in want.items():
                assert row[key] == value, (row["segment"], key)
            for name, line in BENCHMARKS.items():
                assert row[f"vs {name}"] == _round(Fraction(str(row["nps"])) - line), (row["segment"], name)
        assert data["by"] == "industry"
        # The trend series, per segment, is in the export too.
        assert {(r["segment"]) for r in data["trend"]} == set(groups)

    def test_segment_values_are_read_in_batches_of_100(self, make_portal: Any) -> None:
        """The segment is the company's value now: one batch read per 100 scored companies."""
        portal = _backfilled(make_portal, FIXTURE)
        before = portal.stats()
        result = portal.cli("report", "--by", "industry", "--format", "csv", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        parsed = list(csv.DictReader(io.StringIO(result.stdout)))
        assert parsed[0]["segment"] == "(all)"
        assert "vs B2B average" in parsed[0]
        scored = len(json.loads(portal.cli("report", "--format", "json", "--as-of", AS_OF.isoformat()).stdout))
        after = _routes(portal.stats())
        calls = {k: v - _routes(before).get(k, 0) for k, v in after.items() if v != _routes(before).get(k, 0)}
        assert len(calls) == 1, calls
        ((route, count),) = calls.items()
        assert route.endswith("/batch/read"), route
        assert count == math.ceil(scored / 100)

    def test_table_lists_the_segments(self, make_portal: Any) -> None:
        """The table names each segment and the benchmark lines."""
        portal = _backfilled(make_portal, FIXTURE)
        result = portal.cli("report", "--by", "industry", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        assert "NPS by industry" in result.output
        assert all(name in result.output for name in INDUSTRIES)

    def test_a_property_no_company_has_is_named_in_a_warning(self, make_portal: Any) -> None:
        """HubSpot ignores an unknown property in a batch read: the report says so, all companies in "(none)"."""
        portal = _backfilled(make_portal, FIXTURE)
        result = portal.cli("report", "--by", "no_such_tier", "--format", "json", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        assert "no scored company has a value for 'no_such_tier'" in result.stderr
        segments = json.loads(result.stdout)["segments"]
        assert [r["segment"] for r in segments] == ["(all)", "(none)"]
        assert segments[0]["n"] == segments[1]["n"]

    def test_without_by_the_report_is_unchanged(self, make_portal: Any) -> None:
        """No view asked for: the per-company list, exactly as before."""
        portal = _backfilled(make_portal, FIXTURE)
        rows = json.loads(portal.cli("report", "--format", "json", "--as-of", AS_OF.isoformat()).stdout)
        assert isinstance(rows, list)
        assert all("company_id" in r for r in rows)


def _routes(stats: dict[str, Any]) -> dict[str, int]:
    """Calls per route the sandbox counted."""
    return dict(stats["by_route"])


class TestTrend:
    def test_monthly_portal_series_matches_a_plain_computation(self, make_portal: Any) -> None:
        """12 month ends, oldest first, each the rolling-window NPS then."""
        portal = _backfilled(make_portal, FIXTURE)
        result = portal.cli("report", "--trend", "--format", "json", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        series = json.loads(result.stdout)["trend"]
        assert len(series) == 12
        assert series[-1]["month_end"] == "2026-11-01T00:00:00Z"
        assert series[0]["month"] == "2025-11"
        for row in series:
            want = plain_segment(list(plain_voices(FIXTURE, _time(row["month_end"])).values()))
            assert (row["nps"], row["n"]) == (want["nps"], want["n"]), row["month"]
        as_csv = portal.cli("report", "--trend", "--format", "csv", "--as-of", AS_OF.isoformat())
        assert len(list(csv.DictReader(io.StringIO(as_csv.stdout)))) == 12


class TestClosedLoop:
    def test_figures_match_the_tasks_in_the_sandbox(self, make_portal: Any) -> None:
        """Completed share, share within 48 h, median hours, open and overdue: per owner and overall."""
        portal = _backfilled(make_portal, FIXTURE, "")
        snap = portal.get("/_sandbox/snapshot")
        tasks = [t for t in snap["tasks"] if not t.get("archived") and MARKER.search(t["properties"]["hs_task_body"])]
        assert len(tasks) >= 4
        sdk = build_sdk(portal.server.url, token=SECRET)
        for task in tasks[::2]:
            sdk.crm.objects.tasks.basic_api.update(
                task["id"], simple_public_object_input={"properties": {"hs_task_status": "COMPLETED"}}
            )
        as_of = datetime.now(UTC) + timedelta(minutes=1)
        result = portal.cli("report", "--closed-loop", "--format", "json", "--as-of", as_of.isoformat())
        assert result.exit_code == 0, result.output
        rows = {r["owner"]: r for r in json.loads(result.stdout)["closed_loop"]}

        answered = {s["id"]: _time(s["properties"]["hs_submission_timestamp"]) for s in FIXTURE["feedback_submissions"]}
        held = {t["id"]: t["properties"] for t in portal.get("/_sandbox/snapshot")["tasks"]}
        groups: dict[str, list[dict[str, Any]]] = {"(all)": []}
        for task in tasks:
            props = held[task["id"]]
            sid = MARKER.findall(props["hs_task_body"])[0]
            item = {
                "answered": answered[sid],
                "due": _time(props["hs_timestamp"]),
                "done": _time(props["hs_task_completion_date"]) if props["hs_task_status"] == "COMPLETED" else None,
            }
            groups["(all)"].append(item)
            groups.setdefault(props.get("hubspot_owner_id") or "(none)", []).append(item)
        assert set(rows) == set(groups)
        for owner, items in groups.items():
            done = [i for i in items if i["done"] is not None]
            hours = [(i["done"] - i["answered"]).total_seconds() / 3600 for i in done]
            on_time = sum(h <= 48 for h in hours)
            row = rows[owner]
            assert row["followups"] == len(items), owner
            assert row["completed"] == len(done), owner
            assert row["completed_share"] == _round(Fraction(100 * len(done), len(items))), owner
            assert row["on_time"] == on_time, owner
            assert row["median_hours_to_complete"] == (round(median(hours), 1) if hours else None), owner
            assert row["open"] == len(items) - len(done), owner
            assert row["overdue"] == sum(1 for i in items if i["done"] is None and i["due"] < as_of), owner
