"""Command-line interface: `nps-connector [--config FILE] [--debug] COMMAND` (Typer app and exit codes).

The error boundary is `_Command.invoke` (every command's class): whatever a command raises becomes
one line on stderr and a documented exit code (DESIGN: 0/1/2/3/4/5/130/143), never a traceback; `--debug` (or
`log.level = "debug"`) prints the traceback too, with the token redacted. An exception the connector
does not know is a bug: its class, a short message and "please report" (exit 1).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from connector import logs
from connector.errors import ConfigError, ConnectorError, Interrupted

if TYPE_CHECKING:
    from connector.commands.runtime import Runtime
    from connector.commands.stop import StopSignal
    from connector.pipeline.run import Mode

UNEXPECTED_EXIT = 1


def _tidy_help(params: list[Any]) -> list[Any]:
    # Typer shows `<bool>` after flags (even --help): a flag takes no value, so show none.
    for param in params:
        if getattr(param, "is_flag", False) and getattr(param, "metavar", "") is None:
            param.metavar = ""
    return params


class _Command(TyperCommand):
    """Every command's class: the error boundary around its body, and flags shown without `<bool>`."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a value placeholder."""
        return _tidy_help(super().get_params(ctx))

    def invoke(self, ctx: Any) -> Any:
        """Run the command; map every exception to one stderr line and the contract's exit code."""
        try:
            return super().invoke(ctx)
        except ConnectorError as exc:
            _show_traceback(ctx, exc)
            raise _fail(str(exc), exc.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise  # typer.Exit carries the command's own exit code
        except KeyboardInterrupt as exc:  # SIGINT outside a run that handles it (setup, check, report)
            _show_traceback(ctx, exc)
            raise _fail("interrupted by SIGINT", 130) from None
        except Exception as exc:
            if hasattr(exc, "show") and hasattr(exc, "exit_code"):
                raise  # click's own usage errors print themselves (exit 2)
            _show_traceback(ctx, exc)
            raise _fail(_unexpected(exc), UNEXPECTED_EXIT) from None


class _Group(TyperGroup):
    """The app's group: flags shown without `<bool>` in the top-level help too."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags without a value placeholder."""
        return _tidy_help(super().get_params(ctx))


def _unexpected(exc: Exception) -> str:
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return (
        f"unexpected {type(exc).__name__}: {first or 'no message'}. This is a bug in nps-connector: please report "
        "it to its maintainers with the output of the same command run with --debug (the token is redacted)"
    )


def _show_traceback(ctx: Any, exc: BaseException) -> None:
    root = ctx.find_root()
    debug = bool(root.obj.get("debug")) if isinstance(root.obj, dict) else False
    if debug or logs.debug_enabled():
        text = "".join(traceback.format_exception(exc))
        typer.echo(logs.redact_text(text).rstrip(), err=True)


def _fail(message: str, code: int) -> typer.Exit:
    # One line, whatever the message holds, and never a registered secret.
    line = " ".join(logs.redact_text(message).split())
    typer.echo(f"error: {line}", err=True)
    return typer.Exit(code)


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True, help="HubSpot NPS connector.")

WHEN = "YYYY-MM-DD or ISO 8601 date-time, e.g. 2026-10-01T12:00:00Z; no offset means UTC"
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="WHEN",
        help=f"Fix 'now' ({WHEN}). Writing runs: not before 1970, not in the future.",
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the plan; write nothing (any --as-of allowed).")]
AllowFuture = Annotated[
    bool,
    typer.Option(
        "--allow-future-as-of",
        help="Allow a writing run with --as-of in the future (simulations against the sandbox only).",
    ),
]


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", metavar="FILE", help="TOML config file (default: $NPS_CONFIG, ./nps-connector.toml)"),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="On an error, print the traceback too.")] = False,
) -> None:
    """HubSpot NPS connector: scores survey answers and writes NPS back to HubSpot."""
    ctx.obj = {"config": config, "debug": debug}


def _runtime(ctx: typer.Context) -> Runtime:
    from connector.commands.runtime import Runtime

    return Runtime.load(ctx.obj.get("config") if ctx.obj else None)


@app.command(cls=_Command)
def setup(ctx: typer.Context) -> None:
    """Create (or verify and repair) the NPS property group and every property the connector writes."""
    from connector.commands.setup import setup_command

    rt = _runtime(ctx)
    typer.echo(setup_command(rt.client(), rt.settings.properties, rt.log))


@app.command(cls=_Command)
def check(ctx: typer.Context) -> None:
    """Check config, token, every scope (write scopes too) and the properties; exit 0 only if all is well."""
    from connector.commands.check import run_checks

    rows, code = run_checks(ctx.obj.get("config") if ctx.obj else None)
    table = Table(title="nps-connector check")
    for col in ("check", "status", "detail"):
        table.add_column(col, overflow="fold")  # wrap long paths and URLs; never cut them with "…"
    for name, good, detail in rows:
        status = "[yellow]WARN[/yellow]" if good is None else "[green]ok[/green]" if good else "[red]FAIL[/red]"
        table.add_row(name, status, detail)
    Console().print(table)
    raise typer.Exit(code)


def _run(
    ctx: typer.Context,
    mode: Mode,
    as_of: str | None,
    dry_run: bool,
    since: str | None,
    until: str | None,
    *,
    allow_future: bool = False,
    stop: StopSignal | None = None,
) -> int:
    from connector.commands.runtime import check_as_of, check_range, parse_as_of, parse_date_option
    from connector.commands.sync import run_once

    # Options first: a bad option is exit 2 before the config is even read.
    moment = parse_as_of(as_of)
    start, end = parse_date_option("--since", since), parse_date_option("--until", until)
    check_range(start, end)
    rt = _runtime(ctx)
    simulated = not dry_run and allow_future and moment > datetime.now(UTC)
    check_as_of(moment, writes=not dry_run and not simulated, window_days=rt.settings.scoring.window_days)
    if simulated:
        rt.log.warning("run.future_as_of", as_of=moment.isoformat(), detail="--allow-future-as-of: a simulation")
    return run_once(rt, mode, moment, dry_run=dry_run, since=start, until=end, stop=stop)


