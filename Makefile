# Deep-learning course platform. `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
COURSE ?=
ASSIGNMENT ?=
WORKERS ?= 0
FORCE ?=
MUTANTS ?= 60
export PATH := $(abspath $(VENV))/bin:$(PATH)
DLGRADE = $(PY) -m dlgrade
C_ARG = $(if $(COURSE),--course=$(COURSE))
A_ARG = $(C_ARG) $(if $(ASSIGNMENT),--assignment=$(ASSIGNMENT))
W_ARG = --Autograder.workers=$(WORKERS)
F_ARG = $(if $(FORCE),--force)
PYTEST_ARGS ?=

.PHONY: help setup proxy release autograde serve feedback export report check mutate demo test test-fast lint format bench clean

help: ## Show this help
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

setup: $(VENV)/.installed ## Create the virtual environment (Debian python3) and install everything

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(PY) || /usr/bin/python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	bash scripts/ensure-system-deps.sh
	touch $@

release: setup ## Generate release/ from source/ (COURSE=intro|advanced, default advanced; ASSIGNMENT=..., default all) and verify it
	$(DLGRADE) release $(A_ARG)

autograde: setup ## Grade submitted/ (ASSIGNMENT=..., WORKERS=N, FORCE=1 to re-grade, EXECUTOR=service|slurm)
	$(DLGRADE) autograde $(A_ARG) $(W_ARG) $(F_ARG)

serve: setup ## Keep the grading processes warm (WORKERS=N, COURSE=...); grade with make autograde EXECUTOR=service
	$(DLGRADE) serve $(C_ARG) $(W_ARG)

feedback: setup ## Write feedback/<student>/<assignment>/*.html
	$(DLGRADE) feedback $(A_ARG)

export: setup ## Export grades as CSV (nbgrader, LMS gradebook, per-test)
	$(DLGRADE) export $(A_ARG)

check: setup ## Check notebook points against grader points, and surviving mutants against equivalent_mutants.txt
	$(DLGRADE) check $(A_ARG)

mutate: setup ## Mutation-test the graders (ASSIGNMENT=..., default all; MUTANTS=60, WORKERS=N): graders/<a>/MUTATION.md
	$(DLGRADE) mutate $(A_ARG) $(W_ARG) --max-mutants=$(MUTANTS)

demo: setup ## Fresh-machine demo of both courses: release, simulated class, autograde, feedback, reports (COURSE=... for one)
	$(DLGRADE) demo $(C_ARG) $(W_ARG)

proxy: $(VENV)/bin/configurable-http-proxy

$(VENV)/bin/configurable-http-proxy: | $(VENV)/.installed
	bash scripts/hub-deps.sh --proxy $(VENV)

test: setup proxy ## Run the test suite: unit, integrity, grader quality, reports (docker/e2e: own targets)
	$(PY) -m pytest -q --durations=15 -m "not docker and not e2e and not gpu and not slurm" $(PYTEST_ARGS)

test-fast: setup proxy ## Run the tests not marked slow
	$(PY) -m pytest -q -m "not slow and not docker and not e2e" $(PYTEST_ARGS)

lint: setup ## ruff lint and format check
	$(PY) -m ruff check dlgrade tests graders
	$(PY) -m ruff format --check dlgrade tests graders

format: setup ## ruff format
	$(PY) -m ruff format dlgrade tests graders
	$(PY) -m ruff check --fix dlgrade tests graders

bench: setup ## Benchmarks: grading function, autograde end to end (marginal/fixed), 1→2 workers, mutants/min (QUICK=1: smoke)
	$(DLGRADE) bench $(C_ARG) $(if $(QUICK),--quick)

-include mk/*.mk
