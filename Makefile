# Baqylau: `make demo` serves a simulated election at http://127.0.0.1:8000; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench setup clean lock

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/baqylau demo

test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run-tests

lock:
	scripts/lock

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run-benchmarks $(BENCH)

clean:
	rm -rf $(VENV) var .pytest_cache
