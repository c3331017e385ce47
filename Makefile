# The way to install, run, test, lint and bench Ish CD.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= ./.ishcd

.PHONY: install run test lint typecheck unit fuzz format bench lock clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Ish CD needs Python 3.11 or newer (set PYTHON=...)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/ishcd server --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy --strict src bench tests

test: lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

unit: install
	$(BIN)/python -m pytest -q tests/unit

# A longer fuzzing session than the suite's: every operation of /v1/swagger.json,
# on SQLite and (with ISHCD_TEST_POSTGRES_URL set) PostgreSQL.
FUZZ_EXAMPLES ?= 200
fuzz: install
	ISHCD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ISHCD_FUZZ_DATABASES=sqlite,postgresql \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e/test_fuzz.py

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python -m bench

# Regenerate constraints.txt (the full pinned tree) from pyproject.toml.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	.lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^ishcd' > constraints.txt
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
