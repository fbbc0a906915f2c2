"""Check every registry row against a cohort directory and print the scorecard.

    python -m helpers.check --data data [--strict] [--out output]

With --strict the exit status is 1 when any verdict differs from the registry's
expected verdict (the reconstructed cohort's contract); user data need not meet it.
The plates' cleaned tables are kept in `<out>/cleaned` (helpers.cleaning), the folder
`make reproduce` uses: while the plate files are unchanged they are read, not cleaned again.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from helpers import ROOT
from helpers.analysis import cohort_scorecard
from helpers.cohort import load_cohort
from helpers.errors import cli_errors
from helpers.registry import VERDICTS


def run(data_dir: Path, keep_failed_plates: bool = False, cache_dir: Path | None = None) -> pd.DataFrame:
    """The scorecard of a cohort directory (analysis.cohort_scorecard), its cleaned tables
    kept in `cache_dir` (helpers.cleaning)."""
    return cohort_scorecard(load_cohort(data_dir, cache_dir, keep_failed_plates))


def format_scorecard(card: pd.DataFrame) -> str:
    """A plain-text table: id, reported, reproduced, verdict, reason; counts and notes below."""
    def show(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)
    table = pd.DataFrame({"reported": card["reported"], "reproduced": card["reproduced"].map(show),
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
    lines = [", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)]
    for rid, row in card[card["verdict"] != "reproduced"].iterrows():
        lines.append(f"  {rid} ({row['verdict']}): {row['note'] or row['reason']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="cohort directory holding raw/")
    parser.add_argument("--strict", action="store_true", help="fail when a verdict differs from the expected one")
    parser.add_argument("--keep-failed-plates", action="store_true",
                        help="let plates that fail QC feed the statistics (their results stay flagged)")
    parser.add_argument("--out", type=Path, default=ROOT / "output",
                        help="output folder whose cleaned/ keeps the cleaned tables (git-ignored)")
    args = parser.parse_args(argv)
    with cli_errors():
        card = run(args.data, args.keep_failed_plates, args.out / "cleaned")
    print("Reconstructed cohort (synthetic data, not the original patients):", args.data)
    print(format_scorecard(card))
    unexpected = card[card["verdict"] != card["expected_verdict"]]
    if args.strict and not unexpected.empty:
        print(f"\nUnexpected verdicts: {', '.join(unexpected.index)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
