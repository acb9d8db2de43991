# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
FIXTURES ?= fixtures/default.yaml
PYTEST_ARGS ?=
# The newest openai SDK (3.x, on httpx2) cannot share a venv with vlmrun, which pins 1.109.1.
LATEST_VENV := .venv-openai-latest
# Modules that only need openai (not vlmrun/orq); their openai_sdk tests run on both lines.
# The anthropic_sdk and gemini_sdk tests likewise: anthropic 0.125.0 and google-genai 2.34.0
# in .venv, their newest lines (on httpx2) here.
LATEST_TESTS := tests/test_openai.py tests/test_impala.py tests/test_faults.py \
	tests/test_anthropic.py tests/test_gemini.py
# The newest openai release the tests were last run against: pinned, so `make test` runs the
# same thing every time without asking the registry; `make refresh-openai-latest` moves it.
OPENAI_LATEST := 3.57.0
ANTHROPIC_LATEST := 2.14.0
GENAI_LATEST := 3.6.1
LATEST_DEPS := pytest httpx jsonschema pyyaml pytest-asyncio==1.5.0 google-genai==$(GENAI_LATEST)
LATEST_STAMP := $(LATEST_VENV)/.installed-$(OPENAI_LATEST)-anthropic-$(ANTHROPIC_LATEST)-genai-$(GENAI_LATEST)

.PHONY: run test test-main test-openai-latest refresh-openai-latest test-js lint bench fuzz soak test-browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/fakefiles serve --host $(HOST) --port $(PORT) --fixtures $(FIXTURES)

test: test-main test-openai-latest

test-main: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

$(LATEST_STAMP): pyproject.toml
	rm -f $(LATEST_VENV)/.installed-*
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet -e . 'openai==$(OPENAI_LATEST)' \
		'anthropic==$(ANTHROPIC_LATEST)' $(LATEST_DEPS)
	touch $@

# The OpenAI and impala SDK tests again with the pinned newest openai release, the
# Anthropic ones with anthropic 2.x and the Gemini ones with google-genai 3.x.
test-openai-latest: $(LATEST_STAMP)
	$(LATEST_VENV)/bin/python -c "import openai, anthropic; from google import genai; \
		print('openai', openai.__version__, 'anthropic', anthropic.__version__, \
		'google-genai', genai.__version__)"
	$(LATEST_VENV)/bin/python -m pytest -p no:xdist -m 'openai_sdk or anthropic_sdk or gemini_sdk' \
		$(LATEST_TESTS) $(PYTEST_ARGS)

# The JavaScript SDKs (openai, @orq-ai/node, vlmrun from npm, versions pinned by
# tests/js/package-lock.json) through their Files workflows against a live fake, with Node's
# own test runner. npm ci installs into tests/js/node_modules only.
JS_DIR := tests/js
test-js: $(VENV)/.installed $(JS_DIR)/node_modules/.package-lock.json
	cd $(JS_DIR) && node --test

$(JS_DIR)/node_modules/.package-lock.json: $(JS_DIR)/package-lock.json
	cd $(JS_DIR) && npm ci --no-audit --no-fund

# Move OPENAI_LATEST to the newest openai release on the registry (then run make test and
# commit the Makefile if it passes).
refresh-openai-latest: $(BIN)/python
	@latest=$$($(BIN)/python -m pip index versions openai 2>/dev/null | sed -n 's/^openai (\(.*\))$$/\1/p'); \
		test -n "$$latest" || { echo "could not ask the registry for openai's versions"; exit 1; }; \
		sed -i "s/^OPENAI_LATEST := .*/OPENAI_LATEST := $$latest/" Makefile; \
		echo "OPENAI_LATEST := $$latest"

# The offline-frontend tests in headless Chromium (Debian's package, installed here when
# missing and root); FAKEFILES_REQUIRE_BROWSER=1 turns its skip-without-chromium into a failure.
# Then the web console, driven by playwright-core (from tests/js) against that Chromium; its
# screenshots land in tests/js/test-output/console/.
test-browser: $(VENV)/.installed-test $(JS_DIR)/node_modules/.package-lock.json
	@command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	FAKEFILES_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -p no:xdist tests/browser $(PYTEST_ARGS)
	cd $(JS_DIR) && CHROMIUM="$$(command -v chromium)" node --test browser/console.mjs

lint: $(VENV)/.installed-test
	$(BIN)/ruff check fakefiles tests bench
	$(BIN)/mypy

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(VENV)/.installed $@

# Speed and memory against references measured in the same run (see bench/README.md). The
# servers under test run from a venv of their own, installed by make run's own recipe (the
# default install), so running the bench never changes what make run serves.
BENCH_SERVE_VENV := .venv-bench-serve
bench: $(VENV)/.installed-bench
	$(MAKE) --no-print-directory VENV=$(BENCH_SERVE_VENV) $(BENCH_SERVE_VENV)/.installed
	$(BIN)/python -m bench.run --serve-venv $(BENCH_SERVE_VENV) $(BENCH_ARGS)

# Schemathesis against every vendor's OpenAPI document, with a larger budget than make test's 15.
FUZZ_EXAMPLES ?= 200
fuzz: $(VENV)/.installed-test
	FAKEFILES_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -n 2 tests/test_fuzz.py $(PYTEST_ARGS)

# The concurrency soak at full size (32 clients, in memory and with --data-dir) and kill -9 of
# a persisting server in more loops; make test runs both smaller. Prints the figures.
SOAK_UPLOADS ?= 1000
KILL_LOOPS ?= 30
soak: $(VENV)/.installed-test
	FAKEFILES_SOAK_UPLOADS=$(SOAK_UPLOADS) FAKEFILES_KILL_LOOPS=$(KILL_LOOPS) $(BIN)/python -m \
		pytest -s tests/test_soak.py tests/test_persistence.py::test_kill_9_in_a_loop_loses_no_acknowledged_upload $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(LATEST_VENV) $(BENCH_SERVE_VENV) $(JS_DIR)/node_modules build *.egg-info
