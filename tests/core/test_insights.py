"""Segments, monthly trend and closed-loop figures against plain computations written here."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.config import ScoringSettings
from connector.core.insights import (
    FollowupTask,
    benchmark_differences,
    closed_loop,
    contact_voices,
    month_ends,
    month_label,
    segment_figures,
    segment_row,
)
from connector.model import AnswerRow, ContactRow

AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)
SCORING = ScoringSettings(window_days=30)
KINDS = ("NPS", "CSAT", "CES")
SCALES = {"NPS": (0, 10), "CSAT": (0, 2), "CES": (1, 7)}


def _round(x: Fraction) -> float:
    d = Decimal(x.numerator) / Decimal(x.denominator)
    return float(d.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


EMPTY = {"n": 0, "nps": None, "trend": None, "margin_of_error": None, "csat": None, "csat_n": 0, "ces_n": 0}


def _margin(now: list[int]) -> float:
    """The adjusted-Wald NPS half-width, in 60-digit decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 60
        n = Decimal(len(now) + 3)
        p = (sum(x >= 9 for x in now) + Decimal("0.75")) / n
        d = (sum(x <= 6 for x in now) + Decimal("0.75")) / n
        half = 196 * ((p + d - (p - d) ** 2) / n).sqrt()
        return float(half.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


answers_st = st.lists(
    st.tuples(
        st.integers(0, 7),  # contact
        st.sampled_from(KINDS),
        st.integers(-1, 11),  # value, sometimes off the scale
        st.integers(-70 * 24, 2 * 24),  # hours from as-of
    ),
    max_size=60,
)
companies_st = st.lists(st.sampled_from(["", "1", "2", "3"]), min_size=8, max_size=8)
segments_st = st.dictionaries(st.sampled_from(["1", "2", "3"]), st.sampled_from(["A", "B"]))


def _rows(raw: list[tuple[int, str, int, int]]) -> list[AnswerRow]:
    return [
        AnswerRow(str(1000 + i), str(c), kind, "", kind, str(v), AS_OF + timedelta(hours=h), AS_OF)
        for i, (c, kind, v, h) in enumerate(raw)
    ]


def _contacts(companies: list[str]) -> dict[str, ContactRow]:
    return {str(i): ContactRow(str(i), company_id=company or None) for i, company in enumerate(companies)}


def plain(raw: list[tuple[int, str, int, int]], companies: list[str], segment: dict[str, str]) -> dict[str, Any]:
    """Segment -> plain figures: latest valid answer per contact and slot, pooled over the segment's contacts."""
    window = timedelta(days=30)
    latest: dict[tuple[int, str], tuple[datetime, int, int]] = {}
    for i, (c, kind, v, h) in enumerate(raw):
        at = AS_OF + timedelta(hours=h)
        low, high = SCALES[kind]
        if not companies[c] or not low <= v <= high or at > AS_OF:
            continue
        if at > AS_OF - window:
            slot = kind
        elif kind == "NPS" and at > AS_OF - 2 * window:
            slot = "before"
        else:
            continue
        item = (at, 1000 + i, v)
        if (c, slot) not in latest or item > latest[(c, slot)]:
            latest[(c, slot)] = item
    groups: dict[str, dict[str, list[int]]] = {}
    for (c, slot), item in latest.items():
        for name in ("(all)", segment.get(companies[c], "(none)")):
            groups.setdefault(name, {}).setdefault(slot, []).append(item[2])
    out: dict[str, Any] = {}
    for name, slots in groups.items():
        now, before = slots.get("NPS", []), slots.get("before", [])

        def nps(xs: list[int]) -> Fraction:
            return Fraction(100 * (sum(x >= 9 for x in xs) - sum(x <= 6 for x in xs)), len(xs))

        csat, ces = slots.get("CSAT", []), slots.get("CES", [])
        out[name] = {
            "n": len(now),
            "nps": _round(nps(now)) if now else None,
            "trend": _round(nps(now) - nps(before)) if now and before else None,
            "margin_of_error": _margin(now) if now else None,
            "csat": _round(Fraction(100 * sum(x == 2 for x in csat), len(csat))) if csat else None,
            "csat_n": len(csat),
            "ces_average": _round(Fraction(sum(ces), len(ces))) if ces else None,
            "ces_n": len(ces),
        }
    return out


class TestSegments:
    @settings(max_examples=300, deadline=None)
    @given(answers_st, companies_st, segments_st)
    def test_pooled_figures_match_a_plain_computation(
        self, raw: list[tuple[int, str, int, int]], companies: list[str], segment: dict[str, str]
    ) -> None:
        """Each segment (and the portal) pools one voice per contact, like one company's NPS."""
        voices = contact_voices(_rows(raw), _contacts(companies), AS_OF, SCORING)
        figures = segment_figures(voices, segment, (), SCORING)
        rows = {f.segment: segment_row(f, {}) for f in figures}
        want = plain(raw, companies, segment)
        assert figures[0].segment == "(all)"
        for name, row in rows.items():
            for key, value in want.get(name, EMPTY).items():
                assert row[key] == value, (name, key)
        assert set(rows) == set(want) | {"(all)"}

    def test_companies_without_a_value_are_in_none_and_listed_last(self) -> None:
        """A scored company without the property counts under "(none)", after the named segments."""
        contacts = _contacts(["1", "2"])
        answers = _rows([(0, "NPS", 10, -1), (1, "NPS", 0, -1)])
        figures = segment_figures(contact_voices(answers, contacts, AS_OF, SCORING), {"1": "Zeta"}, ["1", "2"], SCORING)
        assert [f.segment for f in figures] == ["(all)", "Zeta", "(none)"]
        assert [f.companies for f in figures] == [2, 1, 1]

    @given(st.integers(-100, 100), st.dictionaries(st.text(min_size=1, max_size=5), st.integers(-100, 100)))
    def test_benchmark_differences_are_points(self, score: int, lines: dict[str, int]) -> None:
        """Score minus each benchmark line, in points; None without a score."""
        diffs = benchmark_differences(float(score), {k: float(v) for k, v in lines.items()})
        assert diffs == {f"vs {k}": float(score - v) for k, v in lines.items()}
        assert set(benchmark_differences(None, lines).values()) <= {None}


class TestMonthEnds:
    @given(st.datetimes(min_value=datetime(2000, 3, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
    def test_last_twelve_month_ends(self, as_of: datetime) -> None:
        """Twelve firsts of a month, oldest first, the newest at or before as-of and within a month of it."""
        ends = month_ends(as_of, 12)
        assert len(ends) == 12
        assert all(e.day == 1 and e.hour == 0 and e.minute == 0 for e in ends)
        assert ends == sorted(set(ends))
        assert ends[-1] <= as_of < ends[-1] + timedelta(days=32)
        months = [e.year * 12 + e.month for e in ends]
        assert months == list(range(months[0], months[0] + 12))

    def test_label_names_the_month_that_ended(self) -> None:
        """The end 2026-11-01 closes October."""
        assert month_label(datetime(2026, 11, 1, tzinfo=UTC)) == "2026-10"
        assert month_label(datetime(2026, 1, 1, tzinfo=UTC)) == "2025-12"


tasks_st = st.lists(
    st.tuples(
        st.sampled_from(["", "7", "8"]),
        st.integers(0, 200),  # due, hours after the answer
        st.one_of(st.none(), st.integers(0, 200 * 60)),  # completed, minutes after the answer
    ),
    max_size=30,
)


class TestClosedLoop:
    @settings(max_examples=300, deadline=None)
    @given(tasks_st, st.integers(0, 300))
    def test_figures_match_a_plain_computation(self, raw: list[tuple[str, int, int | None]], now_h: int) -> None:
        """Completed and on-time shares, median hours, open and overdue, per owner and overall."""
        start = datetime(2026, 1, 1, tzinfo=UTC)
        as_of = start + timedelta(hours=now_h)
        tasks = [
            FollowupTask(
                owner,
                start,
                start + timedelta(hours=due),
                None if done is None else start + timedelta(minutes=done),
            )
            for owner, due, done in raw
        ]
        rows = {r["owner"]: r for r in closed_loop(tasks, as_of, 48)}
        groups: dict[str, list[tuple[str, int, int | None]]] = {"(all)": list(raw)}
        for item in raw:
            groups.setdefault(item[0] or "(none)", []).append(item)
        assert set(rows) == set(groups)
        for owner, items in groups.items():
            done = [m for _, _, m in items if m is not None and m <= now_h * 60]
            hours = [Fraction(m, 60) for m in done]
            row = rows[owner]
            assert row["followups"] == len(items)
            assert row["completed"] == len(done)
            assert row["on_time"] == sum(h <= 48 for h in hours)
            if items:
                assert row["completed_share"] == _round(Fraction(100 * len(done), len(items)))
                assert row["on_time_share"] == _round(Fraction(100 * sum(h <= 48 for h in hours), len(items)))
            assert row["median_hours_to_complete"] == (_round(Fraction(statistics.median(hours))) if hours else None)
            assert row["open"] == len(items) - len(done)
            overdue = sum(1 for _, due, m in items if (m is None or m > now_h * 60) and due < now_h)
            assert row["overdue"] == overdue
