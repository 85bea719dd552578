# Ledgerline: `make run` to try it, `make test` to check it. Both set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/dev.txt | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint format migrate worker clean

install: $(STAMP)

$(STAMP): requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	rm -f $(VENV)/.installed-* && touch $@

# Local try-out: SQLite, no Redis, tasks run in-process. DEBUG allows the development key.
run: export DEBUG ?= true
run: export LOG_FORMAT ?= plain
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py migrate --noinput --database sandbox
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo --database sandbox
	@echo "------------------------------------------------------------------"
	@$(PY) manage.py ensure_admin --email admin@example.com | tail -n 1
	@echo "API key (administrator):"
	@$(PY) manage.py create_api_key --email admin@example.com --name "make run" | tail -n 1
	@echo "Admin:  http://$(HOST):$(PORT)/admin/    API: http://$(HOST):$(PORT)/api/v2/customers"
	@echo "------------------------------------------------------------------"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

worker: install
	$(VENV)/bin/celery -A config worker -B --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 sandbox.sqlite3 staticfiles .pytest_cache
