"""Conformance tests of the sandbox against HubSpot's documented behaviour, driven through the official SDK.

`small_portal()` is the hand-written fixture most tests read: every record has a reason to exist,
named in the comment beside it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def small_portal() -> dict[str, Any]:
    """A portal with one of each case: merge, deleted contact, deleted company, anonymous answer."""
    return {
        "owners": [
            {"id": "101", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"},
            {"id": "102", "email": "ben@example.com", "firstName": "Ben", "lastName": "Ode"},
            {"id": "103", "email": "cy@example.com", "firstName": "Cy", "lastName": "Gone", "archived": True},
        ],
        "companies": [
            {"id": "201", "properties": {"name": "Acme", "domain": "acme.example", "hubspot_owner_id": "101"}},
            {"id": "202", "properties": {"name": "Beta", "domain": "beta.example"}},
            {"id": "203", "properties": {"name": "Gamma", "domain": "gamma.example"}},
            {"id": "204", "properties": {"name": "Gone Inc", "domain": "gone.example"}, "archived": True},
        ],
        "contacts": [
            # survivor of the merge below: keeps primary 201
            {
                "id": "301",
                "properties": {"email": "bo@acme.example", "firstname": "Bo", "lastname": "Ng"},
                "companies": [{"id": "201", "primary": True}],
            },
            # primary 202, non-primary 203
            {
                "id": "302",
                "properties": {"email": "cat@beta.example", "firstname": "Cat", "lastname": "Ray"},
                "companies": [{"id": "202", "primary": True}, {"id": "203"}],
            },
            # merge loser: its primary 203 and its 202 join the survivor as non-primary
            {
                "id": "305",
                "properties": {"email": "bo.ng@gmail.example", "firstname": "Bo", "lastname": "Ng"},
                "companies": [{"id": "203", "primary": True}, {"id": "202"}],
            },
            # deleted contact that answered
            {
                "id": "306",
                "properties": {"email": "del@beta.example", "firstname": "Del", "lastname": "Eted"},
                "companies": [{"id": "202", "primary": True}],
                "archived": True,
            },
            # no company
            {"id": "307", "properties": {"email": "solo@example.com", "firstname": "Solo", "lastname": "Han"}},
            # its only company is deleted
            {
                "id": "308",
                "properties": {"email": "orphan@gone.example", "firstname": "Or", "lastname": "Phan"},
                "companies": [{"id": "204", "primary": True}],
            },
        ],
        "merges": [{"from": "305", "into": "301"}],
        "feedback_submissions": [
            _answer("401", "301", "9", "2026-09-01T10:00:00Z", "Great support"),
            _answer("402", "305", "4", "2026-09-02T10:00:00Z", "Slow answers"),  # moves to 301
            _answer("403", "306", "2", "2026-09-03T10:00:00Z", "Cancelled"),  # contact deleted
            _answer("404", None, "10", "2026-09-04T10:00:00Z", "Anonymous love"),
            _answer("405", "302", "7", "2026-09-05T10:00:00Z", "Fine"),
        ],
    }


def _answer(sid: str, contact: str | None, value: str, at: str, comment: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": sid,
        "properties": {
            "hs_survey_type": "NPS",
            "hs_value": value,
            "hs_submission_timestamp": at,
            "hs_content": comment,
        },
    }
    if contact is not None:
        item["contact_id"] = contact
    return item


def nps_contact_properties() -> dict[str, Any]:
    """The `property_groups`/`property_definitions` fixture keys for three custom contact properties."""
    return {
        "property_groups": {"contacts": [{"name": "nps", "label": "NPS"}]},
        "property_definitions": {
            "contacts": [
                {
                    "name": "nps_score",
                    "label": "NPS score",
                    "type": "number",
                    "fieldType": "number",
                    "groupName": "nps",
                },
                {
                    "name": "nps_category",
                    "label": "NPS category",
                    "type": "enumeration",
                    "fieldType": "select",
                    "groupName": "nps",
                    "options": [{"label": v.title(), "value": v} for v in ("promoter", "passive", "detractor")],
                },
                {
                    "name": "nps_last_response_date",
                    "label": "NPS last response",
                    "type": "datetime",
                    "fieldType": "date",
                    "groupName": "nps",
                },
            ]
        },
    }


DATED_VERSIONS = ("2026-03", "2026-09")


def call(client: Any, method: str, path: str, body: Any = None, qs: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One request through the SDK's generic `api_request` (the SDK knows no date-based paths): status, JSON."""
    options: dict[str, Any] = {"method": method, "path": path}
    if body is not None:
        options["body"] = body
    if qs:
        options["qs"] = qs
    resp = client.api_request(options)
    return resp.status_code, (resp.json() if resp.content else None)


