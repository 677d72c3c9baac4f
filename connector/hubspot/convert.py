"""SDK response models -> the HubSpot layer's dataclasses (`models.py`).

The SDK is untyped and its models are plain attribute bags; every reader here goes through
`getattr` with a default and coerces to the declared type, so a missing or null field never
raises and nothing typed `Any` leaks out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .models import AssociationTarget, Owner, PropertyInfo, Record, RecordFailure


def record(obj: Any) -> Record:
    """A SimplePublicObject / ...WithAssociations as a `Record`."""
    raw_props = getattr(obj, "properties", None) or {}
    properties: dict[str, str | None] = {
        str(name): (None if value is None else str(value)) for name, value in dict(raw_props).items()
    }
    associations: dict[str, list[str]] = {}
    raw_assoc = getattr(obj, "associations", None) or {}
    for to_type, collection in dict(raw_assoc).items():
        ids = [_str(getattr(item, "id", None)) for item in (getattr(collection, "results", None) or [])]
        associations[str(to_type)] = list(dict.fromkeys(i for i in ids if i))
    return Record(
        id=_str(getattr(obj, "id", None)),
        properties=properties,
        associations=associations,
        archived=bool(getattr(obj, "archived", False)),
        updated_at=_datetime(getattr(obj, "updated_at", None)),
        created_at=_datetime(getattr(obj, "created_at", None)),
    )


def records(objs: Iterable[Any] | None) -> list[Record]:
    """Every item of a `results` list as a `Record`."""
    return [record(obj) for obj in (objs or [])]


def next_after(response: Any) -> str | None:
    """``paging.next.after`` or None; tolerates a missing `paging`, ``{}`` and ``next: null``."""
    paging = getattr(response, "paging", None)
    nxt = getattr(paging, "next", None) if paging is not None else None
    after = getattr(nxt, "after", None) if nxt is not None else None
    return None if after in (None, "") else str(after)


def owner(obj: Any) -> Owner:
    """A PublicOwner as an `Owner`."""
    return Owner(
        id=_str(getattr(obj, "id", None)),
        email=_opt_str(getattr(obj, "email", None)),
        first_name=_opt_str(getattr(obj, "first_name", None)),
        last_name=_opt_str(getattr(obj, "last_name", None)),
        archived=bool(getattr(obj, "archived", False)),
    )


def property_info(obj: Any) -> PropertyInfo:
    """A crm.properties Property as a `PropertyInfo`."""
    options = [_str(getattr(option, "value", None)) for option in (getattr(obj, "options", None) or [])]
    return PropertyInfo(
        name=_str(getattr(obj, "name", None)),
        type=_str(getattr(obj, "type", None)),
        field_type=_str(getattr(obj, "field_type", None)),
        group_name=_str(getattr(obj, "group_name", None)),
        options=options,
        label=_str(getattr(obj, "label", None)),
    )


def association_targets(items: Iterable[Any] | None) -> list[AssociationTarget]:
    """The `to` list of a v4 association result, type ids merged per target, order kept."""
    merged: dict[str, list[int]] = {}
    for item in items or []:
        to_id = _str(getattr(item, "to_object_id", None))
        if not to_id:
            continue
        type_ids = merged.setdefault(to_id, [])
        for spec in getattr(item, "association_types", None) or []:
            type_id = getattr(spec, "type_id", None)
            if isinstance(type_id, int) and type_id not in type_ids:
                type_ids.append(type_id)
    return [AssociationTarget(to_id, tuple(type_ids)) for to_id, type_ids in merged.items()]


def batch_errors(errors: Iterable[Any] | None) -> list[tuple[list[str], RecordFailure]]:
    """Error items of a 207 answer: the record ids each one names, and the failure itself.

    Ids come from ``context.ids`` (or ``context.id``) and ``context.objectWriteTraceId``;
    an item naming no id gets an empty list and a failure with an empty id.
    """
    found: list[tuple[list[str], RecordFailure]] = []
    for error in errors or []:
        context = getattr(error, "context", None) or {}
        ids: list[str] = []
        if isinstance(context, dict):
            for key in ("ids", "id", "objectWriteTraceId"):
                values = context.get(key) or []
                ids.extend(str(v) for v in (values if isinstance(values, list | tuple) else [values]))
        ids = list(dict.fromkeys(ids))
        category = _str(getattr(error, "category", None))
        message = _str(getattr(error, "message", None))
        found.append((ids, RecordFailure(ids[0] if len(ids) == 1 else "", category, message)))
    return found


def merge_targets(into: list[AssociationTarget], more: list[AssociationTarget]) -> None:
    """Add `more` to `into` in place: new targets appended, type ids of known ones merged."""
    position = {target.to_id: n for n, target in enumerate(into)}
    for target in more:
        if target.to_id in position:
            old = into[position[target.to_id]]
            merged = old.type_ids + tuple(t for t in target.type_ids if t not in old.type_ids)
            into[position[target.to_id]] = AssociationTarget(old.to_id, merged)
        else:
            position[target.to_id] = len(into)
            into.append(target)


def write_failures(chunk: list[str], data: Any) -> list[RecordFailure]:
    """Per-record failures of a batch-write answer; unattributable errors fall on unreturned ids."""
    returned = {rec.id for rec in records(getattr(data, "results", None))}
    failures: dict[str, RecordFailure] = {}
    unattributed: list[RecordFailure] = []
    for ids, failure in batch_errors(getattr(data, "errors", None)):
        named = [i for i in ids if i in chunk]
        if not named:
            unattributed.append(failure)
        for i in named:
            failures.setdefault(i, RecordFailure(i, failure.category, failure.message))
    if unattributed:
        first = unattributed[0]
        for i in chunk:
            if i not in returned and i not in failures:
                failures[i] = RecordFailure(i, first.category, first.message)
    return list(failures.values())


def _datetime(value: object) -> datetime | None:
    """An aware UTC datetime. The SDK parses with dateutil, which gives "...Z" the *local* zone
    object (``tzlocal()``) when the machine runs on UTC; naive values are taken as UTC."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _str(value: object) -> str:
    return "" if value is None else str(value)


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
