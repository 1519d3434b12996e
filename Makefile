# CareHub — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Two sets, both pinned with hashes: runtime (what production installs) and dev
# (runtime + tests and tooling). Each stamp follows the files it was installed from.
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in e-mails follow the address served (`make run PORT=8080`), unless set in the environment.
SITE_BASE_URL ?= http://$(HOST):$(PORT)
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: run test venv venv-runtime requirements messages migrate demo worker lint security format e2e bench clean help

help:
	@echo "make run     install, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite"
	@echo "make lint    ruff, djlint and mypy"
	@echo "make security  bandit, secret scan, pip-audit of the pinned runtime set"
	@echo "make worker  Celery worker and beat (production mode, needs REDIS_URL)"
	@echo "make e2e     end-to-end browser journeys (needs Debian's chromium)"
	@echo "make requirements  pin the dependency tree again after editing requirements*.in"

$(RUNTIME_STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt
	@rm -f $(VENV)/.installed-runtime-*
	@touch $@

# The dev set holds the runtime set: installing it brings both stamps up to date.
$(DEV_STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements-dev.txt
	@rm -f $(VENV)/.installed-dev-* $(VENV)/.installed-runtime-*
	@touch $@ $(RUNTIME_STAMP)

venv-runtime: $(RUNTIME_STAMP)
venv: $(DEV_STAMP)

# After editing requirements.in or requirements-dev.in: pin the whole tree again, with hashes.
# Pins already in the compiled files are kept; `make requirements PIP_COMPILE_ARGS=--upgrade` upgrades.
requirements: venv
	CUSTOM_COMPILE_COMMAND="make requirements" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
		--strip-extras --no-emit-index-url --no-emit-find-links $(PIP_COMPILE_ARGS) \
		--output-file requirements.txt requirements.in
	# The dev set keeps its extras: pip 23's --require-hashes cannot resolve a dependency's extra
	# (pip-audit's cachecontrol[filecache]) against a pin written without it.
	CUSTOM_COMPILE_COMMAND="make requirements" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
		--no-emit-index-url --no-emit-find-links $(PIP_COMPILE_ARGS) \
		--output-file requirements-dev.txt requirements-dev.in

# Translations compiled with Babel: no system gettext needed.
messages: venv-runtime
	@$(BIN)/pybabel compile --statistics -d locale -D django 2>&1 | grep -v '^$$' || true
	@test -f locale/fr/LC_MESSAGES/django.mo

migrate: messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "CareHub is starting on http://$(HOST):$(PORT) (Daphne: HTTP and WebSockets). Stop with Ctrl+C."
	SITE_BASE_URL=$(SITE_BASE_URL) $(BIN)/daphne -b $(HOST) -p $(PORT) carehub.asgi:application

test: venv messages
	$(BIN)/pytest $(PYTEST_ARGS) -m "not e2e"

e2e: venv messages
	$(BIN)/pytest -m e2e tests/e2e -p no:xdist

worker: migrate
	$(BIN)/celery -A carehub worker --beat --loglevel INFO --concurrency 2

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(BIN)/mypy

# Static security checks (CI runs them after lint). pip-audit needs its vulnerability service:
# where none answers it says so plainly and skips (AUDIT_REQUIRED=1 makes that a failure).
security: venv
	$(BIN)/bandit --configfile pyproject.toml --recursive . --severity-level medium --quiet
	BIN=$(BIN) .ci/scan_secrets
	$(BIN)/python .ci/audit_dependencies.py

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: migrate
	@echo "See bench/README.md: each benchmark is a script run on demand."

clean:
	rm -rf $(VENV) var/static
