"""setup, check, report and the harder pull and push paths, end to end against the sandbox."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from connector.ledger import Ledger
from connector.sandbox.demo import generate_portal
from tests.conftest import build_sdk
from tests.integration.conftest import SECRET, Portal
from tests.integration.oracle import expected, expected_satisfaction
from tests.integration.test_sync_e2e import AS_OF, NO_TASKS, _same

SMALL = generate_portal(400, seed=3, now=AS_OF)


class TestSetup:
    def test_setup_is_idempotent(self, make_portal: Any) -> None:
        """A second setup creates nothing and succeeds."""
        portal: Portal = make_portal(SMALL)
        first, second = portal.cli("setup"), portal.cli("setup")
        assert first.exit_code == 0
        assert "27 properties created" in first.output
        assert second.exit_code == 0
        assert "0 properties created" in second.output

    def test_setup_fails_naming_a_property_of_the_wrong_type(self, make_portal: Any) -> None:
        """An existing nps_score of type string is an error that names it; nothing is overwritten."""
        portal: Portal = make_portal(SMALL)
        sdk = build_sdk(portal.server.url, token=SECRET)
        sdk.crm.properties.core_api.create(
            "contacts",
            property_create={
                "name": "nps_score",
                "label": "NPS",
                "type": "string",
                "fieldType": "text",
                "groupName": "contactinformation",
            },
        )
        result = portal.cli("setup")
        assert result.exit_code == 2  # DESIGN: a property of the wrong type is a configuration error
        assert "nps_score" in result.output
        assert "string" in result.output

    def test_sync_before_setup_stops_with_a_clear_line(self, make_portal: Any) -> None:
        """Writing to properties HubSpot does not have stops the run, naming setup, exit 2."""
        portal: Portal = make_portal(SMALL, NO_TASKS)
        result = portal.cli("backfill", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 2
        assert "nps-connector setup" in result.output


class TestCheck:
    def test_check_passes_after_setup_and_fails_before(self, make_portal: Any) -> None:
        """check exits non-zero while properties are missing and 0 once setup has run."""
        portal: Portal = make_portal(SMALL)
        before = portal.cli("check")
        assert before.exit_code != 0
        assert "missing" in before.output
        assert portal.cli("setup").exit_code == 0
        after = portal.cli("check")
        assert after.exit_code == 0, after.output
        assert "FAIL" not in after.output

    def test_check_names_a_missing_scope(self, make_sandbox: Any, tmp_path: Any) -> None:
        """A token without the owners scope shows a failing row naming crm.objects.owners.read."""
        from tests.integration.conftest import write_config

        limited = dict(SMALL)
        limited["tokens"] = [
            {
                "token": SECRET,
                "scopes": [
                    "crm.objects.contacts.read",
                    "crm.objects.companies.read",
                    "crm.objects.feedback_submissions.read",
                    "crm.schemas.contacts.read",
                    "crm.schemas.companies.read",
                ],
            }
        ]
        server = make_sandbox(limited)
        config = tmp_path / "c.toml"
        write_config(config, server.url, tmp_path / "l.sqlite")
        portal = Portal(server, config, tmp_path)
        result = portal.cli("check")
        assert result.exit_code == 3
        assert "crm.objects.owners.read" in result.output.replace("\n", "").replace("│", "").replace(" ", "")


class TestReport:
    def test_report_json_and_csv_match_the_independent_computation(self, make_portal: Any) -> None:
        """report lists every scored company with the nine properties as HubSpot got them."""
        portal: Portal = make_portal(copy.deepcopy(SMALL), NO_TASKS)
        assert portal.cli("setup").exit_code == 0
        assert portal.cli("backfill", "--as-of", AS_OF.isoformat()).exit_code == 0
        want = expected(SMALL, AS_OF)["companies"]
        # Companies with CSAT or CES voices only are reported too (their NPS columns empty).
        for company_id, values in expected_satisfaction(SMALL, AS_OF)["companies"].items():
            want.setdefault(company_id, {}).update(values)
        as_json = portal.cli("report", "--format", "json", "--as-of", AS_OF.isoformat())
        rows = {r["company_id"]: r for r in json.loads(as_json.stdout)}
        assert set(rows) == set(want)
        for company_id, values in want.items():
            for prop, value in values.items():
                held = rows[company_id][prop]
                assert _same(None if held is None else str(held), value), (company_id, prop)
                if prop in ("nps_company_score", "nps_company_responses") and value:
                    assert isinstance(held, int | float)  # JSON numbers, not strings
            assert "name" in rows[company_id]
            assert "open_followups" in rows[company_id]
        as_csv = portal.cli("report", "--format", "csv", "--as-of", AS_OF.isoformat())
        parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
        assert {r["company_id"] for r in parsed} == set(want)
        table = portal.cli("report", "--as-of", AS_OF.isoformat())
        assert table.exit_code == 0
        assert "NPS per company" in table.output


class TestPullAndPush:
    def test_incremental_pull_survives_more_than_10000_answers_on_one_timestamp(self, make_portal: Any) -> None:
        """10,500 answers modified at the same instant are all pulled: the search window never loops."""
        portal: Portal = make_portal(copy.deepcopy(SMALL), NO_TASKS)
        # Lift the client-side limits: this test is about paging, not pacing.
        text = portal.config.read_text(encoding="utf-8").replace(
            "max_retries = 2\n", "max_retries = 2\nsearch_requests_per_second = 1000\nrequests_per_10s = 100000\n"
        )
        portal.config.write_text(text, encoding="utf-8")
        assert portal.cli("setup").exit_code == 0
        assert portal.cli("backfill", "--as-of", AS_OF.isoformat()).exit_code == 0
        contact = next(c["id"] for c in SMALL["contacts"] if not c.get("archived") and c.get("companies"))
        stamp = (AS_OF - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        burst = [
            {
                "id": str(800000 + i),
                "contact_id": contact,
                "properties": {
                    "hs_survey_type": "NPS",
                    "hs_value": str(i % 11),
                    "hs_submission_timestamp": stamp,
                },
            }
            for i in range(10_500)
        ]
        # One call: the sandbox stamps them all with the same arrival time (hs_lastmodifieddate).
        portal.post("/_sandbox/feedback_submissions", {"feedback_submissions": burst})
        result = portal.cli("sync", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        assert "10500 new answers" in result.output
        held = portal.properties("contacts")[contact]
        assert held["nps_score"] == str(10_499 % 11)  # the highest id wins a tie on time

    def test_more_than_10000_contacts_changed_between_two_syncs_are_all_read(self, make_portal: Any) -> None:
        """A bulk owner change of 10,500 answering contacts: the next sync reads every one of them."""
        n = 10_600
        stamp = (AS_OF - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        fixture: dict[str, Any] = {
            "owners": [
                {"id": "101", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"},
                {"id": "102", "email": "bo@example.com", "firstName": "Bo", "lastName": "Ng"},
            ],
            "companies": [{"id": "201", "properties": {"name": "Acme"}}],
            "contacts": [
                {
                    "id": str(300000 + i),
                    "properties": {"email": f"c{i}@acme.example", "hubspot_owner_id": "101"},
                    "companies": [{"id": "201", "primary": True}],
                }
                for i in range(n)
            ],
            "feedback_submissions": [
                {
                    "id": str(500000 + i),
                    "contact_id": str(300000 + i),
                    "properties": {"hs_survey_type": "NPS", "hs_value": "9", "hs_submission_timestamp": stamp},
                }
                for i in range(n)
            ],
        }
        portal: Portal = make_portal(fixture, NO_TASKS)
        text = portal.config.read_text(encoding="utf-8").replace(
            "max_retries = 2\n", "max_retries = 2\nsearch_requests_per_second = 1000\nrequests_per_10s = 100000\n"
        )
        portal.config.write_text(text, encoding="utf-8")
        assert portal.cli("setup").exit_code == 0
        assert portal.cli("backfill", "--as-of", AS_OF.isoformat()).exit_code == 0
        changed = [str(300000 + i) for i in range(10_500)]
        sdk = build_sdk(portal.server.url, token=SECRET)
        for start in range(0, len(changed), 100):
            sdk.crm.contacts.batch_api.update(
                {"inputs": [{"id": c, "properties": {"hubspot_owner_id": "102"}} for c in changed[start : start + 100]]}
            )
        before = portal.stats()["by_route"]
        result = portal.cli("sync", "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        with Ledger(portal.workdir / "ledger.sqlite") as ledger:
            owners = {cid: row.owner_id for cid, row in ledger.contacts().items()}
        assert all(owners[c] == "102" for c in changed), sum(owners[c] != "102" for c in changed)
        assert all(owners[str(300000 + i)] == "101" for i in range(10_500, n))
        searches = {k: v - before.get(k, 0) for k, v in portal.stats()["by_route"].items() if "search" in k}
        assert sum(searches.values()) > 10_000 // 200  # more pages than one capped query can give

    def test_a_record_deleted_before_the_push_fails_alone_and_exits_1(self, make_portal: Any) -> None:
        """A 207 per-record failure is logged for that record, the rest lands, and the run exits 1."""
        portal: Portal = make_portal(copy.deepcopy(SMALL), NO_TASKS)
        assert portal.cli("setup").exit_code == 0
        assert portal.cli("backfill", "--as-of", AS_OF.isoformat()).exit_code == 0
        later = AS_OF + timedelta(days=60)
        want_later = expected(SMALL, later)["companies"]
        want_now = expected(SMALL, AS_OF)["companies"]
        for want, moment in ((want_later, later), (want_now, AS_OF)):
            for company_id, values in expected_satisfaction(SMALL, moment)["companies"].items():
                want.setdefault(company_id, {}).update(values)
        changing = sorted(c for c in want_later if want_later[c] != want_now.get(c))
        assert len(changing) >= 2
        victim = changing[0]
        sdk = build_sdk(portal.server.url, token=SECRET)
        sdk.crm.companies.basic_api.archive(victim)
        result = portal.cli("sync", "--as-of", later.isoformat(), "--allow-future-as-of")
        assert result.exit_code == 1, result.output
        assert victim in result.output
        assert "push.record_failed" in result.output
        # The summary counts what HubSpot confirmed: the failed company is not "updated".
        assert f"and {len(changing) - 1} companies;" in result.output
        assert "failed records: 1;" in result.output
        held = portal.properties("companies")
        for company_id in changing[1:]:
            for prop, value in want_later[company_id].items():
                assert _same(held[company_id].get(prop), value), (company_id, prop)


def test_as_of_without_offset_is_utc() -> None:
    """--as-of 2026-01-01T00:00 means midnight UTC."""
    from connector.commands.runtime import parse_as_of

    assert parse_as_of("2026-01-01T00:00") == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_as_of("2026-01-01T01:00+01:00") == datetime(2026, 1, 1, tzinfo=UTC)


class TestRun:
    def test_run_every_syncs_repeatedly(self, make_portal: Any) -> None:
        """`run --every 1s --max-runs 2` syncs twice and exits with the last run's code."""
        portal: Portal = make_portal(copy.deepcopy(SMALL), NO_TASKS)
        assert portal.cli("setup").exit_code == 0
        result = portal.cli("run", "--every", "1s", "--max-runs", "2")
        assert result.exit_code == 0, result.output
        assert result.output.count("next at") == 1
        assert result.output.count("new answers") == 2

    def test_run_needs_exactly_one_schedule(self, make_portal: Any) -> None:
        """Neither or both of --every/--cron, or a bad value, is a configuration error (exit 2)."""
        portal: Portal = make_portal(SMALL, NO_TASKS)
        assert portal.cli("run").exit_code == 2
        assert portal.cli("run", "--every", "soon").exit_code == 2
        assert portal.cli("run", "--cron", "not cron").exit_code == 2


class TestBackfillRange:
    def test_backfill_since_pulls_only_answers_submitted_in_range(self, make_portal: Any) -> None:
        """On a fresh ledger, `backfill --since D` scores exactly the answers submitted at or after D."""
        portal: Portal = make_portal(copy.deepcopy(SMALL), NO_TASKS)
        assert portal.cli("setup").exit_code == 0
        since = AS_OF - timedelta(days=200)
        result = portal.cli("backfill", "--since", since.isoformat(), "--as-of", AS_OF.isoformat())
        assert result.exit_code == 0, result.output
        in_range = copy.deepcopy(SMALL)
        in_range["feedback_submissions"] = [
            s
            for s in SMALL["feedback_submissions"]
            if datetime.fromisoformat(s["properties"]["hs_submission_timestamp"].replace("Z", "+00:00")) >= since
        ]
        assert len(in_range["feedback_submissions"]) < len(SMALL["feedback_submissions"])
        want = expected(in_range, AS_OF)
        held = portal.properties("contacts")
        for contact_id, values in want["contacts"].items():
            for prop, value in values.items():
                assert _same(held[contact_id].get(prop), value), (contact_id, prop)
        scored = {cid for cid, r in held.items() if r.get("nps_score")}
        assert scored == set(want["contacts"])
