# hotelmate-rt developer tasks. `make test` is what CI runs (through .ci/run).
# Every target installs what it needs first; installs are skipped while their inputs are unchanged.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP   := $(VENV)/.hotelmate-installed
NODE_STAMP := node_modules/.hotelmate-installed
PYTEST_ARGS ?=

.PHONY: help install system-packages test lint pytest demo bench soketi clean distclean \
	demo-cluster cluster mutation

help:
	@echo "make install    venv + pip install -e '.[dev,django,console]' + npm ci (soketi, pusher-js)"
	@echo "make test       install, ruff, mypy, pytest (what CI runs)"
	@echo "make lint       ruff + mypy"
	@echo "make demo       start soketi, send one event, receive it, stop"
	@echo "make bench      run benchmarks/bench_*.py"
	@echo "make soketi     run a local soketi on port 6001 until Ctrl-C"
	@echo "make demo-cluster  the demo on two soketi nodes sharing a Redis adapter"
	@echo "make cluster    run Redis + two soketi nodes (Redis adapter) until Ctrl-C"
	@echo "make mutation   mutmut on the security-critical modules, kill rate per module (not in CI)"
	@echo "make clean      remove caches; make distclean also removes .venv and node_modules"

install: system-packages $(PY_STAMP) $(NODE_STAMP)

# Debian packages listed in system-packages.txt (servers the tests start); a no-op when present.
system-packages:
	@scripts/install-system-packages.sh

$(PY_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[dev,django,console]'
	@touch $@

# `npm ci` installs exactly the tree in package-lock.json (which records the optional platform
# packages too) and fails, instead of rewriting the lockfile, when it disagrees with package.json.
$(NODE_STAMP): package.json package-lock.json
	@command -v node >/dev/null || { echo "node is not on PATH: install Node.js 18+" >&2; exit 1; }
	npm ci --no-audit --no-fund --no-update-notifier
	@touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint pytest

demo: install
	$(BIN)/python -m hotelmate_rt.demo

bench: install
	@found=0; for f in benchmarks/bench_*.py; do \
		[ -e "$$f" ] || continue; found=1; echo "== $$f"; \
		$(BIN)/python "$$f" || exit $$?; \
	done; [ $$found = 1 ] || echo "no benchmarks/bench_*.py yet"

# Mutation testing of auth/authorize.py, contracts/templates.py, redact.py, contracts/verdicts.py,
# contracts/resolve.py
# ([tool.mutmut] in pyproject.toml); about 5 minutes, so outside CI. Survivors are re-checked in
# a fresh process; fails when a module kills under 95% of its behaviour-changing mutants.
mutation: install
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/python scripts/mutation_report.py

soketi: install
	$(BIN)/python scripts/soketi.py start --port 6001 --foreground

demo-cluster: install
	$(BIN)/python -m hotelmate_rt.demo --cluster

cluster: install
	$(BIN)/python scripts/cluster.py start --nodes 2 --foreground

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist .demo mutants .hypothesis
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -not -path './node_modules/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules
