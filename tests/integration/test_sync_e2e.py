"""End-to-end: the real CLI, the real sandbox over HTTP through the official SDK, a real SQLite ledger.

Expected values come from tests/integration/oracle.py, an independent computation over the
fixture JSON that shares no code with the connector.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from connector.sandbox.demo import generate_portal
from tests.integration.conftest import Portal
from tests.integration.oracle import expected, expected_satisfaction

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NO_TASKS = "[followup]\nenabled = false\n"
CONTACT_PROPS = ("nps_score", "nps_category", "nps_last_response_date", "nps_response_count")
COMPANY_PROPS = (
    "nps_company_score",
    "nps_company_category",
    "nps_company_responses",
    "nps_company_promoters",
    "nps_company_passives",
    "nps_company_detractors",
    "nps_company_margin_of_error",
    "nps_company_trend",
    "nps_company_last_response_date",
)

CONTACT_FELT = ("csat_score", "csat_last_response_date", "ces_score", "ces_last_response_date")
COMPANY_FELT = (
    "csat_company_score",
    "csat_company_responses",
    "csat_company_margin_of_error",
    "ces_company_average",
    "ces_company_easy_share",
    "ces_company_responses",
)


def _same(a: str | None, b: str | None) -> bool:
    """Semantic equality as HubSpot would see it: numbers as numbers, datetimes as instants."""
    a, b = a or "", b or ""
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(a.replace("Z", "+00:00")) == datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return False


def _mismatches(held: dict[str, dict[str, str]], want: dict[str, dict[str, str]], props: tuple[str, ...]) -> list[str]:
    out = []
    for rid, record in held.items():
        for prop in props:
            wanted = want.get(rid, {}).get(prop, "")
            if not _same(record.get(prop), wanted):
                out.append(f"{rid}.{prop}: HubSpot {record.get(prop)!r}, expected {wanted!r}")
    return out


def _nps_view(portal: Portal) -> dict[str, dict[str, dict[str, str]]]:
    return {
        "contacts": {i: {p: r.get(p, "") for p in CONTACT_PROPS} for i, r in portal.properties("contacts").items()},
        "companies": {i: {p: r.get(p, "") for p in COMPANY_PROPS} for i, r in portal.properties("companies").items()},
    }


@pytest.fixture(scope="module")
def fixture() -> dict[str, Any]:
    """A generated portal: merges, deletions, multi-company and anonymous contacts, invalid answers."""
    return generate_portal(1500, seed=11, now=AS_OF)


@pytest.fixture
def backfilled(make_portal: Any, fixture: dict[str, Any]) -> Portal:
    """A portal after `setup` + `backfill --as-of AS_OF`."""
    portal: Portal = make_portal(copy.deepcopy(fixture), NO_TASKS)
    assert portal.cli("setup").exit_code == 0
    result = portal.cli("backfill", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    return portal


class TestBackfill:
    def test_backfill_leaves_exactly_the_contract_values(self, backfilled: Portal, fixture: dict[str, Any]) -> None:
        """Every contact and company holds the values of the independent computation, and nothing else."""
        want = expected(fixture, AS_OF)
        view = _nps_view(backfilled)
        assert _mismatches(view["contacts"], want["contacts"], CONTACT_PROPS) == []
        assert _mismatches(view["companies"], want["companies"], COMPANY_PROPS) == []
        assert len(want["contacts"]) > 300
        assert len(want["companies"]) > 100

    def test_backfill_writes_csat_and_ces_as_computed_independently(
        self, backfilled: Portal, fixture: dict[str, Any]
    ) -> None:
        """CSAT (% happy, margin) and CES (mean effort, % easy) per contact and company, on HubSpot's scales."""
        want = expected_satisfaction(fixture, AS_OF)
        held = {
            t: {i: {p: r.get(p, "") for p in props} for i, r in backfilled.properties(t).items()}
            for t, props in (("contacts", CONTACT_FELT), ("companies", COMPANY_FELT))
        }
        assert _mismatches(held["contacts"], want["contacts"], CONTACT_FELT) == []
        assert _mismatches(held["companies"], want["companies"], COMPANY_FELT) == []
        assert sum(1 for v in want["contacts"].values() if v.get("csat_score")) > 50
        assert sum(1 for v in want["companies"].values() if v["ces_company_responses"]) > 20

    def test_coverage_is_the_share_of_the_companys_contacts_with_a_voice(self, backfilled: Portal) -> None:
        """nps_company_coverage = 100 x voices / the contacts HubSpot associates with the company."""
        snapshot = backfilled.get("/_sandbox/snapshot")
        merged = {m["from"] for m in snapshot.get("merges", [])}
        members: dict[str, int] = {}
        for contact in snapshot["contacts"]:
            if contact.get("archived") or contact["id"] in merged:
                continue
            for company in {str(link["id"]) for link in contact.get("companies", [])}:
                members[company] = members.get(company, 0) + 1
        checked = 0
        for company_id, props in backfilled.properties("companies").items():
            voices = props.get("nps_company_responses") or ""
            if not voices or not members.get(company_id):
                assert not props.get("nps_company_coverage"), company_id
                continue
            share = Fraction(100 * int(voices), members[company_id])
            want = f"{float((share * 10 + Fraction(1, 2)).__floor__() / 10):.1f}".rstrip("0").rstrip(".")
            assert _same(props.get("nps_company_coverage"), want), company_id
            checked += 1
        assert checked > 50

    def test_second_backfill_writes_nothing(self, backfilled: Portal) -> None:
        """A backfill over an unchanged portal finds no drift and sends no update."""
        before = backfilled.stats()["writes"]
        assert backfilled.cli("backfill", "--as-of", AS_OF.isoformat()).exit_code == 0
        assert backfilled.stats()["writes"] == before

    def test_backfill_repairs_a_value_changed_in_hubspot(self, backfilled: Portal, fixture: dict[str, Any]) -> None:
        """A value an admin overwrote in HubSpot is put back by the next backfill."""
        from tests.conftest import build_sdk

        want = expected(fixture, AS_OF)
        contact_id = sorted(want["contacts"])[0]
        sdk = build_sdk(backfilled.server.url, token=_secret())
        sdk.crm.contacts.basic_api.update(contact_id, simple_public_object_input={"properties": {"nps_score": "1"}})
        assert backfilled.cli("backfill", "--as-of", AS_OF.isoformat()).exit_code == 0
        held = backfilled.properties("contacts")[contact_id]["nps_score"]
        assert _same(held, want["contacts"][contact_id]["nps_score"])


