"""The notebooks as regression tests: each runs top to bottom with papermill in a fresh
kernel, writes its results JSON, and its verdicts match the registry. The same notebooks
also run on a second cohort built from another seed."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from helpers.reconstruct import build
from helpers.registry import VERDICTS
from helpers.report import execute, notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = notebooks()
OTHER_SEED = 12345


def run_notebook(path: Path, data_dir: Path, output_dir: Path) -> dict:
    """Execute one notebook exactly as the main command does (papermill, kernel python3,
    widgets off); a failing cell fails the test naming the notebook and the cell."""
    _, _, error = execute(path, output_dir, {"data_dir": str(data_dir), "output_dir": str(output_dir)})
    if error:
        pytest.fail(f"{path.name}: {error}", pytrace=False)
    return json.loads((output_dir / "results" / f"{path.stem}.json").read_text())


@pytest.fixture(scope="session")
def other_cohort(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cohort_seed_other")
    build(out, seed=OTHER_SEED)
    return out


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_reproduces_registry(path, tmp_path):
    results = run_notebook(path, ROOT / "data", tmp_path)
    wrong = {rid: v for rid, v in results["verdicts"].items() if v["verdict"] != v["expected_verdict"]}
    assert not wrong, f"{path.name}: verdicts differ from the registry's expectation: {wrong}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_another_cohort(path, tmp_path, other_cohort):
    results = run_notebook(path, other_cohort, tmp_path)
    assert results["parameters"]["data_dir"] == str(other_cohort)
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
    for name in ("data_dir", "output_dir"):
        assert f"{name} =" in tagged[0].source, f"{path.name}: parameters cell must set {name}"
