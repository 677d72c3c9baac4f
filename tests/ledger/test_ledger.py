"""The SQLite ledger: schema migrations, run lock, and round trips of every table."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.core.records import resolve_alias
from connector.core.values import from_ms
from connector.errors import ConfigError, LockHeldError
from connector.ledger import SCHEMA_VERSION, Ledger
from connector.model import AnswerRow, CompanyRow, ContactRow, TaskIntent, TaskRow

T0 = datetime(2026, 10, 1, 10, 0, 0, 123000, tzinfo=UTC)


def answer(submission_id: str, at: datetime = T0, contact_id: str | None = "301", value: str = "9") -> AnswerRow:
    return AnswerRow(
        submission_id=submission_id,
        contact_id=contact_id,
        survey_type="NPS",
        survey_id="11",
        survey_name="Quarterly NPS",
        raw_value=value,
        submitted_at=at,
        modified_at=at + timedelta(minutes=1),
        content="Great support",
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite"


@pytest.fixture
def ledger(path: Path) -> Iterator[Ledger]:
    with Ledger(path, clock=lambda: T0) as opened:
        yield opened


class TestSchema:
    def test_new_file_is_migrated_to_current_version(self, path: Path) -> None:
        """Opening a path that does not exist creates every table and sets user_version."""
        with Ledger(path) as ledger:
            assert ledger.schema_version() == SCHEMA_VERSION
        conn = sqlite3.connect(path)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()
        assert {"answers", "contacts", "aliases", "companies", "cursors", "written", "tasks", "runs"} <= tables

    def test_empty_existing_file_is_migrated(self, path: Path) -> None:
        """A zero-byte file (version 0) gets the schema."""
        path.touch()
        with Ledger(path) as ledger:
            assert ledger.schema_version() == SCHEMA_VERSION
            assert len(ledger.answers()) == 0

    def test_parent_directories_are_created(self, tmp_path: Path) -> None:
        """ledger.path may point into a directory that does not exist yet."""
        with Ledger(tmp_path / "a" / "b" / "ledger.sqlite") as ledger:
            assert len(ledger.answers()) == 0

    def test_reopening_keeps_data(self, path: Path) -> None:
        """Data written by one Ledger is there for the next."""
        with Ledger(path) as ledger:
            ledger.upsert_answers([answer("401")])
        with Ledger(path) as ledger:
            assert ledger.answers() == [answer("401")]
            assert ledger.schema_version() == SCHEMA_VERSION

    def test_newer_file_is_refused(self, path: Path) -> None:
        """A ledger written by a newer connector is a configuration error naming the file."""
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.close()
        with pytest.raises(ConfigError, match=r"ledger\.sqlite: ledger schema version .* is newer"):
            Ledger(path)

    def test_file_that_is_not_sqlite_is_refused(self, path: Path) -> None:
        """A random file at ledger.path is a configuration error naming it."""
        path.write_bytes(b"this is not a database at all, just some text" * 100)
        with pytest.raises(ConfigError, match=r"ledger\.sqlite"):
            Ledger(path)


class TestLock:
    def test_second_holder_is_refused_with_pid(self, path: Path) -> None:
        """While one Ledger holds the lock, another on the same path gets LockHeldError naming the pid."""
        with Ledger(path) as first, Ledger(path) as second, first.lock():
            with pytest.raises(LockHeldError) as info, second.lock():
                pass
            assert str(info.value) == (f"another run holds the lock on {path}.lock (pid {os.getpid()})")

    def test_lock_is_free_after_release(self, path: Path) -> None:
        """Leaving the block releases the lock."""
        with Ledger(path) as first, Ledger(path) as second:
            with first.lock():
                pass
            with second.lock():
                pass

    def test_lock_of_a_killed_process_is_free(self, path: Path) -> None:
        """A process killed with SIGKILL while holding the lock leaves no stale lock."""
        holder = textwrap.dedent(
            f"""
            import sys, time
            from connector.ledger import Ledger
            ledger = Ledger({str(path)!r})
            with ledger.lock():
                print("locked", flush=True)
                time.sleep(60)
            """
        )
        proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "locked"
            with Ledger(path) as ledger:
                with pytest.raises(LockHeldError, match=f"pid {proc.pid}"), ledger.lock():
                    pass
                proc.kill()
                proc.wait(timeout=10)
                with ledger.lock():
                    pass
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


class TestTransactions:
    def test_failed_block_rolls_back(self, ledger: Ledger) -> None:
        """An exception inside transaction() undoes all writes of the block."""

        def write_then_fail() -> None:
            with ledger.transaction():
                ledger.upsert_answers([answer("401")])
                ledger.set_cursor("answers", "x")
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            write_then_fail()
        assert len(ledger.answers()) == 0
        assert ledger.get_cursor("answers") is None

    def test_nested_failure_rolls_back_inner_only(self, ledger: Ledger) -> None:
        """A failing nested block is undone while the outer block still commits."""

        def write_then_fail() -> None:
            with ledger.transaction():
                ledger.set_cursor("b", "2")
                raise RuntimeError("boom")

        with ledger.transaction():
            ledger.set_cursor("a", "1")
            with pytest.raises(RuntimeError):
                write_then_fail()
        assert ledger.get_cursor("a") == "1"
        assert ledger.get_cursor("b") is None

    def test_many_answers_are_fast(self, ledger: Ledger) -> None:
        """100,000 answers go in and out in well under the time of one HubSpot page."""
        rows = [answer(str(i), T0 - timedelta(minutes=i)) for i in range(100_000)]
        started = time.monotonic()
        ledger.upsert_answers(rows)
        assert len(ledger.answers()) == 100_000
        assert time.monotonic() - started < 10


class TestAnswers:
    def test_upsert_replaces_by_submission_id(self, ledger: Ledger) -> None:
        """A submission pulled again replaces the stored one."""
        ledger.upsert_answers([answer("401", value="3")])
        ledger.upsert_answers([answer("401", value="10"), answer("402")])
        assert [(a.submission_id, a.raw_value) for a in ledger.answers()] == [("401", "10"), ("402", "9")]
        assert len(ledger.answers()) == 2

    def test_times_round_trip_as_utc_milliseconds(self, ledger: Ledger) -> None:
        """Datetimes come back tz-aware UTC, equal to the instant stored (milliseconds kept)."""
        berlin = T0.astimezone(ZoneInfo("Europe/Berlin"))
        ledger.upsert_answers([answer("401", berlin)])
        stored = ledger.answers()[0]
        assert stored.submitted_at == T0
        assert stored.submitted_at.tzinfo == UTC

    def test_naive_datetime_is_refused(self, ledger: Ledger) -> None:
        """A naive datetime is a programming error, not silently local time."""
        with pytest.raises(ValueError, match="timezone-aware"):
            ledger.upsert_answers([answer("401", datetime(2026, 10, 1))])

    def test_filter_by_survey_type_and_nullable_fields(self, ledger: Ledger) -> None:
        """answers(survey_type) filters; anonymous answers and empty values are kept as None."""
        csat = AnswerRow("500", None, "CSAT", "12", "CSAT", None, T0, T0)
        ledger.upsert_answers([answer("401"), csat])
        assert [a.submission_id for a in ledger.answers("NPS")] == ["401"]
        assert ledger.answers("CSAT") == [csat]

    def test_delete_submitted_between_is_half_open(self, ledger: Ledger) -> None:
        """delete_answers_submitted_between removes [since, until) and reports the count."""
        days = [answer(str(d), T0 + timedelta(days=d)) for d in range(5)]
        ledger.upsert_answers(days)
        deleted = ledger.delete_answers_submitted_between(T0 + timedelta(days=1), T0 + timedelta(days=3))
        assert deleted == 2
        assert [a.submission_id for a in ledger.answers()] == ["0", "3", "4"]
        assert ledger.delete_answers_submitted_between(None, T0 + timedelta(days=4)) == 2
        assert ledger.delete_answers_submitted_between(None, None) == 1


class TestContactsAndCompanies:
    def test_contacts_round_trip(self, ledger: Ledger) -> None:
        """Contacts come back by id as stored."""
        row = ContactRow("301", "bo@acme.example", "Bo", "Ng", "101", "201", True, T0)
        ledger.upsert_contacts([row, ContactRow("302")])
        assert ledger.contacts() == {"301": row, "302": ContactRow("302")}

    def test_mark_missing_keeps_known_and_adds_unknown(self, ledger: Ledger) -> None:
        """Deleted contacts keep their data with exists=False; unseen ids get a bare row."""
        ledger.upsert_contacts([ContactRow("301", email="bo@acme.example")])
        ledger.mark_contacts_missing(["301", "399"])
        contacts = ledger.contacts()
        assert contacts["301"].exists is False
        assert contacts["301"].email == "bo@acme.example"
        assert contacts["399"] == ContactRow("399", exists=False)

    def test_aliases_follow_chains_of_merges(self, ledger: Ledger) -> None:
        """An id merged into one that was later merged again resolves to the final survivor."""
        ledger.add_aliases({"305": "303"})
        ledger.add_aliases({"303": "301"})
        aliases = ledger.aliases()
        assert aliases == {"305": "303", "303": "301"}
        assert resolve_alias("305", aliases) == "301"
        assert resolve_alias("301", aliases) == "301"
        assert resolve_alias("999", aliases) == "999"

    def test_alias_cycle_does_not_hang(self, ledger: Ledger) -> None:
        """A cycle (which HubSpot should never produce) stops instead of looping."""
        ledger.add_aliases({"1": "2", "2": "1"})
        assert resolve_alias("1", ledger.aliases()) in {"1", "2"}
        assert set(ledger.aliases()) == {"1", "2"}

    def test_companies_round_trip(self, ledger: Ledger) -> None:
        """Companies come back by id; an upsert replaces."""
        ledger.upsert_companies([CompanyRow("201", "Acme", "101")])
        ledger.upsert_companies([CompanyRow("201", "Acme Inc", None), CompanyRow("202")])
        assert ledger.companies() == {"201": CompanyRow("201", "Acme Inc", None), "202": CompanyRow("202")}


class TestCursorsAndWritten:
    def test_cursor_round_trip(self, path: Path) -> None:
        """A cursor is None until set and survives reopening."""
        with Ledger(path) as ledger:
            assert ledger.get_cursor("feedback_submissions") is None
            ledger.set_cursor("feedback_submissions", "1790000000000")
            ledger.set_cursor("feedback_submissions", "1790000000500")
        with Ledger(path) as ledger:
            assert ledger.get_cursor("feedback_submissions") == "1790000000500"

    def test_written_values_round_trip(self, ledger: Ledger) -> None:
        """Recorded values come back per object and property, separately per object type."""
        ledger.record_written("contacts", {"301": {"nps_score": "9", "nps_category": "promoter"}})
        ledger.record_written("contacts", {"301": {"nps_score": "10"}, "302": {"nps_score": ""}})
        ledger.record_written("companies", {"201": {"nps_company_score": "33.3"}})
        assert ledger.written_values("contacts") == {
            "301": {"nps_score": "10", "nps_category": "promoter"},
            "302": {"nps_score": ""},
        }
        assert ledger.written_values("companies") == {"201": {"nps_company_score": "33.3"}}

    def test_forget_written(self, ledger: Ledger) -> None:
        """forget_written drops one object type, or only the ids given."""
        ledger.record_written("contacts", {"301": {"nps_score": "9"}, "302": {"nps_score": "7"}})
        ledger.record_written("companies", {"201": {"nps_company_score": "10"}})
        ledger.forget_written("contacts", ["301"])
        assert ledger.written_values("contacts") == {"302": {"nps_score": "7"}}
        ledger.forget_written("contacts")
        assert ledger.written_values("contacts") == {}
        assert ledger.written_values("companies") == {"201": {"nps_company_score": "10"}}


class TestTasks:
    def intent(self, key: str = "401") -> TaskIntent:
        return TaskIntent(key=key, submission_id=key, contact_id="301", due_at=T0 + timedelta(days=2), owner_id="101")

    def test_intents_survive_reopen(self, path: Path) -> None:
        """An intent recorded before the HubSpot call is still pending after a crash and reopen."""
        with Ledger(path, clock=lambda: T0) as ledger:
            assert ledger.record_task_intents([self.intent()]) == 1
        with Ledger(path) as ledger:
            assert ledger.pending_intents() == [
                TaskRow("401", "401", "intent", None, "301", None, "101", T0 + timedelta(days=2), T0)
            ]

    def test_intents_are_insert_or_ignore(self, ledger: Ledger) -> None:
        """Recording the same key again changes nothing and counts only new keys."""
        ledger.record_task_intents([self.intent()])
        ledger.confirm_tasks({"401": "9001"})
        assert ledger.record_task_intents([self.intent(), self.intent("402")]) == 1
        states = {t.key: t.state for t in ledger.tasks()}
        assert states == {"401": "created", "402": "intent"}

    def test_confirm_sets_task_id_and_open_status(self, ledger: Ledger) -> None:
        """A confirmed intent is 'created' with its HubSpot id, creation time and status 'open'."""
        ledger.record_task_intents([self.intent()])
        ledger.confirm_tasks({"401": "9001", "unknown": "9002"})
        (task,) = ledger.tasks()
        assert (task.state, task.task_id, task.created_at, task.status) == ("created", "9001", T0, "open")
        assert ledger.pending_intents() == []

    def test_status_updates_by_task_id(self, ledger: Ledger) -> None:
        """set_task_status records HubSpot's status on the task with that id."""
        ledger.record_task_intents([self.intent()])
        ledger.confirm_tasks({"401": "9001"})
        ledger.set_task_status({"9001": "completed"})
        assert ledger.tasks()[0].status == "completed"
        with pytest.raises(ValueError):
            ledger.set_task_status({"9001": "archived"})  # type: ignore[dict-item]

    def test_drop_intents_never_drops_created_tasks(self, ledger: Ledger) -> None:
        """drop_intents removes unconfirmed intents only."""
        ledger.record_task_intents([self.intent("401"), self.intent("402")])
        ledger.confirm_tasks({"401": "9001"})
        ledger.drop_intents(["401", "402"])
        assert [t.key for t in ledger.tasks()] == ["401"]

    def test_at_risk_intent_has_synthetic_key_and_no_contact(self, ledger: Ledger) -> None:
        """Company-at-risk tasks are keyed by a synthetic key, name no submission and may have no contact."""
        key = "at_risk:201:2026-10-01"
        ledger.record_task_intents(
            [TaskIntent(key=key, submission_id=None, contact_id=None, company_id="201", due_at=T0, kind="at_risk")]
        )
        (task,) = ledger.pending_intents()
        assert (task.key, task.submission_id, task.kind, task.contact_id, task.company_id) == (
            key,
            None,
            "at_risk",
            None,
            "201",
        )

    def test_an_answer_task_must_name_its_submission(self, ledger: Ledger) -> None:
        """The schema refuses an answer's task without a submission id (the key alone is not enough)."""
        with pytest.raises(sqlite3.IntegrityError):
            ledger.record_task_intents([TaskIntent(key="401", submission_id=None, contact_id="301", due_at=T0)])
        assert ledger.tasks() == []

    def test_adopt_tasks_replaces_intent(self, ledger: Ledger) -> None:
        """A task found in HubSpot replaces a pending intent for the same key."""
        ledger.record_task_intents([self.intent()])
        found = TaskRow("401", "401", "created", "9001", "301", "201", "101", T0, T0, T0, "completed")
        ledger.adopt_tasks([found])
        assert ledger.tasks() == [found]
        assert ledger.pending_intents() == []


