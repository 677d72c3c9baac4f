"""Follow-up tasks end to end: the real sandbox over HTTP, the real SDK, a real SQLite ledger.

What is checked is what HubSpot ends up holding (`/_sandbox/snapshot`), against an expectation
computed here independently of connector.core.followup: one task per eligible answer, with the
right contact, company, owner and due date — and never a second one, across reruns, a lost
ledger, a lost create answer and a process killed between create and confirm.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from connector.core.at_risk import CompanyRisk
from connector.core.followup import TaskPlan
from connector.hubspot import HubSpotClient, TaskInput
from connector.ledger import Ledger
from connector.model import AnswerRow, CompanyRow, ContactRow, TaskIntent
from connector.pipeline.followup import FollowupResult, FollowupRunner
from connector.sandbox.limits import Faults
from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import E2E_VERSIONS, route_key
from tests.pipeline.followup_crash_script import CRASH_ENV, build_client, build_settings

AS_OF = datetime(2026, 10, 7, 12, 0, tzinfo=UTC)  # a Wednesday
SCRIPT = Path(__file__).with_name("followup_crash_script.py")
ROOT = Path(__file__).resolve().parents[2]

FIXTURE: dict[str, Any] = {
    "owners": [
        {"id": "101", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"},
        {"id": "102", "email": "bob@example.com", "firstName": "Bob", "lastName": "Old", "archived": True},
        {"id": "103", "email": "cy@example.com", "firstName": "Cy", "lastName": "Dee"},
    ],
    "companies": [
        {"id": "201", "properties": {"name": "Acme", "hubspot_owner_id": "101"}},
        {"id": "202", "properties": {"name": "Beta", "hubspot_owner_id": "102"}},
        {"id": "203", "properties": {"name": "Gamma"}},
    ],
    "contacts": [
        {
            "id": "301",
            "properties": {"email": "bo@acme.example", "firstname": "Bo", "lastname": "Ng", "hubspot_owner_id": "103"},
            "companies": [{"id": "201", "primary": True}],
        },
        {
            "id": "302",
            "properties": {"email": "di@acme.example", "firstname": "Di", "hubspot_owner_id": "102"},
            "companies": [{"id": "201", "primary": True}],
        },
        {"id": "303", "properties": {"email": "ed@beta.example"}, "companies": [{"id": "202", "primary": True}]},
        {"id": "304", "properties": {"email": "fay@gamma.example"}, "companies": [{"id": "203", "primary": True}]},
        {"id": "305", "properties": {"email": "gone@acme.example"}, "archived": True},
        {"id": "306", "properties": {"email": "solo@example.com", "firstname": "Solo"}},
    ],
}


def _contact_row(item: dict[str, Any]) -> ContactRow:
    props = item["properties"]
    primary = [c["id"] for c in item.get("companies", []) if c.get("primary")]
    return ContactRow(
        item["id"],
        props.get("email"),
        props.get("firstname"),
        props.get("lastname"),
        props.get("hubspot_owner_id"),
        primary[0] if primary else None,
        exists=not item.get("archived", False),
    )


CONTACTS = {c["id"]: _contact_row(c) for c in FIXTURE["contacts"]}
COMPANIES = {
    c["id"]: CompanyRow(c["id"], c["properties"].get("name"), c["properties"].get("hubspot_owner_id"))
    for c in FIXTURE["companies"]
}


def _answer(sid: str, contact: str | None, value: str, at: str, survey_type: str = "NPS") -> AnswerRow:
    moment = datetime.fromisoformat(at)
    return AnswerRow(sid, contact, survey_type, "s1", "Quarterly NPS", value, moment, moment, f"comment {sid}")


ANSWERS = [
    _answer("401", "301", "3", "2026-10-06T09:00:00+00:00"),  # Tue: due Thu 09:00, contact owner 103
    _answer("402", "302", "6", "2026-10-02T16:00:00+00:00"),  # Fri: due Tue 16:00 < as-of; owner archived → 101
    _answer("403", "303", "0", "2026-09-22T12:00:00+00:00"),  # 15 days old: never
    _answer("404", "304", "9", "2026-10-06T09:00:00+00:00"),  # promoter
    _answer("405", "305", "2", "2026-10-06T09:00:00+00:00"),  # deleted contact: skipped
    _answer("406", "301", "abc", "2026-10-06T09:00:00+00:00"),  # invalid value
    _answer("407", "306", "5", "2026-09-23T12:00:00+00:00"),  # exactly 14 days old: yes, no company
    _answer("408", None, "1", "2026-10-06T09:00:00+00:00"),  # anonymous: skipped
    _answer("409", "303", "4", "2026-10-07T12:00:00.001+00:00"),  # after as-of
    _answer("410", "303", "1", "2026-10-06T09:00:00+00:00", survey_type="CSAT"),
    _answer("411", "303", "6", "2026-10-07T08:00:00+00:00"),  # Wed: due Fri; company owner archived → default
    _answer("412", "304", "1", "2026-10-05T10:00:00+00:00"),  # Mon: due Wed 10:00 < as-of; no owner → default
    _answer("413", "301", "2", "2026-10-07T10:00:00+00:00"),  # 301's latest answer
]


# ---------------------------------------------------------------- the independent expectation


def _expected() -> dict[str, dict[str, Any]]:
    """submission id → contact, company, owner, due: the issue's rules written out plainly."""
    active = {o["id"] for o in FIXTURE["owners"] if not o.get("archived")}
    out: dict[str, dict[str, Any]] = {}
    for a in ANSWERS:
        value = (a.raw_value or "").strip()
        if a.survey_type != "NPS" or not value.isdigit() or int(value) > 6:
            continue
        if not AS_OF - timedelta(days=14) <= a.submitted_at <= AS_OF:
            continue
        contact = CONTACTS.get(a.contact_id or "")
        if contact is None or not contact.exists:
            continue
        company = COMPANIES.get(contact.company_id or "")
        owners = [contact.owner_id, company.owner_id if company else None, "103"]
        owner = next((o for o in owners if o in active), None)
        day, left = a.submitted_at, 2
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        out[a.submission_id] = {
            "contact": a.contact_id,
            "company": contact.company_id,
            "owner": owner,
            "due": max(day, AS_OF),
        }
    return out


