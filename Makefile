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

.PHONY: run install messages migrate demo test test-sqlite test-postgres lint chromium bench bench-full clean

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
	@mkdir -p var
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

# `make bench` runs every benchmark at a scale that finishes in minutes; `make bench-full` at the
# scale of the figures in docs/BENCHMARKS.md (a million firms: about an hour on two cores).
BENCH_FIRMS ?= 100000
BENCH_ENGINE_N ?= 1000000

bench: install
	@bash scripts/ensure-wrk.sh
	$(PIP) install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(PY) bench/bench_smoke.py
	$(PY) bench/bench_engine.py --n $(BENCH_ENGINE_N) --verify-n $$(( $(BENCH_FIRMS) / 10 ))
	$(PY) bench/bench_draw.py --firms $(BENCH_FIRMS) --repeat 3
	$(PY) bench/bench_import.py --n $(BENCH_FIRMS)
	$(PY) bench/bench_import.py --n $$(( $(BENCH_FIRMS) / 5 )) --xlsx --no-reimport
	$(PY) bench/bench_directory.py --firms $(BENCH_FIRMS)
	$(PY) bench/bench_matching.py
	$(PY) bench/bench_portal.py --firms $(BENCH_FIRMS) --results $$(( $(BENCH_FIRMS) / 10 ))
	$(PY) bench/bench_oversight.py
	@if $(PY) scripts/pg_reachable.py "$(PG_URL)"; then \
		$(PY) bench/bench_draw.py --firms $(BENCH_FIRMS) --repeat 3 --postgres; \
		$(PY) bench/bench_import.py --n $(BENCH_FIRMS) --postgres; \
		$(PY) bench/bench_directory.py --firms $(BENCH_FIRMS) --postgres; \
	else echo "SKIPPED: PostgreSQL is not reachable at $(PG_URL); its benchmarks were skipped."; fi

bench-full:
	$(MAKE) bench BENCH_FIRMS=1000000 BENCH_ENGINE_N=10000000
	$(PY) bench/bench_oversight.py --full

clean:
	rm -rf $(VENV) var
