# A single-node SLURM cluster (Debian's slurmctld, slurmd, munge) and the grading suite on it.
# slurm-up needs root: it installs the packages, writes /etc/slurm/slurm.conf and starts
# the daemons. Grade on it with `make autograde EXECUTOR=slurm`.
# SLURM_PLACEHOLDER_GPUS=N, where nvidia-smi sees no GPU: N gpu GRES backed by placeholder
# devices, scheduled by SLURM, with no GPU behind them (0, the default: no GRES).
EXECUTOR ?=
SLURM_PLACEHOLDER_GPUS ?= 0
SLURM_TEST_TIMEOUT ?= 600

.PHONY: slurm-up slurm-down slurm-test

autograde: W_ARG += $(if $(EXECUTOR),--Autograder.executor=$(EXECUTOR))

slurm-up: ## Start a single-node SLURM cluster on this machine (root; idempotent)
	@start=$$SECONDS; SLURM_PLACEHOLDER_GPUS=$(SLURM_PLACEHOLDER_GPUS) bash scripts/slurm-up.sh && echo "slurm-up took $$((SECONDS - start)) s"

slurm-down: ## Stop the single-node SLURM cluster
	bash scripts/slurm-down.sh

slurm-test: setup hub-deps slurm-up ## SLURM suite: scores equal local ones, scancel + resume, --time → timeout, students' servers as jobs
	@start=$$SECONDS; \
	DLGRADE_REQUIRE_SLURM=1 timeout $(SLURM_TEST_TIMEOUT) $(PY) -m pytest -q -m slurm tests/slurm \
	  -p no:cacheprovider $(PYTEST_ARGS) || exit 1; \
	echo "slurm-test took $$((SECONDS - start)) s"