EXPECTED = _expected()


def test_expectation_is_what_the_issue_says() -> None:
    """The hand-checked cases: which answers, whose, due when."""
    assert sorted(EXPECTED) == ["401", "402", "407", "411", "412", "413"]
    assert EXPECTED["401"]["owner"] == "103"
    assert EXPECTED["401"]["due"] == datetime(2026, 10, 8, 9, 0, tzinfo=UTC)
    assert EXPECTED["402"]["owner"] == "101"
    assert EXPECTED["402"]["due"] == AS_OF
    assert EXPECTED["411"]["owner"] == "103"
    assert EXPECTED["411"]["due"] == datetime(2026, 10, 9, 8, 0, tzinfo=UTC)


# ---------------------------------------------------------------- harness

_MARKER = re.compile(r"^NPS feedback submission ID: (\S+)$", re.MULTILINE)


def portal_tasks(server: SandboxHTTPServer, raw: Callable[..., Any]) -> list[dict[str, Any]]:
    """Every live task in the sandbox (snapshot), with its associations."""
    snap = raw(server, "GET", "/_sandbox/snapshot").json
    return [t for t in snap["tasks"] if not t.get("archived")]


def tasks_by_submission(server: SandboxHTTPServer, raw: Callable[..., Any]) -> dict[str, list[dict[str, Any]]]:
    """Live tasks grouped by the submission id their body names."""
    out: dict[str, list[dict[str, Any]]] = {}
    for task in portal_tasks(server, raw):
        for sid in _MARKER.findall(task["properties"].get("hs_task_body", "")):
            out.setdefault(sid, []).append(task)
    return out


def assert_exactly_once(server: SandboxHTTPServer, raw: Callable[..., Any]) -> dict[str, dict[str, Any]]:
    """One task per expected answer and no others; return them by submission id."""
    grouped = tasks_by_submission(server, raw)
    assert {sid: len(tasks) for sid, tasks in grouped.items()} == dict.fromkeys(EXPECTED, 1)
    assert len(portal_tasks(server, raw)) == len(EXPECTED)
    return {sid: tasks[0] for sid, tasks in grouped.items()}


