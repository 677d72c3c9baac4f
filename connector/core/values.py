"""HubSpot property value formats and their semantic comparison: pure, no I/O.

Values are strings in HubSpot's formats (numbers as the shortest decimal, datetimes as ISO 8601 UTC
with milliseconds, "" for cleared). Comparison is semantic, so a portal that reformats a value
("65.0", epoch milliseconds) never causes an endless rewrite, while an unparseable value is repaired.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


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


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (HubSpot's search filter format, the ledger's storage)."""
    if moment.utcoffset() is None:
        raise ValueError("an instant needs a timezone-aware datetime")
    return (moment - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return _EPOCH + timedelta(milliseconds=ms)


def truncate_to_ms(moment: datetime) -> datetime:
    """Drop the sub-millisecond part: HubSpot and the ledger keep milliseconds."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
