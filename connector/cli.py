"""Command-line interface: `nps-connector [--config FILE] COMMAND` (Typer app and exit codes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from connector.errors import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="HubSpot NPS connector.")


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML config file (default: $NPS_CONFIG, ./nps-connector.toml)")
    ] = None,
) -> None:
    """HubSpot NPS connector: scores survey answers and writes NPS back to HubSpot."""
    ctx.obj = {"config": config}


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 0,
    fixture: Annotated[Path | None, typer.Option(help="Portal snapshot JSON to serve.")] = None,
    demo_portal: Annotated[int | None, typer.Option(help="Generate a demo portal with this many answers.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the demo portal.")] = 0,
    token: Annotated[str | None, typer.Option(help="Accept only this bearer token (all scopes).")] = None,
    state: Annotated[Path | None, typer.Option(help="Keep the portal in this file across restarts.")] = None,
    rate_limit: Annotated[int, typer.Option(help="Requests per rolling 10 s per token (search exempt).")] = 190,
    search_rate_limit: Annotated[int, typer.Option(help="Search requests per rolling second per portal.")] = 5,
    daily_limit: Annotated[int, typer.Option(help="Requests per day per portal.")] = 1_000_000,
    search_lag_ms: Annotated[int, typer.Option(help="Search sees records as they were this long ago.")] = 2000,
    time_scale: Annotated[float, typer.Option(help="Divide every window, the lag and slow faults by this.")] = 1.0,
    faults: Annotated[str | None, typer.Option(help='Fault shares, e.g. "429=0.1,reset=0.05,seed=7".')] = None,
    quiet: Annotated[bool, typer.Option(help="No request log on stderr.")] = False,
) -> None:
    """Serve the HubSpot-compatible sandbox until SIGTERM/SIGINT."""
    from connector.sandbox.fixture import FixtureError
    from connector.sandbox.limits import FaultSpecError
    from connector.sandbox.runner import build_fixture, run_sandbox
    from connector.sandbox.server import SandboxOptions

    options = SandboxOptions(
        token=token,
        rate_limit=rate_limit,
        search_rate_limit=search_rate_limit,
        daily_limit=daily_limit,
        search_lag_ms=search_lag_ms,
        time_scale=time_scale,
        faults=faults,
        state_file=state,
        log_requests=not quiet,
    )
    try:
        data = build_fixture(fixture, demo_portal, seed)
        run_sandbox(data, options, host, port)
    except (FixtureError, FaultSpecError, ValueError) as exc:
        raise _fail(str(exc), ConfigError.exit_code) from None
    except OSError as exc:
        raise _fail(f"cannot listen on {host}:{port}: {exc.strerror}", ConfigError.exit_code) from None


def main() -> None:
    """Console-script entry point."""
    app()