class Harness:
    """A sandbox, a ledger file and a runner factory for one test."""

    def __init__(self, server: SandboxHTTPServer, ledger_path: Path, api_version: str) -> None:
        self.server = server
        self.ledger_path = ledger_path
        self.api_version = api_version
        self.settings = build_settings(server.url, ledger_path, api_version)
        self.client = build_client(self.settings)
        self.ledger = Ledger(ledger_path)

    def runner(self, **kw: Any) -> FollowupRunner:
        """A runner on the current ledger."""
        return FollowupRunner(self.client, self.ledger, self.settings, **kw)

    def run(self, dry_run: bool = False, **kw: Any) -> FollowupResult:
        """One follow-up pass over the test's answers."""
        return self.runner(**kw).run(ANSWERS, CONTACTS, COMPANIES, AS_OF, dry_run=dry_run)

    def stats(self) -> dict[str, Any]:
        """The sandbox's request counters."""
        return self.server.sandbox.stats()

    def lose_ledger(self) -> None:
        """Delete the ledger file (and its WAL) and start from an empty one."""
        self.ledger.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.ledger_path}{suffix}").unlink(missing_ok=True)
        self.ledger = Ledger(self.ledger_path)


@pytest.fixture(params=E2E_VERSIONS)
def env(
    make_sandbox: Callable[..., SandboxHTTPServer], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Harness]:
    """A fresh sandbox with the fixture portal and an empty ledger, once per API version."""
    harness = Harness(make_sandbox(FIXTURE), tmp_path / "ledger.sqlite", str(request.param))
    yield harness
    harness.ledger.close()


# ---------------------------------------------------------------- tests


class TestCreation:
    def test_one_task_per_eligible_answer(self, env: Harness, raw: Callable[..., Any]) -> None:
        """Each eligible answer gets one task with the expected contact, company, owner and due date."""
        with capture_logs() as logs:
            result = env.run()
        assert sorted(p.key for p in result.created) == sorted(EXPECTED)
        tasks = assert_exactly_once(env.server, raw)
        for sid, want in EXPECTED.items():
            task, props = tasks[sid], tasks[sid]["properties"]
            assert task["associations"]["contacts"] == [want["contact"]], sid
            assert task["associations"]["companies"] == ([want["company"]] if want["company"] else []), sid
            assert props.get("hubspot_owner_id") == want["owner"], sid
            assert datetime.fromisoformat(props["hs_timestamp"]) == want["due"], sid
            assert (props["hs_task_priority"], props["hs_task_status"], props["hs_task_type"]) == (
                "HIGH",
                "NOT_STARTED",
                "TODO",
            )
            assert props["hs_task_body"].endswith(f"\nNPS feedback submission ID: {sid}")
            assert f"https://app.hubspot.com/contacts/555/record/0-19/{sid}" in props["hs_task_body"]
        rows = {r.submission_id: r for r in env.ledger.tasks()}
        assert {k: (r.state, r.task_id) for k, r in rows.items()} == {
            sid: ("created", tasks[sid]["id"]) for sid in EXPECTED
        }
        created = [e for e in logs if e["event"] == "followup.task_created"]
        assert sorted(e["submission_id"] for e in created) == sorted(EXPECTED)
        assert all({"contact_id", "owner_id", "due", "task_id"} <= e.keys() for e in created)
        skipped = {(e["submission_id"], e["reason"]) for e in logs if e["event"] == "followup.skipped"}
        assert skipped == {("405", "contact_missing"), ("408", "no_contact")}

    def test_second_run_creates_nothing_and_stays_cheap(self, env: Harness, raw: Callable[..., Any]) -> None:
        """A rerun writes nothing and only reads the open tasks' statuses (one batch read)."""
        env.run()
        env.server.sandbox.reset_stats()
        result = env.run()
        assert result.created == []
        assert result.adopted == 0
        stats = env.stats()
        assert stats["writes"] == 0
        assert stats["by_route"] == {route_key(env.api_version, "POST /crm/v3/objects/{objectType}/batch/read"): 1}
        assert_exactly_once(env.server, raw)

    def test_dry_run_writes_nothing(self, env: Harness, raw: Callable[..., Any]) -> None:
        """A dry run returns the planned tasks and writes neither HubSpot nor the ledger."""
        result = env.run(dry_run=True)
        assert sorted(p.key for p in result.created) == sorted(EXPECTED)
        assert env.stats()["writes"] == 0
        assert env.ledger.tasks() == []
        assert portal_tasks(env.server, raw) == []
        assert result.contact_state["301"] == ("open", EXPECTED["413"]["due"])


