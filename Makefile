# Encore: `make run` serves the embedded site, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# `make test` talks to PostgreSQL and Redis on localhost; the env overrides both.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/encore)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/1)

.PHONY: install run test lint format check migrate seed bench clean chromium wrk

# The browser tests drive Debian's Chromium; apt-get it when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# The embedded run: SQLite under var/, local-memory cache, Celery eager,
# console email, localstripe on 127.0.0.1:8420.
run: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runlocal 127.0.0.1:8000

migrate: install
	$(PY) manage.py migrate --noinput

seed: install
	$(PY) manage.py seed_demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: install
	DJANGO_SETTINGS_MODULE=marketplace.settings.test DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) manage.py check
	@# Comparing models with migrations needs no database server.
	DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run

chromium:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: lint check chromium
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# The benchmark loads the site with Debian's wrk; apt-get it when it is missing.
wrk:
	@command -v wrk >/dev/null || { echo "Installing Debian's wrk for the benchmark"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }

# The benchmark on its own PostgreSQL database (encore_bench) and Redis
# databases 2 and 3; figures written to bench/results/ (see bench/run.py).
bench: install wrk
	$(PY) bench/run.py
