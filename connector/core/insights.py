"""Report figures beyond one company: segments, benchmarks, the monthly trend, closed-loop figures (pure).

A segment pools the voices of its companies exactly like one company's NPS: one voice per contact
(its latest answer in the window), each contact counted under its primary company. Contacts without
a company are in no company and so in no segment, as in the company scores.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from connector.config import ScoringSettings
from connector.core.followup import record_link
from connector.core.records import id_order
from connector.core.satisfaction import (
    CES_EASY_FROM,
    CSAT_HAPPY,
    CesScore,
    CsatScore,
    ces_score,
    csat_score,
    parse_ces_value,
    parse_csat_value,
)
from connector.core.scorecard import is_nps_answer
from connector.core.scoring import (
    CompanyScore,
    Tally,
    company_score_from_tallies,
    nps_category,
    parse_nps_value,
    round_half_away,
    round_sqrt_half_away,
    rounded_company_values,
)
from connector.model import AnswerRow, ContactRow

PORTAL = "(all)"
NO_VALUE = "(none)"

_Key = tuple[datetime, tuple[int, int, str]]
_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class ContactVoice:
    """One contact's voices for one moment: NPS now and in the window before, CSAT and CES now."""

    company_id: str
    nps: int | None = None
    nps_before: int | None = None
    csat: int | None = None
    ces: int | None = None
    last_at: datetime | None = None


def contact_voices(
    answers: Iterable[AnswerRow], contacts: Mapping[str, ContactRow], end: datetime, scoring: ScoringSettings
) -> dict[str, ContactVoice]:
    """Each existing contact with a company: its latest valid answers per metric in (end - window, end] (and before)."""
    return _voices_at(_prepare(answers, contacts, scoring), contacts, end, scoring)


# An answer that can be a voice: (contact, time, order key, metric, value); classified and parsed once.
_Prepared = tuple[str, datetime, _Key, str, int]


def _prepare(
    answers: Iterable[AnswerRow], contacts: Mapping[str, ContactRow], scoring: ScoringSettings
) -> list[_Prepared]:
    """The answers of existing contacts with a company, with their metric and valid value (others dropped)."""
    out: list[_Prepared] = []
    for answer in answers:
        cid = answer.contact_id
        if cid is None:
            continue
        contact = contacts.get(cid)
        if contact is None or not contact.exists or not contact.company_id:
            continue
        metric, value = _metric(answer, scoring)
        if metric is None or value is None:
            continue
        at = answer.submitted_at
        out.append((cid, at, (at, id_order(answer.submission_id)), metric, value))
    return out


def _voices_at(
    prepared: Iterable[_Prepared], contacts: Mapping[str, ContactRow], end: datetime, scoring: ScoringSettings
) -> dict[str, ContactVoice]:
    if end.utcoffset() is None:
        raise ValueError("end must be timezone-aware")
    window = timedelta(days=scoring.window_days)
    start, prev = end - window, end - 2 * window
    held: dict[tuple[str, str], tuple[_Key, int]] = {}  # (contact, slot) -> (order key, value)
    for cid, at, key, metric, value in prepared:
        if at > end or at <= prev:
            continue
        if at > start:
            slot = metric
        elif metric == "nps":
            slot = "before"
        else:
            continue  # CSAT and CES have no trend
        if (cid, slot) not in held or key > held[(cid, slot)][0]:
            held[(cid, slot)] = (key, value)
    by_contact: dict[str, dict[str, tuple[_Key, int]]] = {}
    for (cid, slot), kept in held.items():
        by_contact.setdefault(cid, {})[slot] = kept
    voices: dict[str, ContactVoice] = {}
    for cid in sorted(by_contact, key=id_order):
        got = by_contact[cid]
        nps = got.get("nps")
        voices[cid] = ContactVoice(
            company_id=contacts[cid].company_id or "",
            nps=None if nps is None else nps[1],
            nps_before=got["before"][1] if "before" in got else None,
            csat=got["csat"][1] if "csat" in got else None,
            ces=got["ces"][1] if "ces" in got else None,
            last_at=None if nps is None else nps[0][0],
        )
    return voices