class TestRuns:
    def test_runs_are_recorded_newest_first(self, ledger: Ledger) -> None:
        """start_run/finish_run record command, times, exit code and JSON summary."""
        first = ledger.start_run("sync")
        ledger.finish_run(first, 0, {"answers": 3, "skipped": {"invalid": 1}})
        second = ledger.start_run("backfill")
        # Admins read the runs table with sqlite3; so does this test.
        with sqlite3.connect(ledger.path) as conn:
            runs = conn.execute(
                "SELECT run_id, command, finished_at, exit_code, summary FROM runs ORDER BY run_id DESC"
            ).fetchall()
        assert [r[0] for r in runs] == [second, first]
        assert runs[0][2:] == (None, None, "{}")
        assert runs[1][1:4] == ("sync", int(T0.timestamp() * 1000), 0)
        assert json.loads(runs[1][4]) == {"answers": 3, "skipped": {"invalid": 1}}


class TestMigrationToVersion2:
    def test_a_version_1_ledger_keeps_its_tasks_and_learns_the_deleted_status(self, tmp_path: Path) -> None:
        """Opening a schema-1 file migrates it in place: task rows survive, 'deleted' becomes a valid status."""
        import sqlite3

        from connector.ledger.schema import MIGRATIONS

        path = tmp_path / "old.sqlite"
        conn = sqlite3.connect(path)
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO tasks (submission_id, state, task_id, due_at, intent_at, status) "
            "VALUES ('401', 'created', '9001', 0, 0, 'open')"
        )
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
        conn.close()
        with Ledger(path) as ledger:
            assert ledger.schema_version() == SCHEMA_VERSION
            assert [(t.submission_id, t.task_id, t.status) for t in ledger.tasks()] == [("401", "9001", "open")]
            ledger.set_task_status({"9001": "deleted"})
            assert ledger.tasks()[0].status == "deleted"


