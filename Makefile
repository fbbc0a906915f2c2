# One venv in .venv, installed from the fully pinned .ci/requirements.lock
# (generated from environment.yml by `make lock`).

VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed
LOCK   := .ci/requirements.lock
UV_VERSION := 0.13.9

# The venv's kernelspecs (python3 -> .venv) win over user-level ones.
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter
# uv trusts the system's certificate store, as pip does, not only its own bundle: installs
# then work behind a TLS-intercepting proxy whose certificate the system trusts. (UV_SYSTEM_CERTS
# is uv 0.13's name for what older uv called UV_NATIVE_TLS / --native-tls, now deprecated.)
export UV_SYSTEM_CERTS := 1

# First of python3.11 / python3 that really is 3.11 (evaluated only when needed).
PYTHON311 = $(shell for p in python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

.PHONY: venv reproduce test lab lock clean benchmark handout

venv: $(STAMP)

$(UV):
	@test -n "$(PYTHON311)" || { echo "error: Python 3.11 is required but neither python3.11 nor python3 is 3.11" >&2; exit 1; }
	$(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install -q uv==$(UV_VERSION)

# Bytecode is compiled at install time, so imports don't pay for it
# (and PYTHONDONTWRITEBYTECODE=1 can't leave them slow).
# The .pth file puts the repository root on the venv's path, so notebooks (run from
# notebooks/) and tests import `helpers` without installing it.
$(STAMP): $(LOCK) | $(UV)
	$(UV) pip install --python $(PY) --compile-bytecode -r $(LOCK)
	$(PY) -c 'import site, sys; open(site.getsitepackages()[0] + "/il6_repro.pth", "w").write(sys.argv[1] + "\n")' "$(CURDIR)"
	touch $@

# The reconstructed cohort: rebuild it from its seed (byte-identical to the committed files),
# then run every notebook into output/ with an HTML report and the scorecard.
# STUDY=gbsg2: rebuild GBSG2's tables from lifelines' copy and report into output/gbsg2/.
# STUDY=path/to/study.yaml: run the set on your own study file into output/<its folder>/.
STUDY ?= paper
reproduce: $(STAMP)
ifeq ($(STUDY),paper)
	$(PY) -m helpers.reconstruct --out data
	$(PY) -m helpers.report --study data/study.yaml --out output
else ifeq ($(STUDY),gbsg2)
	$(PY) -m helpers.gbsg2 --out data/gbsg2
	$(PY) -m helpers.report --study data/gbsg2/study.yaml --out output/gbsg2
else
	$(PY) -m helpers.report --study $(STUDY) --out output/$(notdir $(patsubst %/,%,$(dir $(abspath $(STUDY)))))
endif

# Journal-club handout: the chosen notebooks run, rendered without their code as HTML and as
# one PDF, output/handout/handout.pdf (see helpers/handout.py), e.g.
# make handout NOTEBOOKS="00 03 06 08" [PAPER=letter].
PAPER ?= a4
handout: $(STAMP)
	@test -n "$(NOTEBOOKS)" || { echo 'usage: make handout NOTEBOOKS="00 03 06 08" [PAPER=letter]' >&2; exit 1; }
	$(PY) -m helpers.handout $(NOTEBOOKS) --out output/handout --paper $(PAPER)

# Wall time of make reproduce, make test and helpers.check against an import-only floor
# measured in the same run, and the cut-off explorer's redraw; then time and peak memory of the
# check and the whole report at n = 46, 686 (GBSG2) and 10,000 (resampled)
# (not a test; see helpers/benchmark.py).
benchmark: $(STAMP)
	$(PY) -m helpers.benchmark
	$(PY) -m helpers.benchmark --scale --report

test: $(STAMP)
	$(PY) -m pytest -n auto -q tests

# JupyterLab with the project's kernel; no news pop-up or update check (settings overrides),
# and --allow-root when run as root, as in most containers; LAB_ARGS="--no-browser --port=8890" passes options.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
lab: $(STAMP)
	@mkdir -p $(LAB_SETTINGS) && cp helpers/templates/jupyterlab/overrides.json $(LAB_SETTINGS)/overrides.json
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) notebooks/

lock: $(STAMP)
	$(PY) -m helpers.envspec > .ci/requirements.in
	$(UV) pip compile --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		--custom-compile-command 'make lock' .ci/requirements.in -o $(LOCK)

clean:
	rm -rf $(VENV) output/
