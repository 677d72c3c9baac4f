# One set of commands for developers and CI.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint imports typecheck unit demo bench clean hadolint

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check connector tests benchmarks scripts
	$(BIN)/ruff format --check connector tests benchmarks scripts

imports: $(STAMP)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy connector

hadolint: $(STAMP)
	$(BIN)/hadolint Dockerfile

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint imports typecheck hadolint unit

demo: $(STAMP)
	$(BIN)/nps-connector demo

bench: $(STAMP)
	$(BIN)/python benchmarks/scoring_bench.py
	$(BIN)/python benchmarks/sync_bench.py --sizes 1000,10000 --rate 190
	$(BIN)/python benchmarks/sync_bench.py --sizes 10000 --rate 100 --json benchmarks/results/sync-100.json
	$(BIN)/python benchmarks/sync_bench.py --sizes 100000 --rate 190 --json benchmarks/results/sync-100k.json
	$(BIN)/python benchmarks/sandbox_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
