"""A small language for request shapes, and the one validator the server runs before any handler.

A route names the shape of its JSON body and of its query parameters (request_shapes.py); the
server decodes the body (UTF-8, JSON) and checks it here, so a handler only ever sees a
well-formed request. Failures are HubSpot's 400 `VALIDATION_ERROR` with the field named in the
message, in `errors[].in` and in `context.field`.

Coercions follow Jackson's defaults, which HubSpot's Java services deserialize with: a string field
takes a JSON number or boolean as its text, an integer field takes a digit string, `null` means
"not given". Integers are Java `int`s unless a field says otherwise (notes §4, §13; docs/hubspot-behaviour.md).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox.errors import ApiError, invalid_input

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")


class ShapeError(ValueError):
    """A request part that does not fit its shape: message, field path and error code."""

    def __init__(self, message: str, path: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.code = code

    def api_error(self) -> ApiError:
        """The HubSpot 400 for this failure."""
        return invalid_input(f"Invalid input JSON: {self.message}", self.path, self.code)


def kind(value: Any) -> str:
    """The JSON kind of a value, as Jackson names it in its messages."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    if isinstance(value, str):
        return "String"
    return "Array" if isinstance(value, list) else "Object"


def _wrong(type_name: str, value: Any, path: str) -> ShapeError:
    where = path or "body"
    return ShapeError(
        f"Cannot deserialize value of type `{type_name}` from {kind(value)} value at {where}", where, "INVALID_TYPE"
    )


