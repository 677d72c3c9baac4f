"""`demo`: a sandbox with a generated portal, then setup + backfill + report (table and HTML page) against it."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import typer

from connector.commands.report import Views, write_insights, write_report
from connector.commands.runtime import Runtime
from connector.commands.setup import setup_command
from connector.commands.sync import run_once
from connector.errors import ConnectorError
from connector.sandbox.demo import generate_portal
from connector.sandbox.server import SandboxOptions, serve_in_thread

DEMO_TOKEN = "demo-token"  # the sandbox's own token; not a HubSpot secret


def run_demo(size: int, seed: int, workdir: Path | None) -> int:
    """Run the whole data path against a local sandbox; print the per-company report, write the HTML one."""
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
        typer.echo(f"demo: sandbox at {server.url} with {size} answers (seed {seed}); files in {work}")
        # The demo's own file only: NPS_* variables meant for a real portal must not leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
        rt = Runtime.load(config, environ=env)
        try:
            typer.echo("$ nps-connector setup")
            typer.echo(setup_command(rt.client(), rt.settings.properties, rt.log))
            typer.echo("$ nps-connector backfill")
            run_once(rt, "backfill", datetime.now(UTC))
            typer.echo("$ nps-connector report")
            page = work / "nps-report.html"
            with rt.ledger() as ledger:
                write_report(ledger, rt.settings, "table", None, datetime.now(UTC))
                typer.echo(f"$ nps-connector report --format html --output {page}")
                views = Views.for_format("html", by=None, trend=False, closed_loop=False)
                write_insights(ledger, rt.settings, "html", page, datetime.now(UTC), views, rt.client)
            typer.echo(f"demo: open {page} in a browser for the HTML report")
        except ConnectorError as exc:
            typer.echo(f"error: {exc}", err=True)
            return exc.exit_code
    return 0
