# The two set-up commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-all lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("themegrid needs Python 3.11 or newer; found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/themegrid code --project .
	$(BIN)/themegrid report --project .
	@echo
	@echo "The cross-state theme matrix workbook is in reports/theme_matrix.xlsx"

# The suite, after lint, format check and type check of src/ (all must be clean).
# mypy without its cache (a fresh clone) checks everything, ~20 CPU-s: then it uses every
# core; with the cache one process is quicker than starting workers.
test: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks
	$(BIN)/mypy $(if $(wildcard .mypy_cache),,--num-workers auto)
	$(BIN)/python -m pytest -n auto

test-all: $(STAMP)
	$(BIN)/python -m pytest -m ''

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests scripts benchmarks
	$(BIN)/ruff check --fix src tests scripts benchmarks

# Figures printed, never asserted: coding (generated and real corpora), report and
# workbook, import-coded at 200,000 rows in 300 files, the browser workspace's pages.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_web.py

clean:
	rm -rf $(VENV) themegrid.sqlite themegrid.sqlite-wal themegrid.sqlite-shm benchmarks/_work