def _stoppable(fn: Callable[[StopSignal], int]) -> int:
    from connector.commands.stop import StopSignal

    with StopSignal().installed() as stop:
        return fn(stop)


@app.command(cls=_Command)
def sync(
    ctx: typer.Context, dry_run: DryRun = False, as_of: AsOf = None, allow_future_as_of: AllowFuture = False
) -> None:
    """Incremental run: pull new answers, rescore, write changed values (the scheduled job)."""
    code = _stoppable(
        lambda stop: _run(ctx, "sync", as_of, dry_run, None, None, allow_future=allow_future_as_of, stop=stop)
    )
    raise typer.Exit(code)


@app.command(cls=_Command)
def backfill(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(metavar="WHEN", help=f"Re-pull answers submitted at or after this time ({WHEN}).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="WHEN", help="... and before this time (same format; after --since).")
    ] = None,
    dry_run: DryRun = False,
    as_of: AsOf = None,
    allow_future_as_of: AllowFuture = False,
) -> None:
    """Re-pull answers, recompute everything, repair drifted values in HubSpot."""
    code = _stoppable(
        lambda stop: _run(ctx, "backfill", as_of, dry_run, since, until, allow_future=allow_future_as_of, stop=stop)
    )
    raise typer.Exit(code)


@app.command(cls=_Command)
def report(
    ctx: typer.Context,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="table, csv, json, or html: one self-contained page with every view (needs --output).",
        ),
    ] = "table",
    output: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write to this file instead of stdout (its folder must exist).")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="WHEN", help=f"Fix 'now' ({WHEN}).")] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", metavar="PROPERTY", help="Segment by this company property (its value now, from HubSpot)."
        ),
    ] = None,
    trend: Annotated[bool, typer.Option("--trend", help="The monthly series of the rolling-window NPS.")] = False,
    closed_loop: Annotated[
        bool, typer.Option("--closed-loop", help="Detractor follow-ups: completed, on time, median time, overdue.")
    ] = False,
) -> None:
    """Per-company scores from the ledger; or segments, the monthly trend and closed-loop figures; or an HTML page."""
    from connector.commands.report import Views, check_format, check_output, check_views, write_insights, write_report
    from connector.commands.runtime import check_as_of, parse_as_of

    views = Views.for_format(fmt, by=by, trend=trend, closed_loop=closed_loop)
    check_format(fmt, output)
    check_views(views, fmt)
    check_output(output)
    moment = parse_as_of(as_of)
    rt = _runtime(ctx)
    check_as_of(moment, writes=False, window_days=rt.settings.scoring.window_days)
    with rt.ledger() as ledger:
        if views.any:
            write_insights(ledger, rt.settings, fmt, output, moment, views, rt.client)
        else:
            write_report(ledger, rt.settings, fmt, output, moment)


@app.command(cls=_Command)
def run(
    ctx: typer.Context,
    every: Annotated[str | None, typer.Option(metavar="DURATION", help="Sync every DURATION (e.g. 15m).")] = None,
    cron: Annotated[
        str | None, typer.Option(metavar="EXPR", help="Sync on a cron schedule (UTC), e.g. '*/15 * * * *'.")
    ] = None,
    max_runs: Annotated[int, typer.Option(help="Stop after this many runs (0: run forever).")] = 0,
) -> None:
    """Stay up and sync on a schedule (for plain `docker run`); SIGTERM stops it gracefully."""
    from croniter import croniter

    from connector.commands.runtime import parse_duration

    if bool(every) == bool(cron):
        raise ConfigError("give exactly one of --every or --cron")
    if cron and not croniter.is_valid(cron):
        raise ConfigError(f"--cron: {cron!r} is not a valid cron expression")
    interval = parse_duration(every) if every else None

    def loop(stop: StopSignal) -> int:
        runs = 0
        while True:
            started = datetime.now(UTC)
            try:
                code = _run(ctx, "sync", None, False, None, None, stop=stop)
            except Interrupted:
                raise
            except ConnectorError as exc:
                if exc.exit_code in (2, 3):
                    raise  # configuration and credentials do not heal by waiting
                typer.echo(f"error: {' '.join(logs.redact_text(str(exc)).split())}", err=True)
                code = exc.exit_code
            runs += 1
            if max_runs and runs >= max_runs:
                return code
            now = datetime.now(UTC)
            wake = started + interval if interval is not None else croniter(cron or "", now).get_next(datetime)
            typer.echo(f"run: last sync exited {code}; next at {wake.isoformat()}")
            try:
                stop.sleep(max(0.0, (wake - datetime.now(UTC)).total_seconds()))
            except Interrupted as exc:
                logs.get_logger("connector").warning(
                    "run.interrupted", signal=exc.signal_number, exit_code=exc.exit_code, runs=runs, between_runs=True
                )
                raise

    raise typer.Exit(_stoppable(loop))


@app.command(cls=_Command)
def demo(
    size: Annotated[int, typer.Option(help="Answers in the generated portal.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the generated portal.")] = 7,
    workdir: Annotated[Path | None, typer.Option(metavar="DIR", help="Keep the demo config and ledger here.")] = None,
) -> None:
    """Sandbox with a generated portal + setup + backfill + report, all in one (and the HTML report)."""
    from connector.commands.demo import run_demo

    raise typer.Exit(run_demo(size, seed, workdir))


@app.command(cls=_Command)
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