def _metric(answer: AnswerRow, scoring: ScoringSettings) -> tuple[str | None, int | None]:
    if is_nps_answer(answer, scoring.survey_types, scoring.survey_ids):
        return "nps", parse_nps_value(answer.raw_value)
    if is_nps_answer(answer, scoring.csat_survey_types, scoring.csat_survey_ids):
        return "csat", parse_csat_value(answer.raw_value, scoring.csat_values)
    if is_nps_answer(answer, scoring.ces_survey_types, scoring.ces_survey_ids):
        return "ces", parse_ces_value(answer.raw_value, scoring.ces_values)
    return None, None


@dataclass(frozen=True)
class SegmentFigures:
    """One segment's pooled figures (None below the minimum number of voices)."""

    segment: str
    companies: int
    nps: CompanyScore | None
    csat: CsatScore | None
    ces: CesScore | None


def segment_figures(
    voices: Mapping[str, ContactVoice],
    segment_of: Mapping[str, str],
    companies: Iterable[str],
    scoring: ScoringSettings,
) -> list[SegmentFigures]:
    """The portal (all companies) first, then each segment by name; a company without a value is "(none)"."""
    members: dict[str, set[str]] = {}
    for company_id in companies:
        members.setdefault(segment_of.get(company_id) or NO_VALUE, set()).add(company_id)
    for voice in voices.values():
        members.setdefault(segment_of.get(voice.company_id) or NO_VALUE, set()).add(voice.company_id)
    inside: dict[str, list[ContactVoice]] = {}
    for voice in voices.values():
        inside.setdefault(segment_of.get(voice.company_id) or NO_VALUE, []).append(voice)
    everyone = set().union(*members.values()) if members else set()
    out = [_pool(PORTAL, everyone, voices.values(), scoring)]
    for name in sorted(members, key=lambda s: (s == NO_VALUE, s.casefold(), s)):
        out.append(_pool(name, members[name], inside.get(name, []), scoring))
    return out


def _pool(name: str, companies: set[str], voices: Iterable[ContactVoice], scoring: ScoringSettings) -> SegmentFigures:
    counts = {"now": [0, 0, 0], "before": [0, 0, 0]}
    order = {"promoter": 0, "passive": 1, "detractor": 2}
    last: datetime | None = None
    happy = csat_n = effort = easy = ces_n = 0
    for v in voices:
        if v.nps is not None:
            counts["now"][order[nps_category(v.nps)]] += 1
            last = v.last_at if last is None or (v.last_at is not None and v.last_at > last) else last
        if v.nps_before is not None:
            counts["before"][order[nps_category(v.nps_before)]] += 1
        if v.csat is not None:
            happy += v.csat == CSAT_HAPPY
            csat_n += 1
        if v.ces is not None:
            effort += v.ces
            easy += v.ces >= CES_EASY_FROM
            ces_n += 1
    (p, m, d), (bp, bm, bd) = counts["now"], counts["before"]
    now = Tally(p, m, d, last_at=last)
    before = Tally(bp, bm, bd, last_at=last)
    minimum = max(scoring.min_company_responses, 1)
    score = company_score_from_tallies(
        now, before, minimum, scoring.company_promoter_at, scoring.company_detractor_below
    )
    return SegmentFigures(
        segment=name,
        companies=len(companies),
        nps=score,
        csat=csat_score(happy, csat_n) if csat_n >= minimum else None,
        ces=ces_score(effort, easy, ces_n) if ces_n >= minimum else None,
    )


