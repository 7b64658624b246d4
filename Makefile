# Conveyor — minimal bootstrap (superseded by the full Makefile).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: help install test lint typecheck
help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: shared/pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q uv
	$(VENV)/bin/uv pip install --python $(PY) -q -e 'shared[test]' ruff mypy pytest
	touch $@

install: $(VENV)/.installed ## Create .venv and install everything

test: install ## Run the test suite
	$(VENV)/bin/pytest -q -p no:cacheprovider shared/tests

lint: install ## ruff check + format check
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: install ## mypy
	$(VENV)/bin/mypy shared/src
