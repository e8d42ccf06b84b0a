# The data asset ledger. `make run` and `make test` install whatever is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
ANALYSIS_VENV := .venv-analysis
ANALYSIS_STAMP := $(ANALYSIS_VENV)/.installed

.PHONY: run demo test check-deep forge-test contracts lint bench clean deps node-deps py-deps gas \
	analysis-deps slither mutation mutation-sample

deps: py-deps node-deps

py-deps: $(PY_STAMP)
$(PY_STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

## Static analysis tools (slither) in their own venv, pinned by requirements-analysis.lock.
analysis-deps: $(ANALYSIS_STAMP)
$(ANALYSIS_STAMP): requirements-analysis.lock
	@test -x $(ANALYSIS_VENV)/bin/python || $(PYTHON) -m venv $(ANALYSIS_VENV)
	$(ANALYSIS_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-analysis.lock
	@touch $@

node-deps: $(NODE_STAMP)
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

## Start the local node, deploy once and serve the gateway on 127.0.0.1:8000.
run: deps
	$(BIN)/ledger run

## Seed the notice's scenario on the running gateway (`make run` in another shell first):
## prints each role's console link and API key and the figures; a second run changes nothing.
demo: deps
	$(BIN)/ledger demo

## The whole suite (contracts, chain layer, gateway, local node).
test: deps
	$(BIN)/pytest -q -m "not deep" -n 2 --dist loadscope

## Slow suites: long fuzzing, fault injection, browser.
check-deep: deps forge-test slither mutation-sample
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest -q -m deep -n 2 --dist loadscope; rc=$$?; test $$rc -eq 0 -o $$rc -eq 5

## Solidity fuzz and invariant tests (forge from npm, offline; sizes via FORGE_FUZZ_RUNS,
## FORGE_INVARIANT_RUNS, FORGE_INVARIANT_DEPTH).
forge-test: node-deps
	scripts/forge_test.sh

## slither over contracts/v2 with the project's solc; fails on a finding not in
## docs/security/slither-triage.json.
slither: deps analysis-deps
	$(BIN)/python scripts/slither_check.py

## Mutation testing of contracts/v2 (bench/mutation/results.md). Narrow it with
## MUTATION_ARGS, e.g. MUTATION_ARGS="--contract RevenueSplitV2 --sample 20".
mutation: deps
	nice -n 10 $(BIN)/python scripts/mutation/run.py --write-results $(MUTATION_ARGS)

## A bounded random sample of mutants (part of check-deep): fails if one the full run
## recorded as killed now survives.
mutation-sample: deps
	nice -n 10 $(BIN)/python scripts/mutation/run.py --sample $${MUTATION_SAMPLE:-10} --check-killed

## Rebuild chain/artifacts from contracts/ (commit the result).
contracts: deps
	$(BIN)/python -m chain.compiler

lint: deps
	$(BIN)/ruff check chain api tests bench scripts
	$(BIN)/mypy --strict chain api

## Every benchmark with its baseline, then bench/results.md (bench/report.py). A smoke
## run into a temporary folder: make bench BENCH_QUICK=1; one: BENCH_ONLY=read_path.
bench: deps
	nice -n 5 $(BIN)/python bench/run_all.py

clean:
	-$(BIN)/ledger node stop 2>/dev/null
	rm -rf var .pytest_cache .mypy_cache .ruff_cache .hypothesis
