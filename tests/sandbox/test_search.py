"""Search: operators, groups, sorting, paging and its limits, archived records, index lag (notes §2)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import hubspot
import pytest
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.objects.feedback_submissions import ApiException as FeedbackApiException

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox, RawResponse, build_sdk
from tests.sandbox import nps_contact_properties, small_portal

Raw = Callable[..., RawResponse]
GUIDE = "https://developers.hubspot.com/docs/api-reference/search/guide.md"

# id: (firstname, lastname, email, nps_score, nps_category, nps_last_response_date)
PEOPLE: dict[str, tuple[str, str, str, str | None, str | None, str | None]] = {
    "501": ("Alice", "Smith", "alice@acme.example", "9", "promoter", "2026-01-10T10:00:00.000Z"),
    "502": ("Bob", "Smith", "bob@acme.example", "3", "detractor", "2026-02-10T10:00:00.000Z"),
    "503": ("Carol", "Jones", "carol@beta.example", "7", "passive", "2026-03-10T10:00:00.000Z"),
    "504": ("Dave", "Brown", "dave@beta.example", "10", "promoter", "2026-04-10T10:00:00.000Z"),
    "505": ("Eve", "Smith-Jones", "eve@gamma.example", "0", "detractor", "2026-05-10T10:00:00.000Z"),
    "506": ("Frank", "Miller", "frank@gamma.example", None, None, None),
    "507": ("Grace", "Lee", "grace@acme.example", "8", "passive", "2026-06-10T10:00:00.000Z"),
    "508": ("alice", "Wong", "alice.wong@delta.example", "9", "promoter", "2026-07-10T10:00:00.000Z"),
}
DELETED = "509"  # a contact with every property set, deleted
MERGED = "510"  # merged into 501


def search_portal() -> dict[str, Any]:
    """Contacts with number, enumeration and datetime custom properties, plus a deleted and a merged one."""
    contacts: list[dict[str, Any]] = []
    for cid, (first, last, email, score, category, last_date) in PEOPLE.items():
        props = {"firstname": first, "lastname": last, "email": email}
        for name, value in (
            ("nps_score", score),
            ("nps_category", category),
            ("nps_last_response_date", last_date),
        ):
            if value is not None:
                props[name] = value
        contacts.append({"id": cid, "properties": props})
    full = {
        "firstname": "Zed",
        "lastname": "Smith",
        "nps_score": "9",
        "nps_category": "promoter",
        "nps_last_response_date": "2026-01-10T10:00:00.000Z",
    }
    contacts.append({"id": DELETED, "properties": {**full, "email": "zed@acme.example"}, "archived": True})
    contacts.append({"id": MERGED, "properties": {**full, "email": "zed2@acme.example"}})
    return {
        **nps_contact_properties(),
        "contacts": contacts,
        "merges": [{"from": MERGED, "into": "501"}],
    }


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    return make_module_sandbox(search_portal())


@pytest.fixture(scope="module")
def client(server: SandboxHTTPServer) -> hubspot.HubSpot:
    return build_sdk(server)


def f(prop: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    """One filter dict."""
    out: dict[str, Any] = {"propertyName": prop, "operator": op, **extra}
    if value is not None:
        out["value"] = value
    return out


def ids(client: hubspot.HubSpot, *groups: list[dict[str, Any]], **body: Any) -> list[str]:
    """Ids of one search over contacts (limit 200), in result order."""
    request = {"filterGroups": [{"filters": g} for g in groups], "limit": 200, **body}
    return [r.id for r in client.crm.contacts.search_api.do_search(request).results]


def search_error(client: hubspot.HubSpot, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Status and body of a search the sandbox must refuse."""
    with pytest.raises(ContactsApiException) as info:
        client.crm.contacts.search_api.do_search(body)
    return info.value.status, json.loads(info.value.body)


