"""The HubSpot layer's own typed results: what `HubSpotClient` returns instead of SDK models.

Plain frozen dataclasses, so the rest of the connector (and its tests) never sees a
`hubspot-api-client` object. Property values stay strings, as HubSpot sends them; parsing
them (numbers, datetimes) is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Record:
    """One CRM record (contact, company, feedback submission, task, ...).

    `associations` maps the associated object type as HubSpot names it in the response
    (e.g. ``"contacts"``) to the associated record ids; it is only filled by list calls that
    asked for associations. `id` is the id HubSpot answered with: for a merged-away record
    fetched by its old id this is the survivor's id.
    """

    id: str
    properties: dict[str, str | None]
    associations: dict[str, list[str]] = field(default_factory=dict)
    archived: bool = False
    updated_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Owner:
    """A HubSpot owner (user or queue); `id` is what goes into `hubspot_owner_id`."""

    id: str
    email: str | None
    first_name: str | None
    last_name: str | None
    archived: bool


@dataclass(frozen=True)
class AssociationTarget:
    """One associated record and the association type ids linking to it (e.g. ``(1, 279)``)."""

    to_id: str
    type_ids: tuple[int, ...]


@dataclass(frozen=True)
class RecordFailure:
    """One record a batch call did not apply, with HubSpot's category and message."""

    id: str
    category: str
    message: str


@dataclass(frozen=True)
class BatchWriteResult:
    """Outcome of a batch write: ids applied and per-record failures (207, or errors[] in a 2026-09 200)."""

    ok: list[str]
    failures: list[RecordFailure]
    # HubSpot's `updatedAt` per written record: lets a later run tell our own writes from others'.
    updated_at: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchReadResult:
    """Outcome of a batch read.

    records:   what HubSpot returned (a merged-away id comes back under the survivor's id)
    missing:   requested ids HubSpot reported as not found (deleted or never existed)
    unmatched: requested ids neither returned under their own id nor reported missing —
               typically merged-away ids; resolve them with `get_object`
    """

    records: list[Record]
    missing: list[str]
    unmatched: list[str]


@dataclass(frozen=True)
class SearchPage:
    """One page of a CRM search; `next_after` is None on the last page."""

    total: int
    results: list[Record]
    next_after: str | None


@dataclass(frozen=True)
class PropertyInfo:
    """A property definition as a portal has it; `options` are the enumeration option values."""

    name: str
    type: str
    field_type: str
    group_name: str
    options: list[str] = field(default_factory=list)
    label: str = ""


@dataclass(frozen=True)
class TaskInput:
    """A task to create: its properties and the contact and/or company it belongs to."""

    properties: dict[str, str]
    contact_id: str | None
    company_id: str | None = None
