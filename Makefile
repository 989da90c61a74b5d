# Reproducible CCTV-density notebooks. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Where the public city table is looked for before any download (a pooch cache
# folder). The sibling ../shared/data is used when it exists; override freely.
CCTV_DATA_DIR ?= $(wildcard $(abspath ../shared/data))
export CCTV_DATA_DIR
# Extra options for the batch runner, e.g. RUN_ARGS="--force --jobs 1".
RUN_ARGS ?=
# Test processes for `make test` (pytest-xdist): the suite is CPU-bound, so one per core.
TEST_WORKERS ?= auto
# Extra options for JupyterLab, e.g. LAB_ARGS="--allow-root --ip 127.0.0.1 --port 8899 --no-browser".
LAB_ARGS ?=
# Extra options for `uv pip compile` in `make lock`, e.g. LOCK_ARGS=--upgrade (by default the lock's versions are kept).
LOCK_ARGS ?=
LINT_PATHS := helpers tests bench .ci
# The kernel's environment (kernel.json "env"): the variables the notebooks need however Lab or papermill
# is started; each one is carried when it is non-empty here.
KERNEL_VARS := CCTV_DATA_DIR
KERNEL_JSON := $(VENV)/share/jupyter/kernels/python3/kernel.json
KERNEL_ENV  := $(foreach v,$(KERNEL_VARS),$(if $($(v)),--env $(v) "$($(v))"))

.PHONY: help reproduce test test-fast test-browser lab kernel bench bench-setup clean lock checksums lint paper

help: ## List the targets with a one-line description each
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Set-up: a venv, uv from the lock (pip checks its hashes), then uv installs the hash-pinned lock exactly,
# compiling bytecode as pip does (without it every kernel start would recompile pandas & co. here).
define register_kernel
$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cctv-density)" $(KERNEL_ENV) >/dev/null
endef

# JupyterLab (any Lab of this venv) saves notebooks/*.ipynb as their source: no outputs, no metadata Lab adds, so a
# save leaves `git status` clean (helpers/pipeline/notebook_source.py, lab_pre_save).
LAB_CONFIG := $(VENV)/etc/jupyter/jupyter_server_config.json
define lab_save_hook
mkdir -p $(dir $(LAB_CONFIG)) && printf '%s\n' '{"ContentsManager": {"pre_save_hook": "helpers.pipeline.notebook_source.lab_pre_save"}}' > $(LAB_CONFIG)
endef

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	awk '/^uv==/{p=1} p{print} p && !/\\$$/{exit}' requirements.lock > $(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install -qq --disable-pip-version-check --require-hashes --no-deps -r $(VENV)/uv-requirement.txt
	$(BIN)/uv pip sync -q --python $(BIN)/python --require-hashes --compile-bytecode requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps --no-build-isolation -e .
	$(register_kernel)
	$(lab_save_hook)
	@touch $(STAMP)
	@echo "environment ready: $(VENV) (kernel 'python3')"

kernel: $(STAMP) ## Register the project kernel again if its environment (KERNEL_VARS) changed
	@$(BIN)/python -c 'import json, sys; env = json.load(open(sys.argv[1])).get("env", {}); \
	  sys.exit(any(env.get(n) != v if v else n in env for n, _, v in (a.partition("=") for a in sys.argv[2:])))' \
	  $(KERNEL_JSON) $(foreach v,$(KERNEL_VARS),"$(v)=$($(v))") 2>/dev/null || \
	  { $(register_kernel) && echo "kernel 'python3' registered with$(foreach v,$(KERNEL_VARS), $(v)='$($(v))')"; }

reproduce: kernel ## Set up .venv, then run every notebook for every scenario into outputs/
	$(BIN)/python -m helpers.run $(RUN_ARGS)

test: kernel ## Set up .venv, then lint and run the whole test suite (the browser test included)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load

test-fast: kernel ## The edit-test loop: every test but the slow, end-to-end and browser ones (about a minute)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load -m "not slow and not e2e and not browser"

test-browser: kernel ## Run every notebook in JupyterLab in headless Chromium, in a copy of the project
	$(BIN)/python -m pytest -m browser tests/test_browser.py

lab: kernel ## Start JupyterLab at the project root on notebooks/01_data_cleaning.ipynb (options: LAB_ARGS)
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" \
	  --LabApp.default_url=/lab/tree/notebooks/01_data_cleaning.ipynb $(LAB_ARGS)

bench: kernel ## Time the runner (papermill CLI, plain Python), then first-time set-up (pip vs uv)
	$(BIN)/python bench/bench_runner.py
	$(MAKE) --no-print-directory bench-setup

bench-setup: $(STAMP) ## Time first-time set-up, pip (the old way) against uv: fresh venvs, interleaved repeats, medians
	$(BIN)/python bench/bench_setup.py

bench-scale: $(STAMP) ## Time cleaning, densities and tables on 10k-100k-row synthetic tables (peak memory), then the runner (100k vs real)
	$(BIN)/python bench/bench_runner.py --scale

lint: $(STAMP) ## Check style with ruff
	$(BIN)/ruff check $(LINT_PATHS)

checksums: $(STAMP) ## Record the sha256 of every file in data/raw/ after a deliberate edit
	$(BIN)/python -m helpers.data.checksums --write

lock: $(STAMP) ## Re-resolve requirements.in with uv into the hash-pinned requirements.lock (LOCK_ARGS=--upgrade to update)
	$(BIN)/uv pip compile requirements.in --generate-hashes --python $(BIN)/python \
	  --custom-compile-command "make lock" --quiet $(LOCK_ARGS) -o requirements.lock

# The manuscript: paper/main.tex on the committed outputs; every table is compiled alone first, so a failure names it.
paper: ## Build paper/main.pdf from outputs/ with pdflatex (Debian: texlive-latex-base/-recommended/-extra/-science)
	$(PYTHON) paper/build.py

# Print a variable as this Makefile sets it, e.g. `make -s print-CCTV_DATA_DIR` (used by the tests).
print-%:
	@echo '$($*)'

clean: ## Remove generated files that are not committed (.venv, caches, the runner's records, failed runs); keeps outputs/
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis outputs/.cache outputs/.staging outputs/.trash outputs/failed outputs/run-record.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -exec rm -rf {} +
