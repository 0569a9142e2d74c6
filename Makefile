# Suiji: `make run` to try it, `make test` to check it, `make bench` to measure it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
DEMO_FIRMS ?= 5000
HOST ?= 127.0.0.1:8000

.PHONY: run install messages migrate demo test test-sqlite test-postgres lint chromium bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP) messages

messages: $(STAMP)
	@$(VENV)/bin/pybabel compile --statistics -d locale -D django 2>&1 | grep -v '^compiling' || true

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --no-input

demo: migrate
	$(PY) manage.py seed_demo --firms $(DEMO_FIRMS)

run: demo
	@echo "Suiji is at http://$(HOST)/ (sign in with a user printed above; Ctrl-C stops it)"
	@echo "The public portal needs no sign-in: http://$(HOST)/portal/"
	@$(PY) manage.py run_jobs > var/jobs.log 2>&1 & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(PY) manage.py runserver $(HOST)

chromium:
	@bash scripts/ensure-chromium.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

test-sqlite: install chromium
	@echo "== test suite on SQLite"
	$(PY) -m pytest

test-postgres: install chromium
	@if $(PY) scripts/pg_reachable.py "$(PG_URL)"; then \
		echo "== test suite on PostgreSQL ($(PG_URL))"; \
		DATABASE_URL="$(PG_URL)" $(PY) -m pytest; \
	else \
		echo "SKIPPED: PostgreSQL is not reachable at $(PG_URL); the PostgreSQL run of the suite was skipped."; \
	fi

test: lint test-sqlite test-postgres

bench: install
	$(PY) bench/bench_smoke.py
	@if [ -f bench/bench_engine.py ]; then $(PY) bench/bench_engine.py; fi
	$(PY) bench/bench_oversight.py

clean:
	rm -rf $(VENV) var
