"""Run a study's analyses and print its scorecard: every registry row with its verdict.

    python -m helpers.check [--study data/study.yaml] [--cutoff X] [--strict] [--out output]

The study file (helpers.study) says where the cohort is and what to compute; its label is
printed first. With a registry in `reproduce` mode each row is judged against the printed
value; in `replicate` mode each claim is judged as replicated or not; without a registry
the results are listed without verdicts. --cutoff replaces the primary marker's cut-off.
With --strict the exit status is 1 when any verdict differs from the registry's expected
verdict (the reconstructed cohort's contract). The plates' cleaned tables are kept in
`<out>/cleaned` (helpers.cleaning): while the plate files are unchanged they are read, not
cleaned again.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from helpers import ROOT
from helpers.errors import cli_errors
from helpers.registry import REPLICATION_VERDICTS, VERDICTS
from helpers.study import PAPER_STUDY, cutoff_argument


def run(study_file: Path = PAPER_STUDY, keep_failed_plates: bool = False, cache_dir: Path | None = None,
        cutoff: float | None = None) -> tuple[object, pd.DataFrame]:
    """(study, card): the study's scorecard (helpers.analysis.study_scorecard), its cleaned
    tables kept in `cache_dir` (helpers.cleaning)."""
    from helpers.analysis import study_scorecard
    from helpers.cohort import load_study_cohort
    from helpers.study import load_study

    study = load_study(study_file)
    if cutoff is not None:
        study = study.with_cutoff(cutoff)  # cutoff_value checked it
    return study, study_scorecard(study, load_study_cohort(study, cache_dir, keep_failed_plates))


def format_scorecard(card: pd.DataFrame) -> str:
    """A plain-text table: id, reported, this cohort's value, verdict, reason; counts and notes below."""
    def show(v):
        return f"{v:.4g}" if isinstance(v, float) else "-" if v is None else str(v)
    if "verdict" not in card:  # no registry: the results without verdicts
        return card.assign(value=card["value"].map(show)).to_string()
    value = "reproduced" if "reproduced" in card else "this cohort"
    table = pd.DataFrame({"reported": card["reported"], value: card[value].map(show),
                          "verdict": card["verdict"], "reason": card["reason"]})
    lost = card.loc[card["left_out"] != "", "left_out"] if "left_out" in card else pd.Series(dtype=str)
    lines = [table.to_string(), "", summary(card)]
    if len(lost):
        lines += ["", "Rows whose analysis left patients out:"]
        lines += [f"  {', '.join(g.index)}: {text}" for text, g in lost.groupby(lost, sort=False)]
    return "\n".join(lines)


def summary(card: pd.DataFrame) -> str:
    """The verdict counts, then each row that is not reproduced with its explanation."""
    counts = card["verdict"].value_counts()
    replication = "this cohort" in card
    lines = [", ".join(f"{counts.get(v, 0)} {v}" for v in (REPLICATION_VERDICTS if replication else VERDICTS))]
    for rid, row in card[~card["verdict"].isin(["reproduced", "replicated", "descriptive"])].iterrows():
        lines.append(f"  {rid} ({row['verdict']}): {row.get('note') or row['reason']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, default=PAPER_STUDY,
                        help="study file (default: the reconstructed cohort, data/study.yaml)")
    parser.add_argument("--cutoff", type=cutoff_argument, default=None,
                        help="cut-off of the primary marker (default: the one the study fixes in advance)")
    parser.add_argument("--strict", action="store_true", help="fail when a verdict differs from the expected one")
    parser.add_argument("--keep-failed-plates", action="store_true",
                        help="let plates that fail QC feed the statistics (their results stay flagged)")
    parser.add_argument("--out", type=Path, default=ROOT / "output",
                        help="output folder whose cleaned/ keeps the cleaned tables (git-ignored)")
    args = parser.parse_args(argv)
    with cli_errors():
        study, card = run(args.study, args.keep_failed_plates, args.out / "cleaned", args.cutoff)
    m = study.primary
    print(f"{study.label}: {args.study}")
    if m.cutoff is not None:
        print(f"{m.name} cut-off: {m.cutoff:g} {m.unit}" + ("" if m.fixed_in_advance else f" ({m.cutoff_source})"))
    print(format_scorecard(card))
    unexpected = card[card["verdict"] != card["expected_verdict"]] if "expected_verdict" in card else card.iloc[:0]
    if args.strict and not unexpected.empty:
        print(f"\nUnexpected verdicts: {', '.join(unexpected.index)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
