"""Load a cohort directory: validated clinical table + cleaned assay plates, joined per patient."""
from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import assay, plates
from helpers.assay import CleanedAssays, clean
from helpers.clinical import load_clinical, normalized_id
from helpers.errors import InputError, Problem

ANALYTES = tuple(plates.ASSAYS)


@dataclass(frozen=True)
class Cohort:
    clinical: pd.DataFrame
    assays: CleanedAssays
    table: pd.DataFrame  # one row per patient: clinical columns + per analyte value / status / detectable
    excluded: pd.DataFrame  # patient_id, sample_id, analyte, reason: results the statistics do not use


def cleaned_assays(raw: Path, cache_dir: Path | None = None, keep_failed_plates: bool = False) -> CleanedAssays:
    """Clean every plate under `raw`. With `cache_dir`, the result is kept there under a key
    made of the plate files, the cleaning code and the options, so notebooks after the first reuse it."""
    if cache_dir is None:
        return clean(plates.load_plates(raw), keep_failed_plates)
    digest = hashlib.sha256(repr(keep_failed_plates).encode())
    sources = sorted(p for p in raw.rglob("*") if p.is_file() and p.name != "clinical.csv")
    for path in [*sources, Path(assay.__file__), Path(plates.__file__)]:
        digest.update(str(path.relative_to(path.parent.parent)).encode() + path.read_bytes())
    cached = Path(cache_dir) / f"cleaned-{digest.hexdigest()[:20]}.pkl"
    if cached.is_file():
        return pickle.loads(cached.read_bytes())
    result = clean(plates.load_plates(raw), keep_failed_plates)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(result))
    tmp.replace(cached)  # atomic: notebooks running in parallel never see half a file
    return result


def _cross_file_problems(clinical: pd.DataFrame, wells: pd.DataFrame) -> list[Problem]:
    """Layout samples that are not in the clinical table, naming both files; identifiers that
    match only after Unicode normalisation are named as such."""
    known = set(clinical["sample_id"])
    by_key = {normalized_id(s): (s, line) for line, s in enumerate(clinical["sample_id"], start=2)}
    problems = []
    samples = wells[wells["role"] == "sample"].drop_duplicates(["layout_file", "sample_id"])
    for rec in samples.to_dict("records"):
        sample = rec["sample_id"]
        if sample in known:
            continue
        near = by_key.get(normalized_id(sample))
        text = (f"sample {sample!r} matches {near[0]!r} (raw/clinical.csv line {near[1]}) only after Unicode "
                f"normalisation; write it the same way in both files" if near else
                f"sample {sample!r} is not in raw/clinical.csv (column sample_id)")
        problems.append(Problem(f"raw/{rec['layout_file']}", text, well=rec["well"], column="sample_id"))
    return problems


def load_cohort(data_dir: Path, cache_dir: Path | None = None, keep_failed_plates: bool = False) -> Cohort:
    """Read `<data_dir>/raw`, clean the plates (see cleaned_assays) and join each patient's
    results. Problems in the clinical table, the plate files and between them are raised
    together as one InputError. A patient with no usable result for an analyte (never
    measured, or only on a plate that failed QC) stays in the table with that analyte
    missing, and is listed in `excluded` with the reason."""
    raw = Path(data_dir) / "raw"
    problems, clinical, assays = [], None, None
    for step in ("clinical", "plates"):
        try:
            if step == "clinical":
                clinical = load_clinical(raw / "clinical.csv")
            else:
                assays = cleaned_assays(raw, cache_dir, keep_failed_plates)
        except InputError as err:
            problems += err.problems
    if clinical is not None and assays is not None:
        problems += _cross_file_problems(clinical, assays.wells)
    if problems:
        raise InputError(problems)
    conc = assays.concentrations
    wide = conc.pivot(index="sample_id", columns="analyte",
                      values=["value_for_stats", "status", "detectable", "censored", "lloq_pg_ml", "uloq_pg_ml"])
    wide.columns = [f"{a.lower()}_{v}".replace("_value_for_stats", "").replace("_pg_ml", "") for v, a in wide.columns]
    table = clinical.merge(wide.reset_index(), on="sample_id", how="left", validate="one_to_one")
    for a in ANALYTES:
        for col, fill in ((a.lower(), float("nan")), (f"{a.lower()}_status", "no result"),
                          (f"{a.lower()}_detectable", pd.NA), (f"{a.lower()}_censored", ""),
                          (f"{a.lower()}_lloq", float("nan")), (f"{a.lower()}_uloq", float("nan"))):
            if col not in table:
                table[col] = fill
        table[a.lower()] = table[a.lower()].astype(float)
        table[f"{a.lower()}_status"] = table[f"{a.lower()}_status"].fillna("no result")
        table[f"{a.lower()}_detectable"] = table[f"{a.lower()}_detectable"].astype("boolean")
    return Cohort(clinical, assays, table, exclusions(table, assays))


def exclusions(table: pd.DataFrame, assays: CleanedAssays) -> pd.DataFrame:
    """Every (patient, analyte) whose result the statistics cannot use, with the reason."""
    rows = []
    reasons = assays.concentrations.set_index(["sample_id", "analyte"])["exclusion"] \
        if "exclusion" in assays.concentrations else pd.Series(dtype=str)
    for a in ANALYTES:
        missing = table[table[a.lower()].isna()]
        for rec in missing.to_dict("records"):
            reason = reasons.get((rec["sample_id"], a), "") or "no measurement of this sample on any plate"
            rows.append({"patient_id": rec["patient_id"], "sample_id": rec["sample_id"], "analyte": a,
                         "reason": reason})
    return pd.DataFrame(rows, columns=["patient_id", "sample_id", "analyte", "reason"])
