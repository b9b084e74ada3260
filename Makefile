# Kith: `make run` starts the demo, `make test` runs the suite (README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help run test test-unit test-browser lint lock browser nginx clean assets

help:
	@echo "make run     start Kith on http://$(HOST):$(PORT) with the demo network"
	@echo "make test    install test tools and run the whole suite"
	@echo "make lint    ruff, import layers, types, migrations check, deploy check"
	@echo "make lock    recompile requirements*.txt from pyproject.toml"

# The virtual environment, built with the first Python 3.12+ tools/find-python finds.
$(PY):
	@interp=$$(tools/find-python) || exit 1; \
	echo "Creating $(VENV) with $$interp"; \
	"$$interp" -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check uv==0.13.9 2>&1 | grep -v "is ignored" || true
	@test -x $(BIN)/uv || { echo "Could not install uv into $(VENV) (is PyPI reachable?)"; exit 1; }

# Installs are keyed on the lock files, so a second `make run` reuses what is there.
$(VENV)/.run-installed: requirements.txt | $(PY)
	$(BIN)/uv pip install -q --python $(PY) -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(BIN)/uv pip install -q --python $(PY) -r requirements-dev.txt
	@touch $(VENV)/.run-installed $@

# The front end's packages (Workbox, idb, axe-core) from the npm registry, pinned by the
# lock, bundled with our own sources (frontend/assets/) into frontend/static/frontend/build/.
ASSETS := frontend/static/frontend/build/.built
$(ASSETS): frontend/package.json frontend/package-lock.json $(wildcard frontend/assets/*.js)
	@command -v npm >/dev/null 2>&1 || { echo "npm (Node.js 20 or newer) is needed to build the front end"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run -s build
	@touch $@

assets: $(ASSETS)

# daphne serves; beside it, `tick` adopts proposals whose window closed and sends
# reminders every 15 s, so decisions happen with nobody looking.
run: $(VENV)/.run-installed $(ASSETS)
	@DEBUG=1 $(PY) manage.py migrate --no-input -v 0
	@DEBUG=1 $(PY) manage.py seed_demo
	@echo "Kith is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@KITH_SITE_URL=$${KITH_SITE_URL:-http://$(HOST):$(PORT)} DEBUG=1 \
	  $(PY) manage.py tick --every 15 & tick=$$!; \
	trap 'kill $$tick 2>/dev/null' EXIT INT TERM; \
	KITH_SITE_URL=$${KITH_SITE_URL:-http://$(HOST):$(PORT)} DEBUG=1 \
	  $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

# Debian's Chromium drives the browser tests; Playwright cannot download browsers here.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    (apt-get install -y -q chromium >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) \
	     || echo "Could not install chromium: browser tests will be skipped"; \
	  else \
	    echo "chromium is not installed (apt-get install chromium): browser tests will be skipped"; \
	  fi; \
	fi

# Debian's nginx checks deploy/nginx.conf (`nginx -t`) and runs it in front of daphne
# in tests/config/test_nginx.py.
nginx:
	@if ! command -v nginx >/dev/null 2>&1 && ! test -x /usr/sbin/nginx; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's nginx for the proxy tests"; \
	    (apt-get install -y -q nginx >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q nginx >/dev/null 2>&1)) \
	     || echo "Could not install nginx: the proxy tests will be skipped"; \
	  else \
	    echo "nginx is not installed (apt-get install nginx): the proxy tests will be skipped"; \
	  fi; \
	fi

test: $(VENV)/.dev-installed browser nginx test-unit test-browser

# pytest-playwright leaves an event loop running, which breaks the async consumer
# tests collected after it, so the browser tests run as their own invocation.
test-unit: $(VENV)/.dev-installed $(ASSETS)
	$(PY) -m pytest -q -m "not browser" $(PYTEST_ARGS)

test-browser: $(VENV)/.dev-installed $(ASSETS)
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest -q -m browser $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/mypy
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	  REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} ALLOWED_HOSTS=kith.example \
	  KITH_SITE_URL=https://kith.example \
	  $(PY) manage.py check --deploy --fail-level WARNING

lock: | $(PY)
	$(BIN)/uv pip compile -q --python $(PY) --generate-hashes pyproject.toml -o requirements.txt
	$(BIN)/uv pip compile -q --python $(PY) --generate-hashes --extra dev pyproject.toml -o requirements-dev.txt

clean:
	rm -rf $(VENV) kith.sqlite3* kith-test.sqlite3* staticfiles kith-cache \
	  frontend/node_modules frontend/static/frontend/build
