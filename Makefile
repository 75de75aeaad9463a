# The README's commands. Each target creates/updates the virtual environment from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres dev stop lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)  ## the whole pipeline on the sample keywords, embedded default
	$(BIN)/igny8 demo

test: test-sqlite test-postgres  ## the suite on SQLite, then on the local PostgreSQL

test-sqlite: $(STAMP)
	$(BIN)/python -m pytest -q

test-postgres: $(STAMP)
	IGNY8_TEST_DB=postgresql $(BIN)/python -m pytest -q

dev: $(STAMP)  ## dev server + worker + API in the foreground
	$(BIN)/igny8 dev

stop: $(STAMP)
	$(BIN)/igny8 stop

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy contracts core models services activities workflows api cli worker.py integrations

clean:
	rm -rf $(VENV) .data
