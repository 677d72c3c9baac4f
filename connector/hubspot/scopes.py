"""The private-app scopes HubSpot documents per endpoint, named in 403 messages.

HubSpot's 403 body sometimes lists the missing scopes (``errors[].context.requiredGranularScopes``);
when it does not, the connector names the scopes below (each endpoint's security in HubSpot's API reference).
"""

from __future__ import annotations

# Tasks (and other engagements) have no object scope of their own: contacts scopes cover them.
_OBJECT_SCOPE_NAME = {
    "contacts": "contacts",
    "0-1": "contacts",
    "companies": "companies",
    "0-2": "companies",
    "deals": "deals",
    "tickets": "tickets",
    "feedback_submissions": "feedback_submissions",
    "0-19": "feedback_submissions",
    "tasks": "contacts",
    "0-27": "contacts",
}


def object_read(object_type: str) -> tuple[str, ...]:
    """Scope to read records of `object_type`."""
    return (f"crm.objects.{_OBJECT_SCOPE_NAME.get(object_type, object_type)}.read",)


def object_write(object_type: str) -> tuple[str, ...]:
    """Scope to create or update records of `object_type`."""
    return (f"crm.objects.{_OBJECT_SCOPE_NAME.get(object_type, object_type)}.write",)


def schema_read(object_type: str) -> tuple[str, ...]:
    """Scope to read property definitions of `object_type`."""
    return (f"crm.schemas.{object_type}.read",)


def schema_write(object_type: str) -> tuple[str, ...]:
    """Scope to create properties and property groups of `object_type`."""
    return (f"crm.schemas.{object_type}.write",)


def associations_read(from_type: str, to_type: str) -> tuple[str, ...]:
    """Scopes to read associations between two object types."""
    return tuple(dict.fromkeys((*object_read(from_type), *object_read(to_type))))


OWNERS_READ = ("crm.objects.owners.read",)
