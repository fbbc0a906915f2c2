"""Wall time of the project's commands against a floor measured in the same run, and the
cut-off explorer's redraw time. Not a test: the machine decides the numbers.

    python -m helpers.benchmark [--repeats 3] [--jobs 2]

The floor is as many notebooks as the set holds, each only importing the libraries the
notebooks import, run by the report's runner (the same pool of --jobs workers, one kernel per
notebook). Each figure is the median of --repeats runs after one warm-up run, which fills
what a second run of the command finds in place (the cleaned tables, the kept rebuilds of A1):
- make reproduce: `python -m helpers.reconstruct` then `python -m helpers.report`, into a
  temporary folder (target: 1.5 x the floor);
- make test: `python -m pytest -n auto -q tests` (target: 75 s);
- python -m helpers.check on the committed cohort (target: 2.5 s);
- explorer redraw: one redraw of notebook 09 in this process (explore, the kept figure to PNG,
  the comparisons table), the median of five (target: 0.5 s);
- widget redraw: notebook 09 run with interactive=True in a live kernel, the slowest of four
  redraws set off by moving its widgets from kernel code (target: 0.5 s); each must change the
  headline, the picture and the table.

    python -m helpers.benchmark --scale [--report]

measures how the set grows with the number of patients instead: `python -m helpers.check
--study FILE` (and with --report the whole `python -m helpers.report --study FILE`) on the
reconstructed cohort (n = 46, data/study.yaml), GBSG2 (n = 686, data/gbsg2/study.yaml; skipped
with a note while it is missing) and a resampled synthetic cohort of 10,000 patients
(helpers.resample, seed 1, in a temporary folder). Each run is a fresh subprocess after one
warm-up run that fills its cleaned tables; it prints wall seconds (median of --repeats) and
the peak resident memory (MiB) of the largest process of the command's tree, the 10,000 / 46 ratio (target:
at most 2) and the slope of log time against log n over the three cohorts (1 is linear, 2
quadratic).
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from helpers import ROOT
from helpers.report import NOTEBOOK_DIR, notebooks, run_all

IMPORTS = """import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.stats
import lifelines
import helpers.analysis, helpers.appraisal, helpers.cohort, helpers.figures, helpers.notebook, helpers.survival"""
REPRODUCE_FACTOR, TEST_SECONDS, CHECK_SECONDS, REDRAW_SECONDS = 1.5, 75.0, 2.5, 0.5
SCALE_N, SCALE_RATIO = 10_000, 2.0  # the largest cohort and its target: time at most 2 x that at n = 46
EXPLORER = NOTEBOOK_DIR / "09_cutoff_explorer.ipynb"
REDRAWS = [(2.0, "all patients"), (8.0, "liver metastasis"), (16.0, "one site"), (4.0, "dominant visceral"),
           (1.0, "pleural effusion")]
PROBE = """
import hashlib as _hashlib, json as _json, time as _time
def _state():
    return {"headline": headline.value, "table": table.value, "picture": _hashlib.sha256(picture.value).hexdigest()}
_states, _times = [_state()], []
for _c in (16.0, 2.0, 8.0):
    _s = _time.perf_counter(); cutoff_slider.value = _c; _times.append(_time.perf_counter() - _s)