class TestExactlyOnce:
    def test_lost_ledger_adopts_instead_of_duplicating(self, env: Harness, raw: Callable[..., Any]) -> None:
        """With the ledger file deleted, the tasks found through the contacts' associations are adopted."""
        env.run()
        env.lose_ledger()
        result = env.run()
        assert result.created == []
        assert result.adopted == len(EXPECTED)
        tasks = assert_exactly_once(env.server, raw)
        rows = {r.submission_id: r for r in env.ledger.tasks()}
        assert {k: (r.state, r.task_id, r.due_at) for k, r in rows.items()} == {
            sid: ("created", tasks[sid]["id"], EXPECTED[sid]["due"]) for sid in EXPECTED
        }
        assert env.run().adopted == 0

    @pytest.mark.parametrize("fault", ["lost", "reset"])
    def test_dropped_connection_on_create_is_reconciled(
        self, env: Harness, raw: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, fault: str
    ) -> None:
        """The create's connection drops (after applying: lost; before: reset): checked, never blindly retried."""
        real = HubSpotClient.create_tasks
        calls: list[int] = []

        def faulty(client: HubSpotClient, inputs: Sequence[TaskInput]) -> list[str]:
            calls.append(len(inputs))
            if len(calls) == 1:
                env.server.sandbox.faults = Faults.parse(f"{fault}=1")
            try:
                return real(client, inputs)
            finally:
                env.server.sandbox.faults = Faults.parse(None)

        monkeypatch.setattr(HubSpotClient, "create_tasks", faulty)
        with capture_logs() as logs:
            result = env.run()
        assert env.stats()["faults"][fault] == 1
        assert any(e["event"] == "followup.write_outcome_unknown" for e in logs)
        assert sorted(p.key for p in result.created) == sorted(EXPECTED)
        assert result.failed == []
        # lost: the write landed, the check finds it; reset: it did not, so it is created once more.
        assert calls == ([len(EXPECTED)] if fault == "lost" else [len(EXPECTED)] * 2)
        tasks = assert_exactly_once(env.server, raw)
        assert {r.submission_id: r.task_id for r in env.ledger.tasks()} == {s: t["id"] for s, t in tasks.items()}

    def test_crash_after_create_is_confirmed_next_run(self, env: Harness, raw: Callable[..., Any]) -> None:
        """A run dying between create and confirm leaves intents that the next run confirms, not recreates."""

        def die(_plans: Sequence[TaskPlan], _ids: Sequence[str]) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            env.run(after_create=die)
        assert {r.state for r in env.ledger.tasks()} == {"intent"}
        result = env.run()
        assert result.created == []
        assert result.confirmed == len(EXPECTED)
        assert {r.state for r in env.ledger.tasks()} == {"created"}
        assert_exactly_once(env.server, raw)

    def test_intent_without_create_is_created_next_run(self, env: Harness, raw: Callable[..., Any]) -> None:
        """An intent recorded before a crash that came before the create call gets its task, once."""
        want = EXPECTED["401"]
        env.ledger.record_task_intents(
            [TaskIntent("401", "401", "301", want["due"], company_id="201", owner_id=want["owner"])]
        )
        result = env.run()
        assert sorted(p.key for p in result.created) == sorted(EXPECTED)
        assert_exactly_once(env.server, raw)

    def test_kill_9_between_create_and_confirm(self, env: Harness, raw: Callable[..., Any]) -> None:
        """A real process killed right after HubSpot created the tasks: each exists exactly once after a rerun."""
        env.ledger.upsert_answers(ANSWERS)
        env.ledger.upsert_contacts(list(CONTACTS.values()))
        env.ledger.upsert_companies(list(COMPANIES.values()))
        proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), env.server.url, str(env.ledger_path), AS_OF.isoformat(), env.api_version],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, CRASH_ENV: "1", "PYTHONPATH": str(ROOT)},
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("CREATED "), (line, proc.stderr.read() if proc.stderr else "")
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        created_ids = set(line.split()[1:])
        assert {t["id"] for t in portal_tasks(env.server, raw)} == created_ids
        pending = env.ledger.pending_intents()
        assert sorted(r.submission_id for r in pending) == sorted(EXPECTED)
        assert all(r.task_id is None for r in pending)

        result = env.runner().run(env.ledger.answers(), env.ledger.contacts(), env.ledger.companies(), AS_OF)
        assert result.created == []
        assert result.confirmed == len(EXPECTED)
        tasks = assert_exactly_once(env.server, raw)
        assert {t["id"] for t in tasks.values()} == created_ids
        assert env.ledger.pending_intents() == []
        assert env.runner().run(ANSWERS, CONTACTS, COMPANIES, AS_OF).created == []
        assert_exactly_once(env.server, raw)


