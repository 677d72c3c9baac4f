"""Desired HubSpot property values and the diff against current ones: pure, no I/O.

Values are strings in HubSpot's formats (numbers as the shortest decimal, datetimes as ISO 8601 UTC
with milliseconds, "" for cleared). Comparison is semantic, so a portal that reformats a value
("65.0", epoch milliseconds) never causes an endless rewrite, while an unparseable value is repaired.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import islice
from typing import Literal, TypeVar

from connector.properties import PropertyNames
from connector.scoring import CompanyScore, ContactScore, rounded_company_values

T = TypeVar("T")

FollowupStatus = Literal["open", "completed"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def format_number(x: float | int | Fraction | Decimal) -> str:
    """HubSpot number string: the shortest decimal that reads back as x, no exponent, never "-0"."""
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"cannot write {x} to a number property")
        # repr is the shortest string that round-trips the float; Decimal drops its exponent form.
        dec = Decimal(repr(x))
    elif isinstance(x, Fraction):
        return format_number(float(x))
    else:
        if not x.is_finite():
            raise ValueError(f"cannot write {x} to a number property")
        dec = x
    text = format(dec, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_datetime(dt: datetime) -> str:
    """HubSpot datetime string: ISO 8601 in UTC with milliseconds (sub-millisecond part dropped)."""
    if dt.utcoffset() is None:
        raise ValueError("datetimes written to HubSpot must be timezone-aware")
    u = dt.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond // 1000:03d}Z"
    )


def parse_number(text: str) -> float | None:
    """A HubSpot number string as a float; None when it is not a finite number."""
    # Compared as doubles, like HubSpot stores them: "33.3" and "33.300000000000004" may both come back.
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_datetime(text: str) -> datetime | None:
    """A HubSpot datetime (ISO 8601, or epoch milliseconds) as an aware UTC datetime; None if invalid."""
    text = text.strip()
    digits = text[1:] if text.startswith("-") else text
    if digits.isascii() and digits.isdigit():
        try:
            return _EPOCH + timedelta(milliseconds=int(text))
        except OverflowError:
            return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    # HubSpot stores UTC; a value without an offset is read as UTC rather than as local time.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def same_value(kind: str, a: str | None, b: str | None) -> bool:
    """Whether two property values mean the same: numbers as numbers, datetimes as instants."""
    # None (never set) and "" (cleared) are the same empty value at HubSpot.
    if not a or not b:
        return not a and not b
    if kind == "number":
        na, nb = parse_number(a), parse_number(b)
        return na is not None and nb is not None and na == nb
    if kind == "datetime":
        da, db = parse_datetime(a), parse_datetime(b)
        return da is not None and db is not None and da == db
    if kind in ("enumeration", "string"):
        return a == b
    raise ValueError(f"unknown property value kind {kind!r}")


def desired_contact_values(cs: ContactScore, names: PropertyNames) -> dict[str, str]:
    """A scored contact's four NPS properties (follow-up properties come from followup_values)."""
    return {
        names.contact_score: format_number(cs.score),
        names.contact_category: cs.category,
        names.contact_last_response_date: format_datetime(cs.last_response_at),
        names.contact_response_count: format_number(cs.response_count),
    }


def followup_values(status: FollowupStatus | None, due: datetime | None, names: PropertyNames) -> dict[str, str]:
    """A contact's follow-up status and due date; None clears the property."""
    return {
        names.contact_followup_status: status or "",
        names.contact_followup_due_date: "" if due is None else format_datetime(due),
    }


def desired_company_values(cs: CompanyScore | None, names: PropertyNames) -> dict[str, str]:
    """A company's nine NPS properties; all cleared ("") when there is no score."""
    if cs is None:
        return dict.fromkeys(names.company_properties(), "")
    rounded = rounded_company_values(cs)
    return {
        names.company_score: format_number(rounded.score),
        names.company_category: cs.category,
        names.company_responses: format_number(cs.responses),
        names.company_promoters: format_number(cs.promoters),
        names.company_passives: format_number(cs.passives),
        names.company_detractors: format_number(cs.detractors),
        names.company_margin_of_error: format_number(rounded.margin_of_error),
        names.company_trend: "" if rounded.trend is None else format_number(rounded.trend),
        names.company_last_response_date: format_datetime(cs.last_response_at),
    }


def diff_values(
    desired: Mapping[str, Mapping[str, str]],
    current: Mapping[str, Mapping[str, str | None]],
    kinds: Mapping[str, str],
) -> dict[str, dict[str, str]]:
    """Per record id, the desired properties that differ semantically from current; unchanged omitted.

    A record or property missing from `current` counts as empty, so clearing what was never written
    sends nothing. A property missing from `kinds` is compared as an exact string.
    """
    changes: dict[str, dict[str, str]] = {}
    for record_id, values in desired.items():
        now = current.get(record_id, {})
        changed = {
            name: value
            for name, value in values.items()
            if not same_value(kinds.get(name, "string"), value, now.get(name))
        }
        if changed:
            changes[record_id] = changed
    return changes


def chunked(seq: Iterable[T], size: int) -> Iterator[list[T]]:
    """Split seq into lists of at most size items (HubSpot batch calls take up to 100)."""
    if size <= 0:
        raise ValueError(f"chunk size must be positive, got {size}")
    it = iter(seq)
    while chunk := list(islice(it, size)):
        yield chunk
