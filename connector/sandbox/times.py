"""HubSpot's datetime formats: reading epoch ms / ISO 8601 / dates, writing ISO 8601 UTC with milliseconds."""

from __future__ import annotations

from datetime import UTC, date, datetime


def parse_instant_ms(value: str) -> float | None:
    """Epoch milliseconds from HubSpot's datetime formats (epoch ms, ISO 8601, YYYY-MM-DD)."""
    text = value.strip()
    if not text:
        return None
    if text.isdecimal() or (text[0] == "-" and text[1:].isdecimal()):
        return float(int(text))
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000
        dt = datetime.fromisoformat(text)  # Python 3.11+ reads the "Z" suffix
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp() * 1000


def iso_ms(ms: float) -> str:
    """HubSpot's datetime format: ISO 8601 UTC with milliseconds."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