class TestOperators:
    """Each filter operator (notes §2 operator list; search guide)."""

    def test_eq_number(self, client: hubspot.HubSpot) -> None:
        """EQ on a number property compares numerically (search guide, operators)."""
        assert ids(client, [f("nps_score", "EQ", "9.0")]) == ["501", "508"]

    def test_eq_string_is_case_insensitive(self, client: hubspot.HubSpot) -> None:
        """String values compare case-insensitively (search guide; notes §2)."""
        assert ids(client, [f("firstname", "EQ", "ALICE")]) == ["501", "508"]

    def test_eq_enumeration_is_case_sensitive(self, client: hubspot.HubSpot) -> None:
        """Enumeration filters are case-sensitive (search guide; notes §2)."""
        assert ids(client, [f("nps_category", "EQ", "Promoter")]) == []
        assert ids(client, [f("nps_category", "EQ", "promoter")]) == ["501", "504", "508"]

    def test_neq_includes_records_without_the_property(self, client: hubspot.HubSpot) -> None:
        """NEQ matches records lacking the property (sandbox choice, search.py docstring; HubSpot undocumented)."""
        assert ids(client, [f("nps_category", "NEQ", "promoter")]) == ["502", "503", "505", "506", "507"]

    @pytest.mark.parametrize(
        ("op", "expected"),
        [
            ("LT", ["502", "505"]),
            ("LTE", ["502", "503", "505"]),
            ("GT", ["501", "504", "507", "508"]),
            ("GTE", ["501", "503", "504", "507", "508"]),
        ],
    )
    def test_range_operators_on_numbers(self, client: hubspot.HubSpot, op: str, expected: list[str]) -> None:
        """LT/LTE/GT/GTE compare numbers as numbers, not strings ("10" > "7") (search guide, operators)."""
        assert ids(client, [f("nps_score", op, "7")]) == expected

    def test_between_on_datetime_with_epoch_ms(self, client: hubspot.HubSpot) -> None:
        """BETWEEN uses value and highValue, inclusive; datetimes as epoch-ms strings (search guide example)."""
        lo, hi = "1770717600000", "1778407200000"  # 2026-02-10T10:00Z .. 2026-05-10T10:00Z
        assert ids(client, [f("nps_last_response_date", "BETWEEN", lo, highValue=hi)]) == ["502", "503", "504", "505"]

    def test_gte_on_datetime_with_iso_value(self, client: hubspot.HubSpot) -> None:
        """Datetime filters accept ISO 8601 as well as epoch ms (properties guide, datetime)."""
        assert ids(client, [f("nps_last_response_date", "GTE", "2026-06-10T10:00:00Z")]) == ["507", "508"]

    def test_in_on_enumeration(self, client: hubspot.HubSpot) -> None:
        """IN takes `values` (search guide, IN)."""
        found = ids(client, [{"propertyName": "nps_category", "operator": "IN", "values": ["passive", "detractor"]}])
        assert found == ["502", "503", "505", "507"]

    def test_in_on_string_needs_lowercase_values(self, client: hubspot.HubSpot) -> None:
        """IN values for string properties must be lowercase; they match any case (search guide, IN)."""
        lower = [{"propertyName": "lastname", "operator": "IN", "values": ["smith", "lee"]}]
        assert ids(client, lower) == ["501", "502", "507"]
        upper = [{"propertyName": "lastname", "operator": "IN", "values": ["SMITH"]}]
        assert ids(client, upper) == []

    def test_not_in(self, client: hubspot.HubSpot) -> None:
        """NOT_IN excludes the values; records without the property match (sandbox choice, as NEQ)."""
        found = ids(client, [{"propertyName": "nps_score", "operator": "NOT_IN", "values": ["9", "10", "0"]}])
        assert found == ["502", "503", "506", "507"]

    def test_has_property(self, client: hubspot.HubSpot) -> None:
        """HAS_PROPERTY matches records with a value (search guide)."""
        assert "506" not in ids(client, [f("nps_score", "HAS_PROPERTY")])
        assert len(ids(client, [f("nps_score", "HAS_PROPERTY")])) == 7

    def test_not_has_property(self, client: hubspot.HubSpot) -> None:
        """NOT_HAS_PROPERTY matches records without a value (search guide example)."""
        assert ids(client, [f("nps_score", "NOT_HAS_PROPERTY")]) == ["506"]

    def test_contains_token(self, client: hubspot.HubSpot) -> None:
        """CONTAINS_TOKEN matches a whole token, case-insensitively (search guide, CONTAINS_TOKEN)."""
        assert ids(client, [f("lastname", "CONTAINS_TOKEN", "jones")]) == ["503", "505"]

    def test_contains_token_with_wildcard(self, client: hubspot.HubSpot) -> None:
        """CONTAINS_TOKEN accepts `*` wildcards (search guide, CONTAINS_TOKEN)."""
        assert ids(client, [f("email", "CONTAINS_TOKEN", "*@acme.example")]) == ["501", "502", "507"]

    def test_not_contains_token(self, client: hubspot.HubSpot) -> None:
        """NOT_CONTAINS_TOKEN is the complement of CONTAINS_TOKEN (search guide)."""
        assert ids(client, [f("lastname", "NOT_CONTAINS_TOKEN", "smith")]) == ["503", "504", "506", "507", "508"]

    def test_unknown_operator_is_400(self, client: hubspot.HubSpot) -> None:
        """An operator outside the enum is an invalid-input 400 (notes §2, error shapes)."""
        status, body = search_error(client, {"filterGroups": [{"filters": [f("email", "LIKE", "x")]}]})
        assert status == 400
        assert body["status"] == "error"

    def test_filter_without_operator_is_400(self, client: hubspot.HubSpot) -> None:
        """A filter missing propertyName/operator is a 400 (hubspot-api-nodejs #226; notes §2)."""
        status, body = search_error(client, {"filterGroups": [{"filters": [{"propertyName": "email"}]}]})
        assert status == 400
        assert "propertyName, operator" in body["message"]


