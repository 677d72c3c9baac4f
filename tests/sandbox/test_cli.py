"""`nps-connector sandbox` as a real process (DESIGN contract, `sandbox` command)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import build_sdk, raw_request
from tests.sandbox import small_portal

CLI = str(Path(sys.executable).parent / "nps-connector")
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)\n")


@pytest.fixture
def fixture_file(tmp_path: Path) -> Path:
    path = tmp_path / "portal.json"
    path.write_text(json.dumps(small_portal()), encoding="utf-8")
    return path


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CLI, "sandbox", "--port", "0", "--search-lag-ms", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def running(fixture_file: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A sandbox process and its first stdout line."""
    proc = start("--fixture", str(fixture_file))
    try:
        assert proc.stdout is not None
        yield proc, proc.stdout.readline()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


class TestSandboxCommand:
    """First stdout line, logs on stderr, clean exit on SIGTERM (DESIGN `sandbox`)."""

    def test_listening_line_logs_and_sigterm(self, running: tuple[subprocess.Popen[str], str]) -> None:
        """stdout starts with exactly `listening on http://HOST:PORT` (the real port); SIGTERM exits 0 (DESIGN)."""
        proc, first = running
        match = LISTENING.fullmatch(first)
        assert match, first
        port = int(match.group(1))
        assert port > 0
        url = f"http://127.0.0.1:{port}"
        assert build_sdk(url).crm.contacts.basic_api.get_by_id("301").id == "301"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0
        assert out == ""  # nothing after the listening line
        assert "/crm/v3/objects/contacts/301" in err  # request logs go to stderr

    def test_sigint_also_stops_it(self, running: tuple[subprocess.Popen[str], str]) -> None:
        """SIGINT ends it cleanly too (DESIGN: runs until SIGTERM/SIGINT)."""
        proc, first = running
        assert LISTENING.fullmatch(first)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
        assert proc.returncode == 0

    def test_quiet_token_and_state(self, fixture_file: Path, tmp_path: Path) -> None:
        """--quiet silences request logs; --token is enforced; --state is written on exit (DESIGN)."""
        state = tmp_path / "state.json"
        proc = start("--fixture", str(fixture_file), "--quiet", "--token", "secret", "--state", str(state))
        try:
            assert proc.stdout is not None
            match = LISTENING.fullmatch(proc.stdout.readline())
            assert match
            url = f"http://127.0.0.1:{match.group(1)}"
            assert raw_request(url, "GET", "/crm/v3/objects/contacts", token="wrong").status == 401
            build_sdk(url, token="secret").crm.contacts.basic_api.update("301", {"properties": {"firstname": "Kept"}})
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0
        assert err == ""
        saved = json.loads(state.read_text(encoding="utf-8"))
        assert next(c for c in saved["contacts"] if c["id"] == "301")["properties"]["firstname"] == "Kept"

    def test_bad_fixture_is_a_configuration_error(self, tmp_path: Path) -> None:
        """An unreadable fixture exits 2 (configuration error) with the reason on stderr (DESIGN exit codes)."""
        bad = tmp_path / "bad.json"
        bad.write_text("{not json", encoding="utf-8")
        proc = start("--fixture", str(bad))
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 2
        assert out == ""
        assert "bad.json" in err
