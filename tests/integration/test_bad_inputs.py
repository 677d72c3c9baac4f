"""The bad-input catalogue: every command against every way an admin can get the set-up wrong.

Each case runs each command it concerns through the real CLI and asserts the documented exit
code, a message naming the cause, no traceback, and the access token in no output. The README's
Troubleshooting table has one row per case. A few cases also run as a real subprocess (the
read-only ledger needs another user), and an unexpected exception is reported as a bug.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connector.commands.cli import app
from connector.ledger import Ledger
from connector.sandbox.demo import generate_portal
from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import build_sdk
from tests.integration.conftest import SECRET
from tests.integration.test_sync_e2e import AS_OF

PORTAL = generate_portal(120, seed=5, now=AS_OF)
ADMIN = "admin-token-with-every-scope"
WHEN = AS_OF.isoformat()

# Every command, as an admin would type it (`run` once, so the test ends).
COMMANDS: dict[str, tuple[str, ...]] = {
    "setup": ("setup",),
    "check": ("check",),
    "sync": ("sync", "--as-of", WHEN),
    "backfill": ("backfill", "--as-of", WHEN),
    "dry-run": ("sync", "--dry-run", "--as-of", WHEN),
    "report": ("report", "--as-of", WHEN),
    "run": ("run", "--every", "1s", "--max-runs", "1"),
}
ALL_SCOPES_BUT_COMPANIES_WRITE = [
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.feedback_submissions.read",
    "crm.objects.owners.read",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
    "crm.schemas.companies.read",
    "crm.schemas.companies.write",
]


def compact(text: str) -> str:
    """Text without whitespace and box-drawing characters, so a message wrapped in `check`'s table still matches."""
    return re.sub(r"[\s\u2500-\u257f]", "", text)