class TestGroups:
    """Filters in a group are ANDed; groups are ORed (search guide example)."""

    def test_filters_in_a_group_are_anded(self, client: hubspot.HubSpot) -> None:
        """(firstname=Alice AND lastname!=Smith) (search guide)."""
        assert ids(client, [f("firstname", "EQ", "alice"), f("lastname", "NEQ", "smith")]) == ["508"]

    def test_groups_are_ored(self, client: hubspot.HubSpot) -> None:
        """(... ) OR nps_score NOT_HAS_PROPERTY (search guide example)."""
        found = ids(
            client,
            [f("firstname", "EQ", "alice"), f("lastname", "NEQ", "smith")],
            [f("nps_score", "NOT_HAS_PROPERTY")],
        )
        assert found == ["506", "508"]

    def test_record_in_two_groups_is_returned_once(self, client: hubspot.HubSpot) -> None:
        """A record matching several groups appears once (groups are ORed)."""
        found = ids(client, [f("lastname", "EQ", "smith")], [f("firstname", "EQ", "bob")])
        assert found == ["501", "502"]

    def test_association_pseudo_property(self, make_sandbox: MakeSandbox) -> None:
        """`associations.contact` EQ id filters by association (search guide; notes §2)."""
        client = build_sdk(make_sandbox(small_portal()))
        body = {"filterGroups": [{"filters": [f("associations.contact", "EQ", "301")]}]}
        found = client.crm.objects.feedback_submissions.search_api.do_search(body)
        assert sorted(r.id for r in found.results) == ["401", "402"]


