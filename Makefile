# Conveyor developer workflow. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every package with a pyproject.toml under services/ or clients/ joins automatically.
SERVICES := $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml))
CLIENTS := $(patsubst %/pyproject.toml,%,$(wildcard clients/*/pyproject.toml))
PYPROJECTS := $(wildcard shared/*/pyproject.toml) $(wildcard services/*/pyproject.toml) \
	$(wildcard clients/*/pyproject.toml)
STAMP := $(VENV)/.conveyor-installed

# Local data for make run / admin / migrate (tests make their own temporary directories).
VAR_DIR ?= $(CURDIR)/var
# Suites make test runs side by side (infra/scripts/run_tests.py --jobs).
TEST_JOBS ?= 2
run admin migrate status restart: export VAR_DIR := $(abspath $(VAR_DIR))

.PHONY: help install run test lint format typecheck admin migrate bench soak supervisor-config status restart graphql-schema clean distclean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(STAMP) ## Create .venv and install the shared packages, every service and client, the dev tools

# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (CI machines), every process the
# tests start would otherwise compile its imports again (~1.5 s each).
$(STAMP): $(PYPROJECTS) infra/requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode \
		$$($(BIN)/python infra/scripts/local_deps.py --all) -r infra/requirements-dev.txt
	@touch $@

run: install ## Run everything at http://127.0.0.1:8080 (Ctrl-C stops it)
	$(BIN)/python infra/scripts/run_local.py

test: install ## Run the shared packages', each service's and client's, and the top-level tests
	$(BIN)/python infra/scripts/run_tests.py --jobs $(TEST_JOBS)

lint: install ## ruff check and ruff format --check; the dashboard's eslint and tsc
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python infra/scripts/dashboard.py lint

format: install ## Fix what ruff can fix and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install ## mypy, one package at a time
	@status=0; for dir in $(wildcard shared/*/src) $(addsuffix /src,$(SERVICES) $(CLIENTS)) infra/scripts infra/docker tests bench; do \
		echo "mypy $$dir"; $(BIN)/mypy --config-file mypy.ini $$dir || status=1; done; exit $$status

migrate: install ## Apply the migrations of every installed package that ships them (local databases)
	$(BIN)/python -m conveyor_core.migrate

admin: install ## Make an admin: make admin USERNAME=… EMAIL=… PASSWORD=…
	@$(BIN)/python infra/scripts/admin.py "$(USERNAME)" "$(EMAIL)" "$(PASSWORD)"

bench: install ## Conveyor vs RQ, Celery, BullMQ (bench/README.md); writes var/reports/bench.md
	$(BIN)/uv pip freeze --python $(BIN)/python --exclude-editable > $(VENV)/.bench-pins.txt
	$(BIN)/uv pip install --python $(BIN)/python --quiet -c $(VENV)/.bench-pins.txt \
		-r bench/requirements.txt
	$(BIN)/python -m bench
	$(BIN)/python -m bench.logging_cost  # INFO vs WARNING on (a) and (b): var/reports/logging-cost.json

soak: install ## Fault, load and security suites at full size (tests/soak, tests/security); writes var/reports/soak.md
	cd tests && SOAK_SCALE=full SOAK_REPORT_DIR=$(CURDIR)/var/reports \
		../$(BIN)/python -m pytest -q -p no:cacheprovider soak security

supervisor-config: install ## Print the supervisord config make run would use now
	@$(BIN)/python infra/scripts/supervisor_conf.py

status: ## The local stack's processes (while make run is going)
	@$(BIN)/supervisorctl -c $(VAR_DIR)/run/supervisord.conf status

restart: ## Restart one process of the local stack: make restart NAME=worker-1
	@$(BIN)/supervisorctl -c $(VAR_DIR)/run/supervisord.conf restart "$(NAME)"

graphql-schema: install ## Write the graph API's schema (SDL) to docs/schema.graphql

clean: ## Remove local run data (var/) and caches
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv
	rm -rf $(VENV)
