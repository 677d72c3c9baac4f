"""`setup` and the property part of `check` and of the preflight: the connector's property group and properties.

`setup` repairs what it safely can: it creates the group, creates missing properties (also ones an
admin deleted), and adds enumeration options a property lacks, keeping the options it has. It never
changes a property's type: a property of the wrong type is an error naming it (exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.config import PropertyNames
from connector.core.properties import PropertyDef, definition_mismatches, property_definitions
from connector.errors import HubSpotRequestError, PropertySetupError
from connector.hubspot import HubSpotClient, PropertyInfo
from connector.hubspot.probes import add_enumeration_options

OBJECT_TYPES = ("contacts", "companies")


@dataclass
class PropertyStatus:
    """What HubSpot has of the connector's properties."""

    created: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # one message per property of the wrong type
    lacking_options: dict[str, list[str]] = field(default_factory=dict)  # label -> option values it lacks
    repaired: list[str] = field(default_factory=list)  # labels whose missing options setup added

    @property
    def problems(self) -> list[str]:
        """Every reason the connector cannot write its values, one phrase each."""
        lacking = [f"{label} lacks option values {', '.join(values)}" for label, values in self.lacking_options.items()]
        return [f"missing {m}" for m in self.missing] + self.wrong + lacking

    def problem_line(self) -> str:
        """The problems as one line, with what to do."""
        fixable = self.missing or self.lacking_options
        hint = " (run `nps-connector setup`)" if fixable else ""
        if self.wrong:
            hint += (
                " (a property of the wrong type: rename the connector's property in [properties], "
                "or delete or fix it in HubSpot; setup never changes a type)"
            )
        return "; ".join(self.problems) + hint


def compare_properties(names: PropertyNames, listings: Mapping[str, Sequence[PropertyInfo]]) -> PropertyStatus:
    """Compare the portal's property lists (per object type) with the connector's definitions; no I/O."""
    status = PropertyStatus()
    for object_type, listing in listings.items():
        existing = {p.name: p for p in listing}
        for defn in _definitions(names, object_type):
            _classify(defn, existing.get(defn.name), status)
    return status


def _definitions(names: PropertyNames, object_type: str) -> list[PropertyDef]:
    return [d for d in property_definitions(names) if d.object_type == object_type]


def _classify(defn: PropertyDef, found: PropertyInfo | None, status: PropertyStatus) -> None:
    label = f"{defn.object_type}.{defn.name}"
    if found is None:
        status.missing.append(label)
        return
    if found.type != defn.type:
        status.wrong.extend(definition_mismatches(defn, found.type, found.options))
        return
    lacking = sorted(set(defn.option_values()) - set(found.options))
    if lacking:
        status.lacking_options[label] = lacking
        return
    status.present.append(label)


def inspect_properties(client: HubSpotClient, names: PropertyNames, *, create: bool, log: Any) -> PropertyStatus:
    """Compare (and with `create`, create and repair) the group and every property; idempotent."""
    if not create:
        return compare_properties(names, {ot: client.list_properties(ot) for ot in OBJECT_TYPES})
    status = PropertyStatus()
    for object_type in OBJECT_TYPES:
        if names.group not in client.list_property_groups(object_type):
            client.create_property_group(object_type, names.group, names.group_label)
            log.info("setup.group_created", object_type=object_type, group=names.group)
        existing = {p.name: p for p in client.list_properties(object_type)}
        for defn in _definitions(names, object_type):
            found = existing.get(defn.name)
            if found is None:
                _create(client, defn, status, log)
                continue
            _classify(defn, found, status)
    _repair_options(client, names, status, log)
    return status


def _create(client: HubSpotClient, defn: PropertyDef, status: PropertyStatus, log: Any) -> None:
    label = f"{defn.object_type}.{defn.name}"
    outcome = client.create_property(
        defn.object_type,
        name=defn.name,
        label=defn.label,
        type=defn.type,
        field_type=defn.field_type,
        group_name=defn.group_name,
        description=defn.description,
        options=defn.options,
    )
    if outcome == "exists":
        # A create whose answer was lost and then retried gets a 409 for its own property: look again.
        found = next((p for p in client.list_properties(defn.object_type) if p.name == defn.name), None)
        if found is not None and found.type != defn.type:
            _classify(defn, found, status)  # someone else's property of another type
            return
        if found is not None:
            status.created.append(label)
            log.info("setup.property_created", object_type=defn.object_type, property=defn.name, retried=True)
            return
        # Still not listed, yet HubSpot has the name: an archived (deleted) property keeps it for 90 days.
        status.wrong.append(
            f"{label} was deleted in HubSpot but its name is still taken: restore it in HubSpot "
            "(Settings > Properties > Archived properties) and run setup again"
        )
        log.warning("setup.property_archived", object_type=defn.object_type, property=defn.name)
        return
    status.created.append(label)
    log.info("setup.property_created", object_type=defn.object_type, property=defn.name)


def _repair_options(client: HubSpotClient, names: PropertyNames, status: PropertyStatus, log: Any) -> None:
    """Add the enumeration options an admin removed; a refusal leaves the property listed as lacking them."""
    by_label = {f"{d.object_type}.{d.name}": d for d in property_definitions(names)}
    for label, values in list(status.lacking_options.items()):
        defn = by_label[label]
        try:
            added = add_enumeration_options(client, defn.object_type, defn.name, defn.options)
        except HubSpotRequestError as exc:
            log.error("setup.options_not_added", object_type=defn.object_type, property=defn.name, error=str(exc))
            continue
        del status.lacking_options[label]
        status.repaired.append(label)
        status.present.append(label)
        log.info("setup.options_added", object_type=defn.object_type, property=defn.name, options=added or values)


def setup_command(client: HubSpotClient, names: PropertyNames, log: Any) -> str:
    """`setup`: create and repair what is missing; return the summary line."""
    status = run_setup(client, names, log)
    repaired = f", {len(status.repaired)} repaired (options added)" if status.repaired else ""
    return f"setup: {len(status.created)} properties created{repaired}, {len(status.present)} already present"


def run_setup(client: HubSpotClient, names: PropertyNames, log: Any) -> PropertyStatus:
    """Create the group and properties, add missing options; fail naming every property it cannot fix."""
    status = inspect_properties(client, names, create=True, log=log)
    if status.wrong or status.lacking_options:
        lacking = [f"{label} lacks option values {', '.join(v)}" for label, v in status.lacking_options.items()]
        hint = " (rename it in [properties] or fix it in HubSpot; setup never changes a type)" if status.wrong else ""
        if status.lacking_options:
            hint += " (add the missing option values to the property in HubSpot, then run setup again)"
        raise PropertySetupError("; ".join(status.wrong + lacking) + hint)
    return status
