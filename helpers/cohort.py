"""Load a cohort directory: the validated clinical table joined per patient to the cleaned
assay results (helpers.cleaning)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import plates
from helpers.cleaning import CleanedTables, cleaned_tables
from helpers.clinical import load_clinical, normalized_id
from helpers.errors import InputError, Problem, display_name

ANALYTES = tuple(plates.ASSAYS)
# cleaned concentrations column -> suffix of the cohort table column (e.g. il6, il6_status)
JOINED = {"value": "", "status": "_status", "detectable": "_detectable", "censored": "_censored",
          "lloq": "_lloq", "uloq": "_uloq"}


@dataclass(frozen=True)
class Cohort:
    clinical: pd.DataFrame
    assays: CleanedTables
    table: pd.DataFrame  # one row per patient: clinical columns + per analyte value / status / detectable
    excluded: pd.DataFrame  # patient_id, sample_id, analyte, reason: results the statistics do not use


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


# columns the cohort table and the analyses make; an extra clinical column may not take these names
RESERVED = {a.lower() + suffix for a in ANALYTES for suffix in JOINED.values()} | {
    "il6_high", "dfi_short", "multiple_sites", "visceral", "er_negative", "age_per_10y", "responder"}


def _reserved_names(clinical: pd.DataFrame) -> list[Problem]:
    return [Problem("raw/clinical.csv", "this name is reserved for a column the analysis computes; rename the "
                    "extra column", line=1, column=name) for name in clinical.columns if name in RESERVED]


def load_cohort(data_dir: Path, cache_dir: Path | None = None, keep_failed_plates: bool = False) -> Cohort:
    """Read `<data_dir>/raw/clinical.csv` and the cleaned tables of the plates, kept in
    `cache_dir` (helpers.cleaning.cleaned_tables: read when up to date, else cleaned first; the
    notebooks use `<output_dir>/cleaned`), and join each patient's results. Problems in the
    clinical table, the plate files and between them are raised together as one InputError.
    A patient with no usable result for an analyte (never measured, or only on a plate that
    failed QC) stays in the table with that analyte missing, and is listed in `excluded` with
    the reason."""
    raw = Path(data_dir) / "raw"
    problems, clinical, assays = [], None, None
    for step in ("clinical", "plates"):
        try:
            if step == "clinical":
                clinical = load_clinical(raw / "clinical.csv")
            else:
                assays = cleaned_tables(data_dir, cache_dir, keep_failed_plates)
        except InputError as err:
            problems += err.problems
    if clinical is not None:
        problems += _reserved_names(clinical)
    if clinical is not None and assays is not None:
        problems += _cross_file_problems(clinical, assays.wells)
    if problems:
        raise InputError(problems)
    table = join_markers(clinical, plate_results(assays), ANALYTES)
    return Cohort(clinical, assays, table, exclusions(table, assays))


def plate_results(assays: CleanedTables) -> pd.DataFrame:
    """The plates' cleaned results in the form join_markers takes (value for statistics,
    censored '' / 'left' / 'right', limits)."""
    conc = assays.concentrations.rename(columns={"value_for_stats_pg_ml": "value", "lloq_pg_ml": "lloq",
                                                  "uloq_pg_ml": "uloq"})
    return conc.assign(censored=conc["censoring"].replace("none", ""))


def join_markers(clinical: pd.DataFrame, results: pd.DataFrame, analytes) -> pd.DataFrame:
    """The clinical table with each analyte's result per patient (columns named by JOINED,
    e.g. il6, il6_status); a patient without a usable result has the value missing, status
    'no result' and detectability unknown."""
    wide = results.pivot(index="sample_id", columns="analyte", values=list(JOINED))
    wide.columns = [a.lower() + JOINED[v] for v, a in wide.columns]
    table = clinical.merge(wide.reset_index(), on="sample_id", how="left", validate="one_to_one")
    for a in analytes:
        for col, fill in ((a.lower(), float("nan")), (f"{a.lower()}_status", "no result"),
                          (f"{a.lower()}_detectable", pd.NA), (f"{a.lower()}_censored", ""),
                          (f"{a.lower()}_lloq", float("nan")), (f"{a.lower()}_uloq", float("nan"))):
            if col not in table:
                table[col] = fill
        table[a.lower()] = table[a.lower()].astype(float)
        table[f"{a.lower()}_status"] = table[f"{a.lower()}_status"].fillna("no result")
        detectable = table[f"{a.lower()}_detectable"].astype("boolean")
        table[f"{a.lower()}_detectable"] = detectable.mask(table[a.lower()].isna())  # no usable result: unknown
    return table


def load_study_cohort(study, cache_dir: Path | None = None, keep_failed_plates: bool = False) -> Cohort:
    """The cohort a study file (helpers.study.Study) describes: its clinical table (the
    paper's format through load_cohort, or the columns the study declares) joined to its
    markers, from plates (cleaned into `cache_dir`) or from a concentrations table. Problems
    in every file are raised together as one InputError."""
    from helpers.clinical import load_study_table
    from helpers.concentrations import load_concentrations

    ids = [m.id for m in study.markers]
    if (study.clinical_format == "zhang1999" and study.marker_source == "plates"
            and study.clinical_file == study.directory / "raw" / "clinical.csv"):
        return load_cohort(study.directory, cache_dir, keep_failed_plates)
    problems, clinical, assays, results = [], None, None, None
    try:
        clinical = (load_clinical(study.clinical_file) if study.clinical_format == "zhang1999" else
                    load_study_table(study.clinical_file, study.id_column, study.sample_column, study.columns))
    except InputError as err:
        problems += err.problems
    try:
        if study.marker_source == "plates":
            assays = cleaned_tables(study.directory, cache_dir, keep_failed_plates)
            results = plate_results(assays)
            if clinical is not None:
                problems += _cross_file_problems(clinical, assays.wells)
        else:  # checked even when the clinical table is not readable, so all problems show at once
            results = load_concentrations(study.concentrations_file, {m.id: m.unit for m in study.markers},
                                          None if clinical is None else clinical["sample_id"])
    except InputError as err:
        problems += err.problems
    if clinical is not None:
        taken = {m.column + suffix for m in study.markers for suffix in JOINED.values()}
        problems += [Problem(display_name(study.clinical_file), "is also the name of a column the analysis makes "
                             "for a marker's results; rename the clinical column", line=1, column=name)
                     for name in clinical.columns if name in taken]
    if problems:
        raise InputError(problems)
    table = join_markers(clinical, results[results["analyte"].isin(ids)], ids)
    return Cohort(clinical, assays, table, exclusions(table, assays, ids))


def exclusions(table: pd.DataFrame, assays: CleanedTables | None, analytes=ANALYTES) -> pd.DataFrame:
    """Every (patient, analyte) whose result the statistics cannot use, with the reason
    (`assays` None: the markers came from a concentrations table)."""
    rows = []
    if assays is None:
        reasons, wells = pd.Series(dtype=str), pd.DataFrame(columns=["sample_id", "analyte"]).groupby(
            ["sample_id", "analyte"])
    else:
        reasons = assays.concentrations.set_index(["sample_id", "analyte"])["exclusion"]
        wells = assays.wells[assays.wells["role"] == "sample"].groupby(["sample_id", "analyte"])
    for a in analytes:
        missing = table[table[a.lower()].isna()]
        for rec in missing.to_dict("records"):
            key = (rec["sample_id"], a)
            reason = reasons.get(key, "")
            if not reason and key in wells.groups:  # on a plate, but no well gave a usable reading
                g = wells.get_group(key)
                reason = "no usable well: " + "; ".join(f"{p} {w}: {r}" for p, w, r in
                                                         zip(g["plate_id"], g["well"], g["reason"]))
            reason = reason or ("no measurement of this sample on any plate" if assays is not None
                                else "no result for this sample in the concentrations table")
            rows.append({"patient_id": rec["patient_id"], "sample_id": rec["sample_id"], "analyte": a,
                         "reason": reason})
    return pd.DataFrame(rows, columns=["patient_id", "sample_id", "analyte", "reason"])
