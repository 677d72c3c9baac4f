"""HubSpot CRM API semantics of record writes: create, update, upsert, archive, single and batch.

What differs by API version (versions.py; sources in docs/hubspot-behaviour.md):
- from 2026-09, batch create/update/upsert answer 201/200 with per-record failures in `errors`
  (and `numErrors`), never 207; v3 and 2026-03 answer 207;
- from 2026-09, portal validation rules (rules.py) refuse writes, per record in a batch;
- from 2026-09, an association type is a numeric id; a legacy name is a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.sandbox import rules, schema
from connector.sandbox.api import Request, Response, batch_inputs, batch_response, object_type, record_json
from connector.sandbox.errors import ApiError, RuleViolation, batch_error_item, not_found, validation
from connector.sandbox.store import Portal, Record
from connector.sandbox.times import iso_ms
from connector.sandbox.versions import ApiVersion

_TYPE_IDS_BY_NAME = {name: type_id for type_id, name in schema.TYPE_NAMES.items()}
Links = list[tuple[str, str, int]]  # (to type, to id, association type id)


def _writable_type(req: Request) -> schema.ObjectType:
    ot = object_type(req.params["objectType"])
    if not ot.writable:
        # Documented as read-only ("you cannot use it to create, update, or delete survey response data");
        # HubSpot documents no status for the attempt: the spec has no write routes, so 405.
        raise ApiError(405, "", f"The {ot.name} API is read-only.")
    return ot


def _written_json(portal: Portal, ot: schema.ObjectType, rec: Record) -> dict[str, Any]:
    # A write answers with every property the record now holds.
    return record_json(portal, ot, rec, list(rec.properties))


def _write_response(
    req: Request, results: list[Any], errors: list[dict[str, Any]], now: str, ok_status: int = 200
) -> Response:
    if req.version.batch_multi_status:
        return batch_response(results, errors, now, ok_status)
    # 2026-09: the success status even with failures (each failure a full StandardError, as on every version).
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return ok_status, body


def _trace(item: Mapping[str, Any]) -> dict[str, list[str]]:
    trace = item.get("objectWriteTraceId")
    return {"objectWriteTraceId": [str(trace)]} if trace else {}


# ----- associations given inline on create


def association_type_id(raw: Any, version: ApiVersion, from_type: str) -> int:
    """An `associationTypeId` as the version accepts it: a number, or a legacy name before 2026-09."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if raw is None:
        return 0  # not a type id: refused below like any unknown id
    text = str(raw).strip()
    if text.isdigit():
        return int(text)
    if not version.association_type_names:
        raise validation(
            f"associationTypeId {raw!r} is not a numeric association type id; from API version {version.name} "
            "legacy association type names are no longer accepted"
        )
    if text in _TYPE_IDS_BY_NAME:
        return _TYPE_IDS_BY_NAME[text]
    raise validation(f"{raw} is not a valid association type id from {from_type}")


def _associations_input(portal: Portal, ot: schema.ObjectType, raw: Any, version: ApiVersion) -> Links:
    links: Links = []
    for assoc in raw or []:
        to_id = str(((assoc or {}).get("to") or {}).get("id", ""))
        for t in (assoc or {}).get("types") or []:
            type_id = association_type_id(t.get("associationTypeId"), version, ot.name)
            pair = schema.TYPE_PAIR.get(type_id)
            if pair is None or pair[0] != ot.name or t.get("associationCategory") != "HUBSPOT_DEFINED":
                raise validation(f"{type_id} is not a valid association type id from {ot.name}")
            target = portal.resolve(pair[1], to_id)
            if target is None:
                raise validation(
                    f"One or more associations are invalid: {pair[1]} {to_id} does not exist",
                    sub_category="crm.associations.INVALID_ASSOCIATION",
                )
            links.append((pair[1], target.id, type_id))
    return links


# ----- one record


def _create_one(
    portal: Portal, ot: schema.ObjectType, item: Mapping[str, Any], version: ApiVersion
) -> tuple[Record, Links]:
    props = portal.validate_properties(ot.name, item.get("properties") or {}, creating=True)
    if version.enforces_validation_rules:
        rules.enforce(portal.validation_rules, ot.name, props, creating=True)
    links = _associations_input(portal, ot, item.get("associations"), version)
    return Record(portal.new_id(), props, portal.now_ms(), portal.now_ms()), links


def _store_created(portal: Portal, ot: schema.ObjectType, rec: Record, links: Links) -> None:
    portal.put_record(ot.name, rec)
    for to_type, to_id, type_id in links:
        portal.associate(ot.name, rec.id, to_type, to_id, type_id)


def _update_one(
    portal: Portal, ot: schema.ObjectType, record_id: str, id_prop: str | None, values: Any, version: ApiVersion
) -> Record:
    rec = portal.find_by(ot.name, id_prop, record_id) if id_prop else portal.resolve(ot.name, record_id)
    if rec is None:
        raise not_found(record_id)
    props = portal.validate_properties(ot.name, values or {}, creating=False)
    if version.enforces_validation_rules:
        rules.enforce(portal.validation_rules, ot.name, props, creating=False)
    for name, value in props.items():
        if value == "":
            rec.properties.pop(name, None)
        else:
            rec.properties[name] = value
    if ot.name == "tasks" and "hs_task_status" in props:
        if props["hs_task_status"] == "COMPLETED":
            rec.properties["hs_task_completion_date"] = iso_ms(portal.now_ms())
        else:
            rec.properties.pop("hs_task_completion_date", None)
    portal.touch(ot.name, rec)
    return rec


