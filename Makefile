# Newsline: `make run` starts the local stack with the examples; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint unit integration schemas clean compose-check

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/duckdb --version
	touch $(STAMP)

run: setup
	$(BIN)/newsline up --demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy schemas processors/temporal processors/resolve.py processors/timeline.py processors/timeline_index.py processors/resolve_bounded.py processors/store/project.py processors/dedupe.py processors/identity.py

test: setup lint compose-check
	$(BIN)/pytest -q -p no:cacheprovider

unit: setup compose-check
	$(BIN)/pytest -q tests/unit

integration: setup
	$(BIN)/pytest -q tests/integration

compose-check:
	bash scripts/install-compose-check.sh

schemas: setup
	$(BIN)/newsline export-schemas

clean:
	rm -rf $(VENV) data
