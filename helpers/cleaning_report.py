"""The cleaning report of notebook 01: small tables built from a cleaning result
(helpers.assay.clean): per-plate QC, the standards' residuals, the tidy concentrations table
(the cleaned hand-off, helpers.cleaning), our concentrations beside the reader software's,
recovery of the generator's truth, and the accounting of every well and every (sample, analyte).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TIDY_COLUMNS = ("sample_id", "analyte", "status", "censoring", "reported", "value_pg_ml", "value_for_stats_pg_ml",
                "detectable", "lod_pg_ml", "lloq_pg_ml", "uloq_pg_ml", "plate_id", "dilution", "wells",
                "cv_percent", "flags", "exclusion")
TRUTH_FILE = ("generator_truth", "concentrations.csv")


def plate_qc_table(plates: list) -> pd.DataFrame:
    """One row per plate (PlateAnalysis): curve model, F-test P, R^2, acceptable standard
    levels, the largest standard-well residual (% of the fitted signal, see standard_wells),
    blank mean / SD, LOD, LLOQ, ULOQ (in-well pg/ml), control recovery and the QC verdicts."""
    rows = []
    for p in plates:
        q = p.qc
        residuals = standard_wells(p)["residual_percent"].abs()
        rows.append({
            "plate_id": p.plate_id, "analyte": p.analyte, "model": q["model"], "f_test_p": float(q["f_test_p"]),
            "r_squared": float(q["r_squared"]),
            "max_abs_residual_percent": float(residuals.max()) if len(residuals) else float("nan"),
            "levels_acceptable": int(q["levels_acceptable"]),
            "levels_total": int(q["levels_total"]), "blank_mean": p.blank_mean, "blank_sd": p.blank_sd,
            "lod_pg_ml": p.lod, "lloq_pg_ml": p.lloq, "uloq_pg_ml": p.uloq,
            "control_recovery_percent": float(q["control_recovery_percent"]),
            "control_cv_percent": float(q.get("control_cv_percent", float("nan"))),
            "standards_ok": bool(q["standards_ok"]), "control_ok": bool(q["control_ok"]),
            "plate_ok": bool(q["plate_ok"]), "failed_rules": q.get("failed_rules", ""),
        })
    return pd.DataFrame(rows)


def standard_wells(plate) -> pd.DataFrame:
    """Every readable standard well of a plate: nominal, blank-corrected and fitted signal, the
    residual in % of the fitted signal, the back-calculated concentration and its % of nominal."""
    w = plate.wells
    std = w[(w["role"] == "standard") & w["signal"].notna()]
    fitted = np.asarray(plate.curve.signal(std["nominal_pg_ml"]), float)
    return pd.DataFrame({
        "plate_id": plate.plate_id, "well": std["well"].to_numpy(), "nominal_pg_ml": std["nominal_pg_ml"].to_numpy(),
        "corrected": std["corrected"].to_numpy(), "fitted": fitted,
        "residual_percent": (std["corrected"].to_numpy() - fitted) / fitted * 100,
        "back_calculated_pg_ml": std["well_conc"].to_numpy(),
        "recovery_percent": std["well_conc"].to_numpy() / std["nominal_pg_ml"].to_numpy() * 100,
    })


def _reported_text(status: str, value: float, lloq: float, uloq: float) -> str:
    if status == "excluded":
        return "excluded"
    if status == "quantified":
        return f"{value:.3g}"
    if status == "above_uloq":
        return f"> {uloq:.3g}"
    return f"< {lloq:.3g}"


def tidy_concentrations(concentrations: pd.DataFrame, plate_qc: pd.DataFrame) -> pd.DataFrame:
    """The reported result per (sample_id, analyte) as a tidy table (TIDY_COLUMNS).
    `concentrations` is CleanedAssays.concentrations, `plate_qc` is plate_qc_table().
    Censoring, detectability and the value used by the statistics are clean()'s (censored
    '' is written 'none'); value_pg_ml is the quantified value, NaN when censored; `reported`
    is the result as text ('6.9', '< 0.137', '> 300'). Limits are in serum pg/ml (in-well
    limits times dilution). Flags add 'plate ... failed QC' for a result from a plate whose
    plate_ok is False, and a note when a result stays right-censored at the ULOQ; `exclusion`
    says why a result is excluded ('' for the others)."""
    c = concentrations.copy()
    ok = plate_qc.set_index("plate_id")["plate_ok"]
    missing = sorted(set(c["plate_id"]) - set(ok.index))
    if missing:
        raise ValueError(f"no QC row for plate(s) {', '.join(missing)}")
    c["censoring"] = c["censored"].replace("", "none")
    c["value_pg_ml"] = c["conc_pg_ml"].where(c["status"] == "quantified")
    c["value_for_stats_pg_ml"] = c["value_for_stats"]
    c["reported"] = [_reported_text(*r) for r in
                     c[["status", "conc_pg_ml", "lloq_pg_ml", "uloq_pg_ml"]].itertuples(index=False)]
    flags = []
    for rec in c.to_dict("records"):
        f = [x for x in str(rec.get("flags") or "").split("; ") if x]
        if rec["status"] == "above_uloq":
            f.append("right-censored at ULOQ: no quantified re-test")
        if not ok[rec["plate_id"]]:
            f.append(f"plate {rec['plate_id']} failed QC")
        flags.append("; ".join(f))
    c["flags"] = flags
    return c[list(TIDY_COLUMNS)].sort_values(["analyte", "sample_id"]).reset_index(drop=True)


def qc_sentence(plate_qc: pd.DataFrame) -> str:
    """One sentence on the plates' QC, built from plate_qc_table()."""
    failing = plate_qc[~plate_qc["plate_ok"]]
    recovery = plate_qc["control_recovery_percent"].dropna()
    text = (f"{int(plate_qc['plate_ok'].sum())} of {len(plate_qc)} plates pass QC; "
            f"{int((plate_qc['model'] == '5PL').sum())} needed a 5PL (F-test P < 0.05); "
            f"the lowest R² is {plate_qc['r_squared'].min():.4f}")
    if len(recovery):
        text += f"; control recovery runs from {recovery.min():.0f} % to {recovery.max():.0f} %"
    text += "."
    for rec in failing.to_dict("records"):
        text += f" Plate {rec['plate_id']} fails: {rec['failed_rules']}."
    return text