class Shape:
    """A JSON value's expected shape; `check` returns the value normalized or raises ShapeError."""

    def check(self, value: Any, path: str) -> Any:
        """The normalized value (raises ShapeError)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Shape):
    """A string; numbers and booleans become their text (Jackson's scalar coercion)."""

    def check(self, value: Any, path: str) -> str:
        """The text of a scalar."""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return json.dumps(value)
        raise _wrong("String", value, path)


@dataclass(frozen=True)
class Integer(Shape):
    """A Java int (or the narrower range given); integral numbers and digit strings accepted."""

    minimum: int = INT32_MIN
    maximum: int = INT32_MAX

    def check(self, value: Any, path: str) -> int:
        """The integer, range-checked."""
        number = parse_int(value, path)
        if number < INT32_MIN or number > INT32_MAX:
            shown = str(number) if abs(number) < 10**30 else "a number of many digits"
            raise ShapeError(
                f"Numeric value ({shown}) out of range of int ({INT32_MIN} - {INT32_MAX}) at {path}",
                path,
                "OUT_OF_RANGE",
            )
        if number < self.minimum or number > self.maximum:
            raise ShapeError(f"{path} must be between {self.minimum} and {self.maximum}", path, "OUT_OF_RANGE")
        return number


def parse_int(value: Any, path: str) -> int:
    """An integer from a JSON number or a digit string (raises ShapeError)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        digits = value
        # Longer than any long: out of range, without converting thousands of digits.
        return int(digits) if len(digits) <= 30 else (INT32_MAX + 1) * (-1 if digits[0] == "-" else 1)
    raise _wrong("int", value, path)


@dataclass(frozen=True)
class Boolean(Shape):
    """A boolean; the strings "true" and "false" accepted."""

    def check(self, value: Any, path: str) -> bool:
        """The boolean."""
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _wrong("boolean", value, path)


@dataclass(frozen=True)
class PropertyValue(Shape):
    """A property value: a string (numbers and booleans as text), or null to clear it."""

    def check(self, value: Any, path: str) -> str | None:
        """The value as text, or None."""
        return None if value is None else Text().check(value, path)


@dataclass(frozen=True)
class Cursor(Shape):
    """An opaque paging cursor the sandbox handed out (`paging.next.after`)."""

    def check(self, value: Any, path: str) -> str:
        """The cursor text, once it decodes."""
        text = Text().check(value, path)
        decode_cursor(text, path)
        return text


@dataclass(frozen=True)
class Either(Shape):
    """The first of several shapes that fits."""

    options: tuple[Shape, ...]
    name: str

    def check(self, value: Any, path: str) -> Any:
        """The value as the first fitting option normalizes it."""
        for option in self.options:
            try:
                return option.check(value, path)
            except ShapeError:
                continue
        raise _wrong(self.name, value, path)


@dataclass(frozen=True)
class ListOf(Shape):
    """A JSON array of items of one shape."""

    item: Shape
    name: str = "ArrayList"

    def check(self, value: Any, path: str) -> list[Any]:
        """The checked items."""
        if not isinstance(value, list):
            raise _wrong(self.name, value, path)
        return [self.item.check(v, f"{path}[{i}]") for i, v in enumerate(value)]


@dataclass(frozen=True)
class MapOf(Shape):
    """A JSON object with any keys, each value of one shape."""

    value: Shape
    name: str = "Map"

    def check(self, value: Any, path: str) -> dict[str, Any]:
        """The checked entries."""
        if not isinstance(value, dict):
            raise _wrong(self.name, value, path)
        return {k: self.value.check(v, f"{path}.{k}") for k, v in value.items()}


@dataclass(frozen=True)
class Record(Shape):
    """A JSON object with known fields; unknown fields are ignored (dropped), null means absent."""

    name: str  # HubSpot's model name, as Jackson reports it
    fields: Mapping[str, Shape] = field(compare=False)
    required: tuple[str, ...] = ()

    def check(self, value: Any, path: str) -> dict[str, Any]:
        """The known fields, checked; every required one present."""
        if not isinstance(value, dict):
            raise _wrong(self.name, value, path)
        missing = [name for name in self.required if value.get(name) is None]
        if missing:
            where = _join(path, missing[0])
            raise ShapeError(
                f"Cannot build {self.name}, some of required attributes are not set [{', '.join(self.required)}]: "
                f"{where} is missing",
                where,
                "REQUIRED_FIELD",
            )
        return {
            name: shape.check(value[name], _join(path, name))
            for name, shape in self.fields.items()
            if value.get(name) is not None
        }


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ----- paging cursors


def encode_cursor(record_id: str) -> str:
    """The opaque `after` cursor of a page starting at a record id."""
    return base64.urlsafe_b64encode(record_id.encode()).decode().rstrip("=")


def decode_cursor(token: str, path: str = "after") -> str:
    """The record id a cursor names; ShapeError for one the sandbox never handed out."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        record_id = raw.decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        record_id = ""
    if not record_id or encode_cursor(record_id) != token:
        raise ShapeError(f"Invalid paging cursor at {path}: {token[:100]!r}", path, "INVALID_CURSOR")
    return record_id


# ----- the request as a whole


@dataclass(frozen=True)
class RequestShape:
    """What one operation accepts: its body (None: no body is read), query parameters, size limit."""

    body: Shape | None = None
    body_required: bool = True
    query: Mapping[str, Shape] = field(default_factory=dict, compare=False)
    max_body_chars: int | None = None


def check_query(shape: RequestShape, query: Mapping[str, list[str]]) -> None:
    """Check each value of the shaped query parameters (raises ApiError 400)."""
    for name, param in shape.query.items():
        for value in query.get(name, []):
            try:
                param.check(value, name)
            except ShapeError as exc:
                raise invalid_input(exc.message, name, exc.code) from None


def check_body(shape: RequestShape, raw: bytes) -> Any:
    """The decoded, checked and normalized JSON body (None when the route reads none; raises ApiError 400)."""
    if shape.body is None:
        return None
    if not raw.strip():
        if not shape.body_required:
            return None
        # Jackson's message for an empty body where one is required.
        raise invalid_input(
            "Invalid input JSON on line 1, column 1: No content to map due to end-of-input", "body", "REQUIRED"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"Invalid input JSON: the body is not valid UTF-8 (byte {exc.start})"
        raise invalid_input(message, "body", "INVALID_ENCODING") from None
    if shape.max_body_chars is not None and len(text) > shape.max_body_chars:
        message = f"The request body is too large: the limit is {shape.max_body_chars} characters."
        raise invalid_input(message, "body", "TOO_LARGE")
    value = parse_json(text)
    try:
        return shape.body.check(value, "")
    except ShapeError as exc:
        raise exc.api_error() from None


def _no_constants(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def parse_json(text: str) -> Any:
    """Strict JSON (no NaN/Infinity), with Jackson-like 400s for anything else."""
    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        message = f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise invalid_input(message, "body", "INVALID_JSON") from None
    except RecursionError:
        raise invalid_input("Invalid input JSON: nesting too deep", "body", "INVALID_JSON") from None
    except ValueError as exc:  # NaN/Infinity, or a number too long to read
        raise invalid_input(f"Invalid input JSON: {exc}", "body", "INVALID_JSON") from None
