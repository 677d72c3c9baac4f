"""HubSpot-shaped error bodies (status "error", message, correlationId, category, context)."""

from __future__ import annotations

import json
import uuid
from typing import Any


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
        self.category = category
        self.message = message
        self.context = context
        self.errors = errors
        self.sub_category = sub_category
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body HubSpot sends for this error."""
        out: dict[str, Any] = {"status": "error", "message": self.message, "correlationId": str(uuid.uuid4())}
        if self.category:
            out["category"] = self.category
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
    """A batch `errors[]` item (StandardError: no correlationId)."""
    item: dict[str, Any] = {"status": "error", "category": err.category, "message": err.message}
    ctx = dict(err.context or {})
    ctx.update(context)
    if ctx:
        item["context"] = ctx
    if err.sub_category:
        item["subCategory"] = err.sub_category
    return item


def standard_error(item: dict[str, Any]) -> dict[str, Any]:
    """A batch error item with every field HubSpot's StandardError requires (context, errors, links)."""
    return {**item, "context": item.get("context", {}), "errors": item.get("errors", []), "links": {}}