class TestSorting:
    """One sort rule; ties and missing values (search guide, sorts)."""

    def test_sort_descending_by_number(self, client: hubspot.HubSpot) -> None:
        """`sorts` orders by the property; equal values by id (tie order is a sandbox choice)."""
        found = ids(
            client,
            [f("nps_score", "HAS_PROPERTY")],
            sorts=[{"propertyName": "nps_score", "direction": "DESCENDING"}],
        )
        assert found == ["504", "501", "508", "507", "503", "502", "505"]

    def test_sort_ascending_by_datetime(self, client: hubspot.HubSpot) -> None:
        """Datetime sorting follows instants (search guide, sorts)."""
        found = ids(
            client,
            [f("nps_category", "EQ", "promoter")],
            sorts=[{"propertyName": "nps_last_response_date", "direction": "ASCENDING"}],
        )
        assert found == ["501", "504", "508"]

    def test_records_without_sort_value_come_last(self, client: hubspot.HubSpot) -> None:
        """Records lacking the sort property come last (sandbox choice; HubSpot undocumented)."""
        for direction in ("ASCENDING", "DESCENDING"):
            found = ids(
                client,
                [f("lastname", "CONTAINS_TOKEN", "m*")],
                sorts=[{"propertyName": "nps_score", "direction": direction}],
            )
            assert found[-1] == "506"

    def test_two_sort_rules_are_400(self, client: hubspot.HubSpot) -> None:
        """HubSpot: "Only one sorting rule can be applied" (search guide)."""
        sorts = [{"propertyName": "email", "direction": "ASCENDING"}, {"propertyName": "nps_score"}]
        status, body = search_error(client, {"sorts": sorts})
        assert status == 400
        assert body["category"] == "VALIDATION_ERROR"

    def test_no_sort_is_creation_order(self, client: hubspot.HubSpot) -> None:
        """Without sorts results come oldest first (search guide: order of object creation)."""
        assert ids(client) == [*PEOPLE]


class TestPagingAndLimits:
    """limit ≤ 200, integer `after`, true `total`, archived records never returned (search guide, Limits)."""

    def test_total_is_the_true_count_and_paging_is_an_integer_offset(self, client: hubspot.HubSpot) -> None:
        """`total` counts all matches; `paging.next.after` is an integer offset string (search guide)."""
        first = client.crm.contacts.search_api.do_search({"limit": 3})
        assert first.total == len(PEOPLE)
        assert first.paging.next.after == "3"
        second = client.crm.contacts.search_api.do_search({"limit": 3, "after": first.paging.next.after})
        assert [r.id for r in second.results] == ["504", "505", "506"]

    def test_last_page_has_no_paging(self, client: hubspot.HubSpot) -> None:
        """`paging` is absent on the last page (search guide response example; notes §2)."""
        resp = client.crm.contacts.search_api.do_search({"limit": 5, "after": "5"}, _preload_content=False)
        body = json.loads(resp.data)
        assert [r["id"] for r in body["results"]] == ["506", "507", "508"]
        assert "paging" not in body
        assert body["total"] == len(PEOPLE)

    def test_limit_200_is_accepted_and_201_is_400(self, client: hubspot.HubSpot) -> None:
        """`limit` max 200 per page (search guide, Limits)."""
        assert len(client.crm.contacts.search_api.do_search({"limit": 200}).results) == len(PEOPLE)
        status, _ = search_error(client, {"limit": 201})
        assert status == 400

    def test_non_integer_after_is_400(self, client: hubspot.HubSpot) -> None:
        """`after` "must be formatted as an integer" (search guide)."""
        status, body = search_error(client, {"after": "MTA="})
        assert status == 400
        assert "integer" in body["message"]

    def test_deleted_and_merged_records_are_never_returned(self, client: hubspot.HubSpot) -> None:
        """HubSpot: "Archived CRM objects won't appear in any search results"; nor merged-away ones (guide)."""
        found = ids(client, [f("firstname", "EQ", "zed")])
        assert found == []

    def test_search_properties_and_defaults(self, client: hubspot.HubSpot) -> None:
        """Asked properties plus hs_object_id and the create/modify dates come back (search guide, defaults)."""
        res = client.crm.contacts.search_api.do_search(
            {"filterGroups": [{"filters": [f("email", "EQ", "alice@acme.example")]}], "properties": ["nps_score"]}
        ).results[0]
        assert set(res.properties) == {"nps_score", "hs_object_id", "createdate", "lastmodifieddate"}
        assert res.properties["nps_score"] == "9"

    def test_query_text_matches_words(self, client: hubspot.HubSpot) -> None:
        """`query` searches the type's default text properties (search guide, query)."""
        found = [r.id for r in client.crm.contacts.search_api.do_search({"query": "smith", "limit": 100}).results]
        assert found == ["501", "502", "505"]

    def test_query_text_on_feedback_content(self, make_sandbox: MakeSandbox) -> None:
        """Feedback `query` text matches `hs_content` (notes §1, default properties)."""
        client = build_sdk(make_sandbox(small_portal()))
        found = client.crm.objects.feedback_submissions.search_api.do_search({"query": "support"})
        assert [r.id for r in found.results] == ["401"]

    def test_body_over_3000_characters_is_400(self, client: hubspot.HubSpot) -> None:
        """HubSpot: "Body max 3,000 characters" (search guide, Limits)."""
        status, _ = search_error(client, {"query": "x" * 3100})
        assert status == 400


