# Encore: `make run` serves the embedded site, `make test` runs the whole suite,
# `make test-fast` all but its system lane.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
UV := $(VENV)/bin/uv
# The locks (README, "Dependencies"): the image installs LOCK, the venv DEV_LOCK.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
BUILD_LOCK := requirements-build.lock
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check

# `make test` talks to PostgreSQL and Redis on localhost; the env overrides both.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/encore)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/1)
# The tests run in PYTEST_WORKERS processes (pytest-xdist), each with its own
# test database, Redis databases and private folder (marketplace/settings/test.py);
# PYTEST_WORKERS=0 runs them in pytest's own process. PYTEST_ARGS adds options.
PYTEST_WORKERS ?= 2
PYTEST = DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest \
	$(if $(filter 0,$(PYTEST_WORKERS)),,--numprocesses=$(PYTEST_WORKERS))

.PHONY: install messages lock audit run test test-fast lint format check migrate seed bench clean chromium wrk

# The browser tests drive Debian's Chromium; apt-get it when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The venv holds requirements-dev.lock and nothing else: every release pinned,
# every file checked against the lock's hashes (a different file is refused).
# The build tool comes first, from its own lock, and builds what PyPI has only
# as source (no build isolation: nothing unpinned is fetched for a build).
# A lock lists every release the install needs, so pip installs exactly those
# (--no-deps) rather than resolving again: a dependency asking for another
# with an extra (pip-audit wants CacheControl[filecache]) would otherwise send
# pip's resolver to that package's newest release, refused as unpinned. pip
# check then proves the locked set complete.
define install-locks
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --require-hashes --no-deps --requirement $(BUILD_LOCK)
	$(PIP_INSTALL) --require-hashes --no-deps --no-build-isolation --requirement $(DEV_LOCK)
	$(PY) -m pip check --disable-pip-version-check
endef

# `deps.py sync` fails when pyproject.toml asks for what the locks lack, and
# uninstalls what the locks do not list.
$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK) $(BUILD_LOCK) marketplace/devtools/deps.py
	$(install-locks)
	$(PY) marketplace/devtools/deps.py sync
	@touch $(STAMP)

# The compiled catalogues (.mo, not committed) follow their .po files
# (marketplace/devtools/translations.py, docs/i18n.md).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
%.mo: %.po $(STAMP)
	$(PY) marketplace/devtools/translations.py compile

install: $(STAMP) $(MO_FILES)

# The catalogues brought up to date with the code and templates (needs GNU
# gettext's xgettext): new strings arrive untranslated in nl, de, fr and es,
# which the translation test then names; English reads its own text.
messages: install
	$(PY) marketplace/devtools/translations.py extract
	$(PY) marketplace/devtools/translations.py english
	$(PY) marketplace/devtools/translations.py compile

# uv, itself from the dev lock, resolves the locks.
$(UV):
	$(install-locks)

# pyproject.toml's ranges resolved into the three locks, for every platform and
# Python 3.11+, with every file's hash; requirements.lock takes the dev lock's
# releases. Pins are kept where the ranges still allow them: UPGRADE=all takes
# the newest release allowed of every package, UPGRADE="django stripe" of those.
UPGRADE ?=
UV_COMPILE = $(UV) pip compile --universal --python-version 3.11 --generate-hashes \
	--quiet --custom-compile-command "make lock" \
	$(if $(filter all,$(UPGRADE)),--upgrade,$(addprefix --upgrade-package=,$(UPGRADE)))

lock: $(UV)
	$(UV_COMPILE) pyproject.toml --extra dev --output-file $(DEV_LOCK)
	$(UV_COMPILE) pyproject.toml --constraint $(DEV_LOCK) --output-file $(LOCK)
	$(UV_COMPILE) --group build --output-file $(BUILD_LOCK)
	@$(MAKE) --no-print-directory install

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

# Known vulnerabilities of the locked releases (pip-audit, PyPI's data): fails
# on any; says so and passes when the data is out of reach, unless
# AUDIT_STRICT=1. AUDIT_IGNORE: the advisories judged not to apply to Encore,
# by id, each with its reason in a comment here (none today).
AUDIT_IGNORE ?=
AUDIT = AUDIT_IGNORE="$(AUDIT_IGNORE)" $(PY) marketplace/devtools/deps.py audit

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(AUDIT)

audit: install
	$(AUDIT)

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

# The two lanes (README, "Tests"): `make test` (and CI) runs every test;
# `make test-fast` leaves out the system lane (-m "not system": the tests that
# start a browser, a server or worker process, or another program).
test: lint check chromium
	$(PYTEST) $(PYTEST_ARGS)

test-fast: install
	$(PYTEST) -m "not system" $(PYTEST_ARGS)

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
