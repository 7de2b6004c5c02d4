# The README's commands. Everything installs into .venv from the lock files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
NATIONAL_PORT ?= 8443
# The suite runs in parallel processes (pytest-xdist), each with its own test database.
TEST_WORKERS ?= 2

.PHONY: run setup test lint bench install install-dev messages clean

$(VENV)/.runtime: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	$(PIP) install --quiet --require-hashes -r requirements.lock -r requirements-dev.lock
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

setup: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createcachetable
	$(PY) manage.py load_catalogs
	$(PY) manage.py load_roles
	$(PY) manage.py seed_demo
	$(PY) manage.py compliance_daily --schedule
	$(PY) manage.py backup --schedule

# The web server, the background worker and the national-database simulator together; Ctrl-C stops them all.
run: setup
	$(PY) manage.py national_simulator --certificates-only
	@echo "Open http://$(HOST):$(PORT)/"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py national_simulator --port $(NATIONAL_PORT) & \
	EXCHANGE_SIMULATOR_PORT=$(NATIONAL_PORT) $(PY) manage.py db_worker --queue-name '*' --no-reload & \
	EXCHANGE_SIMULATOR_PORT=$(NATIONAL_PORT) $(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

lint: install-dev
	$(VENV)/bin/ruff check .

# The HTTP figures load the application server with wrk (Debian's package).
bench: install-dev
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(PY) -m bench $(BENCH_ARGS)

# After changing translatable strings (needs GNU gettext): refresh locale/vi, translate the new entries, compile.
messages: install-dev
	$(PY) manage.py makemessages -l vi --no-wrap --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	msgfmt --check -o locale/vi/LC_MESSAGES/django.mo locale/vi/LC_MESSAGES/django.po

clean:
	rm -rf $(VENV) var
