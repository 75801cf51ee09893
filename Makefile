# The project's front door: `make demo` and `make test` work on a machine with only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: setup demo serve test test-fast lint fmt bench clean chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "socialdesk needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

demo: setup  ## Fresh demo database with data, then the server on http://127.0.0.1:8000
	$(BIN)/socialdesk demo

serve: setup
	$(BIN)/socialdesk serve

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

fmt: setup
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-noto-color-emoji) ; } || \
	  echo "Chromium is not installed and cannot be installed here: browser tests will skip"

test: setup lint chromium  ## Lint, types, then every test (PostgreSQL too when SOCIALDESK_TEST_DATABASE_URL is set)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/pytest -x -q -m "not slow" $(PYTEST_ARGS)

bench: setup  ## Writes benchmarks/results/*.json
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