def reader_software_sentence(comparison: pd.DataFrame) -> str:
    """One sentence on reader_software_comparison(): how far ours and the software's agree."""
    inside = comparison[comparison["quantifiable"]]
    if inside.empty:
        return "No export carries the reader software's own concentrations for quantifiable wells."
    deviation = (inside["ratio"] - 1).abs() * 100
    return (f"Over {len(inside)} wells inside the quantifiable range on {inside['plate_id'].nunique()} plates, "
            f"ours and the reader software's concentrations differ by a median of {deviation.median():.1f} % "
            f"(at most {deviation.max():.1f} %); {len(comparison) - len(inside)} wells below the range are left "
            f"out of this comparison.")


def reader_software_comparison(plates: list) -> pd.DataFrame:
    """Sample and control wells whose export carries the reader software's own concentration
    (reader_conc, serum pg/ml as the software reports it), beside ours (the well's
    back-calculated concentration times its dilution), their ratio, ours / reader's, and
    whether our well lies inside the plate's quantifiable range (below it both fits only
    extrapolate, and their ratio means little)."""
    rows = []
    for p in plates:
        w = p.wells
        if "reader_conc" not in w:
            continue
        w = w[w["role"].isin(["sample", "control"]) & w["reader_conc"].notna() & w["signal"].notna()]
        ours = w["well_conc"] * w["dilution"].where(w["role"] == "sample", 1.0)
        rows.append(pd.DataFrame({"plate_id": p.plate_id, "analyte": p.analyte, "well": w["well"],
                                  "role": w["role"], "sample_id": w["sample_id"], "ours_pg_ml": ours,
                                  "reader_pg_ml": w["reader_conc"], "ratio": ours / w["reader_conc"],
                                  "quantifiable": w["well_conc"].between(p.lloq, p.uloq)}))
    columns = ["plate_id", "analyte", "well", "role", "sample_id", "ours_pg_ml", "reader_pg_ml", "ratio",
               "quantifiable"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)


