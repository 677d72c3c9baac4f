"""HubSpot-shaped error bodies: every one carries status, message, correlationId and category.

HubSpot's `Error` schema (notes §4, §13; `hubspot-sdk` `ErrorData`) requires `category`,
`correlationId` and `message`; HubSpot's bodies add `status: "error"`. Batch `errors[]` entries
are `StandardError`s: `status`, `category`, `message`, `context`, `errors`, `links` (no
correlationId). Where HubSpot documents no category for a status, the sandbox's choice is
`DEFAULT_CATEGORY` (docs/hubspot-behaviour.md).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

# The category of an error whose status HubSpot documents none for (docs/hubspot-behaviour.md).
DEFAULT_CATEGORY = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "VALIDATION_ERROR",
    429: "RATE_LIMITS",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
}


def category_for(status: int) -> str:
    """The category the sandbox sends for an HTTP status when the error names none."""
    if status in DEFAULT_CATEGORY:
        return DEFAULT_CATEGORY[status]
    return "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR"


def correlation_id() -> str:
    """A fresh correlation id (HubSpot sends a UUID per request)."""
    return str(uuid.uuid4())


class ApiError(Exception):
    """An error HubSpot would answer with `status` and a JSON error body."""

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        *,
        context: dict[str, list[str]] | None = None,
        errors: list[dict[str, Any]] | None = None,
        sub_category: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.category = category or category_for(status)
        self.message = message
        self.context = context
        self.errors = errors
        self.sub_category = sub_category
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body HubSpot sends for this error."""
        out: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id(),
            "category": self.category,
        }
        if self.sub_category:
            out["subCategory"] = self.sub_category
        if self.context:
            out["context"] = self.context
        if self.errors:
            out["errors"] = self.errors
        out.update(self.extra)
        return out


def not_found(object_id: str) -> ApiError:
    """404 for a GET of an id that does not exist (HubSpot/hubspot-api-nodejs #669)."""
    return ApiError(
        404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", context={"id": [object_id]}
    )


def validation(message: str, **kwargs: Any) -> ApiError:
    """400 VALIDATION_ERROR."""
    return ApiError(400, "VALIDATION_ERROR", message, **kwargs)


def invalid_input(message: str, field: str, code: str) -> ApiError:
    """400 VALIDATION_ERROR for a malformed request, naming the field in `errors[].in` and `context`."""
    return ApiError(
        400,
        "VALIDATION_ERROR",
        message,
        errors=[{"message": message, "in": field, "code": code}],
        context={"field": [field]},
    )


class RuleViolation(ApiError):
    """400 VALIDATION_ERROR for a write that a portal validation rule refuses (from API version 2026-09)."""


def property_errors(problems: list[dict[str, str]]) -> ApiError:
    """400 VALIDATION_ERROR listing invalid property values, as HubSpot formats them."""
    return ApiError(400, "VALIDATION_ERROR", _property_message(problems), context=_property_names(problems))


def rule_violation(problems: list[dict[str, str]]) -> RuleViolation:
    """The same 400 body as `property_errors`, for values a portal validation rule refuses."""
    return RuleViolation(400, "VALIDATION_ERROR", _property_message(problems), context=_property_names(problems))


def _property_names(problems: list[dict[str, str]]) -> dict[str, list[str]]:
    return {"propertyName": [p["name"] for p in problems]}


def _property_message(problems: list[dict[str, str]]) -> str:
    # Changelog "Property Validations Rules will be enforced for APIs and Integrations": one entry per property.
    return "Property values were not valid: " + json.dumps(
        [
            {
                "isValid": False,
                "message": p["message"],
                "error": p["error"],
                "name": p["name"],
                "localizedErrorMessage": p["message"],
            }
            for p in problems
        ],
        separators=(",", ":"),
    )


def batch_error_item(err: ApiError, **context: list[str]) -> dict[str, Any]:
    """A batch `errors[]` item: a full StandardError (status, category, message, context, errors, links)."""
    ctx = dict(err.context or {})
    ctx.update(context)
    item: dict[str, Any] = {
        "status": "error",
        "category": err.category,
        "message": err.message,
        "context": ctx,
        "errors": list(err.errors or []),
        "links": {},
    }
    if err.sub_category:
        # A string, as HubSpot sends it; the reference types it as an untyped `object` (docs/hubspot-behaviour.md).
        item["subCategory"] = err.sub_category
    return item
