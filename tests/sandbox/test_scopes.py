"""The scope table, walked whole, and the auth rules of a fixture's `tokens` list (issue 10, steps 3-4).

connector/sandbox/scopes.py holds HubSpot's documented security per operation; this suite asks every
route on every version, for every object type, once per granting alternative (never 403) and once
with every other scope of the table (always 403, naming the alternatives).
"""

from __future__ import annotations

from typing import Any

import pytest

from connector.sandbox import scopes
from connector.sandbox.routes import ROUTES, Route, required_scopes
from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import TOKEN, MakeSandbox, build_sdk, raw_request
from tests.sandbox import PREFIXES, small_portal

UNIVERSE = sorted({s for rule in scopes.TABLE.values() for alts in rule.values() for alt in alts for s in alt})
OBJECT_TYPES = ("contacts", "companies", "feedback_submissions", "tasks")
SAMPLE_IDS = {"contacts": "301", "companies": "201", "feedback_submissions": "401", "tasks": "999"}


def _token(scope_set: frozenset[str]) -> str:
    return "tok-" + ("+".join(sorted(scope_set)) or "none")


def _cases() -> list[tuple[Route, str, scopes.Alternatives]]:
    """Every (route, object type) with the alternatives the table gives it."""
    found = []
    for route in ROUTES:
        types = OBJECT_TYPES if "{objectType}" in route.template or "{fromObjectType}" in route.template else ("",)
        for object_type in types:
            found.append((route, object_type, required_scopes(route, _params(route, object_type))))
    return found


def _params(route: Route, object_type: str) -> dict[str, str]:
    params = {"objectType": object_type} if "{objectType}" in route.template else {}
    if "{fromObjectType}" in route.template:
        params["fromObjectType"] = object_type
    return params


def _path(route: Route, object_type: str) -> str:
    other = "companies" if object_type == "contacts" else "contacts"
    values = {
        "objectType": object_type,
        "fromObjectType": object_type,
        "toObjectType": other,
        "objectId": SAMPLE_IDS.get(object_type, "1"),
        "ownerId": "101",
        "propertyName": "hs_object_id",
        "groupName": "contactinformation",
    }
    path = route.template
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


CASES = _cases()
SCOPE_SETS = {alt for _, _, alts in CASES for alt in alts} | {
    frozenset(s for s in UNIVERSE if not any(s in alt for alt in alts)) for _, _, alts in CASES
}


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    tokens = [{"token": _token(s), "scopes": sorted(s)} for s in SCOPE_SETS]
    return make_module_sandbox({**small_portal(), "tokens": tokens}, token=TOKEN)


def _ask(server: SandboxHTTPServer, route: Route, object_type: str, scope_set: frozenset[str]) -> Any:
    body = {} if route.method in ("POST", "PATCH") else None
    return raw_request(server, route.method, _path(route, object_type), body, token=_token(scope_set))


def test_table_covers_every_route() -> None:
    """Every route names a rule of the table; object rules know every object type served."""
    assert {r.scope for r in ROUTES} == set(scopes.TABLE)
    assert set(scopes.TABLE["object_read"]) == set(OBJECT_TYPES)


@pytest.mark.parametrize(("route", "object_type", "alternatives"), CASES, ids=lambda v: getattr(v, "template", v))
def test_each_alternative_grants_and_nothing_else_does(
    server: SandboxHTTPServer, route: Route, object_type: str, alternatives: scopes.Alternatives
) -> None:
    """A token holding one alternative passes the scope check; one holding every other scope gets 403."""
    for alt in alternatives:
        resp = _ask(server, route, object_type, alt)
        assert resp.status not in (401, 403), (route.template, object_type, sorted(alt), resp.json)
    others = frozenset(s for s in UNIVERSE if not any(s in alt for alt in alternatives))
    resp = _ask(server, route, object_type, others)
    if not alternatives:  # nothing required (feedback writes: HubSpot has no such route; 405 follows)
        assert resp.status != 403
        return
    assert resp.status == 403, (route.template, object_type, resp.status)
    assert resp.json["category"] == "MISSING_SCOPES"
    assert resp.json["errors"][0]["context"]["requiredGranularScopes"] == scopes.named(alternatives)


