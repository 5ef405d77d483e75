# One set of commands for people and CI. Every target sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv schemas check-schemas diff-schemas schema-report schema-sync-push test test-fast fuzz lint hooks bench bench-peers compare-supabase clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[cli,dev]'
	touch $(STAMP)

schemas: $(STAMP)
	$(BIN)/sync-schema generate

check-schemas: $(STAMP)
	$(BIN)/sync-schema check

diff-schemas: $(STAMP)
	$(BIN)/sync-schema diff

schema-report: $(STAMP)
	$(BIN)/sync-schema report

# Every lane: tests/unit (no server), tests/server (each server found), tests/e2e (the default
# one), spread over one worker per core (pytest-xdist; each worker starts its own servers).
test: $(STAMP)
	$(BIN)/python -m pytest -n auto

# The unit lane alone: in-memory IRs, no server.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto tests/unit

# The property-based hostile-schema test with 1000 fresh random examples per server (make test
# runs the same 200 every time).
fuzz: $(STAMP)
	SYNC_SCHEMA_FUZZ_EXAMPLES=1000 SYNC_SCHEMA_FUZZ_RANDOM=1 $(BIN)/python -m pytest tests/server/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check generator tests examples scripts
	$(BIN)/ruff format --check generator tests examples scripts
	$(BIN)/mypy
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(wildcard .github/workflows/*.yml)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/zizmor --offline --min-severity medium .github/workflows action.yml

# Install scripts/pre-commit-hook.sh as this clone's git pre-commit hook.
hooks: $(STAMP)
	hooks_dir=$$(git rev-parse --git-path hooks) && mkdir -p "$$hooks_dir" && \
	  cp scripts/pre-commit-hook.sh "$$hooks_dir/pre-commit" && chmod +x "$$hooks_dir/pre-commit"

# The schema-sync bot (.github/workflows/schema-sync.yml): regenerate schemas/, commit it on
# $(SYNC_BRANCH), recreated from the current branch, and force-push that branch.
SYNC_BRANCH ?= bot/schema-sync

schema-sync-push: $(STAMP)
	git switch -C $(SYNC_BRANCH)
	$(BIN)/sync-schema update --commit
	git push --force origin $(SYNC_BRANCH)

# Measurements, not tests: big schemas on the embedded server (see tests/benchmarks/).
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.run --sizes big10,big1000,big5000 --runs 5 --json bench-results.json
	$(BIN)/python -m tests.benchmarks.fastcheck --runs 5

# sync-schema's generate and check against sqlacodegen, supabase-pydantic and postgres-meta (each
# installed on first use: the first two into venvs under .venv/peers/, postgres-meta with npm into
# .cache/postgres-meta/) on example, Pagila ($(PAGILA_DIR), skipped when absent) and big1000.
bench-peers: $(STAMP)
	PAGILA_DIR=$(PAGILA_DIR) $(BIN)/python -m tests.benchmarks.peers --runs 5 --json bench-peers.json

# sync-schema against `supabase gen types --lang=python` (@supabase/postgres-meta, installed with
# npm into .cache/postgres-meta/) on the example database, Pagila ($(PAGILA_DIR)) and big1000.
PAGILA_DIR ?= .cache/pagila

compare-supabase: $(STAMP)
	PAGILA_DIR=$(PAGILA_DIR) $(BIN)/python -m tests.benchmarks.compare_supabase --runs 5 --json compare-supabase.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
