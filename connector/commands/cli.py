"""Command-line interface: `nps-connector [--config FILE] COMMAND` (Typer app and exit codes)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from connector.errors import ConfigError, ConnectorError

if TYPE_CHECKING:
    from connector.commands.runtime import Runtime
    from connector.pipeline.run import Mode

app = typer.Typer(add_completion=False, no_args_is_help=True, help="HubSpot NPS connector.")
F = TypeVar("F", bound=Callable[..., Any])

AsOf = Annotated[str | None, typer.Option("--as-of", help="Fix 'now' (ISO 8601; no offset means UTC).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the plan; write nothing.")]


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


def _errors(fn: F) -> F:
    """Turn the connector's errors into one line on stderr and the contract's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConnectorError as exc:
            raise _fail(str(exc), exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _runtime(ctx: typer.Context) -> Runtime:
    from connector.commands.runtime import Runtime

    return Runtime.load(ctx.obj.get("config") if ctx.obj else None)


@app.command()
@_errors
def setup(ctx: typer.Context) -> None:
    """Create (or verify) the NPS property group and every property the connector writes."""
    from connector.commands.setup import setup_command

    rt = _runtime(ctx)
    typer.echo(setup_command(rt.client(), rt.settings.properties, rt.log))


@app.command()
@_errors
def check(ctx: typer.Context) -> None:
    """Check config, token, scopes and properties; exit 0 only if all is well."""
    from connector.commands.check import run_checks

    rows, code = run_checks(ctx.obj.get("config") if ctx.obj else None)
    table = Table(title="nps-connector check")
    for col in ("check", "status", "detail"):
        table.add_column(col)
    for name, good, detail in rows:
        status = "[yellow]WARN[/yellow]" if good is None else "[green]ok[/green]" if good else "[red]FAIL[/red]"
        table.add_row(name, status, detail)
    Console().print(table)
    raise typer.Exit(code)


def _run(ctx: typer.Context, mode: Mode, as_of: str | None, dry_run: bool, since: str | None, until: str | None) -> int:
    from connector.commands.runtime import parse_as_of, parse_date_option
    from connector.commands.sync import run_once

    rt = _runtime(ctx)
    moment = parse_as_of(as_of)
    start, end = parse_date_option("--since", since), parse_date_option("--until", until)
    return run_once(rt, mode, moment, dry_run=dry_run, since=start, until=end)


@app.command()
@_errors
def sync(ctx: typer.Context, dry_run: DryRun = False, as_of: AsOf = None) -> None:
    """Incremental run: pull new answers, rescore, write changed values (the scheduled job)."""
    raise typer.Exit(_run(ctx, "sync", as_of, dry_run, None, None))


@app.command()
@_errors
def backfill(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="Re-pull answers submitted at or after this date.")] = None,
    until: Annotated[str | None, typer.Option(help="... and before this date.")] = None,
    dry_run: DryRun = False,
    as_of: AsOf = None,
) -> None:
    """Re-pull answers, recompute everything, repair drifted values in HubSpot."""
    raise typer.Exit(_run(ctx, "backfill", as_of, dry_run, since, until))


@app.command()
@_errors
def report(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    as_of: AsOf = None,
) -> None:
    """Per-company scores from the ledger."""
    from connector.commands.report import check_format, write_report
    from connector.commands.runtime import parse_as_of

    check_format(fmt)
    rt = _runtime(ctx)
    with rt.ledger() as ledger:
        write_report(ledger, rt.settings, fmt, output, parse_as_of(as_of))


@app.command()
@_errors
def run(
    ctx: typer.Context,
    every: Annotated[str | None, typer.Option(help="Sync every DURATION (e.g. 15m).")] = None,
    cron: Annotated[str | None, typer.Option(help="Sync on a cron schedule (UTC), e.g. '*/15 * * * *'.")] = None,
    max_runs: Annotated[int, typer.Option(help="Stop after this many runs (0: run forever).")] = 0,
) -> None:
    """Stay up and sync on a schedule (for plain `docker run`)."""
    from croniter import croniter

    from connector.commands.runtime import parse_duration

    if bool(every) == bool(cron):
        raise ConfigError("give exactly one of --every or --cron")
    if cron and not croniter.is_valid(cron):
        raise ConfigError(f"--cron: {cron!r} is not a valid cron expression")
    interval = parse_duration(every) if every else None
    runs = 0
    while True:
        started = datetime.now(UTC)
        try:
            code = _run(ctx, "sync", None, False, None, None)
        except ConnectorError as exc:
            if exc.exit_code in (2, 3):
                raise  # configuration and credentials do not heal by waiting
            typer.echo(f"error: {exc}", err=True)
            code = exc.exit_code
        runs += 1
        if max_runs and runs >= max_runs:
            raise typer.Exit(code)
        wake = (
            started + interval if interval is not None else croniter(cron or "", datetime.now(UTC)).get_next(datetime)
        )
        typer.echo(f"run: last sync exited {code}; next at {wake.isoformat()}")
        time.sleep(max(0.0, (wake - datetime.now(UTC)).total_seconds()))


@app.command()
@_errors
def demo(
    size: Annotated[int, typer.Option(help="Answers in the generated portal.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the generated portal.")] = 7,
    workdir: Annotated[Path | None, typer.Option(help="Keep the demo config and ledger here.")] = None,
) -> None:
    """Sandbox with a generated portal + setup + backfill + report, all in one."""
    from connector.commands.demo import run_demo

    raise typer.Exit(run_demo(size, seed, workdir))


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
