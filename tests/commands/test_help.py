"""`--help` says what each option takes: flags show no value, dates show their format."""

from __future__ import annotations

from typer.testing import CliRunner

from connector.commands.cli import app


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    return str(result.output)


def test_flags_show_no_bool_placeholder() -> None:
    """`--dry-run <bool>` read as if the flag took a value; no command shows `<bool>` any more."""
    for command in ((), ("sync",), ("backfill",), ("report",), ("run",), ("setup",), ("check",), ("sandbox",)):
        assert "<bool>" not in _help(*command), command


def test_dates_say_their_format() -> None:
    """--since, --until and --as-of name YYYY-MM-DD and ISO 8601, and that no offset means UTC."""
    text = _help("backfill")
    for option in ("--since", "--until", "--as-of"):
        assert option in text
    assert "YYYY-MM-DD" in text
    assert "ISO 8601" in text
    assert "no offset means UTC" in text
    assert "--debug" in _help()
