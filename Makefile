# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := var/demo
# A fixed, documented demo date (a Monday morning in the user's zone) so the demo is repeatable.
DEMO_NOW ?= 2026-12-07T08:30:00-05:00

# axe-core (npm) for the dashboard's accessibility check in the browser tests.
AXE := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: run test test-fast check bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	@test -f $(DEMO)/automation.toml || $(BIN)/automation init $(DEMO)
	AUTOMATION_NOW=$(DEMO_NOW) $(BIN)/automation --config $(DEMO)/automation.toml import config/example_contacts.csv
	AUTOMATION_NOW=$(DEMO_NOW) $(BIN)/automation --config $(DEMO)/automation.toml import config/example_referrals.csv --referred-by priya.raman@example.com
	AUTOMATION_NOW=$(DEMO_NOW) $(BIN)/automation --config $(DEMO)/automation.toml run --once
	AUTOMATION_NOW=$(DEMO_NOW) $(BIN)/automation --config $(DEMO)/automation.toml contacts
	@echo "Drafts are in $(DEMO)/mail/Drafts (a Maildir: open it with mutt -f $(DEMO)/mail/Drafts)."
	@echo "Dashboard: AUTOMATION_NOW=$(DEMO_NOW) $(BIN)/automation --config $(DEMO)/automation.toml web"
	@echo "  then open http://127.0.0.1:8765/ (from another machine: ssh -L 8765:localhost:8765 THIS-HOST)"

test: $(STAMP) $(AXE)
	$(BIN)/pytest

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

# The pure core and the use cases over in-memory adapters: seconds, for the edit-test loop.
test-fast: $(STAMP)
	$(BIN)/pytest -q tests/core tests/app

check: $(STAMP)
	$(BIN)/ruff check automation tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var
