# Accord: the two-command quick start (make run, make test) and the benchmarks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
# The browser the page tests (tests/web) drive: Debian's chromium, since Playwright
# cannot download its own here. Installed by apt-get when missing (sudo unless root).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test typecheck docs bench audit install dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update -q
	$(SUDO) apt-get install -y -q chromium

install: $(STAMP) $(CHROMIUM)

run: $(STAMP)
	$(BIN)/accord init --demo
	@echo "Demo login: admin@example.com (or maria.lopez@example.com, a salesperson), password accord-demo"
	$(BIN)/accord serve --host $(HOST) --port $(PORT)

# mypy --strict on accord, accord_sdk, accord_sales and accord_competitors
# (config: [tool.mypy] in pyproject.toml);
# about 4 s from a cold cache, well under a second warm, so `make test` runs it first.
typecheck: $(STAMP)
	$(BIN)/mypy

# The documentation site (mkdocs.yml) into site/ (git-ignored), strict: a broken link or
# anchor, or a page left out of nav, fails. About 3 s, so `make test` builds it too.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
docs: $(STAMP)
	$(MKDOCS)

# One pytest worker per core (pytest-xdist); PYTEST_ARGS="-n 0 -k …" runs in one process.
PYTEST_ARGS ?= -n auto
test: $(STAMP) $(CHROMIUM)
	$(BIN)/mypy
	$(MKDOCS)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every benchmark in bench/, then one table (figure, raw baseline of the same run, ratio,
# target, met) written to bench/RESULTS.md with the machine facts; BENCH_ARGS=--quick
# for a short run, --only NAME for one benchmark (docs/benchmarks.md).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Known vulnerabilities (PyPI's advisory data, or OSV with AUDIT_ARGS="-s osv") of every
# package installed in the virtualenv; Accord itself (editable) is skipped. It needs the
# network: offline, every package is reported "could not be audited" (docs/security.md).
audit: $(STAMP)
	$(BIN)/pip-audit --skip-editable --progress-spinner off $(AUDIT_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache build *.egg-info
