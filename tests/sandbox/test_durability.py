"""`--state` loses nothing acknowledged: each write is journaled and fsynced before its answer (issue 10, step 4).

The sandbox runs as a real process and is killed with SIGKILL right after acknowledging writes,
then restarted from the same `--state` file (connector/sandbox/journal.py).
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from connector.sandbox.journal import journal_path
from connector.sandbox.server import SandboxOptions, serve_in_thread
from tests.conftest import TEST_OPTIONS, TOKEN, raw_request
from tests.sandbox import nps_contact_properties, small_portal
from tests.sandbox.test_cli import LISTENING, start

TASK = {"hs_timestamp": "2026-10-03T10:00:00.000Z", "hs_task_subject": "Call back"}


class Process:
    """A sandbox process on a fixture and a state file."""

    def __init__(self, fixture: Path, state: Path) -> None:
        self.proc = start("--fixture", str(fixture), "--quiet", "--token", TOKEN, "--state", str(state))
        assert self.proc.stdout is not None
        match = LISTENING.fullmatch(self.proc.stdout.readline())
        assert match, self.proc.stderr.read() if self.proc.stderr else ""
        self.url = f"http://127.0.0.1:{match.group(1)}"

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last checkpoint."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> str:
        """SIGTERM; the stderr it wrote."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=15)
        return err


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    fixture = tmp_path / "portal.json"
    fixture.write_text(json.dumps({**small_portal(), **nps_contact_properties()}), encoding="utf-8")
    return fixture, tmp_path / "state.json"


def _create_tasks(url: str, count: int) -> list[str]:
    body = {"inputs": [{"properties": {**TASK, "hs_task_body": str(i)}} for i in range(count)]}
    resp = raw_request(url, "POST", "/crm/objects/2026-09/tasks/batch/create", body)
    assert resp.status == 201
    return [r["id"] for r in resp.json["results"]]


def _snapshot(url: str) -> Any:
    return raw_request(url, "GET", "/_sandbox/snapshot").json


class TestKill9:
    """A `kill -9` right after an answer, then a restart from `--state`."""

    def test_batch_create_survives_kill_9(self, files: tuple[Path, Path]) -> None:
        """38 tasks acknowledged by a batch create are all there after SIGKILL and restart (issue 10)."""
        fixture, state = files
        first = Process(fixture, state)
        try:
            _create_tasks(first.url, 1)  # the first write checkpoints the portal; later ones are journaled
            ids = _create_tasks(first.url, 38)
            before = _snapshot(first.url)
        finally:
            first.kill()
        assert journal_path(state).exists()  # killed before the next checkpoint: the journal holds the writes
        second = Process(fixture, state)
        try:
            for task_id in ids:
                assert raw_request(second.url, "GET", f"/crm/v3/objects/tasks/{task_id}").status == 200
            assert _snapshot(second.url) == before
        finally:
            assert "Traceback" not in second.stop()

    def test_every_kind_of_write_survives(self, files: tuple[Path, Path]) -> None:
        """Updates, deletes, associations, properties, groups and arrived answers, after a checkpoint too."""
        fixture, state = files
        first = Process(fixture, state)
        try:
            url = first.url
            patch = {"properties": {"nps_score": "9"}}
            assert raw_request(url, "PATCH", "/crm/v3/objects/contacts/301", patch).status == 200
            group = {"name": "extra", "label": "Extra"}
            assert raw_request(url, "POST", "/crm/v3/properties/companies/groups", group).status == 201
            time.sleep(1.5)  # the process checkpoints once a second: later writes go to a fresh journal
            prop = {"name": "x_flag", "label": "X", "type": "string", "fieldType": "text", "groupName": "extra"}
            assert raw_request(url, "POST", "/crm/v3/properties/companies", prop).status == 201
            task = {
                "properties": TASK,
                "associations": [
                    {
                        "to": {"id": "302"},
                        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}],
                    }
                ],
            }
            assert raw_request(url, "POST", "/crm/v3/objects/tasks", task).status == 201
            assert raw_request(url, "DELETE", "/crm/v3/objects/companies/203").status == 204
            answers = {"feedback_submissions": [{"id": "9100", "contact_id": "307", "properties": {"hs_value": "3"}}]}
            assert raw_request(url, "POST", "/_sandbox/feedback_submissions", answers).status == 201
            before = _snapshot(url)
        finally:
            first.kill()
        second = Process(fixture, state)
        try:
            assert _snapshot(second.url) == before
            assert raw_request(second.url, "GET", "/crm/v3/objects/companies/203").status == 404
            new = _create_tasks(second.url, 1)[0]
            assert int(new) > max(int(t["id"]) for t in before["tasks"])  # ids never reused
        finally:
            second.stop()


class TestJournal:
    """The journal's rules, in-process."""

    def test_a_torn_last_line_is_skipped(self, tmp_path: Path) -> None:
        """A line cut short by a crash was never acknowledged: the rest replays, the torn one is dropped."""
        state = tmp_path / "state.json"
        options = SandboxOptions(**{**TEST_OPTIONS, "state_file": state, "token": TOKEN})
        with serve_in_thread(small_portal(), options) as server:
            ids = _create_tasks(server.url, 1) + _create_tasks(server.url, 2)  # a checkpoint, then the journal
            server.sandbox.mark_dirty = lambda: None  # type: ignore[method-assign]
            server.sandbox._dirty = False  # keep the journal: no checkpoint on the way out
        with journal_path(state).open("a", encoding="utf-8") as out:
            out.write('{"seq": 99, "changes": [{"op": "rec')
        with serve_in_thread(small_portal(), options) as server:
            assert all(raw_request(server, "GET", f"/crm/v3/objects/tasks/{i}").status == 200 for i in ids)

    def test_checkpoint_empties_the_journal(self, tmp_path: Path) -> None:
        """A clean stop checkpoints: the state file holds everything and the journal is gone."""
        state = tmp_path / "state.json"
        options = SandboxOptions(**{**TEST_OPTIONS, "state_file": state, "token": TOKEN})
        with serve_in_thread(small_portal(), options) as server:
            _create_tasks(server.url, 3)
            assert state.exists()  # the first write checkpoints the portal
            assert not journal_path(state).exists()
            _create_tasks(server.url, 2)
            assert journal_path(state).exists()
        assert not journal_path(state).exists()
        saved = json.loads(state.read_text(encoding="utf-8"))
        assert len(saved["tasks"]) == 5
        assert saved["journal_seq"] == 1