@pytest.mark.parametrize("version", ["v3", "2026-03", "2026-09"])
class TestIssueCases:
    """The four routes where HubSpot grants what the sandbox refused (issue 10)."""

    def test_properties_list_with_an_object_read_scope(self, server: SandboxHTTPServer, version: str) -> None:
        """GET properties/contacts with only contacts.read, or only companies.read: 200 (notes §13)."""
        for scope in ("crm.objects.contacts.read", "crm.objects.companies.read"):
            path = PREFIXES[version]["properties"] + "/contacts"
            assert raw_request(server, "GET", path, token=_token(frozenset({scope}))).status == 200

    def test_schemas_with_custom_objects_read(self, server: SandboxHTTPServer, version: str) -> None:
        """GET schemas with crm.objects.custom.read: 200."""
        token = _token(frozenset({"crm.objects.custom.read"}))
        assert raw_request(server, "GET", PREFIXES[version]["schemas"], token=token).status == 200

    def test_owners_with_automation(self, server: SandboxHTTPServer, version: str) -> None:
        """GET owners with `automation`: 200 (notes §13)."""
        token = _token(frozenset({"automation"}))
        assert raw_request(server, "GET", PREFIXES[version]["owners"], token=token).status == 200

    def test_contacts_to_companies_with_companies_read(self, server: SandboxHTTPServer, version: str) -> None:
        """v4 contacts→companies batch read with crm.objects.companies.read: granted (notes §13)."""
        token = _token(frozenset({"crm.objects.companies.read"}))
        path = PREFIXES[version]["associations"] + "/contacts/companies/batch/read"
        assert raw_request(server, "POST", path, {"inputs": [{"id": "302"}]}, token=token).status == 200


class TestTokensList:
    """With a fixture `tokens` list only listed tokens and --token are accepted (issue 10; notes §4 401)."""

    def test_unlisted_token_is_401(self, make_sandbox: MakeSandbox) -> None:
        """`zzz` is on no list: 401 INVALID_AUTHENTICATION, with or without --token."""
        listed = {**small_portal(), "tokens": [{"token": "reader", "scopes": ["crm.objects.contacts.read"]}]}
        for options in ({}, {"token": TOKEN}):
            server = make_sandbox(listed, **options)
            resp = raw_request(server, "GET", "/crm/v3/objects/contacts", token="zzz")
            assert (resp.status, resp.json["category"]) == (401, "INVALID_AUTHENTICATION")
            assert raw_request(server, "GET", "/crm/v3/objects/contacts", token="reader").status == 200
            assert raw_request(server, "GET", "/_sandbox/stats", token="zzz").status == 401
        assert raw_request(server, "GET", "/crm/v3/objects/companies", token=TOKEN).status == 200

    def test_feedback_needs_one_of_its_read_scopes(self, make_sandbox: MakeSandbox) -> None:
        """crm.objects.feedback_submissions.read is enforced: it alone reads answers, companies.read does not."""
        tokens = [
            {"token": "fs", "scopes": ["crm.objects.feedback_submissions.read"]},
            {"token": "co", "scopes": ["crm.objects.companies.read"]},
        ]
        server = make_sandbox({**small_portal(), "tokens": tokens})
        fs, co = build_sdk(server, token="fs"), build_sdk(server, token="co")
        assert fs.crm.objects.feedback_submissions.basic_api.get_by_id("401").id == "401"
        assert raw_request(server, "GET", "/crm/v3/objects/contacts", token="fs").status == 403
        resp = raw_request(server, "POST", "/crm/objects/2026-09/feedback_submissions/search", {}, token="co")
        assert resp.status == 403
        assert "crm.objects.feedback_submissions.read" in resp.json["errors"][0]["context"]["requiredGranularScopes"]
        assert co.crm.companies.basic_api.get_by_id("201").id == "201"

    def test_without_a_list_any_token_or_only_the_given_one(self, make_sandbox: MakeSandbox) -> None:
        """No list: any non-empty token without --token, only --token with it (DESIGN sandbox command)."""
        open_portal = make_sandbox(small_portal())
        assert raw_request(open_portal, "GET", "/crm/v3/objects/contacts", token="zzz").status == 200
        closed = make_sandbox(small_portal(), token="right")
        assert raw_request(closed, "GET", "/crm/v3/objects/contacts", token="zzz").status == 401