_states.append(_state())
_s = _time.perf_counter(); group_choice.value = "liver metastasis"; _times.append(_time.perf_counter() - _s)
_states.append(_state())
print(_json.dumps({"states": _states, "times": _times}))
"""


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


def timed(command: list[str], must_pass: bool = True) -> float:
    """Seconds `command` took, run from the repository root. Its failure stops the benchmark,
    or with must_pass=False is only reported (a failing test still times the suite)."""
    start = time.perf_counter()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode and must_pass:
        raise SystemExit(f"{' '.join(command)} failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    if run.returncode:
        print(f"note: {' '.join(command[1:])} exited with {run.returncode}: {run.stdout.strip().splitlines()[-1:]}")
    return seconds


def explorer_redraws(data_dir: Path) -> list[float]:
    """Seconds of each redraw of REDRAWS in this process, after a warm-up redraw."""
    import matplotlib

    matplotlib.use("Agg")
    from helpers import analysis, explorer
    from helpers.cohort import load_cohort

    t = analysis.add_covariates(load_cohort(data_dir).table)
    panel = explorer.Panel(t)

    def redraw(cutoff, group):
        result = explorer.explore(t, cutoff, group)
        explorer.comparison_html(result)
        return panel.png(result)

    first, seconds = redraw(4.0, "all patients"), []
    for cutoff, group in REDRAWS:
        start = time.perf_counter()
        if redraw(cutoff, group) == first:
            raise SystemExit(f"the explorer drew the same picture for {cutoff:g} pg/ml, {group}")
        seconds.append(time.perf_counter() - start)
    return seconds


def widget_redraws(data_dir: Path, out_dir: Path) -> list[float]:
    """Notebook 09 with interactive=True in a live kernel (nbclient): the seconds of each redraw
    PROBE sets off; every one must change the headline, the picture and the table."""
    from nbclient import NotebookClient
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = parameterize_notebook(load_notebook_node(str(EXPLORER)),
                               {"data_dir": str(Path(data_dir).resolve()), "output_dir": str(Path(out_dir).resolve()),
                                "interactive": True},
                               kernel_name="python3", language="python")
    client = NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    probe = nbformat.v4.new_code_cell(PROBE)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
    report = json.loads("".join(o["text"] for o in probe.outputs if o.get("name") == "stdout"))
    for key in ("headline", "table", "picture"):
        if len({s[key] for s in report["states"]}) != len(report["states"]):
            raise SystemExit(f"a widget redraw left the {key} unchanged")
    return report["times"]


def measured(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MiB) of `command` run in a fresh child process from the
    repository root. The peak is ru_maxrss of the children waited for, taken through a
    throw-away intermediate process so that earlier runs never raise it (RUSAGE_CHILDREN
    keeps the largest child ever waited for)."""
    probe = ("import json, resource, subprocess, sys, time\n"
             "s = time.perf_counter()\n"
             "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "t = time.perf_counter() - s\n"
             "print(json.dumps({'seconds': t, 'kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
             "'rc': r.returncode, 'tail': (r.stdout + r.stderr)[-1500:]}))")
    run = subprocess.run([sys.executable, "-c", probe, *command], cwd=ROOT, capture_output=True, text=True)
    out = json.loads(run.stdout)
    if out["rc"]:
        raise SystemExit(f"{' '.join(command)} failed:\n{out['tail']}")
    return out["seconds"], out["kib"] / 1024


