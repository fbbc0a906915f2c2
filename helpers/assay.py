"""Immunoassay cleaning: blank correction, 4PL/5PL standard curves, back-calculation,
detection and quantification limits, duplicate CV and plate QC.

Conventions (stated once, used everywhere):
- signals are blank-corrected by subtracting the mean of the plate's blank wells; a raw
  signal below zero by more than 3 blank SDs cannot be real and its well is excluded;
- curves are fitted to the standards' blank-corrected signals by weighted least squares
  with weights 1/(|signal| + 1 % of the signal range)^2: constant relative error, the usual
  immunoassay weighting, with a floor so that a standard read near the blank cannot dominate;
- a 5PL replaces the 4PL only when the extra-sum-of-squares F-test gives P < 0.05;
- plate acceptance follows ICH M10 for ligand-binding assays: a calibrator level is
  acceptable when its replicates back-calculate on average within 20 % of nominal (25 % at
  the lowest and highest level); at least 75 % of the levels and at least 6 levels must be
  acceptable; the control must recover within 20 % of nominal with a replicate CV of at
  most 20 %. A plate without a control fails ("no control"). LLOQ / ULOQ are the lowest /
  highest acceptable levels. R^2 (unweighted, on the signal) is reported, not judged;
- a plate that fails QC does not feed the statistics unless `keep_failed_plates` is set;
  its results are then kept and flagged;
- LOD is the concentration at the fitted zero signal plus 3 SD of the blank wells; with
  fewer than 2 readable blanks or no blank noise (SD 0) it is not estimable (NaN), and
  results below the LLOQ are not split into below-LOD and below-LLOQ;
- a sample's result is the mean of its replicate well concentrations times dilution;
  duplicate CV above 15 % (20 % within 3 x LLOQ) is flagged, and the result is kept;
- a sample measured on several plates at the same dilution and with the same status is
  reported as the mean of the plates' results (quantified) or the tightest censored bound.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from helpers.errors import InputError
from helpers.plates import NOT_READ

RECOVERY_LIMITS = (80.0, 120.0)
EDGE_RECOVERY_LIMITS = (75.0, 125.0)  # lowest and highest calibrator level (ICH M10)
MIN_LEVELS_ACCEPTABLE, MIN_FRACTION_ACCEPTABLE = 6, 0.75
CONTROL_CV_LIMIT = 20.0
NEGATIVE_BLANK_SDS = 3.0
IMPOSSIBLE_SIGNAL = "signal below zero beyond blank noise: cannot be real"
CV_LIMIT, CV_LIMIT_NEAR_LLOQ, NEAR_LLOQ_FACTOR = 15.0, 20.0, 3.0
R2_MIN = 0.99
F_TEST_ALPHA = 0.05
LOD_BLANK_SDS = 3.0
SIGMA_FLOOR = 0.01  # weights 1/(|signal| + 1 % of the signal range)^2: relative error with a floor


def four_pl(x, a, b, c, d):
    """4PL: y = d + (a - d) / (1 + (x / c)^b); a = zero-dose signal, d = infinite-dose signal."""
    return d + (a - d) / (1.0 + (np.asarray(x, float) / c) ** b)


def five_pl(x, a, b, c, d, g):
    """5PL: the 4PL with asymmetry g; g = 1 gives the 4PL back."""
    with np.errstate(invalid="ignore"):  # trial parameters during a fit may leave the domain
        return d + (a - d) / (1.0 + (np.asarray(x, float) / c) ** b) ** g


@dataclass(frozen=True)
class StandardCurve:
    """A fitted standard curve; `params` are (a, b, c, d) or (a, b, c, d, g)."""

    model: str
    params: tuple
    r_squared: float
    f_test_p: float  # P of the 5PL-vs-4PL F-test that chose the model

    def signal(self, conc):
        """Predicted blank-corrected signal at `conc`."""
        return (five_pl if self.model == "5PL" else four_pl)(conc, *self.params)

    def concentration(self, signal):
        """Inverse of the (increasing) curve: 0 at or below the zero-dose asymptote,
        infinity at or above the top asymptote, NaN for a missing signal."""
        a, b, c, d = self.params[:4]
        g = self.params[4] if self.model == "5PL" else 1.0
        y = np.asarray(signal, float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x = c * (((a - d) / (y - d)) ** (1.0 / g) - 1.0) ** (1.0 / b)
        return np.select([y <= a, y >= d], [0.0, np.inf], x)


def _fit(model_fn, conc, signal, p0):
    sigma = np.abs(signal) + SIGMA_FLOOR * np.ptp(signal)
    with warnings.catch_warnings():  # the parameter covariance is not used; exact data cannot give one
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        params, _ = optimize.curve_fit(model_fn, conc, signal, p0=p0, sigma=sigma, maxfev=20000)
    resid = (signal - model_fn(conc, *params)) / sigma
    return tuple(float(p) for p in params), float(resid @ resid)


def fit_standard_curve(conc, signal) -> StandardCurve:
    """Fit 4PL and 5PL to standards (nominal conc > 0, blank-corrected signal); keep the 5PL
    only if the weighted extra-sum-of-squares F-test rejects the 4PL at P < 0.05."""
    conc, signal = np.asarray(conc, float), np.asarray(signal, float)
    if np.any(conc <= 0) or np.any(~np.isfinite(signal)):
        raise ValueError("standards need positive nominal concentrations and finite signals")
    if np.corrcoef(np.log(conc), signal)[0, 1] <= 0:
        raise ValueError("standard signals do not increase with concentration (sandwich assay expected)")
    lo, hi = signal.min(), signal.max()
    p4 = (lo, 1.0, float(np.exp(np.log(conc).mean())), hi + (hi - lo) * 0.2)
    params4, rss4 = _fit(four_pl, conc, signal, p4)
    f_p = 1.0
    params, model = params4, "4PL"
    try:
        params5, rss5 = _fit(five_pl, conc, signal, params4 + (1.0,))
        dof5 = len(conc) - 5
        if dof5 > 0 and rss5 < rss4:
            f_p = float(stats.f.sf((rss4 - rss5) / (rss5 / dof5), 1, dof5))
            if f_p < F_TEST_ALPHA:
                params, model = params5, "5PL"
    except RuntimeError:  # 5PL did not converge: keep the 4PL
        pass
    fn = five_pl if model == "5PL" else four_pl
    ss_res = float(((signal - fn(conc, *params)) ** 2).sum())
    ss_tot = float(((signal - signal.mean()) ** 2).sum())
    return StandardCurve(model, params, 1.0 - ss_res / ss_tot, f_p)


def duplicate_cv(values) -> float:
    """Coefficient of variation (%) of replicate values (SD with n-1); NaN for fewer than 2."""
    v = np.asarray(values, float)
    if len(v) < 2 or not np.all(np.isfinite(v)) or v.mean() <= 0:
        return float("nan")
    return float(v.std(ddof=1) / v.mean() * 100.0)


def cv_limit(result, lloq) -> float:
    """The duplicate-CV limit that applies to a result: 20 % within 3 x LLOQ, else 15 %."""
    return CV_LIMIT_NEAR_LLOQ if result <= NEAR_LLOQ_FACTOR * lloq else CV_LIMIT


@dataclass(frozen=True)
class PlateAnalysis:
    """Everything derived from one plate: curve, limits, QC and per-well / per-sample tables."""

    plate_id: str
    analyte: str
    curve: StandardCurve
    blank_mean: float
    blank_sd: float
    lod: float
    lloq: float
    uloq: float
    standards: pd.DataFrame  # one row per standard level: nominal, mean back-calc, recovery, cv, acceptable
    wells: pd.DataFrame  # one row per well: the input columns plus corrected signal and back-calc conc
    results: pd.DataFrame  # one row per (sample, dilution) measurement on this plate
    qc: dict


def _plate_error(wells: pd.DataFrame, message: str) -> InputError:
    first = wells.iloc[0]
    return InputError.at(f"raw/{first['export_file']}" if "export_file" in wells else first["plate_id"],
                         f"plate {first['plate_id']}: {message}")


def analyse_plate(wells: pd.DataFrame) -> PlateAnalysis:
    """Analyse one plate. `wells` has columns plate_id, analyte, well, role
    (standard / blank / control / sample / empty), signal (NaN for a failed read),
    read_error, nominal_pg_ml (standards and control), sample_id, dilution; optionally
    export_file (named in errors). A plate whose blanks or standards cannot support a curve
    is an InputError naming its export."""
    plate_id, analyte = wells["plate_id"].iloc[0], wells["analyte"].iloc[0]
    w = wells.copy()
    blanks = w.loc[w["signal"].notna() & (w["role"] == "blank"), "signal"]
    if len(blanks) < 1:
        raise _plate_error(w, "no readable blank well: the signals cannot be blank-corrected")
    blank_mean = float(blanks.mean())
    blank_sd = float(blanks.std(ddof=1)) if len(blanks) > 1 else float("nan")
    impossible = (w["signal"] < 0) & ~(w["signal"] >= -NEGATIVE_BLANK_SDS * np.nan_to_num(blank_sd))
    w.loc[impossible, "read_error"] = IMPOSSIBLE_SIGNAL
    w.loc[impossible, "signal"] = np.nan
    ok = w["signal"].notna()
    w["corrected"] = w["signal"] - blank_mean
    std = w[ok & (w["role"] == "standard")]
    if std["nominal_pg_ml"].nunique() < 4:
        raise _plate_error(w, f"{std['nominal_pg_ml'].nunique()} readable standard levels; a 4PL needs at least 4")
    try:
        curve = fit_standard_curve(std["nominal_pg_ml"], std["corrected"])
    except (ValueError, RuntimeError) as err:
        raise _plate_error(w, f"no standard curve could be fitted ({err})") from None
    w["well_conc"] = curve.concentration(w["corrected"])

    levels = (
        w[ok & (w["role"] == "standard")]
        .groupby("nominal_pg_ml")["well_conc"]
        .agg(back_calculated="mean", cv_percent=duplicate_cv, n_wells="count")
        .reset_index()
    )
    levels["recovery_percent"] = levels["back_calculated"] / levels["nominal_pg_ml"] * 100
    edge = levels["nominal_pg_ml"].isin([levels["nominal_pg_ml"].min(), levels["nominal_pg_ml"].max()])
    levels["acceptable"] = np.where(edge, levels["recovery_percent"].between(*EDGE_RECOVERY_LIMITS),
                                    levels["recovery_percent"].between(*RECOVERY_LIMITS))
    accepted = levels.loc[levels["acceptable"], "nominal_pg_ml"]
    if accepted.empty:
        raise _plate_error(w, "no standard level back-calculates within 20 % (25 % at the ends) of nominal")
    lloq, uloq = float(accepted.min()), float(accepted.max())
    noise = blank_sd if blank_sd > 0 else float("nan")
    lod = float(curve.concentration(curve.params[0] + LOD_BLANK_SDS * noise))

    results = _measurements(w[ok & w["role"].isin(["sample", "control"])], lod, lloq, uloq)
    qc = {"model": curve.model, "f_test_p": curve.f_test_p, "r_squared": curve.r_squared,
          "levels_acceptable": int(levels["acceptable"].sum()), "levels_total": len(levels)}
    qc["standards_ok"] = bool(qc["levels_acceptable"] >= MIN_LEVELS_ACCEPTABLE
                              and qc["levels_acceptable"] >= MIN_FRACTION_ACCEPTABLE * qc["levels_total"])
    control = results[results["role"] == "control"]
    problems = [] if qc["standards_ok"] else [
        f"{qc['levels_acceptable']} of {qc['levels_total']} calibrator levels acceptable "
        f"(ICH M10: at least 75 % and at least {MIN_LEVELS_ACCEPTABLE})"]
    if control.empty:
        qc |= {"control_recovery_percent": float("nan"), "control_cv_percent": float("nan"), "control_ok": False}
        problems.append("no control")
    else:
        wells_conc = w.loc[ok & (w["role"] == "control"), "well_conc"]
        qc["control_recovery_percent"] = float((control["conc_pg_ml"] / control["nominal_pg_ml"]).mean() * 100)
        qc["control_cv_percent"] = duplicate_cv(wells_conc)
        recovery_ok = RECOVERY_LIMITS[0] <= qc["control_recovery_percent"] <= RECOVERY_LIMITS[1]
        cv_ok = not qc["control_cv_percent"] > CONTROL_CV_LIMIT
        qc["control_ok"] = recovery_ok and cv_ok
        if np.isnan(qc["control_recovery_percent"]):
            problems.append("control outside the quantifiable range (below LLOQ or above ULOQ)")
        elif not recovery_ok:
            problems.append(f"control recovery {qc['control_recovery_percent']:.0f} % outside 80-120 %")
        if not cv_ok:
            problems.append(f"control CV {qc['control_cv_percent']:.0f} % above {CONTROL_CV_LIMIT:.0f} %")
    qc["plate_ok"] = not problems
    qc["failed_rules"] = "; ".join(problems)
    if problems:  # the reason travels with every result of the plate
        flag = f"plate {plate_id} failed QC: {qc['failed_rules']}"
        results["flags"] = [f"{f}; {flag}" if f else flag for f in results["flags"]]
    return PlateAnalysis(plate_id, analyte, curve, blank_mean, blank_sd, lod, lloq, uloq, levels, w, results, qc)


def _measurements(w: pd.DataFrame, lod, lloq, uloq) -> pd.DataFrame:
    """One row per (role, sample, dilution): mean of replicate well concentrations,
    classified against the limits (which are in-well concentrations, before dilution)."""
    rows = []
    keys = ["role", "sample_id", "dilution", "nominal_pg_ml"]
    for (role, sample_id, dilution, nominal), g in w.groupby(keys, dropna=False, sort=True):
        in_well = g["well_conc"].mean()
        if in_well > uloq:
            status = "above_uloq"
        elif in_well >= lloq:
            status = "quantified"
        else:
            status = "below_lod" if in_well < lod else "below_lloq"  # NaN LOD: never below it
        cv = duplicate_cv(g["well_conc"])
        result = in_well * dilution
        flags = []
        if len(g) < 2:
            flags.append("single replicate")
        if status == "quantified" and cv > cv_limit(in_well, lloq):
            flags.append(f"duplicate CV {cv:.1f}% above {cv_limit(in_well, lloq):.0f}%")
        rows.append({
            "role": role, "sample_id": sample_id, "dilution": dilution, "nominal_pg_ml": nominal,
            "wells": ",".join(g["well"]), "n_wells": len(g), "conc_pg_ml": result if status == "quantified" else np.nan,
            "estimate_pg_ml": result, "status": status, "cv_percent": cv,
            "lod_pg_ml": lod * dilution, "lloq_pg_ml": lloq * dilution, "uloq_pg_ml": uloq * dilution,
            "flags": "; ".join(flags),
        })
    return pd.DataFrame(rows)


STATUS_PRIORITY = {"quantified": 0, "above_uloq": 1, "below_lloq": 2, "below_lod": 3}


@dataclass(frozen=True)
class CleanedAssays:
    """The outcome of cleaning every plate."""

    plates: list  # PlateAnalysis per plate
    measurements: pd.DataFrame  # every sample measurement (sample, dilution, plate)
    concentrations: pd.DataFrame  # one reported result per (sample_id, analyte)
    wells: pd.DataFrame  # every well with its use and the reason


def value_for_stats(value: pd.Series, censored: pd.Series, lloq: pd.Series, uloq: pd.Series) -> pd.Series:
    """The value rank statistics use: the result itself, half the LLOQ for a result below
    it (censored 'left'), the ULOQ for one above it ('right'). The substitutes only order
    censored results below (or above) the quantified ones; they never classify a sample."""
    out = value.where(censored == "", lloq / 2)
    return out.mask(censored == "right", uloq)


def clean(wells: pd.DataFrame, keep_failed_plates: bool = False) -> CleanedAssays:
    """Analyse every plate, then choose one result per sample and analyte: a quantified
    measurement at the lowest dilution if there is one, else the censored one (above ULOQ
    before below LLOQ before below LOD); several plates at that rank are combined (module
    docstring). Measurements on plates that failed QC are not eligible unless
    `keep_failed_plates`; a sample measured only there gets status 'excluded' and its reason
    in `exclusion`. For statistics, left-censored results are replaced by half their LLOQ
    and right-censored ones by their ULOQ (both times dilution); these substitutes are never
    used to classify a sample (see helpers.analysis)."""
    plates = [analyse_plate(g) for _, g in wells.groupby("plate_id", sort=False)]
    failed = {p.plate_id: p.qc["failed_rules"] for p in plates if not p.qc["plate_ok"]}
    meas = pd.concat([p.results.assign(plate_id=p.plate_id, analyte=p.analyte) for p in plates],
                     ignore_index=True)
    meas = meas[meas["role"] == "sample"].drop(columns=["role", "nominal_pg_ml"])
    meas["eligible"] = keep_failed_plates | ~meas["plate_id"].isin(failed)
    meas["priority"] = meas["status"].map(STATUS_PRIORITY)
    # lowest dilution first, except above ULOQ where the highest dilution gives the tightest bound
    meas["dilution_order"] = meas["dilution"].where(meas["status"] != "above_uloq", -meas["dilution"])
    ranked = meas[meas["eligible"]].sort_values(["sample_id", "analyte", "priority", "dilution_order", "lloq_pg_ml",
                                                 "plate_id"])
    best = ranked.groupby(["sample_id", "analyte"], sort=True)[["priority", "dilution_order"]].transform("first")
    tied = ranked[(ranked[["priority", "dilution_order"]] == best).all(axis="columns")]
    meas["used"] = meas.index.isin(tied.index)
    conc = pd.concat([tied.iloc[:0], *(_combine_plates(g) for _, g in tied.groupby(["sample_id", "analyte"]))],
                     ignore_index=True)
    conc["exclusion"] = ""
    lost = meas[~meas.set_index(["sample_id", "analyte"]).index.isin(conc.set_index(["sample_id", "analyte"]).index)]
    for (sample, analyte), g in lost.groupby(["sample_id", "analyte"], sort=True):
        reason = "; ".join(f"plate {pid} failed QC ({failed[pid]})" for pid in dict.fromkeys(g["plate_id"]))
        conc.loc[len(conc)] = {**g.iloc[0].to_dict(), "status": "excluded", "conc_pg_ml": np.nan, "exclusion": reason}
    conc = conc.drop(columns=["priority", "dilution_order", "eligible"], errors="ignore")                .sort_values(["sample_id", "analyte"]).reset_index(drop=True)
    conc["censored"] = conc["status"].map({"above_uloq": "right", "below_lloq": "left", "below_lod": "left"}) \
                                     .fillna("")
    conc["detectable"] = conc["status"].isin(["quantified", "above_uloq"])
    conc["value_for_stats"] = value_for_stats(conc["conc_pg_ml"], conc["censored"], conc["lloq_pg_ml"],
                                              conc["uloq_pg_ml"])
    return CleanedAssays(plates, meas.drop(columns=["priority", "dilution_order"]), conc,
                         _well_accounting(plates, meas, failed))


def _combine_plates(g: pd.DataFrame) -> pd.DataFrame:
    """One result from equally ranked measurements of one sample on several plates: the mean
    of quantified results, or the first (tightest) censored bound; the flag names the plates."""
    first = g.iloc[[0]].copy()
    if len(g) == 1:
        return first
    rule = "mean of the plates' results" if first["status"].iloc[0] == "quantified" else "tightest bound kept"
    for col in ("conc_pg_ml", "estimate_pg_ml"):
        first[col] = g[col].mean() if rule.startswith("mean") else first[col]
    note = f"measured on plates {', '.join(g['plate_id'])}: {rule}"
    first["flags"] = "; ".join(x for x in (first["flags"].iloc[0], note) if x)
    return first


def _well_accounting(plates: list, meas: pd.DataFrame, failed: dict) -> pd.DataFrame:
    """Every well: used or excluded, with the reason, plus any QC flag."""
    superseded = {}
    for rec in meas.to_dict("records"):
        for well in rec["wells"].split(","):
            superseded[(rec["plate_id"], well)] = (rec["used"], rec["eligible"], rec["status"], rec["flags"])
    uses = {"standard": "standard curve", "blank": "blank correction", "control": "control recovery"}
    rows = []
    for p in plates:
        for rec in p.wells.to_dict("records"):
            key, role = (p.plate_id, rec["well"]), rec["role"]
            flag = ""
            if rec["read_error"] == NOT_READ:
                use, reason = "excluded", "not read (the export has no value for this layout well)"
            elif rec["read_error"]:
                use, reason = "excluded", rec["read_error"] if rec["read_error"] == IMPOSSIBLE_SIGNAL else \
                    f"reader error {rec['read_error']!r}"
            elif role == "empty":
                use, reason = "excluded", "empty well (not in the layout)"
            elif role in uses:
                use, reason = "used", uses[role]
            else:
                used, eligible, status, flag = superseded[key]
                use = "used" if used else "excluded"
                if used:
                    reason = f"sample result ({status})"
                elif not eligible:
                    reason = f"plate failed QC: {failed[p.plate_id]}"
                else:
                    reason = f"superseded: {status} at 1:{rec['dilution']:g}, another measurement of this sample reported"
            rows.append({"plate_id": p.plate_id, "analyte": p.analyte, "well": rec["well"], "role": role,
                         "sample_id": rec["sample_id"], "dilution": rec["dilution"], "signal": rec["signal"],
                         "use": use, "reason": reason, "flag": flag,
                         "layout_file": rec.get("layout_file", ""), "export_file": rec.get("export_file", "")})
    return pd.DataFrame(rows)


def plate_grid(wells: pd.DataFrame, column: str) -> pd.DataFrame:
    """One plate's `column` as its 8 x 12 grid (rows A-H, columns 1-12); NaN where a well is missing."""
    w = wells.assign(row=wells["well"].str[0], col=wells["well"].str[1:].astype(int))
    if w.duplicated(["row", "col"]).any():
        raise ValueError("a well appears more than once: pass one plate")
    grid = w.pivot(index="row", columns="col", values=column)
    return grid.reindex(index=list("ABCDEFGH"), columns=range(1, 13))
