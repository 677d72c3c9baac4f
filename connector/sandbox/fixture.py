"""Load a portal from the fixture JSON (README, "The HubSpot sandbox"), and write it back (snapshot / --state file)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from connector.sandbox import schema
from connector.sandbox.rules import RuleError, parse_rules
from connector.sandbox.store import Portal, Record
from connector.sandbox.times import iso_ms, parse_instant_ms


class FixtureError(ValueError):
    """The fixture file is not a valid portal snapshot; the message says where."""


def read_fixture(path: Path) -> dict[str, Any]:
    """Parse a fixture file, with errors that name the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read fixture ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise FixtureError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: a fixture is a JSON object")
    return data


def load_portal(
    data: Mapping[str, Any], *, clock: Callable[[], float] | None = None, search_lag_ms: float = 0
) -> Portal:
    """Build a portal from fixture data (raises FixtureError naming the bad entry)."""
    portal = Portal(search_lag_ms=search_lag_ms, **({"clock": clock} if clock else {}))
    with portal.lock:
        _load(portal, data)
        for view in portal.views.values():  # the fixture is the portal's past: searchable at once, not after the lag
            view.refresh(math.inf)
    return portal


def string_props(item: Mapping[str, Any]) -> dict[str, str]:
    """A fixture entry's properties as the portal stores them: strings, with nulls left out."""
    return {k: str(v) for k, v in (item.get("properties") or {}).items() if v is not None}


