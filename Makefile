# 安阳市高新技术企业培育管理平台 — developer and CI entry points.
#   make install   the Debian packages the PDF documents need (pango, a CJK font; scripts/ensure_system_packages.sh)
#                  + venv + Python packages (pinned by constraints.txt) + npm packages + static/vendor
#   make run       migrate, load demo data, serve on http://127.0.0.1:8000
#   make test      the pytest suite on TEST_WORKERS processes (auto: one per core; PYTEST_ARGS="-k ledger -x",
#                  TEST_WORKERS=0 for one process); DATABASE_URL/REDIS_URL from the environment
#   make lint      ruff check, ruff format --check and lint-imports (the layers contract); fails on any
#   make bench     each figure beside its floor from the same run (DATABASE_URL's database): import_ledger of
#                  BENCH_ROWS rows (10000) and its readiness refresh, the payout sheet and payment of BENCH_LINES
#                  lines (10000), the rollup over BENCH_ENTERPRISES (100000), the xlsx export of BENCH_EXPORT_ROWS (100000)
#   make bench-pages  every main page on gunicorn at BENCH_ENTERPRISES enterprises (1000000, loaded by COPY into
#                  BENCH_DATABASE_URL, a name with "bench"; kept for reruns, BENCH_RELOAD=1 reloads) with 8
#                  logged-in clients for BENCH_SECONDS (15) per page, each beside the trivial page's p95 measured
#                  just before it: one "page <name> p50_ms p95_ms floor_p95_ms ratio" line each (scripts/bench_pages.py)
#   make load      LOAD_USERS (50) logged-in users for LOAD_SECONDS (600) on gunicorn + PostgreSQL on 127.0.0.1:
#                  drops and seeds LOAD_DATABASE_URL (its name must contain "load"; LOAD_ENTERPRISES 5000),
#                  prints requests, errors, p50/p95 per page and in total; fails on any error (scripts/load.py)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Python 3.11 only (pyproject.toml: requires-python >=3.11,<3.12).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.package-lock.json
PYTEST_ARGS ?=
TEST_WORKERS ?= auto

.PHONY: help install system-packages assets run test lint bench bench-pages load clean distclean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

install: system-packages $(PIP_STAMP) $(NPM_STAMP)
	@$(MAKE) --no-print-directory assets

# WeasyPrint's pango and HarfBuzz, fontconfig and a CJK font (installed if root, else the command is named).
system-packages:
	bash scripts/ensure_system_packages.sh

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else \
		"$(PYTHON) is Python %d.%d; this project needs 3.11 (set PYTHON=/path/to/python3.11)" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)

# Reinstalled only when pyproject.toml or constraints.txt is newer than the stamp.
$(PIP_STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -c constraints.txt -e ".[dev]"
	touch $@

# npm ci rewrites node_modules/ (and this file) whole; touch in case it kept the old mtime.
$(NPM_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

assets: $(NPM_STAMP)
	$(PYTHON) scripts/vendor_assets.py

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	bash scripts/ensure_system_packages.sh --browser
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: install
	$(PY) scripts/bench_import.py
	$(PY) scripts/bench_payout.py
	$(PY) scripts/bench_rollup.py
	$(PY) scripts/bench_export.py

bench-pages: install
	$(PY) scripts/bench_pages.py

load: install
	$(PY) scripts/load.py

clean:
	rm -rf static/vendor staticfiles .pytest_cache .ruff_cache test-artifacts build *.egg-info
	find . -path ./.venv -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -print0 \
		| xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) node_modules
