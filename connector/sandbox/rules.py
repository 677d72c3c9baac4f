"""Portal validation rules: admin-configured checks that API writes must pass from version 2026-09.

HubSpot enforces the rules an admin configures (conditionally required properties, required
fields of the create-record form, ...) on every CRM API write path from 2026-09, answering 400
VALIDATION_ERROR (changelog "Breaking Change: CRM API Write Validation Enforcement Starting with
the 2026-09 API Version", 11 Aug 2026). A fixture declares them as
`"validation_rules": [{"object_type": "contacts", "property": "nps_score", "rule": "required"}]`;
the kinds are `required` and `max_length` (with `"value": N`). See docs/hubspot-behaviour.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.sandbox import schema
from connector.sandbox.errors import rule_violation

RULE_KINDS = ("required", "max_length")


class RuleError(ValueError):
    """A validation rule entry the sandbox cannot read; the message says which and why."""


@dataclass(frozen=True)
class ValidationRule:
    """One rule on one property of one object type."""

    object_type: str  # canonical plural name, e.g. "contacts"
    property: str
    rule: str  # one of RULE_KINDS
    value: int | None = None  # the maximum length of a max_length rule

    def to_json(self) -> dict[str, Any]:
        """The rule in the fixture's shape."""
        out: dict[str, Any] = {"object_type": self.object_type, "property": self.property, "rule": self.rule}
        if self.value is not None:
            out["value"] = self.value
        return out

    def problem(self, values: Mapping[str, str], *, creating: bool) -> dict[str, str] | None:
        """The property problem this write has under the rule, or None when it passes."""
        name = self.property
        if self.rule == "required":
            # Create: the value must be given; update: it must not be cleared. An update that leaves an
            # already-empty value alone passes, so records older than the rule stay writable.
            empty = not values.get(name) if creating else values.get(name) == ""
            if empty:
                return _problem(name, f"{name} is required by a validation rule of this portal.", "REQUIRED_PROPERTY")
            return None
        limit = self.value or 0
        if len(values.get(name, "")) > limit:
            message = f"{name} is longer than the {limit} characters a validation rule of this portal allows."
            return _problem(name, message, "MAX_LENGTH_EXCEEDED")
        return None


def parse_rules(raw: Any) -> list[ValidationRule]:
    """Rules from their JSON list (fixture, snapshot or POST /_sandbox/validation_rules)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RuleError("validation_rules: expected a list")
    return [_parse_one(item, i) for i, item in enumerate(raw)]


def _parse_one(item: Any, index: int) -> ValidationRule:
    where = f"validation_rules[{index}]"
    if not isinstance(item, dict):
        raise RuleError(f"{where}: expected an object")
    ot = schema.resolve_type(str(item.get("object_type", "")))
    if ot is None:
        raise RuleError(f"{where}.object_type: unknown object type {item.get('object_type')!r}")
    prop, kind = item.get("property"), item.get("rule")
    if not isinstance(prop, str) or not prop:
        raise RuleError(f"{where}.property: expected a property name")
    if kind not in RULE_KINDS:
        raise RuleError(f"{where}.rule: expected one of {', '.join(RULE_KINDS)}, got {kind!r}")
    value = item.get("value")
    if kind == "max_length":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RuleError(f'{where}.value: a max_length rule needs a length ("value": N, N >= 0)')
        return ValidationRule(ot.name, prop, kind, value)
    return ValidationRule(ot.name, prop, kind)


def enforce(rules: Iterable[ValidationRule], otype: str, values: Mapping[str, str], *, creating: bool) -> None:
    """Raise RuleViolation (400 VALIDATION_ERROR naming the properties) when a write breaks a rule."""
    problems = [p for r in rules if r.object_type == otype and (p := r.problem(values, creating=creating))]
    if problems:
        raise rule_violation(problems)


def _problem(name: str, message: str, error: str) -> dict[str, str]:
    return {"name": name, "message": message, "error": error}
