"""HubSpot's API version families: where each serves its routes and what differs in its answers.

The numbered family is today's `/crm/v3/...` plus `/crm/v4/...` for associations; the date-based
versions serve the same operations under `/crm/{area}/{version}/...` (HubSpot docs, "Developer
platform and API versioning"; HUBSPOT_API_NOTES.md §13). What differs between them is written as
flags on the version, read by the handlers; docs/hubspot-behaviour.md gives the source of each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApiVersion:
    """One version family: its path prefix per area, and its documented differences."""

    name: str  # "v3" (the numbered paths), "2026-03", "2026-09"
    # area (objects, associations, properties, owners, ...) -> path prefix; left out of eq/hash (a dict)
    prefixes: Mapping[str, str] = field(compare=False)
    batch_multi_status: bool = True  # batch writes with failures answer 207 (before 2026-09)
    enforces_validation_rules: bool = False  # portal validation rules apply to API writes (from 2026-09)
    association_type_names: bool = True  # legacy names like "contact_to_company" accepted (before 2026-09)

    def prefix(self, area: str) -> str:
        """The path prefix of an area in this version."""
        return self.prefixes[area]


NUMBERED = ApiVersion(
    "v3",
    {
        "objects": "/crm/v3/objects",
        "object_associations": "/crm/v4/objects",
        "associations": "/crm/v4/associations",
        "properties": "/crm/v3/properties",
        "owners": "/crm/v3/owners",
        # The SDK lists owners with a trailing slash, so that is the numbered route's template.
        "owners_list": "/crm/v3/owners/",
        "schemas": "/crm/v3/schemas",
    },
)


def _dated(name: str, *, from_2026_09: bool) -> ApiVersion:
    base = {
        "objects": "objects",
        "object_associations": "objects",
        "associations": "associations",
        "properties": "properties",
        "owners": "owners",
        "owners_list": "owners",
        "schemas": "schemas",
    }
    return ApiVersion(
        name,
        {area: f"/crm/{segment}/{name}" for area, segment in base.items()},
        batch_multi_status=not from_2026_09,
        enforces_validation_rules=from_2026_09,
        association_type_names=not from_2026_09,
    )


VERSIONS: tuple[ApiVersion, ...] = (
    NUMBERED,
    _dated("2026-03", from_2026_09=False),
    _dated("2026-09", from_2026_09=True),
)

_NUMBERED_SEGMENT = re.compile(r"^/crm/(v\d+)(?:/|$)")
_DATED_SEGMENT = re.compile(r"^/crm/(?:objects|associations|properties|owners|schemas)/([^/]+)(?:/|$)")
_KNOWN_SEGMENTS = frozenset({"v3", "v4"} | {v.name for v in VERSIONS if v is not NUMBERED})


def unknown_version(path: str) -> str | None:
    """The version segment of a CRM path when it names no version the sandbox serves."""
    m = _NUMBERED_SEGMENT.match(path) or _DATED_SEGMENT.match(path)
    if m is None or m.group(1) in _KNOWN_SEGMENTS:
        return None
    return m.group(1)
