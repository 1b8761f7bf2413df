# Docker deployment: the engine, the course images, the compose stack, and their tests.
# Needs root (or sudo) the first time: scripts/docker-engine.sh installs Debian's docker.io.
DOCKER_IMAGES ?= grader notebook formgrader hub
TORCH_VARIANT ?= cuda
DOCKER_CACHE ?= docker/.cache
# the test builds install only from the wheel cache scripts/docker-build.sh fills first
DOCKER_TEST_PIP_ARGS ?= --no-index
GPU ?=
DOCKER_COMPOSE = $$(cat $(DOCKER_CACHE)/compose-command) --env-file docker/.env \
	-f docker/compose.yaml $(if $(GPU),-f docker/compose.gpu.yaml)

.PHONY: docker-engine docker-build docker-up docker-down docker-test docker-clean

docker-engine: ## Install/start the Docker engine and Compose v2 if they are missing (root)
	DOCKER_CACHE=$(DOCKER_CACHE) PY=$(PY) bash scripts/docker-engine.sh

docker-build: setup docker-engine ## Build the images (DOCKER_IMAGES=..., TORCH_VARIANT=cuda|cpu)
	DOCKER_CACHE=$(DOCKER_CACHE) PY=$(PY) TORCH_VARIANT=$(TORCH_VARIANT) \
	  bash scripts/docker-build.sh $(DOCKER_IMAGES)

docker-up: docker-engine ## Start the course stack (docker/compose.yaml; GPU=1 adds the GPU override)
	bash scripts/docker-env.sh
	$(DOCKER_COMPOSE) up -d --wait
	@echo "hub: http://$$(grep ^DLGRADE_BIND= docker/.env | cut -d= -f2):$$(grep ^DLGRADE_PORT= docker/.env | cut -d= -f2)/"

docker-down: ## Stop the course stack (volumes stay)
	$(DOCKER_COMPOSE) down

docker-test: setup docker-engine ## Docker suite: CPU images, grading containers vs the local backend, the stack
	@start=$$SECONDS; \
	DOCKER_CACHE=$(DOCKER_CACHE) PY=$(PY) TORCH_VARIANT=cpu PIP_ARGS="$(DOCKER_TEST_PIP_ARGS)" \
	  timeout 1200 bash scripts/docker-build.sh grader notebook formgrader hub || exit 1; \
	echo "images built in $$((SECONDS - start)) s"; \
	DLGRADE_REQUIRE_DOCKER=1 timeout 900 $(PY) -m pytest -q -m docker tests/docker tests/sandbox/test_allowlist.py \
	  -p no:cacheprovider $(PYTEST_ARGS) || exit 1; \
	echo "docker-test: build and tests took $$((SECONDS - start)) s"

docker-clean: ## Remove the course images and the build cache under docker/.cache
	-docker image rm -f dlgrade-grader:latest dlgrade-notebook:latest dlgrade-formgrader:latest \
	  dlgrade-hub:latest dlgrade-course:cpu dlgrade-course:cuda
	rm -rf $(DOCKER_CACHE)
