"""Run the whole notebook set on a study and publish it as executed notebooks and HTML pages.

The report has an index page, and the scorecard is printed in the terminal. Exit status 1
when a notebook fails or a verdict differs from the registry's expectation.

    python -m helpers.report [--study data/study.yaml] [--cutoff X] --out output [--jobs 2]

A notebook with nothing to do for the study says why and stops (helpers.notebook.applies).

Notebooks run with papermill (kernel python3, one kernel per notebook) in a pool of worker
processes, the ones that took longest in the last run first; the scorecard notebook (07) runs
last because it gathers the others' results. The first step cleans the plates into the
cleaned tables of `<out>/cleaned` (helpers.cleaning; skipped while they are up to date), and
every notebook reads those.
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import pandas as pd

from helpers import ROOT
from helpers.errors import cli_errors
from helpers.study import PAPER_STUDY, cutoff_argument

NOTEBOOK_DIR = ROOT / "notebooks"
SCORECARD_NOTEBOOK = "07_scorecard"


def notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    """The set in order: numbered notebooks, then appendices (A1_...)."""
    return sorted(directory.glob("[0-9][0-9]_*.ipynb")) + sorted(directory.glob("A[0-9]_*.ipynb"))


def execute(path: Path, out_dir: Path, parameters: dict) -> tuple[str, float, str]:
    """Run one notebook into `<out_dir>/notebooks/`; returns (name, seconds, error or '')."""
    import papermill as pm

    start = time.perf_counter()
    target = out_dir / "notebooks" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if "interactive" in pm.inspect_notebook(str(path)):  # widget notebooks: their static version
            parameters = {**parameters, "interactive": False}
        pm.execute_notebook(str(path), str(target), kernel_name="python3", cwd=str(path.parent),
                            parameters=parameters, progress_bar=False)
        drop_clean_stop(target)
        error = ""
    except pm.PapermillExecutionError as err:
        error = f"cell {err.exec_count}: {err.ename}: {err.evalue}"
    except Exception as err:  # kernel death, missing notebook, ...: report, don't hide
        error = f"{type(err).__name__}: {err}"
    return path.stem, time.perf_counter() - start, error


def drop_clean_stop(target: Path) -> None:
    """End the executed copy of a notebook that stopped cleanly (helpers.notebook.applies /
    paper_details raise SystemExit(0) after saying why) at the cell that stopped it, without
    the exception: the reader sees the reason, and no cell that did not run."""
    nb = nbformat.read(target, as_version=4)
    for i, cell in enumerate(nb.cells):
        outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
        if any(o.get("output_type") == "error" and o.get("ename") == "SystemExit" for o in outputs):
            cell.outputs = [o for o in outputs if o.get("output_type") != "error"
                            and not (o.get("output_type") == "stream" and "To exit: use" in o.get("text", ""))]
            cell.metadata.get("papermill", {})["exception"] = False
            nb.cells = nb.cells[:i + 1]  # what follows did not run and may not apply to the study
            nb.metadata.get("papermill", {})["exception"] = False
            nbformat.write(nb, target)
            return


def last_duration(path: Path, out_dir: Path) -> float:
    """Seconds the notebook took in the last run into `out_dir` (papermill's metadata), or
    infinity when it has not run there."""
    try:
        return float(nbformat.read(out_dir / "notebooks" / path.name, as_version=4).metadata["papermill"]["duration"])
    except (OSError, KeyError, TypeError, ValueError):
        return float("inf")


def run_all(paths: list[Path], out_dir: Path, parameters: dict, jobs: int) -> list[tuple[str, float, str]]:
    """Execute every notebook, the longest of the last run first (so the pool ends together);
    the scorecard notebook after all the others. Runs are returned in the order of `paths`."""
    first = sorted((p for p in paths if p.stem != SCORECARD_NOTEBOOK), key=lambda p: -last_duration(p, out_dir))
    last = [p for p in paths if p.stem == SCORECARD_NOTEBOOK]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(execute, first, [out_dir] * len(first), [parameters] * len(first)))
    runs += [execute(p, out_dir, parameters) for p in last]
    order = {p.stem: i for i, p in enumerate(paths)}
    return sorted(runs, key=lambda run: order[run[0]])


def to_html(out_dir: Path, runs: list[tuple[str, float, str]], card: pd.DataFrame | None, study=None) -> Path:
    """The report as a static site in `<out_dir>/html/` (helpers.site): a page per executed
    notebook and an index page; returns the index."""
    from helpers.site import build

    return build(out_dir, runs, card, root=ROOT, study=study)


def read_scorecard(out_dir: Path) -> pd.DataFrame | None:
    path = out_dir / "scorecard.csv"
    return pd.read_csv(path, index_col=0, keep_default_na=False, dtype={"reported": str}) if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, default=PAPER_STUDY,
                        help="study file (default: the reconstructed cohort, data/study.yaml)")
    parser.add_argument("--cutoff", type=cutoff_argument, default=None,
                        help="cut-off of the primary marker (default: the one the study fixes in advance)")
    parser.add_argument("--out", type=Path, default=ROOT / "output", help="output folder (git-ignored)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once")
    parser.add_argument("--keep-failed-plates", action="store_true",
                        help="let plates that fail QC feed the statistics (their results stay flagged)")
    args = parser.parse_args(argv)
    out_dir, study_file = args.out.resolve(), args.study.resolve()
    from helpers.check import summary
    from helpers.cohort import load_study_cohort
    from helpers.study import load_study

    with cli_errors():  # clean once (helpers.cleaning); fail early on bad data
        study = load_study(study_file)
        load_study_cohort(study, out_dir / "cleaned", args.keep_failed_plates)
    parameters = {"study_file": str(study_file), "output_dir": str(out_dir), "cutoff": args.cutoff,
                  "keep_failed_plates": args.keep_failed_plates}
    runs = run_all(notebooks(), out_dir, parameters, args.jobs)
    card = read_scorecard(out_dir)
    index = to_html(out_dir, runs, card, study)
    failed = [(name, error) for name, _, error in runs if error]
    for name, seconds, error in runs:
        print(f"{name:38s} {'FAILED ' + error if error else f'{seconds:5.1f} s'}")
    print(f"\nHTML report: {index}")
    if card is not None:
        print("Scorecard: " + summary(card) if "verdict" in card else
              f"Results: {len(card)} values (the study has no registry, so no verdicts)")
        unexpected = card[card["verdict"] != card["expected_verdict"]] if "expected_verdict" in card else card.iloc[:0]
        if not unexpected.empty:
            print(f"Verdicts differing from the registry's expectation: {', '.join(unexpected.index)}",
                  file=sys.stderr)
            return 1
    else:
        failed.append((SCORECARD_NOTEBOOK, "no scorecard.csv was written"))
    if failed:
        print("Failed: " + "; ".join(f"{n} ({e})" for n, e in failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
