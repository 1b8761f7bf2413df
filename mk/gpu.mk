# The course on a GPU (dlgrade/authoring/gpu_check.py). Included by the Makefile.
# Without CUDA `make gpu-check` prints "no CUDA device: gpu-check skipped" and succeeds.
GPU_CHECK_ARGS ?=
.PHONY: gpu-check test-gpu

GPU_CHECK_TIMEOUT ?= 900

gpu-check: setup ## On a CUDA machine: run every experiment and visible check, grade with allow_gpu; artifacts/gpu-check/RESULTS.md (ASSIGNMENT=..., GPU_CHECK_ARGS=--no-build)
	MPLBACKEND=Agg timeout $(GPU_CHECK_TIMEOUT) $(PY) -m dlgrade.authoring.gpu_check $(A_ARG) $(GPU_CHECK_ARGS)

test-gpu: setup ## The tests marked gpu (they skip without CUDA)
	$(PY) -m pytest -q -m gpu $(PYTEST_ARGS)
