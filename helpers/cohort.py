"""Load a cohort directory: validated clinical table + cleaned assay plates, joined per patient."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers.assay import CleanedAssays, clean
from helpers.clinical import DataValidationError, load_clinical
from helpers.plates import load_plates

ANALYTES = ("IL6", "TNFA", "IL1B", "IL2")


@dataclass(frozen=True)
class Cohort:
    clinical: pd.DataFrame
    assays: CleanedAssays
    table: pd.DataFrame  # one row per patient: clinical columns + per analyte value / status / detectable


def load_cohort(data_dir: Path) -> Cohort:
    """Read `<data_dir>/raw`, clean the plates and join each patient's results.
    Samples on plates but not in the clinical table, or clinical samples without a result
    for an analyte, are errors naming the sample."""
    raw = Path(data_dir) / "raw"
    clinical = load_clinical(raw / "clinical.csv")
    assays = clean(load_plates(raw))
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