class TestFollowupState:
    def test_state_follows_the_latest_answer_with_a_task(self, env: Harness, raw: Callable[..., Any]) -> None:
        """Open until HubSpot says COMPLETED; a deleted task no longer counts; due from the ledger."""
        first = env.run()
        assert first.contact_state == {
            "301": ("open", EXPECTED["413"]["due"]),
            "302": ("open", EXPECTED["402"]["due"]),
            "303": ("open", EXPECTED["411"]["due"]),
            "304": ("open", EXPECTED["412"]["due"]),
            "306": ("open", EXPECTED["407"]["due"]),
        }
        ids = {r.submission_id: r.task_id for r in env.ledger.tasks()}
        done = raw(
            env.server,
            "PATCH",
            f"/crm/v3/objects/tasks/{ids['413']}",
            {"properties": {"hs_task_status": "COMPLETED"}},
        )
        assert done.status == 200
        assert raw(env.server, "DELETE", f"/crm/v3/objects/tasks/{ids['411']}").status == 204
        env.server.sandbox.reset_stats()
        second = env.run()
        assert second.contact_state["301"] == ("completed", EXPECTED["413"]["due"])
        assert "303" not in second.contact_state
        assert second.contact_state["302"] == ("open", EXPECTED["402"]["due"])
        assert env.stats()["by_route"] == {
            route_key(env.api_version, "POST /crm/v3/objects/{objectType}/batch/read"): 1
        }
        statuses = {r.submission_id: r.status for r in env.ledger.tasks()}
        assert statuses["413"] == "completed"
        # Completed tasks are not read again: only the still-open ones are.
        env.server.sandbox.reset_stats()
        assert env.run().contact_state["301"] == ("completed", EXPECTED["413"]["due"])


class TestAtRisk:
    def test_company_at_risk_gets_one_task_per_window(self, env: Harness, raw: Callable[..., Any]) -> None:
        """A company dropping to detractor gets one task for its owner, associated with the company only."""
        settings = env.settings.model_copy(
            update={"followup": env.settings.followup.model_copy(update={"at_risk_enabled": True})}
        )
        risk = [CompanyRisk("201", AS_OF.date(), -20.0, "detractor", 10.0)]
        runner = FollowupRunner(env.client, env.ledger, settings)
        runner.run([], CONTACTS, COMPANIES, AS_OF, company_risk=risk)
        runner.run([], CONTACTS, COMPANIES, AS_OF, company_risk=risk)
        tasks = portal_tasks(env.server, raw)
        assert len(tasks) == 1
        assert tasks[0]["associations"] == {"contacts": [], "companies": ["201"]}
        assert tasks[0]["properties"]["hubspot_owner_id"] == "101"
        assert "submission" not in tasks[0]["properties"]["hs_task_body"].lower()
