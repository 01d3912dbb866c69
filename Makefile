# Écoute — two commands: `make run` and `make test`. Everything else is installed by these.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_URL ?= postgres://postgres@127.0.0.1:5432/ecoute
export ECOUTE_TESTING_DB_PREFIX ?= ecoute

.PHONY: run test test-fast test-sqlite test-postgres bench loadtest profile-step audit venv browser-deps postgres static clean check-deploy

$(VENV)/.installed: requirements.lock .python-version
	@./scripts/ensure_python.sh "$(PYTHON_VERSION)" "$(VENV)"
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.lock
	@touch $@

venv: $(VENV)/.installed

static: venv
	$(PY) scripts/vendor_assets.py

run: venv static
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py createcachetable
	DEBUG=1 $(PY) manage.py load_demo
	DEBUG=1 PY=$(PY) ./scripts/run_dev.sh 127.0.0.1:8000

postgres:
	@./scripts/ensure_postgres.sh

browser-deps: venv
	@./scripts/ensure_browser.sh

# The whole suite on SQLite, then again on PostgreSQL (browser tests included).
test: venv static postgres browser-deps
	@./scripts/run_tests.sh sqlite
	@DATABASE_URL=$(PG_URL) ./scripts/run_tests.sh postgres

# Inner loop: no browser tests.
test-fast: venv static postgres
	@./scripts/run_tests.sh sqlite -m "not browser"
	@DATABASE_URL=$(PG_URL) ./scripts/run_tests.sh postgres -m "not browser"

bench: venv postgres
	$(PY) -m bench

loadtest: venv postgres
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/2} SESSION_STORE=$${SESSION_STORE:-cache} $(PY) -m bench.loadtest

profile-step: venv
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/2} SESSION_STORE=$${SESSION_STORE:-cache} $(PY) -m bench.profile_step

# Known vulnerabilities in the pinned dependencies (PyPI's advisory service). --strict: a package
# that cannot be checked is a failure, never a silent pass (this is why it is not in .ci/run yet:
# the CI network reaches the package index but not the advisory services).
audit: venv
	$(PIP) install --quiet pip-audit==2.10.1
	$(PY) -m pip_audit --strict --progress-spinner off --no-deps --disable-pip -r requirements.lock

check-deploy: venv
	DEBUG=0 SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=ecoute.example.org $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
