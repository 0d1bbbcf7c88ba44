# projledger: `make run` sets everything up and runs the main job; `make test` runs what CI runs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install catalog run test quick fuzz lint format typecheck bench bench-large browser clean

CATALOG := cli/locale/th/LC_MESSAGES/projledger.po

# The install's build step (setup.py) compiles the catalogs: a changed .po is installed again.
$(STAMP): pyproject.toml setup.py $(CATALOG)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Extract every marked message (babel.cfg) and merge it into the Thai catalog; then translate
## the new entries in the .po (a test fails on an empty one) and `make install` compiles it.
catalog:
	@test -x $(BIN)/pybabel || $(MAKE) install
	@mkdir -p build
	$(BIN)/pybabel extract --no-wrap -F babel.cfg --no-location --sort-output -o build/projledger.pot \
	  --project projledger --copyright-holder projledger --msgid-bugs-address "" cli
	$(BIN)/pybabel update --no-wrap --init-missing --no-fuzzy-matching --ignore-obsolete -D projledger -l th \
	  -i build/projledger.pot -d cli/locale
	$(MAKE) install

## The main job on the shipped records: check them, then show where the portfolio stands.
run: install
	$(BIN)/projledger validate records
	$(BIN)/projledger summary records
	$(BIN)/projledger status records
	$(BIN)/projledger --version
	$(BIN)/projledger site

## Everything CI runs: lint, types, the whole test suite (slow tests included).
test: install browser lint typecheck
	$(BIN)/python -m pytest -q

## The inner loop: no slow tests, stop at the first failure.
quick: install
	$(BIN)/python -m pytest -q -x -m "not slow"

## The property and fuzz tests with thousands of examples each (make test runs a short profile).
fuzz: install
	PROJLEDGER_FUZZ=long $(BIN)/python -m pytest -q -m fuzz

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy cli

## Headless Chromium, Thai fonts and pdftotext for the browser tests (Debian packages). Installed
## when missing and we are root (as CI is); otherwise the browser tests skip, except under CI=true.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-thai-tlwg poppler-utils >/dev/null; \
	else echo "browser tests will skip: install chromium chromium-driver fonts-thai-tlwg poppler-utils (as root)"; fi

## Benchmark on 1,000 and 10,000 generated records (bench/data/, ignored by git): several minutes.
bench: install
	$(BIN)/python bench/run.py --sizes 1000 10000

## The cost per record as it scales: the cold runs and exports at 10,000 and 100,000 records
## (generating the 100,000 takes a few minutes, once).
bench-large: install
	$(BIN)/python bench/run.py --only cold --sizes 10000 100000 --runs 1 --portfolios plain --out bench/results-large.md

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache _site
