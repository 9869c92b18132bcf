# `make run` and `make test` do all set-up themselves: a virtual environment in .venv with
# everything from requirements-dev.txt, reinstalled when a requirements file changes.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MARKS ?= not slow and not ray

.PHONY: run test test-all lint compiled

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

# Ray is optional (sweeps on a cluster): only `make test-all`, as CI, installs it, for the Ray tests.
$(VENV)/.installed-ray: $(VENV)/.installed requirements-ray.txt
	$(PY) -m pip install --quiet -r requirements-ray.txt
	touch $@

test-all: $(VENV)/.installed-ray
	$(MAKE) test MARKS="slow or not slow"

# The engine's compiled code that ships with its sources (fibdash/engine/compiled.py): after any change
# of the engine's sources or of fibdash/config.py, which tests/test_compiled.py asks for.
compiled: $(VENV)/.installed
	$(PY) -m fibdash.engine.compiled
