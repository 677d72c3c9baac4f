"""`python -m connector` runs the CLI."""

from connector.commands.cli import main

main()
