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
from helpers.clinical import DataValidationError, load_clinical

ANALYTES = ("IL6", "TNFA", "IL1B", "IL2")


@dataclass(frozen=True)
class Cohort:
    clinical: pd.DataFrame
    assays: CleanedAssays
    table: pd.DataFrame  # one row per patient: clinical columns + per analyte value / status / detectable


def cleaned_assays(raw: Path, cache_dir: Path | None = None) -> CleanedAssays:
    """Clean every plate under `raw`. With `cache_dir`, the result is kept there under a key
    made of the plate files and the cleaning code, so notebooks after the first reuse it."""
    if cache_dir is None:
        return clean(plates.load_plates(raw))
    digest = hashlib.sha256()
    sources = sorted(p for p in raw.rglob("*") if p.is_file() and p.name != "clinical.csv")
    for path in [*sources, Path(assay.__file__), Path(plates.__file__)]:
        digest.update(str(path.relative_to(path.parent.parent)).encode() + path.read_bytes())
    cached = Path(cache_dir) / f"cleaned-{digest.hexdigest()[:20]}.pkl"
    if cached.is_file():
        return pickle.loads(cached.read_bytes())
    result = clean(plates.load_plates(raw))
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(result))
    tmp.replace(cached)  # atomic: notebooks running in parallel never see half a file
    return result


def load_cohort(data_dir: Path, cache_dir: Path | None = None) -> Cohort:
    """Read `<data_dir>/raw`, clean the plates (see cleaned_assays for `cache_dir`) and join
    each patient's results. Samples on plates but not in the clinical table, or clinical
    samples without a result for an analyte, are errors naming the sample."""
    raw = Path(data_dir) / "raw"
    clinical = load_clinical(raw / "clinical.csv")
    assays = cleaned_assays(raw, cache_dir)
    conc = assays.concentrations
    unknown = sorted(set(conc["sample_id"]) - set(clinical["sample_id"]))
    if unknown:
        raise DataValidationError(f"plate layouts name samples not in clinical.csv: {', '.join(unknown)}")
    missing = [f"{s} ({a})" for a in ANALYTES for s in clinical["sample_id"]
               if not ((conc["sample_id"] == s) & (conc["analyte"] == a)).any()]
    if missing:
        raise DataValidationError(f"clinical.csv samples without an assay result: {', '.join(missing)}")
    wide = conc.pivot(index="sample_id", columns="analyte",
                      values=["value_for_stats", "status", "detectable", "censored"])
    wide.columns = [f"{a.lower()}_{v}".replace("_value_for_stats", "") for v, a in wide.columns]
    table = clinical.merge(wide.reset_index(), on="sample_id", how="left", validate="one_to_one")
    for a in ANALYTES:
        table[f"{a.lower()}"] = table[f"{a.lower()}"].astype(float)
        table[f"{a.lower()}_detectable"] = table[f"{a.lower()}_detectable"].astype(bool)
    return Cohort(clinical, assays, table)
