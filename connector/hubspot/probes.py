"""Probes that change nothing: does the token work, and does it hold a scope? Plus one property repair.

HubSpot documents a token-information endpoint only for some token types (OAuth tokens, and
legacy private-app tokens via ``POST /oauth/v2/private-apps/get/access-token-info``), none for
Service Keys, and the sandbox serves none. So every scope is proven the same way, for every
token type: one request to an endpoint that needs exactly that scope and changes nothing.

    crm.objects.<type>.read     GET  .../objects/<type>?limit=1
    crm.objects.owners.read     GET  .../owners?limit=1
    crm.objects.<type>.write    POST .../objects/<type>/batch/update  {"inputs": []}
    crm.schemas.<type>.read     GET  .../properties/<type>            (the property check itself)
    crm.schemas.<type>.write    POST .../properties/<type>/groups     {"name": "", "label": ""}  -> 400

HubSpot checks scopes before it reads the body: a missing scope is a 403 naming it, a granted
one gets 200 (nothing to update) or 400 (an invalid body), and neither changes the portal.
A scope some successful call of this run already needed (`granted_scopes`) is not probed again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from hubspot.crm.objects import BatchInputSimplePublicObjectBatchInput
from hubspot.crm.properties import OptionInput, PropertyGroupCreate, PropertyUpdate

from connector.errors import HubSpotRequestError, MissingScopeError

from . import scopes
from .client import HubSpotClient

# Answers to a probe that changes nothing which still prove the scope check passed.
_PASSED_SCOPE_CHECK = frozenset({400, 409, 422})


def probe_read(client: HubSpotClient, object_type: str) -> None:
    """One-record list of `object_type`: proves `crm.objects.<type>.read` (and the token)."""
    client.probe(object_type, scopes.object_read(object_type))


def probe_owners(client: HubSpotClient) -> None:
    """One-owner page: proves `crm.objects.owners.read` (list_owners would page through them all)."""
    client._call(
        "owners.probe",
        partial(client._owners.get_page_with_http_info, limit=1, archived=False, _request_timeout=client._timeout),
        scopes=scopes.OWNERS_READ,
    )


def probe_write(client: HubSpotClient, object_type: str) -> None:
    """A batch update with no inputs: proves `crm.objects.<type>.write` and updates nothing."""
    request = BatchInputSimplePublicObjectBatchInput(inputs=[])
    _passes_scope_check(
        client,
        f"{object_type}.write_probe",
        partial(client._objects_batch.update_with_http_info, object_type, request, _request_timeout=client._timeout),
        scopes.object_write(object_type),
    )


def probe_schema_write(client: HubSpotClient, object_type: str) -> None:
    """A property-group create with an empty name (refused as invalid): proves `crm.schemas.<type>.write`."""
    request = PropertyGroupCreate(name="", label="")
    _passes_scope_check(
        client,
        f"properties.{object_type}.write_probe",
        partial(client._groups.create_with_http_info, object_type, request, _request_timeout=client._timeout),
        scopes.schema_write(object_type),
    )


def probe_schema_read(client: HubSpotClient, object_type: str) -> None:
    """The property list of `object_type`: proves `crm.schemas.<type>.read`."""
    client.list_properties(object_type)


def _passes_scope_check(client: HubSpotClient, operation: str, fn: Callable[[], Any], needed: Sequence[str]) -> None:
    try:
        client._call(operation, fn, scopes=needed)
    except HubSpotRequestError as exc:
        if exc.status not in _PASSED_SCOPE_CHECK:
            raise
        # Refused as invalid after the scope check: the scope is there, and nothing changed.
        client.granted_scopes.update(needed)


def _probes() -> dict[str, Callable[[HubSpotClient], None]]:
    def typed(fn: Callable[[HubSpotClient, str], None], object_type: str) -> Callable[[HubSpotClient], None]:
        return lambda client: fn(client, object_type)

    table: dict[str, Callable[[HubSpotClient], None]] = {scopes.OWNERS_READ[0]: probe_owners}
    for object_type in ("contacts", "companies", "feedback_submissions"):
        table[scopes.object_read(object_type)[0]] = typed(probe_read, object_type)
    for object_type in ("contacts", "companies"):
        table[scopes.object_write(object_type)[0]] = typed(probe_write, object_type)
        table[scopes.schema_read(object_type)[0]] = typed(probe_schema_read, object_type)
        table[scopes.schema_write(object_type)[0]] = typed(probe_schema_write, object_type)
    return table


SCOPE_PROBES: Mapping[str, Callable[[HubSpotClient], None]] = _probes()


@dataclass(frozen=True)
class ScopeCheck:
    """The outcome of probing one scope: granted, or the message HubSpot's 403 became."""

    scope: str
    granted: bool
    message: str = ""
    probed: bool = True  # False: a call of this run had already shown it


def check_scopes(client: HubSpotClient, needed: Iterable[str]) -> list[ScopeCheck]:
    """Probe each scope in `needed` (skipping those already shown to work); 401/5xx raise, 403s are collected."""
    results: list[ScopeCheck] = []
    for scope in dict.fromkeys(needed):
        if scope in client.granted_scopes:
            results.append(ScopeCheck(scope, True, probed=False))
            continue
        probe = SCOPE_PROBES.get(scope)
        if probe is None:
            raise ValueError(f"no probe known for scope {scope!r}")
        try:
            probe(client)
        except MissingScopeError as exc:
            results.append(ScopeCheck(scope, False, str(exc)))
            continue
        client.granted_scopes.add(scope)
        results.append(ScopeCheck(scope, True))
    return results


# ---------------------------------------------------------------------- property repair (setup)


def add_enumeration_options(
    client: HubSpotClient, object_type: str, name: str, wanted: Sequence[tuple[str, str]]
) -> list[str]:
    """Add the (value, label) options `name` lacks, keeping every option it has; return the values added.

    HubSpot's property update replaces the whole option list, so the current options are read
    first (with their labels, order and hidden flags) and sent back unchanged, the new ones after.
    The property's type and field type are never sent, so they cannot change.
    """
    response = client._call(
        f"properties.{object_type}.get",
        partial(client._properties.get_by_name_with_http_info, object_type, name, _request_timeout=client._timeout),
        scopes=scopes.schema_read(object_type),
    )
    current = list(getattr(response.data, "options", None) or [])
    have = {str(getattr(option, "value", "")) for option in current}
    missing = [(value, label) for value, label in wanted if value not in have]
    if not missing:
        return []
    options = [
        OptionInput(
            value=str(getattr(option, "value", "")),
            label=str(getattr(option, "label", "") or getattr(option, "value", "")),
            display_order=_int(getattr(option, "display_order", None), order),
            hidden=bool(getattr(option, "hidden", False)),
            description=getattr(option, "description", None),
        )
        for order, option in enumerate(current)
    ]
    start = max((o.display_order for o in options), default=-1) + 1
    options += [
        OptionInput(value=value, label=label, display_order=start + i, hidden=False)
        for i, (value, label) in enumerate(missing)
    ]
    request = PropertyUpdate(options=options)
    client._call(
        f"properties.{object_type}.update",
        partial(client._properties.update_with_http_info, object_type, name, request, _request_timeout=client._timeout),
        scopes=scopes.schema_write(object_type),
    )
    return [value for value, _ in missing]


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


__all__ = [
    "SCOPE_PROBES",
    "ScopeCheck",
    "add_enumeration_options",
    "check_scopes",
    "probe_owners",
    "probe_read",
    "probe_schema_read",
    "probe_schema_write",
    "probe_write",
]