# ----- handlers


def create_object(portal: Portal, req: Request) -> Response:
    """POST /crm/v3/objects/{objectType} → 201."""
    ot = _writable_type(req)
    rec, links = _create_one(portal, ot, req.object_body(), req.version)
    _store_created(portal, ot, rec, links)
    req.wrote = True
    return 201, _written_json(portal, ot, rec)


def batch_create(portal: Portal, req: Request) -> Response:
    """POST .../batch/create: all-or-nothing unless every input has an objectWriteTraceId (then per record)."""
    ot = _writable_type(req)
    inputs = batch_inputs(req)
    traced = bool(inputs) and all(i.get("objectWriteTraceId") for i in inputs)
    prepared: list[tuple[Record, Links, Mapping[str, Any]]] = []
    errors = []
    for item in inputs:
        try:
            rec, links = _create_one(portal, ot, item, req.version)
        except RuleViolation as exc:
            # 2026-09 validates each record on its own: the others still land.
            errors.append(batch_error_item(exc, **_trace(item)))
            continue
        except ApiError as exc:
            if not traced:
                raise  # one bad input fails the whole batch; only the first is reported
            errors.append(batch_error_item(exc, **_trace(item)))
            continue
        prepared.append((rec, links, item))
    for rec, links, _ in prepared:
        _store_created(portal, ot, rec, links)
    req.wrote = bool(prepared)
    results = [_traced(_written_json(portal, ot, rec), item) for rec, _, item in prepared]
    return _write_response(req, results, errors, iso_ms(portal.now_ms()), ok_status=201)


def _traced(result: dict[str, Any], item: Mapping[str, Any]) -> dict[str, Any]:
    # SimplePublicObject.objectWriteTraceId: each result echoes its input's trace id (HubSpot reference).
    trace = item.get("objectWriteTraceId")
    return {**result, "objectWriteTraceId": trace} if trace else result


def update_object(portal: Portal, req: Request) -> Response:
    """PATCH /crm/v3/objects/{objectType}/{objectId}."""
    ot = _writable_type(req)
    body = req.object_body()
    rec = _update_one(portal, ot, req.params["objectId"], req.q("idProperty"), body.get("properties"), req.version)
    req.wrote = True
    return 200, _written_json(portal, ot, rec)


def batch_update(portal: Portal, req: Request) -> Response:
    """POST .../batch/update: per-record errors while the rest lands (207 before 2026-09, 200 from it)."""
    ot = _writable_type(req)
    inputs = batch_inputs(req)
    ids = [str((i or {}).get("id", "")) for i in inputs]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise validation(f"Duplicate IDs found in batch input: {dupes}. IDs must be unique")
    results, errors = [], []
    for item in inputs:
        rid = str(item.get("id", ""))
        try:
            rec = _update_one(portal, ot, rid, item.get("idProperty"), item.get("properties"), req.version)
        except ApiError as exc:
            errors.append(batch_error_item(exc, ids=[rid], **_trace(item)))
            continue
        req.wrote = True
        results.append(_traced(record_json(portal, ot, rec, list((item.get("properties") or {}).keys())), item))
    return _write_response(req, results, errors, iso_ms(portal.now_ms()))


def batch_upsert(portal: Portal, req: Request) -> Response:
    """POST .../batch/upsert: needs a unique idProperty (email for contacts, hasUniqueValue properties)."""
    ot = _writable_type(req)
    inputs = batch_inputs(req)
    unique = portal.unique_props(ot.name)
    for item in inputs:
        id_prop = (item or {}).get("idProperty")
        if id_prop not in unique:
            raise validation(f"Unable to perform update/upsert by non-unique {ot.type_id} property {id_prop}")
    results, errors = [], []
    for item in inputs:
        key, id_prop = str(item.get("id", "")), str(item["idProperty"])
        existing = portal.find_by(ot.name, id_prop, key)
        try:
            if existing is not None:
                rec = _update_one(portal, ot, existing.id, None, item.get("properties"), req.version)
            else:
                created = {"properties": {**(item.get("properties") or {}), id_prop: key}}
                rec, links = _create_one(portal, ot, created, req.version)
                _store_created(portal, ot, rec, links)
        except RuleViolation as exc:
            errors.append(batch_error_item(exc, ids=[key], **_trace(item)))  # 2026-09: per record
            continue
        req.wrote = True
        results.append(_traced({**_written_json(portal, ot, rec), "new": existing is None}, item))
    return _write_response(req, results, errors, iso_ms(portal.now_ms()))


def archive_object(portal: Portal, req: Request) -> Response:
    """DELETE /crm/v3/objects/{objectType}/{objectId} → 204 (also for ids that do not exist)."""
    ot = _writable_type(req)
    req.wrote = _archive(portal, ot, req.params["objectId"])
    return 204, None


def batch_archive(portal: Portal, req: Request) -> Response:
    """POST .../batch/archive → 204."""
    ot = _writable_type(req)
    for item in batch_inputs(req):
        req.wrote = _archive(portal, ot, str((item or {}).get("id", ""))) or req.wrote
    return 204, None


def _archive(portal: Portal, ot: schema.ObjectType, record_id: str) -> bool:
    rec = portal.resolve(ot.name, record_id)
    if rec is None:
        return False
    portal.drop_associations(ot.name, rec.id)
    rec.archived = True
    portal.touch(ot.name, rec)
    return True