def segment_row(fig: SegmentFigures, benchmarks: Mapping[str, float]) -> dict[str, Any]:
    """A segment as a report row: rounded to one decimal, half away from zero; None where there is no value."""
    nps = fig.nps
    score = None if nps is None or nps.nps_exact is None else round_half_away(nps.nps_exact)
    row: dict[str, Any] = {
        "segment": fig.segment,
        "companies": fig.companies,
        "nps": score,
        "n": 0 if nps is None else nps.responses,
        "promoters": None if nps is None else nps.promoters,
        "passives": None if nps is None else nps.passives,
        "detractors": None if nps is None else nps.detractors,
        "margin_of_error": None
        if nps is None or nps.margin_squared is None
        else round_sqrt_half_away(nps.margin_squared),
        "trend": None if nps is None or nps.trend_exact is None else round_half_away(nps.trend_exact),
        "csat": None if fig.csat is None else round_half_away(fig.csat.share),
        "csat_n": 0 if fig.csat is None else fig.csat.responses,
        "csat_margin_of_error": None if fig.csat is None else round_sqrt_half_away(fig.csat.margin_squared),
        "ces_average": None if fig.ces is None else round_half_away(fig.ces.average),
        "ces_easy": None if fig.ces is None else round_half_away(fig.ces.easy_share),
        "ces_n": 0 if fig.ces is None else fig.ces.responses,
    }
    row.update(benchmark_differences(score, benchmarks))
    return row


def benchmark_differences(score: float | None, benchmarks: Mapping[str, float]) -> dict[str, float | None]:
    """`vs <name>`: the rounded score minus each benchmark line, in points (None without a score)."""
    return {
        f"vs {name}": None if score is None else round_half_away(score - value, 1) for name, value in benchmarks.items()
    }


def nps_distribution(voices: Iterable[ContactVoice]) -> list[dict[str, int]]:
    """The 0-10 scores of the NPS voices (one per contact in the window, as the portal NPS counts them)."""
    counts = [0] * 11
    for voice in voices:
        if voice.nps is not None:
            counts[voice.nps] += 1
    return [{"score": score, "voices": count} for score, count in enumerate(counts)]


COMPANY_RECORD = "0-2"  # HubSpot's object type id of companies, in record links


def company_figures(
    scores: Mapping[str, CompanyScore | None],
    names: Mapping[str, str],
    portal_id: str,
    benchmarks: Mapping[str, float],
) -> list[dict[str, Any]]:
    """Every scored company as written to HubSpot, against each benchmark line, in id order.

    `reasons` names why a company is at risk: `detractor` (its category) and/or `falling` (its
    trend below 0 at one decimal, as written: a company shown with trend 0 is not called falling).
    """
    rows: list[dict[str, Any]] = []
    for company_id in sorted(scores, key=id_order):
        score = scores[company_id]
        if score is None:
            continue
        rounded = rounded_company_values(score)
        reasons = []
        if score.category == "detractor":
            reasons.append("detractor")
        if rounded.trend is not None and rounded.trend < 0:
            reasons.append("falling")
        row: dict[str, Any] = {
            "company_id": company_id,
            "name": names.get(company_id) or "",
            "nps": rounded.score,
            "category": score.category,
            "n": score.responses,
            "margin_of_error": rounded.margin_of_error,
            "trend": rounded.trend,
            "reasons": reasons,
            "link": record_link(portal_id, COMPANY_RECORD, company_id) or None,
        }
        row.update(benchmark_differences(rounded.score, benchmarks))
        rows.append(row)
    return rows


