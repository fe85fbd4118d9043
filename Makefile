# The two commands of the README: `make run` (try the bot) and `make test` (run the tests).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install run test bench schema

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: install
	$(VENV)/bin/ungebot run --chat

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m pytest -m slow bench

schema: install
	$(VENV)/bin/ungebot flows schema -o docs/flow.schema.json