@dataclass
class World:
    """One case's workspace: a temp folder, sandboxes, a config file and the environment for the CLI."""

    tmp: Path
    make_sandbox: Callable[..., SandboxHTTPServer]
    env: dict[str, str] = field(default_factory=dict)
    config: Path | None = None
    hold_lock: bool = False

    @property
    def ledger(self) -> Path:
        return self.tmp / "ledger.sqlite"

    def sandbox(self, fixture: dict[str, Any] | None = None, **options: Any) -> SandboxHTTPServer:
        options.setdefault("token", SECRET)
        return self.make_sandbox(dict(fixture or PORTAL), **options)

    def write_config(self, base_url: str, token_line: str | None = None, extra: str = "") -> Path:
        token = token_line if token_line is not None else f'access_token = "{SECRET}"'
        self.config = self.tmp / "nps-connector.toml"
        self.config.write_text(
            f'[hubspot]\nbase_url = "{base_url}"\n{token}\nmax_retries = 0\n[ledger]\npath = "{self.ledger}"\n{extra}',
            encoding="utf-8",
        )
        return self.config

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Any:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
        config = ["--config", str(self.config)] if self.config else []
        return CliRunner().invoke(app, [*config, *args], env={**clean, **self.env, **(env or {})})

    def set_up(self, token: str = SECRET) -> None:
        result = self.cli("setup", env={"NPS_HUBSPOT__ACCESS_TOKEN": token})
        assert result.exit_code == 0, result.output


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, what each command must exit with, what the message must name."""

    name: str
    prepare: Callable[[World], None]
    codes: dict[str, int]  # command (a key of COMMANDS) -> exit code
    names: tuple[str, ...]  # each appears in the output of every failing command
    extra_args: dict[str, tuple[str, ...]] = field(default_factory=dict)  # replaces COMMANDS[command]


def _token_file(world: World, content: str) -> None:
    token = world.tmp / "hubspot-token"
    token.write_text(content, encoding="utf-8")
    world.write_config(world.sandbox().url, f'access_token_file = "{token}"')


def _https_to_http(world: World) -> None:
    url = world.sandbox().url.replace("http://", "https://")
    world.write_config(url)


def _no_setup(world: World) -> None:
    world.write_config(world.sandbox().url)


def _wrong_type(world: World) -> None:
    server = world.sandbox()
    world.write_config(server.url)
    # nps_score exists as text (an admin made it, or changed it: HubSpot cannot change a type in place).
    build_sdk(server.url, token=SECRET).crm.properties.core_api.create(
        "contacts",
        property_create={
            "name": "nps_score",
            "label": "NPS",
            "type": "string",
            "fieldType": "text",
            "groupName": "contactinformation",
        },
    )
    assert world.cli("setup").exit_code == 2  # creates the other 14, refuses to touch this one


def _both_token_sources(world: World) -> None:
    _token_file(world, SECRET)
    world.env["NPS_HUBSPOT__ACCESS_TOKEN"] = SECRET


def _missing_write_scope(world: World) -> None:
    fixture = dict(PORTAL, tokens=[{"token": SECRET, "scopes": ALL_SCOPES_BUT_COMPANIES_WRITE}])
    server = world.sandbox(fixture, token=ADMIN)
    world.write_config(server.url)
    world.set_up(token=ADMIN)


def _rejected_token(world: World) -> None:
    world.write_config(world.sandbox(token="the-right-token").url)


def _unreachable(world: World) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    world.write_config(f"http://127.0.0.1:{port}")


def _damaged_ledger(world: World) -> None:
    world.write_config(world.sandbox().url, extra="[followup]\nenabled = false\n")
    world.set_up()
    assert world.cli(*COMMANDS["backfill"]).exit_code == 0
    damage_ledger(world.ledger)


def damage_ledger(path: Path) -> None:
    """Overwrite the root page of the answers table: one damaged page, as a failing disk leaves it."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'answers'").fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(b"\xde\xad\xbe\xef" * (size // 4))


def _config(text: str) -> Callable[[World], None]:
    def prepare(world: World) -> None:
        world.write_config(world.sandbox().url, extra=text)

    return prepare


def _base_url(url: str) -> Callable[[World], None]:
    def prepare(world: World) -> None:
        world.write_config(url)

    return prepare


def _env(**env: str) -> Callable[[World], None]:
    def prepare(world: World) -> None:
        world.write_config(world.sandbox().url, token_line="")
        world.env.update(env)

    return prepare


def _set_up_portal(world: World) -> None:
    world.write_config(world.sandbox().url)
    world.set_up()


def _lock_held(world: World) -> None:
    _set_up_portal(world)
    world.hold_lock = True


def _missing_config(world: World) -> None:
    world.config = world.tmp / "no-such-config.toml"


EVERY = ("setup", "check", "sync", "backfill", "dry-run", "report", "run")
TIME = ("sync", "backfill", "dry-run", "report")


def _all(code: int, *, but: dict[str, int] | None = None, only: tuple[str, ...] = EVERY) -> dict[str, int]:
    return {command: (but or {}).get(command, code) for command in only}


CATALOGUE = [
    Case(
        "token file with two lines",
        lambda w: _token_file(w, f"{SECRET}\n{SECRET}-second-line\n"),
        _all(2),
        ("hubspot.access_token_file", "hubspot-token", "several lines"),
    ),
    Case(
        "token variable with a space",
        _env(NPS_HUBSPOT__ACCESS_TOKEN=f"{SECRET} {SECRET}"),
        _all(2),
        ("NPS_HUBSPOT__ACCESS_TOKEN", "spaces"),
    ),
    Case(
        "token file with a control character",
        lambda w: _token_file(w, f"{SECRET}\x07"),
        _all(2),
        ("hubspot-token", "control"),
    ),
    Case(
        "token and token file both given",
        _both_token_sources,
        _all(2),
        ("access_token", "not both"),
    ),
    Case(
        "https:// base URL on a plain-HTTP server",
        _https_to_http,
        _all(2, but={"report": 0}),
        ("TLS", "write http://"),
    ),
    Case("base URL with a non-numeric port", _base_url("http://127.0.0.1:abc"), _all(2), ("hubspot.base_url", "'abc'")),
    Case("base URL with an out-of-range port", _base_url("http://127.0.0.1:99999"), _all(2), ("'99999'", "65535")),
    Case(
        "README quick-start config pasted with the literal PORT",
        _base_url("http://127.0.0.1:PORT"),
        _all(2),
        ("hubspot.base_url", "replace PORT"),
    ),
    Case("base URL without http(s)://", _base_url("api.hubapi.com"), _all(2), ("hubspot.base_url", "http://")),
    Case("config file not found", _missing_config, _all(2), ("no-such-config.toml", "not found")),
    Case(
        "misspelt config key", _config("[scoring]\nwindow_day = 30\n"), _all(2), ("did you mean scoring.window_days",)
    ),
    Case(
        "setup never ran",
        _no_setup,
        _all(2, but={"dry-run": 0, "report": 0}, only=("check", "sync", "backfill", "dry-run", "report", "run")),
        ("missing", "nps-connector setup"),
    ),
    Case(
        "a property whose type an admin changed",
        _wrong_type,
        _all(2, but={"dry-run": 0, "report": 0}),
        ("nps_score", "'string'"),
    ),
    Case(
        "token without crm.objects.companies.write",
        _missing_write_scope,
        _all(3, but={"setup": 0, "dry-run": 0, "report": 0}),
        ("crm.objects.companies.write",),
    ),
    Case(
        "token rejected by HubSpot (401)",
        _rejected_token,
        _all(3, but={"report": 0}),
        ("401",),
    ),
    Case(
        "HubSpot unreachable",
        _unreachable,
        _all(5, but={"report": 0}),
        ("Connection refused",),
    ),
    Case(
        "another run holds the lock",
        _lock_held,
        {"sync": 4, "backfill": 4, "run": 4},
        ("another run holds the lock",),
    ),
    Case(
        "ledger with a damaged page",
        _damaged_ledger,
        {"sync": 2, "backfill": 2, "dry-run": 2, "report": 2, "run": 2},
        ("is damaged", "restore it from a backup", "rebuilds it from HubSpot without duplicating tasks"),
    ),
    Case(
        "report --output into a missing folder",
        _set_up_portal,
        {"report": 2},
        ("/no/such/dir", "does not exist"),
        {"report": ("report", "--output", "/no/such/dir/x.csv")},
    ),
    Case(
        "report --format unknown",
        _set_up_portal,
        {"report": 2},
        ("--format", "'xml'"),
        {"report": ("report", "--format", "xml")},
    ),
    Case(
        "--as-of 0001-01-01",
        _set_up_portal,
        _all(2, only=TIME),
        ("--as-of", "0001-01-01", "years 1-9999"),
        {c: (*COMMANDS[c][:-1], "0001-01-01") for c in TIME},
    ),
    Case(
        "--as-of before 1970 on a writing run",
        _set_up_portal,
        _all(2, but={"dry-run": 0, "report": 0}, only=TIME),
        ("--as-of", "before 1970"),
        {c: (*COMMANDS[c][:-1], "1969-12-31") for c in TIME},
    ),
    Case(
        "--as-of in the future on a writing run",
        _set_up_portal,
        _all(2, but={"dry-run": 0, "report": 0}, only=TIME),
        ("--as-of", "in the future", "--dry-run"),
        {c: (*COMMANDS[c][:-1], "2099-01-01") for c in TIME},
    ),
    Case(
        'empty --as-of ""',
        _set_up_portal,
        _all(2, only=TIME),
        ("--as-of", "empty value"),
        {c: (*COMMANDS[c][:-1], "") for c in TIME},
    ),
    Case(
        "--as-of that is not a date",
        _set_up_portal,
        _all(2, only=TIME),
        ("--as-of", "'yesterday'", "YYYY-MM-DD"),
        {c: (*COMMANDS[c][:-1], "yesterday") for c in TIME},
    ),
    Case(
        "backfill --since after --until",
        _set_up_portal,
        {"backfill": 2, "dry-run": 2},
        ("--since", "is not before --until"),
        {
            "backfill": ("backfill", "--since", "2026-06-01", "--until", "2026-01-01", "--as-of", WHEN),
            "dry-run": ("backfill", "--dry-run", "--since", "2026-06-01", "--until", "2026-01-01"),
        },
    ),
    Case(
        "backfill --since empty",
        _set_up_portal,
        {"backfill": 2},
        ("--since", "empty value"),
        {"backfill": ("backfill", "--since", "", "--as-of", WHEN)},
    ),
    Case(
        "run with both --every and --cron",
        _set_up_portal,
        {"run": 2},
        ("exactly one of --every or --cron",),
        {"run": ("run", "--every", "15m", "--cron", "*/15 * * * *")},
    ),
    Case(
        "run --every without a unit",
        _set_up_portal,
        {"run": 2},
        ("--every", "'15'", "15m"),
        {"run": ("run", "--every", "15")},
    ),
]


def _outputs(result: Any) -> str:
    return str(result.output)  # stdout and stderr, interleaved as on a terminal


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.name for c in CATALOGUE])
def test_every_command_meets_the_bad_input_with_one_line_and_its_exit_code(
    case: Case, make_sandbox: Callable[..., SandboxHTTPServer], tmp_path: Path
) -> None:
    """Exit code as documented, a message naming the cause, no traceback, no token anywhere."""
    world = World(tmp_path, make_sandbox)
    case.prepare(world)
    with contextlib.ExitStack() as stack:
        if world.hold_lock:
            stack.enter_context(Ledger(world.ledger).lock())
        for command, code in case.codes.items():
            args = case.extra_args.get(command, COMMANDS[command])
            result = world.cli(*args)
            text = _outputs(result)
            assert result.exit_code == code, (command, text)
            assert result.exception is None or isinstance(result.exception, SystemExit), (command, result.exception)
            assert "Traceback" not in text, (command, text)
            assert SECRET not in text, (command, "the token leaked")
            if code:
                for name in case.names:
                    assert compact(name) in compact(text), (command, name, text)
                if command != "check":  # check's answer is its table; the others give one error line
                    errors = [line for line in text.splitlines() if line.startswith("error:")]
                    assert len(errors) == 1, (command, text)


