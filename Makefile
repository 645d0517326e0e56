# The two commands of the README: `make synth` and `make test`. Both set everything up on a fresh
# machine (Python 3.11+, Node 20+; no AWS account, no Docker).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PATH := $(CURDIR)/$(BIN):$(PATH)

LINT_PATHS := secure_api lambdas tests bench app.py
LAMBDA_DIRS := $(wildcard lambdas/*/)

.PHONY: setup synth test lint typecheck unit compliance bench clean

setup: $(VENV)/.stamp-installed node_modules/.stamp-installed

$(VENV)/.stamp-installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.stamp-installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	npx cdk synth --quiet
	@ls cdk.out/*.template.json

lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

# Each Lambda is its own flat code root (as it is once deployed), so each is type-checked on its own.
typecheck: setup
	$(BIN)/mypy secure_api app.py
	@for d in $(LAMBDA_DIRS); do echo "mypy $$d"; MYPYPATH=$$d $(BIN)/mypy $$d || exit 1; done

unit: setup
	$(BIN)/pytest

test: lint typecheck unit

compliance: setup
	$(BIN)/python -m tests.compliance.report

bench: setup
	$(BIN)/python bench/authorizer.py
	$(BIN)/python bench/keys.py
	$(BIN)/python bench/key_guard.py
	$(BIN)/python bench/key_guard_accuracy.py
	$(BIN)/python bench/monitoring_cost.py
	$(BIN)/python bench/openapi_scale.py

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