def _records(data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise FixtureError(f"{key}: expected a list")
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            raise FixtureError(f'{key}[{i}]: every entry needs an "id"')
        if not isinstance(item.get("properties", {}), dict):
            raise FixtureError(f"{key}[{i}].properties: expected an object")
    return items


def _load(portal: Portal, data: Mapping[str, Any]) -> None:
    now = portal.now_ms()
    for otype, defs in (data.get("property_definitions") or {}).items():
        for group in (data.get("property_groups") or {}).get(otype, []):
            if group["name"] not in portal.groups[otype]:
                portal.create_group(otype, group)
        for defn in defs:
            if defn["name"] not in portal.props[otype]:
                portal.create_property(otype, defn)
    for owner in _records(data, "owners"):
        portal.add_owner(owner)
    try:
        portal.validation_rules = parse_rules(data.get("validation_rules"))
    except RuleError as exc:
        raise FixtureError(str(exc)) from None
    all_ids = []
    for key in ("companies", "contacts", "feedback_submissions", "tasks"):
        all_ids += [str(r["id"]) for r in _records(data, key)]
    portal.reserve_ids(all_ids)

    for item in _records(data, "companies"):
        _put(portal, "companies", item, now)
    for item in _records(data, "contacts"):
        _put(portal, "contacts", item, now)
    for i, item in enumerate(_records(data, "contacts")):
        cid = str(item["id"])
        if item.get("archived"):
            continue
        for link in item.get("companies") or []:
            company = portal.records["companies"].get(str(link.get("id")))
            if company is None:
                raise FixtureError(f"contacts[{i}].companies: company {link.get('id')} does not exist")
            if company.archived:
                continue
            portal.associate("contacts", cid, "companies", company.id, 279)
            if link.get("primary"):
                portal.associate("contacts", cid, "companies", company.id, 1)
    for i, item in enumerate(_records(data, "feedback_submissions")):
        props = string_props(item)
        stamp = parse_instant_ms(props.get("hs_submission_timestamp", "")) or now
        contact_id = item.get("contact_id")
        contact = portal.records["contacts"].get(str(contact_id)) if contact_id is not None else None
        if contact_id is not None and contact is None:
            raise FixtureError(f"feedback_submissions[{i}]: contact {contact_id} does not exist")
        if contact is not None:
            props.setdefault("hs_contact_id", contact.id)
        created = parse_instant_ms(props.get("hs_createdate", "")) or stamp
        modified = parse_instant_ms(props.get("hs_lastmodifieddate", "")) or created
        props.setdefault("hs_createdate", iso_ms(created))
        rec = Record(str(item["id"]), props, created, modified)
        portal.put_record("feedback_submissions", rec)
        if contact is not None and not contact.archived:
            portal.associate("feedback_submissions", rec.id, "contacts", contact.id, 98)
    for i, item in enumerate(_records(data, "tasks")):
        rec = _put(portal, "tasks", item, now)
        for to_type, type_id in (("contacts", 204), ("companies", 192)):
            for to_id in (item.get("associations") or {}).get(to_type, []):
                target = portal.records[to_type].get(str(to_id))
                if target is None:
                    raise FixtureError(f"tasks[{i}].associations.{to_type}: {to_id} does not exist")
                if not rec.archived and target.live:
                    portal.associate("tasks", rec.id, to_type, target.id, type_id)
    for i, merge in enumerate(data.get("merges") or []):
        _merge(portal, str(merge.get("from")), str(merge.get("into")), i)


def _put(portal: Portal, otype: str, item: Mapping[str, Any], now: float) -> Record:
    ot = schema.OBJECT_TYPES[otype]
    props = string_props(item)
    created = parse_instant_ms(props.get(ot.created_prop, "")) or now
    modified = parse_instant_ms(props.get(ot.modified_prop, "")) or created
    rec = Record(str(item["id"]), props, created, modified, archived=bool(item.get("archived", False)))
    portal.put_record(otype, rec)
    return rec


def _merge(portal: Portal, loser_id: str, survivor_id: str, index: int) -> None:
    """Merge a contact into another as HubSpot does (the survivor keeps its primary company)."""
    contacts = portal.records["contacts"]
    loser, survivor = contacts.get(loser_id), contacts.get(survivor_id)
    if loser is None or survivor is None:
        raise FixtureError(f"merges[{index}]: contacts {loser_id} and {survivor_id} must both exist")
    if loser_id == survivor_id or survivor.merged_into is not None or survivor.archived:
        raise FixtureError(f"merges[{index}]: cannot merge {loser_id} into {survivor_id}")
    if loser.merged_into == survivor_id:
        return  # already merged (a snapshot being loaded back)
    for sub_id in list(portal.associations("contacts", loser_id, "feedback_submissions")):
        portal.records["feedback_submissions"][sub_id].properties["hs_contact_id"] = survivor_id
    portal.move_associations("contacts", loser_id, survivor_id, demote=1)
    loser.merged_into = survivor_id
    merged = [m for m in survivor.properties.get("hs_merged_object_ids", "").split(";") if m]
    recorded = loser_id in merged  # a snapshot being loaded back: the merge already dated the survivor
    merged += [m for m in [loser_id, *loser.properties.get("hs_merged_object_ids", "").split(";")] if m]
    survivor.properties["hs_merged_object_ids"] = ";".join(dict.fromkeys(merged))
    portal.put_record("contacts", loser)
    if recorded:
        portal.put_record("contacts", survivor)
    else:
        portal.touch("contacts", survivor)
    for sub_id in portal.associations("contacts", survivor_id, "feedback_submissions"):
        portal.put_record("feedback_submissions", portal.records["feedback_submissions"][sub_id])


def snapshot(portal: Portal) -> dict[str, Any]:
    """The whole portal in fixture format, tasks and custom property definitions included."""
    with portal.lock:
        kept = _definition_types(portal)
        out: dict[str, Any] = {
            "owners": [
                {k: o[k] for k in ("id", "email", "firstName", "lastName", "archived")} for o in portal.owners.values()
            ],
            "property_groups": {
                t: [{"name": g["name"], "label": g["label"]} for g in groups.values()]
                for t, groups in portal.groups.items()
                if t in kept
            },
            "property_definitions": {
                t: [
                    {
                        k: d[k]
                        for k in (
                            "name",
                            "label",
                            "type",
                            "fieldType",
                            "groupName",
                            "options",
                            "description",
                            "hasUniqueValue",
                        )
                    }
                    | ({"archived": True} if d.get("archived") else {})
                    for d in defs.values()
                    if not d.get("hubspotDefined")
                ]
                for t, defs in portal.props.items()
                if t in kept
            },
            "validation_rules": [r.to_json() for r in portal.validation_rules],
            "companies": [_dump(r) for r in _ordered(portal, "companies")],
            "contacts": [],
            "merges": [],
            "feedback_submissions": [],
            "tasks": [],
        }
        for rec in _ordered(portal, "contacts"):
            item = _dump(rec)
            links = portal.associations("contacts", rec.id, "companies")
            if rec.merged_into is None and links:
                item["companies"] = [{"id": cid, "primary": 1 in kinds} for cid, kinds in sorted(links.items())]
            out["contacts"].append(item)
            if rec.merged_into is not None:
                out["merges"].append({"from": rec.id, "into": rec.merged_into})
        for rec in _ordered(portal, "feedback_submissions"):
            item = _dump(rec)
            linked = sorted(portal.associations("feedback_submissions", rec.id, "contacts"))
            contact_id = linked[0] if linked else rec.properties.get("hs_contact_id")
            if contact_id and contact_id in portal.records["contacts"]:
                item["contact_id"] = contact_id
            out["feedback_submissions"].append(item)
        for rec in _ordered(portal, "tasks"):
            item = _dump(rec)
            item["associations"] = {
                t: sorted(portal.associations("tasks", rec.id, t)) for t in ("contacts", "companies")
            }
            out["tasks"].append(item)
        return out


def _definition_types(portal: Portal) -> set[str]:
    """The types whose definitions a snapshot lists: the record types, and others once they hold custom ones."""
    custom = {t for t, defs in portal.props.items() if any(not d.get("hubspotDefined") for d in defs.values())}
    system = {t: {name for name, _ in groups} for t, groups in schema.SYSTEM_GROUPS.items()}
    custom |= {t for t, groups in portal.groups.items() if set(groups) - system.get(t, set())}
    return set(schema.OBJECT_TYPES) | custom


def _ordered(portal: Portal, otype: str) -> list[Record]:
    return [portal.records[otype][i] for i in portal.sorted_ids(otype)]


def _dump(rec: Record) -> dict[str, Any]:
    item: dict[str, Any] = {"id": rec.id, "properties": dict(rec.properties)}
    if rec.archived:
        item["archived"] = True
    return item
