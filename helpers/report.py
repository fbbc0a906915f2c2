"""Run the whole notebook set and publish it: executed notebooks, static HTML with an index
page, the scorecard in the terminal. Exit status 1 when a notebook fails or a verdict
differs from the registry's expectation.

    python -m helpers.report --data data --out output [--jobs 2]

Notebooks run with papermill (kernel python3) in a pool of worker processes; the scorecard
notebook (07) runs last because it gathers the others' results. The plates are cleaned once
up front into `<out>/cache`, and every notebook reuses that.
"""
from __future__ import annotations

import argparse
import html
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from helpers.errors import cli_errors
from helpers.notebook import RECONSTRUCTED_LABEL

ROOT = Path(__file__).resolve().parent.parent
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
        error = ""
    except pm.PapermillExecutionError as err:
        error = f"cell {err.exec_count}: {err.ename}: {err.evalue}"
    except Exception as err:  # kernel death, missing notebook, ...: report, don't hide
        error = f"{type(err).__name__}: {err}"
    return path.stem, time.perf_counter() - start, error


def run_all(paths: list[Path], out_dir: Path, parameters: dict, jobs: int) -> list[tuple[str, float, str]]:
    """Execute every notebook; the scorecard notebook after all the others."""
    first = [p for p in paths if p.stem != SCORECARD_NOTEBOOK]
    last = [p for p in paths if p.stem == SCORECARD_NOTEBOOK]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(execute, first, [out_dir] * len(first), [parameters] * len(first)))
    return runs + [execute(p, out_dir, parameters) for p in last]


def to_html(out_dir: Path, runs: list[tuple[str, float, str]], card: pd.DataFrame | None) -> Path:
    """Static HTML of each executed notebook and an index page linking them."""
    import nbformat
    from nbconvert import HTMLExporter

    (out_dir / "html").mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()
    items = []
    for name, seconds, error in runs:
        executed = out_dir / "notebooks" / f"{name}.ipynb"
        if executed.is_file():
            body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
            (out_dir / "html" / f"{name}.html").write_text(body, encoding="utf-8")
        state = f"<b>failed</b>: {html.escape(error)}" if error else f"ran in {seconds:.1f} s"
        items.append(f'<li><a href="{name}.html">{name}</a> ({state})</li>')
    summary = "" if card is None else card.to_html(escape=True, na_rep="")
    page = (f"<!doctype html><meta charset='utf-8'><title>IL-6 in metastatic breast cancer: reproduction</title>"
            f"<h1>Zhang &amp; Adachi (1999): reproduction on a reconstructed cohort</h1>"
            f"<p><b>{RECONSTRUCTED_LABEL}</b></p>"
            f"<h2>Notebooks</h2><ul>{''.join(items)}</ul><h2>Scorecard</h2>{summary}")
    index = out_dir / "html" / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def read_scorecard(out_dir: Path) -> pd.DataFrame | None:
    path = out_dir / "scorecard.csv"
    return pd.read_csv(path, index_col="id", keep_default_na=False) if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data", help="cohort directory holding raw/")
    parser.add_argument("--out", type=Path, default=ROOT / "output", help="output folder (git-ignored)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once")
    parser.add_argument("--keep-failed-plates", action="store_true",
                        help="let plates that fail QC feed the statistics (their results stay flagged)")
    args = parser.parse_args(argv)
    out_dir, data_dir = args.out.resolve(), args.data.resolve()
    from helpers.check import summary
    from helpers.cohort import load_cohort

    with cli_errors():  # clean once; fail early on bad data
        load_cohort(data_dir, cache_dir=out_dir / "cache", keep_failed_plates=args.keep_failed_plates)
    parameters = {"data_dir": str(data_dir), "output_dir": str(out_dir), "keep_failed_plates": args.keep_failed_plates}
    runs = run_all(notebooks(), out_dir, parameters, args.jobs)
    card = read_scorecard(out_dir)
    index = to_html(out_dir, runs, card)
    failed = [(name, error) for name, _, error in runs if error]
    for name, seconds, error in runs:
        print(f"{name:38s} {'FAILED ' + error if error else f'{seconds:5.1f} s'}")
    print(f"\nHTML report: {index}")
    if card is not None:
        print("Scorecard: " + summary(card))
        unexpected = card[card["verdict"] != card["expected_verdict"]]
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
