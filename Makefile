# One command to run the service, one to test it. Both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test setup lint bench-speech bench-step bench-load bench-menu-scale clean

$(BIN)/ivr: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,embeddings]"
	touch $(BIN)/ivr

setup: $(BIN)/ivr

## Run the service on embedded defaults: SQLite, the demo menus, a development token.
run: setup
	$(BIN)/ivr db upgrade
	$(BIN)/ivr demo seed
	$(BIN)/ivr check
	IVR_ENV=$${IVR_ENV:-development} $(BIN)/ivr run --host 0.0.0.0 --port $(PORT)

## The whole test suite (SQLite, plus PostgreSQL where reachable) and the linters.
test: setup
	$(BIN)/ruff check ivr tests benchmarks app.py
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

## Callers' dev utterances on the demo menus per language, and Banking77 as the flat
## reference (live default matcher; the full model grid: bench_speech.py --grid).
bench-speech: setup
	$(BIN)/python benchmarks/bench_menus.py
	$(BIN)/python benchmarks/bench_speech.py

bench-step: setup
	$(BIN)/python benchmarks/bench_step.py

## Call steps per second under gunicorn (the Procfile's web line) vs bare Flask; needs wrk.
bench-load: setup
	$(BIN)/python benchmarks/bench_load.py

## `ivr check` on a generated 2,000-node menu.
bench-menu-scale: setup
	$(BIN)/python benchmarks/bench_menu_scale.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
