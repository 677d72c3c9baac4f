"""The commands: the Typer app, its single error -> exit-code mapping, and what each command wires.

cli.py      the Typer app (`nps-connector`), options, the error -> exit code mapping
runtime.py  settings, logging, the HubSpot client and the ledger, built from the configuration
setup.py    `setup` and the property part of `check`
check.py    `check`: config, token, scopes, properties
report.py   `report`: per-company scores from the ledger
demo.py     `demo`: a sandbox with a generated portal, then setup, backfill and report
"""
