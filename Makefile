# wikiscore — two commands on a fresh Debian 12 machine, as root:
#   make run    set everything up, start the demo wiki and the service on http://127.0.0.1:8000
#   make test   set everything up and run the whole test suite (lint, types, tests)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint typecheck pytest clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/install-system.sh
	sh scripts/install-system.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps ores==1.4.0  # ORES client for compatibility tests
	touch $(STAMP)

run: setup
	$(BIN)/wikiscore serve --demo

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy src/wikiscore

pytest: setup
	$(BIN)/pytest

test: setup lint typecheck pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

.PHONY: cards
cards: setup  # regenerate docs/models: every model card and fairness audit (needs ../shared/data)
	$(BIN)/wikiscore cards --out docs/models