def log_slope(ns: list[float], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) on log(n)."""
    x, y = [math.log(n) for n in ns], [math.log(s) for s in seconds]
    mx, my = statistics.fmean(x), statistics.fmean(y)
    return sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)


def scale(repeats: int, report: bool, jobs: int) -> None:
    """The --scale section: check (and the report) at n = 46, 686 and SCALE_N."""
    from helpers.resample import resample

    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cohorts = [(46, ROOT / "data" / "study.yaml"), (686, ROOT / "data" / "gbsg2" / "study.yaml")]
        if not cohorts[1][1].is_file():
            print(f"note: {cohorts[1][1]} is missing: n = 686 skipped")
            cohorts.pop(1)
        start = time.perf_counter()
        cohorts.append((SCALE_N, resample(SCALE_N, 1, tmp / "resampled", cache_dir=tmp / "source-cleaned")))
        print(f"(resampled {SCALE_N:,} patients in {time.perf_counter() - start:.1f} s)")
        commands = {"helpers.check": lambda study, out: [py, "-m", "helpers.check", "--study", str(study),
                                                         "--out", str(out)]}
        if report:
            commands["helpers.report"] = lambda study, out: [py, "-m", "helpers.report", "--study", str(study),
                                                             "--out", str(out), "--jobs", str(jobs)]
        for name, command in commands.items():
            rows = []
            for n, study in cohorts:
                cmd = command(study, tmp / f"out-{name}-{n}")
                measured(cmd)  # warm-up: the cleaned tables, the notebooks' last durations
                runs = [measured(cmd) for _ in range(repeats)]
                rows.append((n, statistics.median(s for s, _ in runs), max(m for _, m in runs), runs))
            print(f"{name} --study, {repeats} run(s) after a warm-up (median seconds, peak MiB of its largest process):")
            print(f"  {'n':>7s} {'seconds':>8s} {'peak MiB':>9s}   runs")
            for n, seconds, mib, runs in rows:
                print(f"  {n:7,d} {seconds:8.2f} {mib:9.0f}   {', '.join(f'{s:.2f}' for s, _ in runs)}")
            ratio = rows[-1][1] / rows[0][1]
            verdict = "met" if ratio <= SCALE_RATIO else "missed"
            print(f"  time {SCALE_N:,} / 46: {ratio:.2f} x (target {SCALE_RATIO:g} x: {verdict}); memory "
                  f"{rows[-1][2] / rows[0][2]:.2f} x; log-log slope of time on n: "
                  f"{log_slope([r[0] for r in rows], [r[1] for r in rows]):.2f} (1 linear, 2 quadratic)")


def line(name: str, seconds: list[float], floor: float, target: float) -> str:
    median = statistics.median(seconds)
    verdict = "met" if median <= target else f"missed by {median - target:.1f} s"
    return (f"  {name:18s} {median:7.2f} s  {median / floor:5.2f} x floor   target {target:6.2f} s: {verdict:16s}"
            f" (runs: {', '.join(f'{s:.2f}' for s in seconds)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scale", action="store_true",
                        help=f"measure time and memory at n = 46, 686 and {SCALE_N:,} instead")
    parser.add_argument("--report", action="store_true", help="with --scale: time the whole report too")
    args = parser.parse_args(argv)
    if args.scale:
        scale(args.repeats, args.report, args.jobs)
        return 0
    count, py = len(notebooks()), sys.executable
    times = {"floor": [], "make reproduce": [], "make test": [], "helpers.check": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "floor").mkdir()
        floor = floor_notebooks(tmp / "floor", count)
        data, out = tmp / "data", tmp / "output"
        reproduce = [[py, "-m", "helpers.reconstruct", "--out", str(data)],
                     [py, "-m", "helpers.report", "--study", str(data / "study.yaml"), "--out", str(out),
                      "--jobs", str(args.jobs)]]
        check = [py, "-m", "helpers.check", "--study", str(ROOT / "data" / "study.yaml"), "--out", str(out)]
        test = [py, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider", "tests"]
        cold = sum(timed(c) for c in reproduce)  # warm-up: fills out/ as a second `make reproduce` finds it
        timed(check)
        for r in range(args.repeats):
            start = time.perf_counter()
            run_all(floor, tmp / f"floor{r}", {}, args.jobs)
            times["floor"].append(time.perf_counter() - start)
            times["make reproduce"].append(sum(timed(c) for c in reproduce))
            times["make test"].append(timed(test, must_pass=False))
            times["helpers.check"].append(timed(check))
        redraws = explorer_redraws(data)
        widgets = widget_redraws(data, tmp / "widgets")
    floor_s = statistics.median(times["floor"])
    print(f"{count} notebooks, {args.jobs} jobs, {args.repeats} repeat(s) after a warm-up; medians:")
    print(f"  {'floor':18s} {floor_s:7.2f} s  ({count} import-only notebooks; runs: "
          f"{', '.join(f'{s:.2f}' for s in times['floor'])})")
    print(line("make reproduce", times["make reproduce"], floor_s, REPRODUCE_FACTOR * floor_s))
    print(line("make test", times["make test"], floor_s, TEST_SECONDS))
    print(line("helpers.check", times["helpers.check"], floor_s, CHECK_SECONDS))
    print(line("explorer redraw", redraws, floor_s, REDRAW_SECONDS))
    print(line("widget redraw", [max(widgets)], floor_s, REDRAW_SECONDS))
    print(f"  (cold make reproduce, the warm-up: {cold:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