class TestFilterCountLimits:
    """At most 5 groups, 6 filters per group, 18 filters in all (search guide, Limits)."""

    @staticmethod
    def _body(groups: int, per_group: int) -> dict[str, Any]:
        group = {"filters": [f("email", "HAS_PROPERTY")] * per_group}
        return {"filterGroups": [group] * groups}

    def test_five_groups_pass_six_fail(self, client: hubspot.HubSpot) -> None:
        """Five filterGroups is the maximum (search guide)."""
        client.crm.contacts.search_api.do_search(self._body(5, 1))
        status, body = search_error(client, self._body(6, 1))
        assert status == 400
        assert body["category"] == "VALIDATION_ERROR"

    def test_six_filters_per_group_pass_seven_fail(self, client: hubspot.HubSpot) -> None:
        """Six filters per group is the maximum (search guide)."""
        client.crm.contacts.search_api.do_search(self._body(1, 6))
        status, _ = search_error(client, self._body(1, 7))
        assert status == 400

    def test_eighteen_filters_pass_nineteen_fail(self, client: hubspot.HubSpot) -> None:
        """18 filters in total is the maximum (search guide; notes §2 disagreements)."""
        client.crm.contacts.search_api.do_search(self._body(3, 6))
        body = {"filterGroups": [{"filters": [f("email", "HAS_PROPERTY")] * n} for n in (6, 6, 6, 1)]}
        status, _ = search_error(client, body)
        assert status == 400


BIG_SIZE = 10_050


@pytest.fixture(scope="module")
def big(make_module_sandbox: MakeSandbox) -> hubspot.HubSpot:
    """A portal with just over 10,000 submissions."""
    subs = [
        {"id": str(100_000 + i), "properties": {"hs_survey_type": "NPS", "hs_value": str(i % 11)}}
        for i in range(BIG_SIZE)
    ]
    return build_sdk(make_module_sandbox({"feedback_submissions": subs}))


class TestTenThousandResults:
    """HubSpot: "limited to 10,000 total results for any given query" (search guide, Limits; DESIGN search paging)."""

    SIZE = BIG_SIZE

    def test_page_stops_at_the_ten_thousandth_result(self, big: hubspot.HubSpot) -> None:
        """after=9900&limit=200 gives 100 results and no paging; total stays the true count (DESIGN)."""
        body = {"filterGroups": [{"filters": [f("hs_survey_type", "EQ", "NPS")]}], "after": "9900", "limit": 200}
        resp = big.crm.objects.feedback_submissions.search_api.do_search(body, _preload_content=False)
        out = json.loads(resp.data)
        assert len(out["results"]) == 100
        assert out["results"][-1]["id"] == str(100_000 + 9_999)
        assert "paging" not in out
        assert out["total"] == self.SIZE

    def test_page_before_the_cap_links_on(self, big: hubspot.HubSpot) -> None:
        """The page ending at 9,800 still links to the next one (DESIGN search paging)."""
        page = big.crm.objects.feedback_submissions.search_api.do_search({"after": "9600", "limit": 200})
        assert page.paging.next.after == "9800"

    @pytest.mark.parametrize("after", ["10000", "10200"])
    def test_after_at_or_past_ten_thousand_is_400(self, big: hubspot.HubSpot, after: str) -> None:
        """HubSpot: "Attempting to page beyond 10,000 will result in a 400 error" (search guide)."""
        with pytest.raises(FeedbackApiException) as info:
            big.crm.objects.feedback_submissions.search_api.do_search({"after": after, "limit": 100})
        assert info.value.status == 400


