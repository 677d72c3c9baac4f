"""Fixtures for end-to-end runs: the real CLI against a real sandbox with a real SQLite ledger."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connector.commands.cli import app
from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import E2E_VERSIONS

SECRET = "pat-na1-5ec2e7-never-log-me"


@dataclass
class Portal:
    """A running sandbox plus a config file pointing the connector at it."""

    server: SandboxHTTPServer
    config: Path
    workdir: Path
    api_version: str = "2026-09"

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Any:
        """Run `nps-connector --config CONFIG ARGS` in-process; returns click's Result."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
        return CliRunner().invoke(app, ["--config", str(self.config), *args], env={**clean, **(env or {})})

    def get(self, path: str) -> Any:
        """GET a sandbox-only endpoint."""
        req = urllib.request.Request(self.server.url + path, headers={"Authorization": f"Bearer {SECRET}"})
        with urllib.request.urlopen(req) as resp:
            return json.load(resp)

    def post(self, path: str, body: Any) -> Any:
        """POST to a sandbox-only endpoint."""
        req = urllib.request.Request(
            self.server.url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req) as resp:
            return json.load(resp)

    def stats(self) -> dict[str, Any]:
        """The sandbox's call counters."""
        return dict(self.get("/_sandbox/stats"))

    def properties(self, object_type: str) -> dict[str, dict[str, str]]:
        """Every live record's properties of a type, from the snapshot."""
        snap = self.get("/_sandbox/snapshot")
        merged = {m["from"] for m in snap.get("merges", [])}
        return {r["id"]: r["properties"] for r in snap[object_type] if not r.get("archived") and r["id"] not in merged}


def write_config(path: Path, url: str, ledger: Path, extra: str = "", api_version: str = "2026-09") -> None:
    """A config file for a sandbox portal."""
    path.write_text(
        f'[hubspot]\nbase_url = "{url}"\napi_version = "{api_version}"\naccess_token = "{SECRET}"\nmax_retries = 2\n'
        f'[ledger]\npath = "{ledger}"\n'
        f"{extra}",
        encoding="utf-8",
    )


@pytest.fixture(params=E2E_VERSIONS)
def api_version(request: pytest.FixtureRequest) -> str:
    """Every end-to-end test runs once per API version family (`hubspot.api_version`)."""
    return str(request.param)


@pytest.fixture
def make_portal(
    make_sandbox: Callable[..., SandboxHTTPServer], tmp_path: Path, api_version: str
) -> Callable[..., Portal]:
    """Start a sandbox for a fixture and write a config for it: `make_portal(fixture, extra_toml)`."""

    def make(fixture: dict[str, Any], extra: str = "", **options: Any) -> Portal:
        server = make_sandbox(fixture, token=SECRET, **options)
        config = tmp_path / "nps-connector.toml"
        write_config(config, server.url, tmp_path / "ledger.sqlite", extra, api_version)
        return Portal(server, config, tmp_path, api_version)

    return make
