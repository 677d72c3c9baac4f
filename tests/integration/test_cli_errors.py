"""Exit codes and error lines of the contract, and the token never showing up anywhere."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from connector.ledger import Ledger
from connector.sandbox.demo import generate_portal
from tests.integration.conftest import SECRET, Portal, write_config

SMALL = generate_portal(200, seed=5)


def _cli_subprocess(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
    return subprocess.run(
        [sys.executable, "-m", "connector", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=120,
        check=False,
    )


class TestConfigErrors:
    def test_bad_value_exits_2_with_one_line_naming_key_and_file(self, tmp_path: Path) -> None:
        """A wrong value is one line naming the key and the file, exit 2, no traceback."""
        config = tmp_path / "nps-connector.toml"
        config.write_text(f'[hubspot]\naccess_token = "{SECRET}"\n[scoring]\nwindow_days = 0\n', encoding="utf-8")
        result = _cli_subprocess(config, "sync")
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "scoring.window_days" in lines[0]
        assert str(config) in lines[0]
        assert "Traceback" not in result.stderr
        assert SECRET not in result.stderr + result.stdout

    def test_token_and_token_file_together_exit_2(self, tmp_path: Path) -> None:
        """Giving both access_token and access_token_file is a configuration error."""
        secret_file = tmp_path / "token"
        secret_file.write_text(SECRET, encoding="utf-8")
        config = tmp_path / "nps-connector.toml"
        config.write_text(f'[hubspot]\naccess_token_file = "{secret_file}"\n', encoding="utf-8")
        result = _cli_subprocess(config, "sync", env={"NPS_HUBSPOT__ACCESS_TOKEN": SECRET})
        assert result.returncode == 2
        assert "access_token" in result.stderr
        assert SECRET not in result.stderr + result.stdout


class TestHubSpotErrors:
    def test_rejected_token_exits_3_without_showing_it(self, make_sandbox: Any, tmp_path: Path) -> None:
        """HubSpot's 401 becomes exit 3 with a clear line; the token appears nowhere."""
        server = make_sandbox(SMALL, token="the-right-token")
        config = tmp_path / "nps-connector.toml"
        write_config(config, server.url, tmp_path / "ledger.sqlite", '[log]\nlevel = "debug"\n')
        result = _cli_subprocess(config, "sync")
        assert result.returncode == 3, result.stderr
        assert "401" in result.stderr or "token" in result.stderr.lower()
        assert SECRET not in result.stderr + result.stdout

    def test_missing_scope_exits_3_naming_the_scope(self, make_sandbox: Any, tmp_path: Path) -> None:
        """A token without the companies scope fails with exit 3 and names crm.objects.companies.read."""
        limited = dict(SMALL)
        limited["tokens"] = [{"token": SECRET, "scopes": ["crm.objects.contacts.read", "crm.objects.contacts.write"]}]
        server = make_sandbox(limited)
        config = tmp_path / "nps-connector.toml"
        write_config(config, server.url, tmp_path / "ledger.sqlite", "[followup]\nenabled = false\n")
        result = _cli_subprocess(config, "backfill")
        assert result.returncode == 3, result.stderr
        assert "crm.objects.companies.read" in result.stderr

    def test_unreachable_hubspot_exits_5(self, tmp_path: Path) -> None:
        """Connections refused until retries run out: exit 5, one clear line."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        config = tmp_path / "nps-connector.toml"
        write_config(config, f"http://127.0.0.1:{port}", tmp_path / "ledger.sqlite")
        result = _cli_subprocess(config, "sync")
        assert result.returncode == 5, result.stderr
        assert "Traceback" not in result.stderr


class TestLockAndSecrets:
    def test_second_concurrent_run_exits_4(self, make_portal: Any) -> None:
        """While another run holds the ledger lock, a run exits 4 and touches nothing."""
        portal: Portal = make_portal(SMALL, "[followup]\nenabled = false\n")
        with Ledger(portal.workdir / "ledger.sqlite") as ledger, ledger.lock():
            result = _cli_subprocess(portal.config, "sync")
        assert result.returncode == 4, result.stderr
        assert "lock" in result.stderr

    def test_token_never_appears_in_any_output(self, make_portal: Any) -> None:
        """Debug logs, summaries and reports of a full run never contain the access token."""
        portal: Portal = make_portal(SMALL, '[log]\nlevel = "debug"\nformat = "json"\n')
        outputs = []
        for args in (("setup",), ("check",), ("backfill",), ("sync",), ("report", "--format", "json")):
            result = _cli_subprocess(portal.config, *args)
            assert result.returncode in (0, 1), (args, result.stderr)
            outputs.append(result.stdout + result.stderr)
        assert all(SECRET not in text for text in outputs)
        assert any('"event"' in text for text in outputs)  # the debug logs really were produced