# ---------------------------------------------------------------- the same, as a real process


def _subprocess(
    config: Path, *args: str, preexec: Callable[[], None] | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
    return subprocess.run(
        [sys.executable, "-m", "connector", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=120,
        check=False,
        preexec_fn=preexec,
        cwd=config.parent,
    )


def _clean(result: subprocess.CompletedProcess[str], code: int, *names: str) -> None:
    text = result.stdout + result.stderr
    assert result.returncode == code, text
    assert "Traceback" not in text
    assert SECRET not in text
    for name in names:
        assert compact(name) in compact(text), (name, text)


class TestAsARealProcess:
    def test_two_line_token_file_never_prints_the_token(
        self, make_sandbox: Callable[..., SandboxHTTPServer], tmp_path: Path
    ) -> None:
        """The case that printed `Invalid header value b'Bearer tok\\ntok2'`: now one line naming the file."""
        world = World(tmp_path, make_sandbox)
        _token_file(world, f"{SECRET}\n{SECRET}2\n")
        assert world.config is not None
        result = _subprocess(world.config, "sync")
        _clean(result, 2, "hubspot-token", "several lines")
        assert len(result.stderr.strip().splitlines()) == 1

    def test_https_to_plain_http_and_damaged_ledger(
        self, make_sandbox: Callable[..., SandboxHTTPServer], tmp_path: Path
    ) -> None:
        """The AttributeError and DatabaseError tracebacks are one line each in a real process too."""
        world = World(tmp_path, make_sandbox)
        _https_to_http(world)
        assert world.config is not None
        _clean(_subprocess(world.config, "check"), 2, "TLS", "http://")
        _damaged_ledger(world)
        _clean(_subprocess(world.config, "sync", "--as-of", WHEN), 2, "is damaged", "restore it from a backup")

    def test_read_only_ledger_exits_2_naming_the_file(
        self, make_sandbox: Callable[..., SandboxHTTPServer], tmp_path: Path
    ) -> None:
        """A ledger the connector's user cannot write: exit 2 naming it; `report` still reads it."""
        world = World(tmp_path, make_sandbox)
        world.write_config(world.sandbox().url, extra="[followup]\nenabled = false\n")
        world.set_up()
        assert world.cli(*COMMANDS["backfill"]).exit_code == 0
        assert world.config is not None
        world.ledger.chmod(0o444)
        try:
            sync = _subprocess(world.config, "sync", "--as-of", WHEN, preexec=_without_root_override)
            _clean(sync, 2, "not writable", str(world.ledger))
            _clean(_subprocess(world.config, "report", "--as-of", WHEN, preexec=_without_root_override), 0)
        finally:
            world.ledger.chmod(0o644)


def _without_root_override() -> None:
    """In the child: root without CAP_DAC_OVERRIDE obeys file modes, as the container's user does."""
    if os.geteuid() != 0:
        return  # an ordinary user obeys them anyway
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone for the program exec'd next
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


# ---------------------------------------------------------------- what the connector does not know


class TestUnexpectedErrors:
    def test_an_unknown_exception_is_one_line_asking_for_a_report(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A bug shows its class, a short message and "please report"; --debug adds the traceback."""
        import connector.commands.report as report

        def broken(*_args: Any, **_kwargs: Any) -> Any:
            raise ZeroDivisionError(f"division by zero near {SECRET}")

        monkeypatch.setattr(report, "company_rows", broken)
        config = tmp_path / "c.toml"
        config.write_text(
            f'[hubspot]\naccess_token = "{SECRET}"\n[ledger]\npath = "{tmp_path / "l.sqlite"}"\n', encoding="utf-8"
        )
        runner = CliRunner()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
        quiet = runner.invoke(app, ["--config", str(config), "report", "--format", "csv"], env=clean)
        assert quiet.exit_code == 1
        assert "Traceback" not in quiet.output
        line = next(line for line in quiet.output.splitlines() if line.startswith("error:"))
        assert "unexpected ZeroDivisionError" in line
        assert "please report" in line
        assert "--debug" in line
        loud = runner.invoke(app, ["--config", str(config), "--debug", "report", "--format", "csv"], env=clean)
        assert loud.exit_code == 1
        assert "Traceback" in loud.output
        assert "ZeroDivisionError" in loud.output
        assert SECRET not in quiet.output + loud.output  # redacted even in the traceback
        # log.level = "debug" asks for the traceback too
        config.write_text(config.read_text(encoding="utf-8") + '[log]\nlevel = "debug"\n', encoding="utf-8")
        logged = runner.invoke(app, ["--config", str(config), "report", "--format", "csv"], env=clean)
        assert logged.exit_code == 1
        assert "Traceback" in logged.output
        assert SECRET not in logged.output
