"""`setup` and the property part of `check`: the connector's property group and properties in HubSpot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.config import PropertyNames
from connector.core.properties import definition_mismatches, property_definitions
from connector.errors import PropertySetupError
from connector.hubspot import HubSpotClient


@dataclass
class PropertyStatus:
    """What HubSpot has of the connector's properties."""

    created: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # one message per mismatching property


def inspect_properties(client: HubSpotClient, names: PropertyNames, *, create: bool, log: Any) -> PropertyStatus:
    """Compare (and with `create`, create) the group and every property; idempotent."""
    status = PropertyStatus()
    for object_type in ("contacts", "companies"):
        if create and names.group not in client.list_property_groups(object_type):
            client.create_property_group(object_type, names.group, names.group_label)
            log.info("setup.group_created", object_type=object_type, group=names.group)
        existing = {p.name: p for p in client.list_properties(object_type)}
        for defn in property_definitions(names):
            if defn.object_type != object_type:
                continue
            label = f"{object_type}.{defn.name}"
            found = existing.get(defn.name)
            if found is None:
                if not create:
                    status.missing.append(label)
                    continue
                client.create_property(
                    object_type,
                    name=defn.name,
                    label=defn.label,
                    type=defn.type,
                    field_type=defn.field_type,
                    group_name=defn.group_name,
                    description=defn.description,
                    options=defn.options,
                )
                status.created.append(label)
                log.info("setup.property_created", object_type=object_type, property=defn.name)
                continue
            problems = definition_mismatches(defn, found.type, found.options)
            if problems:
                status.wrong.extend(problems)
            else:
                status.present.append(label)
    return status


def setup_command(client: HubSpotClient, names: PropertyNames, log: Any) -> str:
    """`setup`: create what is missing; return the summary line."""
    status = run_setup(client, names, log)
    return f"setup: {len(status.created)} properties created, {len(status.present)} already present"


def run_setup(client: HubSpotClient, names: PropertyNames, log: Any) -> PropertyStatus:
    """Create the group and properties; fail naming every property that exists with the wrong type."""
    status = inspect_properties(client, names, create=True, log=log)
    if status.wrong:
        raise PropertySetupError("; ".join(status.wrong) + " (rename it in [properties] or fix it in HubSpot)")
    return status