def at_risk_companies(companies: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The companies of `company_figures` in the detractor category or with a falling trend, worst NPS first."""
    rows = [dict(r) for r in companies if r["reasons"]]
    rows.sort(key=lambda r: (r["nps"], r["trend"] if r["trend"] is not None else 0.0, id_order(r["company_id"])))
    return rows


def month_ends(as_of: datetime, months: int) -> list[datetime]:
    """The last `months` month ends at or before as_of, oldest first; a month ends at 00:00 UTC of the next."""
    if as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    moment = as_of.astimezone(UTC)
    end = datetime(moment.year, moment.month, 1, tzinfo=UTC)
    ends = [end]
    while len(ends) < months:
        end = datetime(end.year - (end.month == 1), 12 if end.month == 1 else end.month - 1, 1, tzinfo=UTC)
        ends.append(end)
    return ends[::-1]


def month_label(end: datetime) -> str:
    """The month that ends at `end` (a first of a month), as YYYY-MM."""
    last_day = end - timedelta(days=1)
    return f"{last_day.year:04d}-{last_day.month:02d}"


def monthly_trend(
    answers: Sequence[AnswerRow],
    contacts: Mapping[str, ContactRow],
    as_of: datetime,
    scoring: ScoringSettings,
    segment_of: Mapping[str, str] | None,
    months: int,
) -> list[dict[str, Any]]:
    """Rolling-window NPS at each month end: one row per month for the portal, and per segment when given."""
    rows: list[dict[str, Any]] = []
    prepared = _prepare(answers, contacts, scoring)  # classified and parsed once for every month end
    for end in month_ends(as_of, months):
        voices = _voices_at(prepared, contacts, end, scoring)
        figures = segment_figures(voices, segment_of or {}, (), scoring)
        if segment_of is None:
            figures = figures[:1]
        for fig in figures:
            nps = fig.nps
            rows.append(
                {
                    "month": month_label(end),
                    "month_end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "segment": fig.segment,
                    "nps": None if nps is None or nps.nps_exact is None else round_half_away(nps.nps_exact),
                    "n": 0 if nps is None else nps.responses,
                    "margin_of_error": None
                    if nps is None or nps.margin_squared is None
                    else round_sqrt_half_away(nps.margin_squared),
                }
            )
    return rows


@dataclass(frozen=True)
class FollowupTask:
    """One detractor follow-up as the closed-loop figures see it."""

    owner: str
    answered_at: datetime
    due_at: datetime
    completed_at: datetime | None  # None while the task is open


# The keys of a closed-loop row (`_loop_row`), in the order the exports show them.
CLOSED_LOOP_COLUMNS = (
    "owner",
    "followups",
    "completed",
    "completed_share",
    "on_time",
    "on_time_share",
    "median_hours_to_complete",
    "open",
    "overdue",
)


def closed_loop(tasks: Iterable[FollowupTask], as_of: datetime, target_hours: float) -> list[dict[str, Any]]:
    """Per owner (all owners first): follow-ups, completed share, share on time, median hours, open, overdue."""
    by_owner: dict[str, list[FollowupTask]] = {}
    everyone: list[FollowupTask] = []
    for task in tasks:
        by_owner.setdefault(task.owner or NO_VALUE, []).append(task)
        everyone.append(task)
    rows = [_loop_row(PORTAL, everyone, as_of, target_hours)]
    for owner in sorted(by_owner, key=lambda o: (o == NO_VALUE, id_order(o))):
        rows.append(_loop_row(owner, by_owner[owner], as_of, target_hours))
    return rows


def _loop_row(owner: str, tasks: list[FollowupTask], as_of: datetime, target_hours: float) -> dict[str, Any]:
    # A completion after as-of has not happened yet as of then.
    done = [t for t in tasks if t.completed_at is not None and t.completed_at <= as_of]
    # Exact hours (microseconds as a Fraction): ties at the target and the median stay exact.
    hours = [Fraction((t.completed_at - t.answered_at) // _US, 3_600_000_000) for t in done if t.completed_at]
    on_time = sum(1 for h in hours if h <= target_hours)
    still_open = [t for t in tasks if t.completed_at is None or t.completed_at > as_of]
    total = len(tasks)
    return {
        "owner": owner,
        "followups": total,
        "completed": len(done),
        "completed_share": None if not total else round_half_away(Fraction(100 * len(done), total)),
        "on_time": on_time,
        "on_time_share": None if not total else round_half_away(Fraction(100 * on_time, total)),
        "median_hours_to_complete": None if not hours else round_half_away(statistics.median(hours)),
        "open": len(still_open),
        "overdue": sum(1 for t in still_open if t.due_at < as_of),
    }