class TestMigrationToVersion3:
    def test_a_version_2_ledger_splits_task_keys_from_submission_ids(self, tmp_path: Path) -> None:
        """A schema-2 file (at-risk keys in `submission_id`) opens as schema 3 with every task kept."""
        from connector.ledger.schema import MIGRATIONS

        path = tmp_path / "v2.sqlite"
        conn = sqlite3.connect(path)
        for statements in MIGRATIONS[:2]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(
            "INSERT INTO tasks (submission_id, state, task_id, contact_id, company_id, owner_id, due_at, "
            "intent_at, created_at, status, kind) VALUES "
            "('401', 'created', '9001', '301', '201', '101', 1000, 900, 950, 'completed', 'answer'), "
            "('402', 'intent', NULL, '302', NULL, NULL, 2000, 1900, NULL, NULL, 'answer'), "
            "('at_risk:201:2026-01-01', 'created', '9002', NULL, '201', '101', 3000, 2900, 2950, 'open', 'at_risk')"
        )
        conn.execute("PRAGMA user_version = 2")
        conn.commit()
        conn.close()
        with Ledger(path) as ledger:
            assert ledger.schema_version() == SCHEMA_VERSION
            rows = {t.key: t for t in ledger.tasks()}
            assert set(rows) == {"401", "402", "at_risk:201:2026-01-01"}
            assert rows["401"] == TaskRow(
                "401",
                "401",
                "created",
                "9001",
                "301",
                "201",
                "101",
                from_ms(1000),
                from_ms(900),
                from_ms(950),
                "completed",
                "answer",
            )
            assert (rows["402"].submission_id, rows["402"].state) == ("402", "intent")
            risk = rows["at_risk:201:2026-01-01"]
            assert (risk.submission_id, risk.kind, risk.task_id, risk.company_id) == (None, "at_risk", "9002", "201")
            assert [t.key for t in ledger.pending_intents()] == ["402"]
            ledger.confirm_tasks({"402": "9003"})
            assert {t.key: t.task_id for t in ledger.tasks()}["402"] == "9003"


