# `make run` and `make test` do all set-up themselves: a virtual environment in .venv with
# everything from requirements-dev.txt, reinstalled when a requirements file changes.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MARKS ?= not slow

.PHONY: run test test-all lint

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m streamlit run app.py

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m pytest -m "$(MARKS)"

test-all:
	$(MAKE) test MARKS="slow or not slow"
