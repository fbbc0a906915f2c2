"""A plain concentrations table: markers measured elsewhere, one result per sample and marker.

    sample_id,analyte,value,unit,censoring,lloq,uloq
    S001,PGR,132,fmol/mg,,,
    S002,CA153,,U/ml,below_lloq,5,
    S003,CA153,400,U/ml,above_uloq,,400

- `analyte` is a marker id of the study, `unit` its unit (no conversion is attempted);
- `censoring` is empty (or `none`) for a measured value, `below_lloq` or `above_uloq`;
- `value` is required unless the result is below the LLOQ (a censored value may be written
  as its limit, never beyond it on the wrong side); `lloq` / `uloq` are the limits
  that applied to this sample (times any dilution), required by the censoring they explain,
  optional otherwise. A result is detectable when above the ULOQ, or quantified with an
  LLOQ given; a quantified result without an LLOQ has unknown detectability.

Every sample must be in the clinical table and each (sample, analyte) appear once. The
result is in the form helpers.cohort joins to the clinical table, with the same rule for
censored results as the plates (helpers.assay.value_for_stats).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.assay import value_for_stats
from helpers.clinical import _FLOAT, _read_cells
from helpers.errors import InputError, Problem, display_name

COLUMNS = ("sample_id", "analyte", "value", "unit", "censoring", "lloq", "uloq")
CENSORING = {"": "", "none": "", "below_lloq": "left", "above_uloq": "right"}
STATUS = {"": "quantified", "left": "below_lloq", "right": "above_uloq"}


def load_concentrations(path, markers: dict, samples) -> pd.DataFrame:
    """Read and check the table; `markers` maps marker id -> unit, `samples` are the clinical
    table's sample ids (None: not checked, the clinical table being unreadable). Returns one
    row per result: sample_id, analyte, value (for statistics),
    measured, status, censored ('', 'left', 'right'), detectable (<NA> without an LLOQ), lloq,
    uloq, exclusion ('')."""
    path = Path(path)
    cells = _read_cells(path, COLUMNS)
    where = display_name(path)
    problems = []

    def bad(line, column, text):
        problems.append(Problem(where, text, line=int(line), column=column))

    numbers = {}
    for col in ("value", "lloq", "uloq"):
        text = cells[col]
        wrong = (text != "") & ~text.str.fullmatch(_FLOAT[0])
        for line, value in text[wrong].items():
            bad(line, col, f"value {value!r} {_FLOAT[1]}")
        numbers[col] = pd.to_numeric(text.mask(wrong | (text == ""))).astype(float)
        for line in numbers[col].index[(numbers[col] < 0) | np.isinf(numbers[col])]:
            bad(line, col, f"value {text[line]!r} is negative or not finite")

    def flag(mask, column, text):
        for line in cells.index[mask]:
            bad(line, column, text(cells.loc[line]) if callable(text) else text)

    flag(cells["sample_id"] == "", "sample_id", "missing sample")
    flag((cells["sample_id"] != "") & (samples is not None) & ~cells["sample_id"].isin(set(() if samples is None else samples)), "sample_id",
         lambda rec: f"sample {rec['sample_id']!r} is not in the clinical table")
    known = cells["analyte"].isin(list(markers))
    flag(~known, "analyte", lambda rec: f"{rec['analyte']!r} is not a marker of the study ({', '.join(markers)})")
    flag(known & (cells["unit"] != cells["analyte"].map(markers)), "unit",
         lambda rec: f"{rec['unit']!r} differs from the study's unit for {rec['analyte']}, "
                     f"{markers[rec['analyte']]!r}; convert the values")
    wording = cells["censoring"].str.lower()
    flag(~wording.isin(list(CENSORING)), "censoring",
         lambda rec: f"{rec['censoring']!r} is not empty, none, below_lloq or above_uloq")
    c = wording.map(CENSORING)
    v, lo, hi = numbers["value"], numbers["lloq"], numbers["uloq"]
    flag(c.isin(["", "right"]) & (cells["value"] == ""), "value",
         "missing value (only a result below the LLOQ may have none)")
    flag((c == "left") & (cells["lloq"] == ""), "lloq", "a result below the LLOQ needs the LLOQ")
    flag((c == "right") & (cells["uloq"] == ""), "uloq", "a result above the ULOQ needs the ULOQ")
    flag((c == "") & (v < lo), "value", lambda rec: f"{rec['value']} is below the LLOQ {rec['lloq']}: mark it below_lloq")
    flag((c == "left") & (v > lo), "value",  # the LLOQ itself ("< 2" written as 2) is fine
         lambda rec: f"{rec['value']} is marked below_lloq but lies above its LLOQ {rec['lloq']}")
    flag((c == "right") & (v < hi), "value",
         lambda rec: f"{rec['value']} is marked above_uloq but lies below its ULOQ {rec['uloq']}")
    flag((c == "") & (v > hi), "value", lambda rec: f"{rec['value']} is above the ULOQ {rec['uloq']}: mark it above_uloq")
    key = cells["sample_id"] + "\x00" + cells["analyte"]
    first = pd.Series(cells.index, index=cells.index).groupby(key).transform("first")
    flag(key.duplicated(), "sample_id",
         lambda rec: f"{rec['sample_id']} / {rec['analyte']} already on line {first[rec.name]}: one result each")
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line, COLUMNS.index(p.column) if p.column in COLUMNS
                                                         else 99)))
    censored = cells["censoring"].str.lower().map(CENSORING)
    lloq, uloq = numbers["lloq"], numbers["uloq"]
    detectable = pd.Series(pd.NA, index=cells.index, dtype="boolean")
    has_lloq = lloq.notna()
    detectable[has_lloq] = (censored != "left")[has_lloq]
    detectable[censored == "left"] = False
    detectable[censored == "right"] = True  # above the ULOQ: certainly detectable, with or without an LLOQ
    return pd.DataFrame({
        "sample_id": cells["sample_id"], "analyte": cells["analyte"],
        "value": value_for_stats(numbers["value"], censored, lloq, uloq), "measured": numbers["value"],
        "status": censored.map(STATUS), "censored": censored, "detectable": detectable,
        "lloq": lloq, "uloq": uloq, "exclusion": "",
    }).reset_index(drop=True)

