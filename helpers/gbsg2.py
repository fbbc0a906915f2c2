"""The GBSG2 demo: 686 real patients of the German Breast Cancer Study Group 2 trial, as
lifelines ships them (lifelines.datasets.load_gbsg2; the same data as R's TH.data::GBSG2).

    python -m helpers.gbsg2 --out data/gbsg2

writes the two tables its study file (`data/gbsg2/study.yaml`) reads, in the form a lab
would bring its own cohort: `clinical.csv` (one row per patient, identifiers G001...) and
`markers.csv`, a concentrations table with the oestrogen (ER) and progesterone (PGR)
receptor assay values. Nothing is changed but names and layout; rows keep lifelines'
order, so the files are identical on every run.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from helpers import ROOT

OUT = ROOT / "data" / "gbsg2"
UNIT = "fmol/mg"  # receptor content per mg cytosol protein (the survival package's help says fmol/l)


def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clinical, markers) built from lifelines' copy of GBSG2."""
    from lifelines.datasets import load_gbsg2

    raw = load_gbsg2()
    ids = [f"G{i:03d}" for i in range(1, len(raw) + 1)]
    clinical = pd.DataFrame({
        "patient_id": ids, "age": raw["age"], "menostat": raw["menostat"], "tsize": raw["tsize"],
        "tgrade": raw["tgrade"], "pnodes": raw["pnodes"], "horTh": raw["horTh"],
        "rfs_days": raw["time"], "event": raw["cens"],
    })
    markers = pd.concat([pd.DataFrame({"sample_id": ids, "analyte": analyte, "value": raw[column], "unit": UNIT,
                                       "censoring": "", "lloq": "", "uloq": ""})
                         for analyte, column in (("ER", "estrec"), ("PGR", "progrec"))], ignore_index=True)
    return clinical, markers


def write(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in zip(("clinical.csv", "markers.csv"), tables()):
        path = out / name
        frame.to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the study file")
    args = parser.parse_args(argv)
    for path in write(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
