"""Journal-club handouts: run chosen notebooks, render each as HTML without its code, and
assemble them into one PDF (helpers.pdf) with a title page and the discussion questions.

    python -m helpers.handout NOTEBOOK [NOTEBOOK ...] --out DIR [--jobs 2] [--paper a4|letter]

NOTEBOOK is a path to a notebook, or a notebook of notebooks/ by number or name ("03",
"03_marker_by_group"). Each runs with papermill like the report does
(helpers.report.execute: kernel python3, absolute data and output paths, interactive=False for
notebooks with widgets) into `<out>/notebooks/`, and is rendered to `<out>/<name>.html` by
nbconvert's HTMLExporter with the code cells' input and the In/Out prompts left out, so the
audience sees the text, tables and figures only; warnings printed to stderr are dropped from
the handout too (the executed notebook keeps them). `<out>/index.html` links the handouts.
`<out>/handout.pdf` holds all of them as one document for readers (A4, or US Letter with
--paper letter), its title page with the scorecard summary of the cohort, the date and the
version (git describe of the repository). Exit status 1 when a notebook fails, 2 when a
NOTEBOOK names none or several.
"""
from __future__ import annotations

import argparse
import copy
import datetime
import html
import os
import subprocess
import sys
from pathlib import Path

from helpers.errors import cli_errors
from helpers.notebook import RECONSTRUCTED_LABEL
from helpers.report import NOTEBOOK_DIR, ROOT, run_all
from helpers.site import title

def resolve(name: str, directory: Path = NOTEBOOK_DIR) -> Path:
    """The notebook `name` stands for: an existing path, else `<directory>/<name>.ipynb`, else the
    one notebook of `directory` whose name starts with `<name>_` (a number such as "03").
    ValueError when none or several match."""
    path = Path(name)
    if path.is_file():
        return path.resolve()
    stem = path.name.removesuffix(".ipynb")
    matches = sorted(directory.glob(f"{stem}.ipynb")) or sorted(directory.glob(f"{stem}_*.ipynb"))
    if len(matches) != 1:
        found = ", ".join(p.stem for p in matches) or "none"
        raise ValueError(f"{name!r} must name exactly one notebook of {directory} (found: {found})")
    return matches[0].resolve()


def without_code(nb):
    """A copy of `nb` for the audience: stderr output (warnings) removed from code cells; the
    code itself is left out by the exporter."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.get("name") == "stderr")]
    return nb


def render(executed: Path, target: Path) -> Path:
    """HTML of an executed notebook with no code cells' input and no prompts."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(without_code(nb), resources={"metadata": {"name": title(nb)}})
    target.write_text(body, encoding="utf-8")
    return target


def version() -> str:
    """`git describe --always --dirty` of the repository, or 'unknown' without git."""
    try:
        run = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return run.stdout.strip() if run.returncode == 0 and run.stdout.strip() else "unknown"


def build_date() -> str:
    """Today (ISO), or the date of SOURCE_DATE_EPOCH when set, for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date().isoformat()
    return datetime.date.today().isoformat()


def scorecard_summary(cohort) -> list[str]:
    """The scorecard of the cohort in words (helpers.site.summary_lines), computed as notebook 07
    and the check command compute it (helpers.analysis.cohort_scorecard)."""
    from helpers.analysis import cohort_scorecard
    from helpers.site import summary_lines

    return summary_lines(cohort_scorecard(cohort))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="path, number or name of a notebook")
    parser.add_argument("--out", type=Path, required=True, help="folder for the handouts")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once")
    parser.add_argument("--paper", choices=("a4", "letter"), default="a4", help="page size of the PDF")
    args = parser.parse_args(argv)
    try:
        paths = list(dict.fromkeys(resolve(n) for n in args.notebooks))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    out_dir = args.out.resolve()
    from helpers import pdf
    from helpers.cohort import load_cohort
    from helpers.study import PAPER_STUDY

    with cli_errors():  # clean once; fail early on bad data
        cohort = load_cohort(PAPER_STUDY.parent, cache_dir=out_dir / "cleaned")
    runs = run_all(paths, out_dir, {"study_file": str(PAPER_STUDY), "output_dir": str(out_dir)}, args.jobs)
    items, failed, executed = [], [], []
    for name, seconds, error in runs:
        if error:
            failed.append(f"{name} ({error})")
            print(f"{name:38s} FAILED {error}")
            continue
        executed.append(out_dir / "notebooks" / f"{name}.ipynb")
        page = render(executed[-1], out_dir / f"{name}.html")
        items.append(f'<li><a href="{page.name}">{html.escape(name)}</a></li>')
        print(f"{name:38s} {seconds:5.1f} s  {page}")
    index = out_dir / "index.html"
    index.write_text("<!doctype html><meta charset='utf-8'><title>Journal club handouts</title>"
                     "<h1>Zhang &amp; Adachi (1999): journal club handouts</h1>"
                     f"<p><b>{RECONSTRUCTED_LABEL}</b></p><ul>{''.join(items)}</ul>\n", encoding="utf-8")
    if executed:
        target = out_dir / "handout.pdf"
        pages = pdf.build(executed, target, scorecard_summary(cohort), build_date(), version(), args.paper)
        print(f"\nPDF handout ({args.paper.upper() if args.paper == 'a4' else 'Letter'}, {pages} pages): {target}")
    if failed:
        print("Failed: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
