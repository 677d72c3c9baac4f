"""Command-line interface: `nps-connector COMMAND` (Typer app and exit codes)."""

from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="HubSpot NPS connector.")


@app.callback()
def _root() -> None:
    """HubSpot NPS connector."""


def main() -> None:
    """Console-script entry point."""
    app()
