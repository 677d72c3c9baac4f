"""`demo`: a sandbox with a generated portal, then setup + backfill + report against it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from connector.sandbox.demo import generate_portal
from connector.sandbox.server import SandboxOptions, serve_in_thread

DEMO_TOKEN = "demo-token"  # the sandbox's own token; not a HubSpot secret


def run_demo(size: int, seed: int, workdir: Path | None) -> int:
    """Run the whole data path against a local sandbox and print the per-company report."""
    from connector.cli import app

    work = workdir or Path(tempfile.mkdtemp(prefix="nps-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    portal = generate_portal(size, seed=seed)
    options = SandboxOptions(token=DEMO_TOKEN, search_lag_ms=0, log_requests=False)
    with serve_in_thread(portal, options) as server:
        config = work / "nps-connector.toml"
        config.write_text(
            f'[hubspot]\nbase_url = "{server.url}"\naccess_token = "{DEMO_TOKEN}"\n'
            f'[ledger]\npath = "{work / "nps-ledger.sqlite"}"\n[log]\nlevel = "warning"\nformat = "console"\n',
            encoding="utf-8",
        )
        print(f"demo: sandbox at {server.url} with {size} answers (seed {seed}); files in {work}")
        runner = CliRunner()
        env = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
        for args in (["setup"], ["backfill"], ["report"]):
            result = runner.invoke(app, ["--config", str(config), *args], env=env, catch_exceptions=False)
            print(f"$ nps-connector {' '.join(args)}\n{result.output}", end="")
            if result.exit_code not in (0, 1):
                return result.exit_code
    return 0
