# One set of commands for people and CI. Every target sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv schemas check-schemas diff-schemas schema-report test lint clean

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

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
