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

# Rebuild the cohort from its seed (byte-identical to the committed files), then run every
# notebook into output/ with an HTML report and the scorecard.
reproduce: $(STAMP)
	$(PY) -m helpers.reconstruct --out data
	$(PY) -m helpers.report --data data --out output

# Journal-club handouts: the chosen notebooks run and rendered as HTML without their code,
# into output/handout/ (see helpers/handout.py), e.g. make handout NOTEBOOKS="03 06".
handout: $(STAMP)
	@test -n "$(NOTEBOOKS)" || { echo 'usage: make handout NOTEBOOKS="03 06"' >&2; exit 1; }
	$(PY) -m helpers.handout $(NOTEBOOKS) --data data --out output/handout

# Whole-set wall time against an import-only floor (not a test; see helpers/benchmark.py).
benchmark: $(STAMP)
	$(PY) -m helpers.benchmark

test: $(STAMP)
	$(PY) -m pytest -n auto -q tests

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

lock: $(STAMP)
	$(PY) -m helpers.envspec > .ci/requirements.in
	$(UV) pip compile --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
		--custom-compile-command 'make lock' .ci/requirements.in -o $(LOCK)

clean:
	rm -rf $(VENV) output/
