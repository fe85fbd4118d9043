# The two commands of the README: `make run` (try the bot) and `make test` (run the tests).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install lock run test lint faults bench schema screenshots

install: $(VENV)/.installed

# Exactly the versions in requirements.lock (hash-checked), the versions the tests passed with;
# pyproject.toml keeps the ranges that are known to work. `make lock` moves the lock within them.
$(VENV)/.installed: requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

lock:
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet 'uv>=0.5'
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
	  --generate-hashes --quiet --custom-compile-command "make lock" -o requirements.lock

run: install
	$(VENV)/bin/ungebot run --chat

test: install
	$(PY) -m pytest

# ruff with the rule set in pyproject.toml; mypy --strict where the code must stay pure and exact;
# import-linter: the architecture's contracts (pyproject.toml, docs/architecture.md).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Real processes through real faults (worker killed, Redis restarted and flushed, provider errors,
# web killed under load, a release rolled out while messages flow): prints what was sent, lost and
# doubled; fails on any loss or double.
faults: install
	$(PY) bench/faults.py

bench: install
	$(PY) -m pytest -m slow bench

schema: install
	$(VENV)/bin/ungebot flows schema -o docs/flow.schema.json

# The console's pictures in docs/console.md, taken by its browser tests.
screenshots: install
	CONSOLE_SCREENSHOTS=docs/console $(PY) -m pytest -q tests/test_console_browser.py tests/test_console_*_browser.py