def without_volatile(body: Any) -> Any:
    """A body minus what differs between two identical requests (batch times, error correlation ids)."""
    if isinstance(body, dict):
        return {
            k: without_volatile(v) for k, v in body.items() if k not in ("startedAt", "completedAt", "correlationId")
        }
    if isinstance(body, list):
        return [without_volatile(v) for v in body]
    return body


def sdk_json(method: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[int, Any]:
    """A typed SDK call's raw answer: status and JSON (also for the errors the SDK raises)."""
    try:
        resp = method(*args, **kwargs, _preload_content=False)
    except Exception as exc:  # each SDK package has its own ApiException class (notes §11)
        status = getattr(exc, "status", None)
        if status is None:
            raise
        return int(status), json.loads(exc.body) if getattr(exc, "body", None) else None  # type: ignore[attr-defined]
    return int(resp.status), json.loads(resp.data) if resp.data else None


VERSION_NAMES = ("v3", *DATED_VERSIONS)
# area -> path prefix per version (connector/sandbox/versions.py is the source of truth; tests spell it out)
PREFIXES: dict[str, dict[str, str]] = {
    "v3": {
        "objects": "/crm/v3/objects",
        "object_associations": "/crm/v4/objects",
        "associations": "/crm/v4/associations",
        "properties": "/crm/v3/properties",
        "owners": "/crm/v3/owners",
        "schemas": "/crm/v3/schemas",
    },
    **{
        v: {
            "objects": f"/crm/objects/{v}",
            "object_associations": f"/crm/objects/{v}",
            "associations": f"/crm/associations/{v}",
            "properties": f"/crm/properties/{v}",
            "owners": f"/crm/owners/{v}",
            "schemas": f"/crm/schemas/{v}",
        }
        for v in DATED_VERSIONS
    },
}


def send_bytes(
    target: Any, method: str, path: str, data: bytes | None, *, token: str | None = "test-token", timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """One request with a raw body (bytes as given): status, headers, body; raises on a dropped connection."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(target if isinstance(target, str) else target.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=timeout)
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


ERROR_FIELDS = frozenset({"status", "message", "correlationId", "category"})
STANDARD_ERROR_FIELDS = frozenset({"status", "category", "message", "context", "errors", "links"})


def assert_error_body(body: Any) -> None:
    """HubSpot's Error: status "error", message, correlationId and category, all strings (notes §4, §13)."""
    assert isinstance(body, dict), body
    assert set(body) >= ERROR_FIELDS, body
    assert body["status"] == "error"
    assert all(isinstance(body[k], str) and body[k] for k in ERROR_FIELDS), body


def assert_standard_errors(body: dict[str, Any]) -> None:
    """Every batch `errors[]` entry is a full StandardError (notes §4, §13)."""
    assert body["errors"], body
    for item in body["errors"]:
        assert set(item) >= STANDARD_ERROR_FIELDS, item
        assert item["status"] == "error"
        assert isinstance(item["context"], dict)
        assert isinstance(item["errors"], list)
        assert isinstance(item["links"], dict)
        assert "correlationId" not in item
