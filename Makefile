# CareHub — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n auto --dist loadfile

.PHONY: run test venv messages migrate demo worker lint format e2e bench clean help

help:
	@echo "make run     install, migrate, load demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite"
	@echo "make lint    ruff and djlint"
	@echo "make worker  Celery worker and beat (production mode, needs REDIS_URL)"
	@echo "make e2e     end-to-end browser journeys (needs Debian's chromium)"

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

# Translations compiled with Babel: no system gettext needed.
messages: venv
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
	$(BIN)/daphne -b $(HOST) -p $(PORT) carehub.asgi:application

test: messages
	$(BIN)/pytest $(PYTEST_ARGS) -m "not e2e"

e2e: messages
	$(BIN)/pytest -m e2e tests/e2e -p no:xdist

worker: migrate
	$(BIN)/celery -A carehub worker --beat --loglevel INFO --concurrency 2

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: migrate
	@echo "See bench/README.md: each benchmark is a script run on demand."

clean:
	rm -rf $(VENV) var/static
