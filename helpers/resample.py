"""A synthetic cohort of any size, for running the set at scale (helpers.benchmark).

    python -m helpers.resample --n 10000 --seed 1 --out DIR

Draws n patients with replacement (numpy default_rng(seed)) from the reconstructed cohort
(data/study.yaml) and writes, byte for byte the same for the same n and seed:
- DIR/clinical.csv: the paper's clinical format (helpers.clinical), each drawn patient's row
  as written in the source file under new ids P00001..., S00001...;
- DIR/markers.csv: a concentrations table (helpers.concentrations) with the drawn patient's
  IL6, TNFA, IL1B and IL2 results from the cleaned cohort table (a result below the LLOQ is
  written as below_lloq with its LLOQ, one above the ULOQ as above_uloq with its ULOQ);
- DIR/study.yaml: data/study.yaml's analyses on these two files, without the registry.

Plain resampling, no jitter: every row is a copy of one of the 46 reconstructed (themselves
synthetic) patients, so the cohort has their few distinct values, and its P values shrink
with n as copies would make them. It measures speed and memory; it is not real patients and
not evidence about IL-6.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from helpers.clinical import CLINICAL_COLUMNS
from helpers.concentrations import COLUMNS as CONCENTRATION_COLUMNS
from helpers.errors import cli_errors
from helpers.study import PAPER_STUDY, load_study

MARKERS = ("IL6", "TNFA", "IL1B", "IL2")
CENSORING = {"": "", "left": "below_lloq", "right": "above_uloq"}


def _number(v) -> str:
    """Shortest text that reads back as the same float ('' for a missing value)."""
    return "" if pd.isna(v) else repr(float(v))


def _markers(table: pd.DataFrame, drawn: np.ndarray, samples: list[str], units: dict) -> pd.DataFrame:
    """One row per drawn patient and marker with a usable result, the patient's markers in
    MARKERS order."""
    parts = []
    for k, m in enumerate(MARKERS):
        a = m.lower()
        rows = table.iloc[drawn]
        censored = rows[f"{a}_censored"].fillna("").map(CENSORING).to_numpy()
        value = np.array([_number(v) for v in rows[a]], dtype=object)
        value[censored == "below_lloq"] = ""
        parts.append(pd.DataFrame({
            "sample_id": samples, "analyte": m, "value": value, "unit": units[m], "censoring": censored,
            "lloq": [_number(v) for v in rows[f"{a}_lloq"]], "uloq": [_number(v) for v in rows[f"{a}_uloq"]],
            "_patient": np.arange(len(samples)), "_marker": k,
        })[rows[a].notna().to_numpy()])  # no usable result: no row, as the concentrations format says
    out = pd.concat(parts).sort_values(["_patient", "_marker"], kind="stable")
    return out[list(CONCENTRATION_COLUMNS)]


def _study_yaml(source: Path, n: int, seed: int) -> str:
    spec = yaml.safe_load(source.read_text(encoding="utf-8"))
    spec.pop("registry", None)
    spec.pop("extras", None)  # the paper's extras belong to the paper's cohort, not to a resampled one
    spec.update({
        "name": f"resampled_n{n}_seed{seed}",
        "label": f"Resampled synthetic cohort (n = {n}, resampled from the reconstructed cohort; not real patients)",
        "reconstructed": False,
        "description": f"{n} patients drawn with replacement (seed {seed}) from the reconstructed cohort "
                       f"({source.name}) by helpers.resample, for scale tests; every patient is a copy of a "
                       "synthetic one.",
        "clinical": {**spec["clinical"], "file": "clinical.csv", "format": "zhang1999"},
        "markers": {**spec["markers"], "source": "concentrations", "file": "markers.csv"},
    })
    return "# Written by helpers.resample: a synthetic cohort for scale tests, not real patients.\n" + \
        yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=110)


def resample(n: int, seed: int, out: Path, source: Path = PAPER_STUDY, cache_dir: Path | None = None) -> Path:
    """Write the resampled cohort's three files into `out`; returns the study file."""
    from helpers.cohort import load_study_cohort

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    study = load_study(source)
    with tempfile.TemporaryDirectory() as tmp:
        table = load_study_cohort(study, cache_dir or Path(tmp) / "cleaned").table
    cells = pd.read_csv(study.clinical_file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    cells = cells.set_index("patient_id").loc[table["patient_id"], [c for c in CLINICAL_COLUMNS if c != "patient_id"]]
    drawn = np.random.default_rng(seed).integers(0, len(table), n)
    width = max(5, len(str(n)))
    patients = [f"P{i:0{width}d}" for i in range(1, n + 1)]
    samples = [f"S{i:0{width}d}" for i in range(1, n + 1)]
    clinical = cells.iloc[drawn].reset_index(drop=True).assign(sample_id=samples)
    clinical.insert(0, "patient_id", patients)
    units = {m.id: m.unit for m in study.markers}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    clinical[list(CLINICAL_COLUMNS)].to_csv(out / "clinical.csv", index=False, lineterminator="\n")
    _markers(table, drawn, samples, units).to_csv(out / "markers.csv", index=False, lineterminator="\n")
    (out / "study.yaml").write_text(_study_yaml(Path(study.path), n, seed), encoding="utf-8")
    return out / "study.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True, help="patients to draw")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="folder for clinical.csv, markers.csv, study.yaml")
    parser.add_argument("--source", type=Path, default=PAPER_STUDY, help="study file to draw from")
    args = parser.parse_args(argv)
    with cli_errors():
        path = resample(args.n, args.seed, args.out, args.source)
    print(f"Resampled synthetic cohort, {args.n} patients (not real patients): {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