def _nps_view_of(want: dict[str, dict[str, dict[str, str]]], company: str) -> dict[str, str]:
    return {p: want["companies"].get(company, {}).get(p, "") for p in COMPANY_PROPS}


def _secret() -> str:
    from tests.integration.conftest import SECRET

    return SECRET


class TestIncremental:
    def test_sync_with_nothing_new_makes_no_write_and_at_most_three_calls(self, backfilled: Portal) -> None:
        """The scheduled job on a quiet portal costs at most 3 API calls and writes nothing."""
        before = backfilled.stats()
        result = backfilled.cli("sync", "--as-of", AS_OF.isoformat())
        after = backfilled.stats()
        assert result.exit_code == 0, result.output
        assert after["writes"] == before["writes"]
        assert after["calls"] - before["calls"] <= 3

    def test_one_new_answer_changes_exactly_its_contact_and_company(
        self, backfilled: Portal, fixture: dict[str, Any]
    ) -> None:
        """Adding one answer rewrites that contact and its primary company and nothing else."""
        want = expected(fixture, AS_OF)
        contact = next(
            c
            for c in fixture["contacts"]
            if c["id"] in want["contacts"] and any(link.get("primary") for link in c.get("companies", []))
        )
        company = next(str(link["id"]) for link in contact["companies"] if link.get("primary"))
        old_score = int(want["contacts"][contact["id"]]["nps_score"])
        new_score = 0 if old_score >= 7 else 10
        stamp = (AS_OF - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = {
            "id": "990001",
            "contact_id": contact["id"],
            "properties": {"hs_survey_type": "NPS", "hs_value": str(new_score), "hs_submission_timestamp": stamp},
        }
        before = _nps_view(backfilled)
        backfilled.post("/_sandbox/feedback_submissions", {"feedback_submissions": [answer]})
        result = backfilled.cli("sync", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        after = _nps_view(backfilled)
        changed_contacts = {i for i in after["contacts"] if after["contacts"][i] != before["contacts"].get(i)}
        changed_companies = {i for i in after["companies"] if after["companies"][i] != before["companies"].get(i)}
        assert changed_contacts == {contact["id"]}
        assert changed_companies == {company}
        assert after["contacts"][contact["id"]]["nps_score"] == str(new_score)
        fixture2 = copy.deepcopy(fixture)
        fixture2["feedback_submissions"].append(answer)
        want2 = expected(fixture2, AS_OF)
        assert _mismatches(after["companies"], want2["companies"], COMPANY_PROPS) == []

    def test_moving_as_of_rewrites_exactly_the_records_whose_values_changed(
        self, backfilled: Portal, fixture: dict[str, Any]
    ) -> None:
        """When answers leave the window, only records whose written values change are touched."""
        later = AS_OF + timedelta(days=45)
        want_now, want_later = expected(fixture, AS_OF), expected(fixture, later)
        # CSAT and CES move with the window too: a record changes when any of its values does.
        felt_now, felt_later = expected_satisfaction(fixture, AS_OF), expected_satisfaction(fixture, later)
        for want, felt in ((want_now, felt_now), (want_later, felt_later)):
            for object_type in ("contacts", "companies"):
                for rid, values in felt[object_type].items():
                    want[object_type].setdefault(rid, {}).update(values)
        modified_before = {
            t: {i: r.get(m) for i, r in backfilled.properties(t).items()}
            for t, m in (("contacts", "lastmodifieddate"), ("companies", "hs_lastmodifieddate"))
        }
        result = backfilled.cli("sync", "--as-of", later.isoformat(), "--allow-future-as-of")
        assert result.exit_code == 0, result.output
        view = _nps_view(backfilled)
        assert _mismatches(view["contacts"], want_later["contacts"], CONTACT_PROPS) == []
        assert _mismatches(view["companies"], want_later["companies"], COMPANY_PROPS) == []
        for object_type, props, modified in (
            ("contacts", (*CONTACT_PROPS, *CONTACT_FELT), "lastmodifieddate"),
            ("companies", (*COMPANY_PROPS, *COMPANY_FELT), "hs_lastmodifieddate"),
        ):
            should_change = {
                rid
                for rid in set(want_now[object_type]) | set(want_later[object_type])
                if any(
                    not _same(want_now[object_type].get(rid, {}).get(p), want_later[object_type].get(rid, {}).get(p))
                    for p in props
                )
            }
            touched = {
                rid
                for rid, r in backfilled.properties(object_type).items()
                if r.get(modified) != modified_before[object_type].get(rid)
            }
            assert touched == should_change, object_type
            assert should_change  # the window really moved something

    def test_a_contact_deleted_in_hubspot_stops_counting_at_the_next_sync(
        self, backfilled: Portal, fixture: dict[str, Any]
    ) -> None:
        """Deleting an answering contact changes its company's score at the next sync, not only at a backfill."""
        from tests.conftest import build_sdk

        want = expected(fixture, AS_OF)
        by_company: dict[str, list[str]] = {}
        for c in fixture["contacts"]:
            primary = [str(link["id"]) for link in c.get("companies", []) if link.get("primary")]
            if c["id"] in want["contacts"] and primary:
                by_company.setdefault(primary[0], []).append(c["id"])
        company, voters = next((k, v) for k, v in sorted(by_company.items()) if len(v) >= 2)
        victim = voters[0]
        build_sdk(backfilled.server.url, token=_secret()).crm.contacts.basic_api.archive(victim)
        result = backfilled.cli("sync", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        gone = copy.deepcopy(fixture)
        next(c for c in gone["contacts"] if c["id"] == victim)["archived"] = True
        want_gone = expected(gone, AS_OF)
        view = _nps_view(backfilled)
        assert _mismatches(view["companies"], want_gone["companies"], COMPANY_PROPS) == []
        assert view["companies"][company] != _nps_view_of(want, company)

    def test_dry_run_writes_nothing_and_keeps_the_ledger(self, backfilled: Portal) -> None:
        """`--dry-run` prints the plan, leaves HubSpot untouched and the next real run still does the work."""
        later = (AS_OF + timedelta(days=45)).isoformat()
        before = backfilled.stats()["writes"]
        dry = backfilled.cli("sync", "--dry-run", "--as-of", later)
        assert dry.exit_code == 0, dry.output
        assert "would update" in dry.output
        assert "→" in dry.output
        assert backfilled.stats()["writes"] == before
        real = backfilled.cli("sync", "--as-of", later, "--allow-future-as-of")
        assert real.exit_code == 0
        assert backfilled.stats()["writes"] > before


class TestRecovery:
    def test_a_run_dying_after_storing_answers_is_repaired_by_the_next(
        self, backfilled: Portal, fixture: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A sync that dies between storing new answers and reading their contacts loses nothing."""
        from connector.errors import HubSpotUnavailable
        from connector.pipeline.pull import Puller

        contact = next(
            c
            for c in fixture["contacts"]
            if not c.get("archived")
            and c["id"] not in expected(fixture, AS_OF)["contacts"]
            and not any(m["from"] == c["id"] for m in fixture.get("merges", []))
        )
        stamp = (AS_OF - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = {
            "id": "990002",
            "contact_id": contact["id"],
            "properties": {"hs_survey_type": "NPS", "hs_value": "3", "hs_submission_timestamp": stamp},
        }
        backfilled.post("/_sandbox/feedback_submissions", {"feedback_submissions": [answer]})

        def die(*_args: Any, **_kwargs: Any) -> Any:
            raise HubSpotUnavailable("simulated crash while reading contacts")

        with monkeypatch.context() as patch:
            patch.setattr(Puller, "contacts", die)
            assert backfilled.cli("sync", "--as-of", AS_OF.isoformat()).exit_code == 5
        result = backfilled.cli("sync", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        assert backfilled.properties("contacts")[contact["id"]]["nps_score"] == "3"


class TestSearchLag:
    def test_an_answer_hidden_by_index_lag_is_picked_up_by_the_next_sync(
        self, make_portal: Any, fixture: dict[str, Any]
    ) -> None:
        """Search shows a new answer only after the lag; the look-back makes the next sync catch it."""
        import time

        portal: Portal = make_portal(copy.deepcopy(fixture), NO_TASKS, search_lag_ms=2000, time_scale=2)
        assert portal.cli("setup").exit_code == 0
        assert portal.cli("backfill", "--as-of", AS_OF.isoformat()).exit_code == 0
        contact = next(c["id"] for c in fixture["contacts"] if c["id"] in expected(fixture, AS_OF)["contacts"])
        stamp = (AS_OF - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        old = portal.properties("contacts")[contact]["nps_score"]
        new = "0" if old != "0" else "10"
        portal.post(
            "/_sandbox/feedback_submissions",
            {
                "feedback_submissions": [
                    {
                        "id": "990003",
                        "contact_id": contact,
                        "properties": {"hs_survey_type": "NPS", "hs_value": new, "hs_submission_timestamp": stamp},
                    }
                ]
            },
        )
        assert portal.cli("sync", "--as-of", AS_OF.isoformat()).exit_code == 0
        assert portal.properties("contacts")[contact]["nps_score"] == old  # not searchable yet
        time.sleep(1.2)  # the lag is 2,000 ms / time scale 2
        assert portal.cli("sync", "--as-of", AS_OF.isoformat()).exit_code == 0
        assert portal.properties("contacts")[contact]["nps_score"] == new


class TestReadPlan:
    # Six survey ids besides the three types: more filter groups than one search takes (5).
    MANY_SURVEYS = '[scoring]\nsurvey_ids = ["s1", "s2", "s3", "s4", "s5", "s6"]\n'

    @pytest.mark.parametrize(("size", "plan", "extra"), [(600, "search", ""), (90, "list", MANY_SURVEYS)])
    def test_backfill_reads_by_the_cheaper_plan_and_gets_the_same_values(
        self, make_portal: Any, size: int, plan: str, extra: str
    ) -> None:
        """The NPS answers by search; every submission listed when the survey filters do not fit one search."""
        fixture = generate_portal(size, seed=21, now=AS_OF)
        portal: Portal = make_portal(copy.deepcopy(fixture), NO_TASKS + extra)
        assert portal.cli("setup").exit_code == 0
        result = portal.cli("backfill", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        assert f'"plan": "{plan}"' in result.output
        want = expected(fixture, AS_OF)
        view = _nps_view(portal)
        assert _mismatches(view["contacts"], want["contacts"], CONTACT_PROPS) == []
        assert _mismatches(view["companies"], want["companies"], COMPANY_PROPS) == []
