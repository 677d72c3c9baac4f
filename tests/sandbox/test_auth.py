"""Authentication and scopes (notes §4 error bodies, §11 exceptions, §12 403 body)."""

from __future__ import annotations

import json
from collections.abc import Callable

import hubspot
import pytest
from hubspot.crm.associations.v4.exceptions import UnauthorizedException as AssociationsUnauthorized
from hubspot.crm.companies.exceptions import ForbiddenException as CompaniesForbidden
from hubspot.crm.contacts.exceptions import ForbiddenException as ContactsForbidden
from hubspot.crm.contacts.exceptions import UnauthorizedException as ContactsUnauthorized
from hubspot.crm.objects import ApiException as ObjectsApiException
from hubspot.crm.objects.feedback_submissions.exceptions import UnauthorizedException as FeedbackUnauthorized
from hubspot.crm.owners.exceptions import ForbiddenException as OwnersForbidden
from hubspot.crm.owners.exceptions import UnauthorizedException as OwnersUnauthorized
from hubspot.crm.properties.exceptions import ForbiddenException as PropertiesForbidden

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import TOKEN, MakeSandbox, RawResponse, build_sdk
from tests.sandbox import small_portal

Raw = Callable[..., RawResponse]
READER = "reader-token"  # contacts read only
NO_SCOPES = "empty-token"


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    fixture = {
        **small_portal(),
        "tokens": [{"token": READER, "scopes": ["crm.objects.contacts.read"]}, {"token": NO_SCOPES, "scopes": []}],
    }
    return make_module_sandbox(fixture, token=TOKEN)


class TestAuthentication:
    """401 INVALID_AUTHENTICATION for tokens the portal does not know (notes §4 table)."""

    def test_wrong_token_is_401_with_hubspot_body_and_header(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """Wrong token: 401 INVALID_AUTHENTICATION and `x-hubspot-auth-failure` (nodejs #432; ruby #181)."""
        resp = raw(server, "GET", "/crm/v3/objects/contacts", token="wrong")
        assert resp.status == 401
        assert resp.json["status"] == "error"
        assert resp.json["category"] == "INVALID_AUTHENTICATION"
        assert resp.json["message"].startswith("Authentication credentials not found.")
        assert resp.json["correlationId"]
        assert resp.header("x-hubspot-auth-failure") == "401 Unauthorized"

    def test_missing_token_is_401(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """No Authorization header at all: 401 (notes §4)."""
        assert raw(server, "GET", "/crm/v3/objects/contacts", token=None).status == 401

    def test_sandbox_endpoints_need_the_token_too(self, server: SandboxHTTPServer, raw: Raw) -> None:
        """/_sandbox/* take the same bearer token (DESIGN sandbox-only endpoints)."""
        assert raw(server, "GET", "/_sandbox/stats", token="wrong").status == 401
        assert raw(server, "GET", "/_sandbox/stats").status == 200

    @pytest.mark.parametrize(
        ("call", "exc"),
        [
            (lambda c: c.crm.contacts.basic_api.get_page(), ContactsUnauthorized),
            (lambda c: c.crm.objects.feedback_submissions.basic_api.get_page(), FeedbackUnauthorized),
            (lambda c: c.crm.owners.owners_api.get_page(), OwnersUnauthorized),
            (
                lambda c: c.crm.associations.v4.basic_api.get_page("contacts", "301", "companies"),
                AssociationsUnauthorized,
            ),
        ],
    )
    def test_sdk_raises_each_packages_own_exception(
        self, server: SandboxHTTPServer, call: Callable[[hubspot.HubSpot], object], exc: type[Exception]
    ) -> None:
        """Each SDK package raises its own UnauthorizedException, not a shared one (notes §11, SDK-verified)."""
        with pytest.raises(exc) as info:
            call(build_sdk(server, token="wrong"))
        assert info.value.status == 401  # type: ignore[attr-defined]
        assert not isinstance(info.value, ObjectsApiException)

    def test_any_token_accepted_without_token_option(self, make_sandbox: MakeSandbox, raw: Raw) -> None:
        """Without --token any non-empty bearer token is accepted (DESIGN sandbox command)."""
        server = make_sandbox(small_portal())
        assert raw(server, "GET", "/crm/v3/objects/contacts", token="anything").status == 200
        assert raw(server, "GET", "/crm/v3/objects/contacts", token="").status == 401


class TestScopes:
    """403 MISSING_SCOPES for a fixture token without the endpoint's scope (notes §4, §12; DESIGN tokens)."""

    def test_write_without_write_scope_is_403_naming_the_scope(self, server: SandboxHTTPServer) -> None:
        """The 403 body names the scopes under errors[].context.requiredGranularScopes (notes §12)."""
        client = build_sdk(server, token=READER)
        with pytest.raises(ContactsForbidden) as info:
            client.crm.contacts.basic_api.update("301", {"properties": {"firstname": "X"}})
        body = json.loads(info.value.body)
        assert body["status"] == "error"
        assert body["category"] == "MISSING_SCOPES"
        assert body["message"].startswith("This app hasn't been granted all required scopes")
        assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.contacts.write"]

    def test_contacts_read_scope_reads_contacts_feedback_and_tasks(self, server: SandboxHTTPServer) -> None:
        """Feedback reads accept either scope; tasks use the contacts scopes (notes §1 scopes, §7)."""
        client = build_sdk(server, token=READER)
        assert client.crm.contacts.basic_api.get_by_id("301").id == "301"
        assert client.crm.objects.feedback_submissions.basic_api.get_by_id("401").id == "401"
        assert client.crm.objects.tasks.basic_api.get_page().results == []

    @pytest.mark.parametrize(
        ("call", "exc", "scope"),
        [
            (lambda c: c.crm.companies.basic_api.get_by_id("201"), CompaniesForbidden, "crm.objects.companies.read"),
            (lambda c: c.crm.owners.owners_api.get_page(), OwnersForbidden, "crm.objects.owners.read"),
            (
                lambda c: c.crm.properties.core_api.create(
                    "contacts", {"name": "x", "label": "X", "type": "string", "fieldType": "text", "groupName": "g"}
                ),
                PropertiesForbidden,
                "crm.schemas.contacts.write",
            ),
        ],
    )
    def test_other_scopes_are_403(
        self, server: SandboxHTTPServer, call: Callable[[hubspot.HubSpot], object], exc: type[Exception], scope: str
    ) -> None:
        """Companies, owners and property writes each need their own scopes (Spec security per endpoint)."""
        with pytest.raises(exc) as info:
            call(build_sdk(server, token=READER))
        assert scope in json.loads(info.value.body)["errors"][0]["context"]["requiredGranularScopes"]  # type: ignore[attr-defined]

    def test_token_without_scopes_cannot_read_feedback(self, server: SandboxHTTPServer) -> None:
        """Feedback needs one of its two read scopes, and both are listed (notes §1 scopes)."""
        with pytest.raises(ObjectsApiException) as info:
            build_sdk(server, token=NO_SCOPES).crm.objects.basic_api.get_page("feedback_submissions")
        assert info.value.status == 403
        scopes = json.loads(info.value.body)["errors"][0]["context"]["requiredGranularScopes"]
        assert sorted(scopes) == ["crm.objects.contacts.read", "crm.objects.feedback_submissions.read"]

    def test_full_token_has_every_scope(self, server: SandboxHTTPServer) -> None:
        """The --token token has all scopes (DESIGN sandbox command)."""
        client = build_sdk(server)
        assert client.crm.companies.basic_api.get_by_id("201").id == "201"
        assert client.crm.owners.owners_api.get_page().results
