# The courses on a local JupyterHub (real Unix accounts, nbgrader's exchange and one formgrader
# per course, the platform's sandboxed autograder) and its end-to-end browser test. Needs root.
ROSTER ?=
HUB_PORT ?=
PURGE ?=

.PHONY: hub hub-stop hub-deps e2e

hub-deps: setup
	bash scripts/hub-deps.sh $(VENV)

hub: hub-deps ## Start JupyterHub for every course on 127.0.0.1:8000 (COURSE=intro: that one only; ROSTER=file.csv, HUB_PORT=N)
	$(PY) -m dlgrade.hub up $(C_ARG) $(if $(ROSTER),--roster=$(ROSTER)) $(if $(HUB_PORT),--port=$(HUB_PORT))

hub-stop: ## Stop the hub (PURGE=1 also deletes its accounts, their homes and its state)
	$(PY) -m dlgrade.hub down $(if $(PURGE),--purge)

e2e: hub-deps ## Browser test of the whole course cycle, two courses side by side, on a throwaway hub (artifacts/e2e/)
	$(PY) -m pytest -m e2e tests/e2e -p no:cacheprovider $(PYTEST_ARGS)
