"""The notebooks as regression tests. Each notebook runs once per cohort, exactly as the main
command runs it: on the committed cohort within the report run that the report's own tests
read too (conftest `report`), on a second cohort built from another seed, and on the real
GBSG2 cohort through its study file (conftest `gbsg2_report`). The tests here read what those
runs left: every notebook ran without an error (or stopped saying it has nothing to do),
wrote its results file, and its verdicts match the registry's expectation."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from conftest import holding
from helpers import ROOT
from helpers.cohort import load_study_cohort
from helpers.notebook import nothing_to_do
from helpers.reconstruct import build
from helpers.registry import VERDICTS
from helpers.study import load_study
from helpers.report import notebooks, run_all

NOTEBOOKS = notebooks()
OTHER_SEED = 12345


@pytest.fixture(scope="session")
def other_run(shared_dir) -> Path:
    """The set run once (helpers.report.run_all, as the report runs it) on a cohort built with
    seed OTHER_SEED, in `<folder>/run`; the cohort itself is `<folder>/cohort`."""
    with holding(shared_dir, "other_seed") as folder:
        if not (folder / "done").is_file():
            build(folder / "cohort", seed=OTHER_SEED)
            study = load_study(folder / "cohort" / "study.yaml")
            load_study_cohort(study, folder / "run" / "cleaned")  # the report's first step
            run_all(NOTEBOOKS, folder / "run", {"study_file": str(study.path),
                                                 "output_dir": str(folder / "run")}, jobs=2)
            (folder / "done").touch()
    return folder


def executed(path: Path, out_dir: Path) -> dict:
    """The results file of a notebook run into `out_dir`; fails naming the cell that raised."""
    target = out_dir / "notebooks" / path.name
    assert target.is_file(), f"{path.name} was not executed"
    nb = nbformat.read(target, as_version=4)
    errors = [f"cell {c.get('execution_count')}: {o['ename']}: {o['evalue']}" for c in nb.cells
              if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors or nb.metadata.get("papermill", {}).get("exception"):
        pytest.fail(f"{path.name}: {'; '.join(errors) or 'failed'}", pytrace=False)
    return json.loads((out_dir / "results" / f"{path.stem}.json").read_text())


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_reproduces_registry(path, report):
    results = executed(path, report)
    wrong = {rid: v for rid, v in results["verdicts"].items() if v["verdict"] != v["expected_verdict"]}
    assert not wrong, f"{path.name}: verdicts differ from the registry's expectation: {wrong}"


def test_report_scorecard_meets_the_registry(report):
    done = json.loads((report / "done.json").read_text())
    assert done["returncode"] == 0, done["stdout"][-3000:] + done["stderr"]
    assert "Scorecard: 29 reproduced, 0 direction only, 1 not reproduced, 0 not computable" in done["stdout"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_another_cohort(path, other_run):
    results = executed(path, other_run / "run")
    assert results["parameters"]["study_file"] == str(other_run / "cohort" / "study.yaml")
    assert all(v["verdict"] in VERDICTS for v in results["verdicts"].values())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec must be python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    dirty = [i for i, c in enumerate(code) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs or execution counts"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    for name in ("study_file", "output_dir", "cutoff", "keep_failed_plates"):
        assert f"{name} =" in tagged[0].source, f"{path.name}: parameters cell must set {name}"


def markdown_outputs(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_on_gbsg2_runs_or_says_why_not(path, gbsg2_report):
    """On a real cohort in another form, each notebook runs its generic part, or says why it has
    nothing to do; none calls the cohort reconstructed."""
    executed_copy = gbsg2_report / "notebooks" / path.name
    assert executed_copy.is_file(), f"{path.name} did not run on GBSG2"
    text = markdown_outputs(executed_copy)
    assert "Cohort: GBSG2" in text and "Reconstructed cohort" not in text
    reason = nothing_to_do(path.stem, load_study(ROOT / "data" / "gbsg2" / "study.yaml"))
    if reason:
        assert f"**Nothing to do for this study.** {reason}" in text
    else:
        results = json.loads((gbsg2_report / "results" / f"{path.stem}.json").read_text())
        wrong = {rid: v for rid, v in results["verdicts"].items() if v["verdict"] != v["expected_verdict"]}
        assert not wrong, f"{path.name}: GBSG2 verdicts differ from the registry's expectation: {wrong}"


def test_gbsg2_report_reproduces_the_published_figures(gbsg2_report):
    done = json.loads((gbsg2_report / "done.json").read_text())
    assert done["returncode"] == 0, done["stdout"][-3000:] + done["stderr"]
    assert "Scorecard: 21 reproduced, 0 direction only, 0 not reproduced, 0 not computable" in done["stdout"]
    index = (gbsg2_report / "html" / "index.html").read_text()
    assert "GBSG2 trial: 686 real patients" in index and "Reconstructed cohort" not in index


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_on_a_resampled_cohort_without_registry(path, resampled_report):
    """A cohort in the paper's form with markers from a concentrations table and no registry:
    every notebook runs (or says why not) under the cohort's own label."""
    done = json.loads((resampled_report / "done.json").read_text())
    assert done["returncode"] == 0, done["stdout"][-3000:] + done["stderr"]
    executed_copy = resampled_report / "run" / "notebooks" / path.name
    text = markdown_outputs(executed_copy)
    assert "Cohort: Resampled synthetic cohort" in text and "Reconstructed cohort" not in text
    study = load_study(resampled_report / "cohort" / "study.yaml")
    if not nothing_to_do(path.stem, study):
        results = json.loads((resampled_report / "run" / "results" / f"{path.stem}.json").read_text())
        assert results["values"] == {} and results["verdicts"] == {}
