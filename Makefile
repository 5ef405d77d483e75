# One set of commands for people and CI. Every target sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv schemas check-schemas diff-schemas schema-report test lint bench bench-peers clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

schemas: $(STAMP)
	$(BIN)/sync-schema generate

check-schemas: $(STAMP)
	$(BIN)/sync-schema check

diff-schemas: $(STAMP)
	$(BIN)/sync-schema diff

schema-report: $(STAMP)
	$(BIN)/sync-schema report

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check generator tests
	$(BIN)/ruff format --check generator tests
	$(BIN)/mypy

# Measurements, not tests: big schemas on the embedded server (see tests/benchmarks/).
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run --sizes big10,big1000,big5000 --runs 5 --json bench-results.json

bench-peers: $(STAMP)
	$(BIN)/python -m tests.benchmarks.peers --runs 5 --json bench-peers.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