class TestMigrationToVersion4:
    def test_a_version_3_ledger_keeps_contacts_and_companies_and_learns_roles_and_counts(self, tmp_path: Path) -> None:
        """Schema 3 -> 4 adds a contact's role and a company's contact count; existing rows keep their data."""
        from connector.ledger.schema import MIGRATIONS

        path = tmp_path / "v3.sqlite"
        conn = sqlite3.connect(path)
        for statements in MIGRATIONS[:3]:
            for statement in statements:
                conn.execute(statement)
        conn.execute("INSERT INTO contacts (contact_id, email, company_id) VALUES ('301', 'bo@acme.example', '201')")
        conn.execute("INSERT INTO companies (company_id, name) VALUES ('201', 'Acme')")
        conn.execute("PRAGMA user_version = 3")
        conn.commit()
        conn.close()
        with Ledger(path) as ledger:
            assert ledger.schema_version() == SCHEMA_VERSION == 4
            assert ledger.contacts()["301"] == ContactRow("301", "bo@acme.example", company_id="201")
            assert ledger.companies()["201"] == CompanyRow("201", "Acme")
            ledger.upsert_contacts([ContactRow("301", company_id="201", role="DECISION_MAKER")])
            ledger.upsert_companies([CompanyRow("201", "Acme", contact_count=12)])
            assert ledger.contacts()["301"].role == "DECISION_MAKER"
            assert ledger.companies()["201"].contact_count == 12
