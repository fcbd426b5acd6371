# Xinfang — the single entry point. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
PY := $(VENV)/bin/python
UV ?= python3 -m uv
PG_URL ?= postgres://postgres@127.0.0.1:5432/xinfang
PYTEST_ARGS ?=

.PHONY: help setup run worker seed test lint typecheck test-sqlite test-postgres test-browser-deps bench-intake bench-workbench bench-triage bench-board bench-analytics messages clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(VENV)/.synced: pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || { echo "» installing uv (package manager)"; \
	  python3 -m pip install --quiet --disable-pip-version-check uv; }
	@echo "» creating the virtual environment in $(VENV)/"
	$(UV) sync --frozen --python python3.11
	@touch $@

setup: $(VENV)/.synced ## Create .venv, migrate the database, collect static files
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py calendar_load
	@echo "» set-up done (database: $${DATABASE_URL:-SQLite under ./var/})"

seed: setup ## Seed the Hunan demo (regions, units, accounts, petitions)
	$(PY) manage.py seed_demo

run: seed ## Set up, seed the demo and start web server + worker on $(HOST):$(PORT)
	HOST=$(HOST) PORT=$(PORT) bin/run

worker: setup ## Start the background worker (with the periodic scheduler) alone
	$(PY) manage.py run_worker --queue-name '*'

lint: $(VENV)/.synced ## ruff lint + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.synced ## mypy
	$(VENV)/bin/mypy .

test-browser-deps: ## Install Debian's chromium, a CJK font and Dovecot (IMAP) for the tests (needs root)
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q . || [ ! -x /usr/sbin/dovecot ]; then \
	  echo "» installing chromium, a Chinese font and dovecot-imapd from Debian"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei dovecot-imapd >/dev/null) \
	    || echo "!! could not install them: browser and IMAP tests will be skipped"; \
	fi

test-sqlite: $(VENV)/.synced
	@echo "» pytest on SQLite"
	$(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

test-postgres: $(VENV)/.synced
	@echo "» pytest on PostgreSQL ($(PG_URL))"
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

test: $(VENV)/.synced test-browser-deps ## ruff, mypy, migrations check, pytest on SQLite then PostgreSQL
	$(MAKE) lint
	$(MAKE) typecheck
	$(PY) manage.py makemigrations --check --dry-run
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

bench-intake: $(VENV)/.synced ## Intake benchmark: gunicorn on PostgreSQL under concurrent load
	$(PY) bench/intake/run.py

bench-workbench: $(VENV)/.synced ## Workbench benchmark: a queue page among 1M petitions, one sweep
	$(PY) bench/workbench/run.py $(BENCH_ARGS)

bench-triage: $(VENV)/.synced ## Triage benchmark: one petition's triage in process, 1M signatures stored
	$(PY) bench/triage/run.py $(BENCH_ARGS)

bench-board: $(VENV)/.synced ## Board benchmark: list and search among 1M published petitions (PG), 100k (SQLite)
	$(PY) bench/board/run.py $(BENCH_ARGS)

bench-analytics: $(VENV)/.synced ## Analytics benchmark: province dashboard and rollup refresh with 1M petitions (PG)
	$(PY) bench/analytics/run.py $(BENCH_ARGS)

messages: $(VENV)/.synced ## Recompile the English translation catalogue
	$(PY) manage.py compile_catalogues

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var