def read_truth(data_dir) -> pd.DataFrame | None:
    """`<data_dir>/generator_truth/concentrations.csv` (sample_id, analyte, true_pg_ml), or None
    when the file does not exist (any cohort that was not built by the generator)."""
    path = Path(data_dir).joinpath(*TRUTH_FILE)
    if not path.is_file():
        return None
    truth = pd.read_csv(path)
    need = {"sample_id", "analyte", "true_pg_ml"}
    if not need <= set(truth.columns):
        raise ValueError(f"{path}: needs columns {sorted(need)}, found {list(truth.columns)}")
    if truth.duplicated(["sample_id", "analyte"]).any():
        raise ValueError(f"{path}: more than one true value for a (sample_id, analyte)")
    return truth[["sample_id", "analyte", "true_pg_ml"]]


def recovery_against_truth(tidy: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Each reported result beside the generator's true concentration. For quantified results:
    relative_error = value / true - 1. For censored ones: truth_consistent says whether the truth
    lies on the reported side of the limit (left: true < LLOQ; right: true > ULOQ)."""
    r = tidy.merge(truth, on=["sample_id", "analyte"], how="left", validate="one_to_one")
    if r["true_pg_ml"].isna().any():
        raise ValueError("no true value for " + ", ".join(
            f"{s} ({a})" for s, a in r.loc[r["true_pg_ml"].isna(), ["sample_id", "analyte"]].to_numpy()))
    quant = r["censoring"] == "none"
    r["relative_error"] = (r["value_pg_ml"] / r["true_pg_ml"] - 1).where(quant)
    consistent = np.where(r["censoring"] == "left", r["true_pg_ml"] < r["lloq_pg_ml"],
                          r["true_pg_ml"] > r["uloq_pg_ml"])
    r["truth_consistent"] = pd.array(np.where(quant, None, consistent), dtype="boolean")
    return r[["sample_id", "analyte", "status", "censoring", "value_pg_ml", "lloq_pg_ml", "uloq_pg_ml",
              "true_pg_ml", "relative_error", "truth_consistent"]]


def recovery_summary(recovery: pd.DataFrame) -> pd.DataFrame:
    """Per analyte and overall ('all'): counts, median and largest absolute relative error (%)
    of the quantified results, and how many censored results agree with the truth."""
    def one(g):
        are = g["relative_error"].dropna().abs() * 100
        cens = g[g["censoring"] != "none"]
        return {"n": len(g), "n_quantified": int(len(are)),
                "median_abs_rel_error_percent": float(are.median()) if len(are) else float("nan"),
                "max_abs_rel_error_percent": float(are.max()) if len(are) else float("nan"),
                "n_censored": len(cens), "n_censored_consistent": int(cens["truth_consistent"].sum())}
    rows = {a: one(g) for a, g in recovery.groupby("analyte", sort=True)}
    rows["all"] = one(recovery)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("analyte")


def sample_accounting(tidy: pd.DataFrame, sample_ids, analytes) -> pd.DataFrame:
    """Every expected (sample_id, analyte): its reported status and text. An expected pair with
    no result gets status 'no result'; a result for a sample not in `sample_ids` is kept with
    status 'not in clinical table', so that nothing is dropped silently."""
    expected = pd.MultiIndex.from_product([sorted(set(sample_ids)), list(analytes)], names=["sample_id", "analyte"])
    got = tidy.set_index(["sample_id", "analyte"])[["status", "reported", "flags"]]
    out = got.reindex(expected.union(got.index))
    out["status"] = out["status"].fillna("no result")
    out[["reported", "flags"]] = out[["reported", "flags"]].fillna("")
    extra = ~out.index.get_level_values("sample_id").isin(set(sample_ids))
    out.loc[extra, "status"] = "not in clinical table"
    return out.reset_index()


def check_well_accounting(wells: pd.DataFrame, n_wells: int = 96) -> pd.DataFrame:
    """Check that every plate has exactly `n_wells` accounting rows, each well once, each either
    'used' or 'excluded' with a reason; return counts per plate (used, excluded, flagged, wells)."""
    problems = []
    for plate_id, g in wells.groupby("plate_id", sort=False):
        if len(g) != n_wells or g["well"].duplicated().any():
            problems.append(f"plate {plate_id}: {len(g)} rows, {g['well'].nunique()} distinct wells (need {n_wells})")
        bad_use = sorted(set(g["use"]) - {"used", "excluded"})
        if bad_use:
            problems.append(f"plate {plate_id}: use {bad_use} is neither 'used' nor 'excluded'")
        no_reason = g.loc[g["reason"].fillna("").str.strip() == "", "well"].tolist()
        if no_reason:
            problems.append(f"plate {plate_id}: wells without a reason: {', '.join(no_reason)}")
    if problems:
        raise ValueError("\n".join(problems))
    flagged = wells["flag"].fillna("") != ""
    counts = wells.assign(used=wells["use"] == "used", excluded=wells["use"] == "excluded", flagged=flagged) \
        .groupby("plate_id", sort=False)[["used", "excluded", "flagged"]].sum()
    counts["wells"] = counts["used"] + counts["excluded"]
    return counts.astype(int).reset_index()


def excluded_and_flagged(wells: pd.DataFrame) -> pd.DataFrame:
    """Every excluded or flagged well with its reason. Empty wells (not in the layout) are
    listed as one row per plate with their well names, to keep the list readable."""
    flag = wells["flag"].fillna("")
    empty = (wells["role"] == "empty") & (wells["use"] == "excluded") & (flag == "")
    shown = wells[((wells["use"] == "excluded") | (flag != "")) & ~empty]
    cols = ["plate_id", "well", "role", "sample_id", "dilution", "signal", "use", "reason", "flag"]
    rows = [shown[cols]]
    for plate_id, g in wells[empty].groupby("plate_id", sort=False):
        rows.append(pd.DataFrame([{"plate_id": plate_id, "well": f"{len(g)} wells: " + ",".join(g["well"]),
                                   "role": "empty", "use": "excluded", "reason": g["reason"].iloc[0], "flag": ""}]))
    return pd.concat(rows, ignore_index=True).reindex(columns=cols)


def qc_summary(plate_qc: pd.DataFrame, wells: pd.DataFrame, tidy: pd.DataFrame,
               recovery: pd.DataFrame | None = None) -> dict:
    """JSON-ready headline numbers of the cleaning (plain Python types; NaN becomes None)."""
    def plain(v):
        v = v.item() if hasattr(v, "item") else v
        return None if isinstance(v, float) and not np.isfinite(v) else v
    flag = wells["flag"].fillna("") != ""
    out = {
        "plates": int(len(plate_qc)), "plates_ok": int(plate_qc["plate_ok"].sum()),
        "plates_5pl": int((plate_qc["model"] == "5PL").sum()),
        "wells": int(len(wells)), "wells_used": int((wells["use"] == "used").sum()),
        "wells_excluded_empty": int(((wells["use"] == "excluded") & (wells["role"] == "empty")).sum()),
        "wells_excluded_other": int(((wells["use"] == "excluded") & (wells["role"] != "empty")).sum()),
        "wells_flagged": int(flag.sum()),
        "results_by_status": {f"{a}:{s}": int(n) for (a, s), n in tidy.groupby(["analyte", "status"]).size().items()},
        "results_flagged": int((tidy["flags"] != "").sum()),
        "plate_qc": {r["plate_id"]: {k: plain(v) for k, v in r.items() if k != "plate_id"}
                     for r in plate_qc.to_dict("records")},
    }
    if recovery is not None:
        s = recovery_summary(recovery)
        out["recovery_vs_truth"] = {a: {k: plain(v) for k, v in row.items()} for a, row in s.iterrows()}
    return out
