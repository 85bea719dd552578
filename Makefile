# Ledgerline: `make run` to try it, `make test` to check it. Both set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/base.txt requirements/dev.txt | sha1sum | cut -c1-12)
BASE_STAMP := $(VENV)/.base-$(shell cat requirements/base.txt | sha1sum | cut -c1-12)
# uv installs the pinned requirements in seconds where pip's resolver took a minute
# (docs/performance.md). It is bootstrapped into the venv from its pin in dev.txt; where it
# cannot be had, pip does the job, only slower.
UV_PIN := $(shell grep -E '^uv==' requirements/dev.txt)
UV := $(VENV)/bin/uv
INSTALL = if test -x $(UV); then $(UV) pip install --quiet --python $(PY) $(1); else $(PY) -m pip install --quiet --disable-pip-version-check $(1); fi
ADMIN_EMAIL ?= owner@ledgerline.local
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-base lint format migrate worker clean

# Everything, test tools included (make test).
install: $(STAMP)

$(STAMP): requirements/base.txt requirements/dev.txt | $(PY)
	@$(call INSTALL,-r requirements/dev.txt)
	@rm -f $(VENV)/.installed-* $(VENV)/.base-* && touch $@ $(BASE_STAMP)

# The runtime only (make run): no test tools, browsers or linters to download.
install-base: $(BASE_STAMP)

$(BASE_STAMP): requirements/base.txt | $(PY)
	@$(call INSTALL,-r requirements/base.txt)
	@rm -f $(VENV)/.base-* && touch $@

$(PY):
	@echo "Creating $(VENV) and installing the pinned requirements..."
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check "$(UV_PIN)" 2>/dev/null \
		|| echo "uv not available: installing with pip (slower)."

# Local try-out: SQLite, no Redis, tasks run in-process. DEBUG allows the development key.
run: export DEBUG ?= true
run: export LOG_FORMAT ?= plain
# Re-runnable with your data in place: migrations and demo data add only what is missing, the
# admin keeps a password changed since, and the "make run" key printed replaces the previous one
# (docs/operations.md, "make run").
run: install-base
	@$(PY) manage.py local_setup --admin-email $(ADMIN_EMAIL)
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
