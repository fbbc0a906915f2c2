"""Wall time of the whole notebook set against a floor: as many notebooks that only import
the libraries, in the same run.

    python -m helpers.benchmark [--repeats 3]

Three timings, each the median of the repeats:
- set: `python -m helpers.report` (all notebooks, HTML, scorecard), as `make reproduce` runs it;
- naive floor: the import-only notebooks run one after another with the papermill CLI,
  the way a user without our runner would run the set;
- runner floor: the import-only notebooks run by our runner (same pool as the set),
  which isolates the cost of the notebooks' own work.
The ratio set / naive floor is the figure of merit (target <= 1.0).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from helpers.report import ROOT, notebooks, run_all

IMPORTS = """import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import scipy.stats
import statsmodels.api
import lifelines
import allotropy.to_allotrope
import helpers.analysis, helpers.cohort, helpers.notebook"""


def floor_notebooks(directory: Path, count: int) -> list[Path]:
    """`count` notebooks with a parameters cell and one cell of imports."""
    paths = []
    for i in range(count):
        nb = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell('data_dir = "."\noutput_dir = "."', metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(IMPORTS)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        paths.append(directory / f"{i:02d}_floor.ipynb")
        nbformat.write(nb, paths[-1])
    return paths


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    count = len(notebooks())
    papermill = str(Path(sys.executable).parent / "papermill")
    times = {"set": [], "naive floor": [], "runner floor": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floor = floor_notebooks(tmp, count)
        for r in range(args.repeats):
            out = tmp / f"set{r}"
            times["set"].append(timed(lambda: subprocess.run(
                [sys.executable, "-m", "helpers.report", "--out", str(out), "--jobs", str(args.jobs)],
                cwd=ROOT, check=True, capture_output=True)))
            times["naive floor"].append(timed(lambda: [subprocess.run(
                [papermill, str(p), str(tmp / f"naive_{p.name}"), "-k", "python3", "--cwd", str(tmp)],
                check=True, capture_output=True) for p in floor]))
            times["runner floor"].append(timed(lambda: run_all(floor, tmp / f"runner{r}", {}, args.jobs)))
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(f"{count} notebooks, {args.repeats} repeat(s), median wall time:")
    for name, seconds in medians.items():
        print(f"  {name:13s} {seconds:6.1f} s   (runs: {', '.join(f'{s:.1f}' for s in times[name])})")
    print(f"ratio set / naive floor:  {medians['set'] / medians['naive floor']:.2f}")
    print(f"ratio set / runner floor: {medians['set'] / medians['runner floor']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