class TestSearchLag:
    """HubSpot: "It may take a few moments for newly created or updated CRM objects to appear" (search guide)."""

    LAG_S = 0.3

    def test_new_record_appears_after_the_lag(self, make_sandbox: MakeSandbox) -> None:
        """A new record is missing from search until the lag passes; GET sees it at once (DESIGN --search-lag-ms)."""
        client = build_sdk(make_sandbox(search_portal(), search_lag_ms=self.LAG_S * 1000))
        created = client.crm.contacts.basic_api.create({"properties": {"email": "new@lag.example"}})
        body = {"filterGroups": [{"filters": [f("email", "EQ", "new@lag.example")]}]}
        assert client.crm.contacts.search_api.do_search(body).total == 0
        assert client.crm.contacts.basic_api.get_by_id(created.id).id == created.id
        time.sleep(self.LAG_S + 0.1)
        assert [r.id for r in client.crm.contacts.search_api.do_search(body).results] == [created.id]

    def test_updated_record_shows_stale_values_until_the_lag_passes(self, make_sandbox: MakeSandbox) -> None:
        """An update shows the old values in search until the lag passes (DESIGN --search-lag-ms)."""
        client = build_sdk(make_sandbox(search_portal(), search_lag_ms=self.LAG_S * 1000))
        client.crm.contacts.basic_api.update("503", {"properties": {"nps_score": "1"}})
        body = {"filterGroups": [{"filters": [f("email", "EQ", "carol@beta.example")]}], "properties": ["nps_score"]}
        assert client.crm.contacts.search_api.do_search(body).results[0].properties["nps_score"] == "7"
        assert ids(client, [f("nps_score", "EQ", "1")]) == []
        time.sleep(self.LAG_S + 0.1)
        assert client.crm.contacts.search_api.do_search(body).results[0].properties["nps_score"] == "1"
        assert ids(client, [f("nps_score", "EQ", "1")]) == ["503"]

    def test_time_scale_shortens_the_lag(self, make_sandbox: MakeSandbox) -> None:
        """`--time-scale` divides the lag (DESIGN --time-scale)."""
        client = build_sdk(make_sandbox(search_portal(), search_lag_ms=5000, time_scale=10))
        client.crm.contacts.basic_api.create({"properties": {"email": "fast@lag.example"}})
        body = {"filterGroups": [{"filters": [f("email", "EQ", "fast@lag.example")]}]}
        assert client.crm.contacts.search_api.do_search(body).total == 0
        time.sleep(0.6)
        assert client.crm.contacts.search_api.do_search(body).total == 1


class TestSearchAfterSchemaChange:
    """Search compares values by their property's current type (search guide: number vs string filters)."""

    def test_creating_a_property_retypes_existing_values(self, make_sandbox: MakeSandbox) -> None:
        """Values loaded before their definition sort as numbers once the number property exists."""
        contacts = [
            {"id": str(600 + i), "properties": {"jobtitle": "x", "rank": v}} for i, v in enumerate(["9", "10", "7"])
        ]
        client = build_sdk(make_sandbox({"contacts": contacts}))
        body = {"sorts": [{"propertyName": "rank", "direction": "ASCENDING"}], "properties": ["rank"]}
        as_text = [r.properties["rank"] for r in client.crm.contacts.search_api.do_search(body).results]
        assert as_text == ["10", "7", "9"]
        client.crm.properties.core_api.create(
            "contacts",
            {
                "name": "rank",
                "label": "Rank",
                "type": "number",
                "fieldType": "number",
                "groupName": "contactinformation",
            },
        )
        as_number = [r.properties["rank"] for r in client.crm.contacts.search_api.do_search(body).results]
        assert as_number == ["7", "9", "10"]
