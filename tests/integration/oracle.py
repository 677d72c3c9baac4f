"""An independent, deliberately plain computation of what HubSpot should hold after a backfill.

Written from DESIGN.md's contract straight over the fixture JSON; it shares no code with the
connector (no connector imports), so a bug in the connector's scoring cannot hide here.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, getcontext
from fractions import Fraction
from typing import Any

getcontext().prec = 50


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _valid(raw: Any) -> int | None:
    if not isinstance(raw, str):
        return None
    s = raw.strip()
    if not s or not all(c in "0123456789" for c in s):
        return None
    v = int(s)
    return v if 0 <= v <= 10 else None


def _cat(score: int) -> str:
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


def _round1(x: Fraction) -> Decimal:
    d = Decimal(x.numerator) / Decimal(x.denominator)
    return d.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # ROUND_HALF_UP is half away from zero


def _num(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def expected(
    fixture: dict[str, Any], as_of: datetime, window_days: int = 365, min_responses: int = 1
) -> dict[str, Any]:
    """Expected contact and company property values: {"contacts": {id: {...}}, "companies": {id: {...}}}."""
    merged = {m["from"]: m["into"] for m in fixture.get("merges", [])}
    contacts = {c["id"]: c for c in fixture["contacts"]}

    def survivor(cid: str) -> str:
        while cid in merged:
            cid = merged[cid]
        return cid

    def primary_company(cid: str) -> str | None:
        # A merge keeps the survivor's own primary company; the loser's join as non-primary.
        for link in contacts[cid].get("companies", []):
            if link.get("primary"):
                return str(link["id"])
        return None

    votes: dict[str, list[tuple[datetime, int, int]]] = {}
    for sub in fixture["feedback_submissions"]:
        props = sub["properties"]
        if props.get("hs_survey_type") != "NPS" or not sub.get("contact_id"):
            continue
        score = _valid(props.get("hs_value"))
        if score is None:
            continue
        cid = survivor(sub["contact_id"])
        if contacts[cid].get("archived"):
            continue
        votes.setdefault(cid, []).append((_time(props["hs_submission_timestamp"]), int(sub["id"]), score))

    window = timedelta(days=window_days)
    out_contacts: dict[str, dict[str, str]] = {}
    company_votes: dict[str, list[tuple[datetime, int, int, str]]] = {}
    for cid, vs in votes.items():
        upto = sorted(v for v in vs if v[0] <= as_of)
        if not upto:
            continue
        at, _, score = upto[-1]
        out_contacts[cid] = {
            "nps_score": str(score),
            "nps_category": _cat(score),
            "nps_last_response_date": _stamp(at),
            "nps_response_count": str(sum(1 for v in vs if as_of - window < v[0] <= as_of)),
        }
        company = primary_company(cid)
        if company:
            company_votes.setdefault(company, []).extend((t, i, s, cid) for t, i, s in vs)

    def window_nps(
        vs: list[tuple[datetime, int, int, str]], end: datetime
    ) -> tuple[Fraction, int, int, int, datetime] | None:
        latest: dict[str, tuple[datetime, int, int]] = {}
        for t, i, s, cid in vs:
            if end - window < t <= end and (cid not in latest or (t, i) > latest[cid][:2]):
                latest[cid] = (t, i, s)
        n = len(latest)
        if n < min_responses or n == 0:
            return None
        p = sum(1 for v in latest.values() if v[2] >= 9)
        d = sum(1 for v in latest.values() if v[2] <= 6)
        return Fraction(100 * (p - d), n), p, d, n, max(v[0] for v in latest.values())

    empty = dict.fromkeys(
        (
            "nps_company_score",
            "nps_company_category",
            "nps_company_responses",
            "nps_company_promoters",
            "nps_company_passives",
            "nps_company_detractors",
            "nps_company_margin_of_error",
            "nps_company_trend",
            "nps_company_last_response_date",
        ),
        "",
    )
    out_companies: dict[str, dict[str, str]] = {}
    for company, vs in company_votes.items():
        now = window_nps(vs, as_of)
        if now is None:
            out_companies[company] = dict(empty)
            continue
        nps, p, d, n, last = now
        before = window_nps(vs, as_of - window)
        n2 = n + 3
        p2, d2 = (p + 0.75) / n2, (d + 0.75) / n2
        margin = 1.96 * 100 * math.sqrt((p2 + d2 - (p2 - d2) ** 2) / n2)
        category = "promoter" if nps >= 30 else "detractor" if nps < 0 else "passive"
        out_companies[company] = {
            "nps_company_score": _num(_round1(nps)),
            "nps_company_category": category,
            "nps_company_responses": str(n),
            "nps_company_promoters": str(p),
            "nps_company_passives": str(n - p - d),
            "nps_company_detractors": str(d),
            "nps_company_margin_of_error": _num(Decimal(margin).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
            "nps_company_trend": "" if before is None else _num(_round1(nps - before[0])),
            "nps_company_last_response_date": _stamp(last),
        }
    return {"contacts": out_contacts, "companies": out_companies}


def expected_satisfaction(
    fixture: dict[str, Any], as_of: datetime, window_days: int = 365, min_responses: int = 1
) -> dict[str, Any]:
    """Expected CSAT and CES property values, from HubSpot's scales (CSAT 0-2, CES 1-7), plainly."""
    merged = {m["from"]: m["into"] for m in fixture.get("merges", [])}
    contacts = {c["id"]: c for c in fixture["contacts"]}
    scales = {"CSAT": (0, 2), "CES": (1, 7)}

    def survivor(cid: str) -> str:
        while cid in merged:
            cid = merged[cid]
        return cid

    answers: dict[str, dict[str, list[tuple[datetime, int, int]]]] = {"CSAT": {}, "CES": {}}
    for sub in fixture["feedback_submissions"]:
        props = sub["properties"]
        kind = props.get("hs_survey_type")
        if kind not in scales or not sub.get("contact_id"):
            continue
        raw = (props.get("hs_value") or "").strip() if isinstance(props.get("hs_value"), str) else ""
        if not raw or not all(c in "0123456789" for c in raw):
            continue
        value = int(raw)
        low, high = scales[kind]
        if not low <= value <= high:
            continue
        cid = survivor(sub["contact_id"])
        if contacts[cid].get("archived"):
            continue
        answers[kind].setdefault(cid, []).append((_time(props["hs_submission_timestamp"]), int(sub["id"]), value))

    window = timedelta(days=window_days)
    people: dict[str, dict[str, str]] = {}
    voices: dict[str, dict[str, list[int]]] = {"CSAT": {}, "CES": {}}
    for kind, prefix in (("CSAT", "csat"), ("CES", "ces")):
        for cid, items in answers[kind].items():
            upto = sorted(a for a in items if a[0] <= as_of)
            if upto:
                people.setdefault(cid, {})[f"{prefix}_score"] = str(upto[-1][2])
                people[cid][f"{prefix}_last_response_date"] = _stamp(upto[-1][0])
            inside = sorted(a for a in items if as_of - window < a[0] <= as_of)
            company = next(
                (str(link["id"]) for link in contacts[cid].get("companies", []) if link.get("primary")), None
            )
            if company:
                voices[kind].setdefault(company, [])
                if inside:
                    voices[kind][company].append(inside[-1][2])

    firms: dict[str, dict[str, str]] = {}
    for company in set(voices["CSAT"]) | set(voices["CES"]):
        values = dict.fromkeys(
            (
                "csat_company_score",
                "csat_company_responses",
                "csat_company_margin_of_error",
                "ces_company_average",
                "ces_company_easy_share",
                "ces_company_responses",
            ),
            "",
        )
        csat = voices["CSAT"].get(company, [])
        if csat and len(csat) >= min_responses:
            n, happy = len(csat), sum(1 for v in csat if v == 2)
            z = Decimal("1.96")
            n_adj = n + z * z
            p = (happy + z * z / 2) / n_adj
            margin = 100 * z * (p * (1 - p) / n_adj).sqrt()
            values["csat_company_score"] = _num(_round1(Fraction(100 * happy, n)))
            values["csat_company_responses"] = str(n)
            values["csat_company_margin_of_error"] = _num(margin.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        ces = voices["CES"].get(company, [])
        if ces and len(ces) >= min_responses:
            values["ces_company_average"] = _num(_round1(Fraction(sum(ces), len(ces))))
            values["ces_company_easy_share"] = _num(_round1(Fraction(100 * sum(1 for v in ces if v >= 6), len(ces))))
            values["ces_company_responses"] = str(len(ces))
        firms[company] = values
    return {"contacts": people, "companies": firms}
