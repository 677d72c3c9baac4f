"""The commands: the Typer app, its single error -> exit-code mapping, and what each command wires.

cli.py        the Typer app (`nps-connector`), options, the one error boundary (error -> exit code)
runtime.py    settings, logging, the HubSpot client and the ledger; the --as-of/--since/--until guards
setup.py      `setup` (create and repair) and the property comparison of `check` and the preflight
preflight.py  before the first write: token, every scope the run needs, the properties
stop.py       SIGTERM/SIGINT: stop at the next safe point (exit 143/130)
sync.py       `sync` and `backfill`: one run of the pipeline, its preflight and summary
check.py      `check`: config, token, scopes (write scopes too), properties
report.py     `report`: per-company scores from the ledger
demo.py       `demo`: a sandbox with a generated portal, then setup, backfill and report
"""
