# Two commands for a newcomer: `make run` (set up and start everything with demo data) and
# `make test` (the whole suite). Everything they need is installed from here.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint check-layers venv browser video-deps clean-db

$(STAMP): requirements.txt requirements-dev.txt requirements-nodeps.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP) video-deps
	$(PY) manage.py serve --setup

# Debian's Chromium and its driver for the browser tests (root on CI and the dev machines).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "note: run as root (or install chromium chromium-driver) for the browser tests"; fi; }

# Debian's ffmpeg (encoding), espeak-ng (offline speech) and a Chinese font for the video studio.
video-deps:
	@command -v ffmpeg >/dev/null && command -v espeak-ng >/dev/null && [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg espeak-ng fonts-wqy-zenhei >/dev/null) \
	      || echo "warning: could not install ffmpeg/espeak-ng; video and speech tests will be skipped"; \
	  else echo "note: run as root (or install ffmpeg espeak-ng fonts-wqy-zenhei) for the video and speech tests"; fi; }

test: $(STAMP) browser video-deps check-layers
	DJANGO_ENV=test CACHE_PREFIX=bank_ai_test CHANNEL_PREFIX=bank_ai_test $(PY) -m pytest $(PYTEST_ARGS)

# Import contracts between the layers, then types of services, selectors and the layer
# interfaces (both configured in pyproject.toml; neither starts a database).
check-layers: $(STAMP)
	$(VENV)/bin/lint-imports
	DJANGO_ENV=test $(VENV)/bin/mypy

lint: $(STAMP) check-layers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean-db:
	$(PY) -c 'from pathlib import Path; from bank_ai.embedded_db import stop; stop(Path("var/pgdata"))'
	rm -rf var/pgdata
