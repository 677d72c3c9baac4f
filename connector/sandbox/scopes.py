"""The scope table: which scopes grant each operation, as HubSpot's reference documents its security.

Each route names a rule (routes.py); `TABLE` maps the rule and the path's object type to the
*alternatives* that grant it: a token needs every scope of at least one alternative (HubSpot's
spec lists one scope per security entry, each entry an alternative). `"*"` covers every object
type. Sources (HUBSPOT_API_NOTES.md; docs/hubspot-behaviour.md, "Scopes"):

- objects: per object type from that type's spec; feedback submissions read with
  `crm.objects.feedback_submissions.read` or `crm.objects.contacts.read` (§1); tasks with the
  contacts scopes (§7, §13);
- properties: one security list for every `{objectType}` — each object's read scope and the
  `crm.schemas.*.read` scopes grant reads (§13; HubSpot community thread on `crm.objects.carts.read`),
  the `crm.schemas.*.write` scopes grant writes (§6), plus the legacy scopes the v3 spec lists;
- associations v4: one list for every pair of types, so `crm.objects.companies.read` reads
  contacts→companies (§13);
- owners: `crm.objects.owners.read` or `automation` (§9, §13); schemas: `crm.schemas.custom.read`
  or `crm.objects.custom.read` (issue 10, from the schemas spec).
"""

from __future__ import annotations

from collections.abc import Mapping

Alternatives = tuple[frozenset[str], ...]
ALL_SCOPES = frozenset({"*"})  # the --token token, and any token when the portal defines none


def one_of(*scopes: str) -> Alternatives:
    """Alternatives of one scope each."""
    return tuple(frozenset({s}) for s in scopes)


CONTACTS_READ, CONTACTS_WRITE = "crm.objects.contacts.read", "crm.objects.contacts.write"
COMPANIES_READ, COMPANIES_WRITE = "crm.objects.companies.read", "crm.objects.companies.write"
FEEDBACK_READ = "crm.objects.feedback_submissions.read"

# Read scopes of HubSpot's standard objects, as the properties and associations specs list them.
OBJECT_READ_SCOPES = (
    CONTACTS_READ,
    COMPANIES_READ,
    FEEDBACK_READ,
    "crm.objects.deals.read",
    "crm.objects.line_items.read",
    "crm.objects.products.read",
    "crm.objects.quotes.read",
    "crm.objects.carts.read",
    "crm.objects.custom.read",
    "crm.objects.goals.read",
    "crm.objects.marketing_events.read",
    "tickets",
    "e-commerce",
)
SCHEMA_READ_SCOPES = (
    "crm.schemas.contacts.read",
    "crm.schemas.companies.read",
    "crm.schemas.deals.read",
    "crm.schemas.custom.read",
)
SCHEMA_WRITE_SCOPES = (
    "crm.schemas.contacts.write",
    "crm.schemas.companies.write",
    "crm.schemas.deals.write",
    "crm.schemas.custom.write",
)
# Legacy scopes the v3 properties spec lists next to the granular ones.
LEGACY_PROPERTY_READ = ("contacts", "timeline", "media_bridge.read")

TABLE: Mapping[str, Mapping[str, Alternatives]] = {
    "object_read": {
        "contacts": one_of(CONTACTS_READ),
        "companies": one_of(COMPANIES_READ),
        "feedback_submissions": one_of(FEEDBACK_READ, CONTACTS_READ),
        "tasks": one_of(CONTACTS_READ),
    },
    # Feedback submissions have no write scope: HubSpot has no such routes, the handler answers 405.
    "object_write": {
        "contacts": one_of(CONTACTS_WRITE),
        "companies": one_of(COMPANIES_WRITE),
        "tasks": one_of(CONTACTS_WRITE),
    },
    "associations_read": {"*": one_of(*OBJECT_READ_SCOPES)},
    "properties_read": {"*": one_of(*OBJECT_READ_SCOPES, *SCHEMA_READ_SCOPES, *LEGACY_PROPERTY_READ)},
    "properties_write": {"*": one_of(*SCHEMA_WRITE_SCOPES, "contacts", "tickets", "e-commerce")},
    "owners_read": {"*": one_of("crm.objects.owners.read", "automation")},
    "schemas_read": {"*": one_of("crm.schemas.custom.read", "crm.objects.custom.read")},
}


def alternatives(rule: str, object_type: str | None) -> Alternatives:
    """The alternatives granting a rule for an object type; () when nothing is required."""
    by_type = TABLE[rule]
    if "*" in by_type:
        return by_type["*"]
    return by_type.get(object_type or "", ())


def granted(scopes: frozenset[str], needed: Alternatives) -> bool:
    """Whether a token's scopes satisfy one of the alternatives."""
    return scopes is ALL_SCOPES or not needed or any(alt <= scopes for alt in needed)


def named(needed: Alternatives) -> list[str]:
    """Every scope of the alternatives, in table order (the 403 body's requiredGranularScopes)."""
    return list(dict.fromkeys(s for alt in needed for s in sorted(alt)))
