"""The paper's analyses, as the registry assumes them, on a cohort table (helpers.cohort).

Each analysis uses the patients who have every value it needs (complete cases) and says
how many it left out (`analysis_counts`). Valid data that cannot support an analysis (no
deaths, an empty group) do not stop the others: the rows they feed get a "not computable"
value with the reason (helpers.registry.not_computable).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import stats
from helpers.clinical import responder
from helpers.registry import not_computable, scorecard
from helpers.survival import COX_COVARIATES, multivariable_cox, survival_frame, univariable_cox

CUTOFF_PG_ML = 4.0  # fixed in advance: the CLEIA's upper reference limit (see context)
DFI_SHORT_MONTHS = 24
CLINICAL_VARIABLES = ("multiple_sites", "visceral", "liver_metastasis", "pleural_effusion", "er_negative")


def add_covariates(table: pd.DataFrame, cutoff: float = CUTOFF_PG_ML) -> pd.DataFrame:
    """Binary and scaled covariates used by the comparisons and the survival models."""
    t = table.copy()
    t["il6_high"] = above_cutoff(t, cutoff)
    t["dfi_short"] = t["dfi_months"] <= DFI_SHORT_MONTHS
    t["multiple_sites"] = t["n_sites"] > 1
    t["visceral"] = t["dominant_site"] == "visceral"
    t["er_negative"] = t["er_status"] == "negative"
    t["age_per_10y"] = t["age"] / 10
    t["responder"] = responder(t)
    for col in ("dfi_short", "er_negative"):  # a missing value stays missing
        source = {"dfi_short": "dfi_months", "er_negative": "er_status"}[col]
        t[col] = t[col].astype("boolean").mask(t[source].isna())
    return t


def above_cutoff(t: pd.DataFrame, cutoff: float) -> pd.Series:
    """IL-6 above the cut-off: True / False, or <NA> when the result cannot say. A result
    below a LLOQ that is itself above the cut-off (or above a ULOQ below it) is unknown
    relative to the cut-off: its substituted value never decides the class."""
    high = (t["il6"] > cutoff).astype("boolean")
    unknown = t["il6"].isna()
    if {"il6_censored", "il6_lloq", "il6_uloq"} <= set(t.columns):  # limits known (helpers.cohort tables)
        unknown |= (t["il6_censored"] == "left") & (t["il6_lloq"] > cutoff)
        unknown |= (t["il6_censored"] == "right") & (t["il6_uloq"] < cutoff)
    return high.mask(unknown)


ANALYSIS_NEEDS = {  # analysis -> (registry prefixes it feeds, columns it needs)
    "IL-2 detectability": (("R02",), ["il2_detectable"]),
    "TNF-alpha detectability": (("R03",), ["tnfa_detectable"]),
    "IL-1beta detectability": (("R04",), ["il1b_detectable"]),
    "TNF-alpha and IL-1beta against clinical variables": (("R05",), ["tnfa_detectable", "il1b_detectable"]),
    "IL-6 above the cut-off": (("R06",), ["il6_high"]),
    "IL-6 by disease extent": (("R07", "R08", "R09", "R10"), ["il6"]),
    "IL-6 and CRP": (("R11",), ["il6", "crp_mg_dl"]),
    "IL-6 and response": (("R12",), ["il6", "responder"]),
    "survival by IL-6 group": (("R13",), ["il6_high", "os_months", "death"]),
    "multivariable Cox model": (("R14",), ["os_months", "death", *COX_COVARIATES]),
}


MISSING_WORDS = {"il6": "an IL-6 result", "il6_high": "an IL-6 class relative to the cut-off", "crp_mg_dl": "CRP",
                 "il2_detectable": "an IL-2 result", "tnfa_detectable": "a TNF-alpha result",
                 "il1b_detectable": "an IL-1beta result",
                 "responder": "an evaluable response", "os_months": "survival time", "death": "vital status",
                 "dfi_short": "disease-free interval", "er_negative": "ER status", "age_per_10y": "age"}


def analysis_counts(t: pd.DataFrame, excluded: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each analysis: the registry rows it feeds, patients used, and patients left out
    for a missing value, by column; with `excluded` (helpers.cohort.Cohort.excluded), a missing
    marker value also names the samples and why (e.g. a plate that failed QC)."""
    rows = []
    for name, (prefixes, cols) in ANALYSIS_NEEDS.items():
        if not set(cols) <= set(t.columns):  # a table without this analysis' columns
            continue
        missing = t[cols].isna()
        why = []
        for col, n in missing.sum().items():
            if not n:
                continue
            text = f"{int(n)} without {MISSING_WORDS.get(col, col)}"
            analyte = {"il6": "IL6", "il6_high": "IL6", "il2_detectable": "IL2", "tnfa_detectable": "TNFA",
                       "il1b_detectable": "IL1B"}.get(col)
            if excluded is not None and analyte:
                gone = excluded[(excluded["analyte"] == analyte)
                                & excluded["patient_id"].isin(t.loc[missing[col], "patient_id"])]
                text += "".join(f" ({reason}: {', '.join(sorted(g['sample_id']))})"
                                for reason, g in gone.groupby("reason", sort=True))
            why.append(text)
        rows.append({"analysis": name, "rows": ", ".join(prefixes),
                     "patients": int((~missing.any(axis="columns")).sum()),
                     "left_out": int(missing.any(axis="columns").sum()), "why": "; ".join(why)})
    return pd.DataFrame(rows).set_index("analysis")


def left_out_by_row(t: pd.DataFrame, excluded: pd.DataFrame | None = None) -> dict:
    """{registry prefix: 'N patients left out: why'} for the rows whose analysis lost patients."""
    counts = analysis_counts(t, excluded)
    return {prefix: f"{row['left_out']} patient(s) left out: {row['why']}"
            for _, row in counts[counts["left_out"] > 0].iterrows() for prefix in row["rows"].split(", ")}


def il6_comparisons(t: pd.DataFrame) -> dict:
    """The four disease-extent comparisons and the response comparison, as
    {registry prefix: (label, group A mask, group B mask)} with A the higher-IL-6 group."""
    evaluable = t["responder"].notna()
    return {
        "R07": ("more than one site vs one site", t["multiple_sites"], ~t["multiple_sites"]),
        "R08": ("dominant visceral vs bone / soft tissue", t["visceral"], ~t["visceral"]),
        "R09": ("liver metastasis vs none", t["liver_metastasis"], ~t["liver_metastasis"]),
        "R10": ("pleural effusion vs none", t["pleural_effusion"], ~t["pleural_effusion"]),
        "R12": ("non-responders vs responders", evaluable & (t["responder"] == False),  # noqa: E712
                evaluable & (t["responder"] == True)),  # noqa: E712
    }


def il6_values(t: pd.DataFrame, a: pd.Series, b: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The IL-6 values of groups A and B of a comparison (il6_comparisons), patients with a result."""
    return t.loc[a, "il6"].dropna(), t.loc[b, "il6"].dropna()


def fisher_tests(t: pd.DataFrame) -> pd.DataFrame:
    """Detectable TNF-alpha / IL-1beta against each clinicopathological variable (Fisher exact)."""
    rows = []
    for cytokine in ("tnfa", "il1b"):
        for var in CLINICAL_VARIABLES:
            both = t[[f"{cytokine}_detectable", var]].dropna()
            det, v = both.iloc[:, 0].astype(bool), both.iloc[:, 1].astype(bool)
            table = [[int((det & v).sum()), int((det & ~v).sum())], [int((~det & v).sum()), int((~det & ~v).sum())]]
            res = stats.fisher_exact(table)
            rows.append({"cytokine": cytokine, "variable": var, "table": table,
                         "odds_ratio": res.odds_ratio, "p": res.p})
    return pd.DataFrame(rows)


def _guarded(ids, compute) -> dict:
    """compute() for these registry ids, or each id 'not computable' with the reason the
    data could not support it (degenerate data is a result, not an input error)."""
    try:
        return compute()
    except (ValueError, ZeroDivisionError, np.linalg.LinAlgError) as err:
        return {rid: not_computable(str(err)) for rid in ids}


def detection_values(t: pd.DataFrame) -> dict:
    """R02-R04: patients with detectable IL-2, TNF-alpha and IL-1beta (notebook 01)."""
    values = {}
    for rid, analyte, name in (("R02", "il2", "IL-2"), ("R03", "tnfa", "TNF-alpha"), ("R04", "il1b", "IL-1beta")):
        measured = t[f"{analyte}_detectable"].dropna()
        values[rid] = int(measured.sum()) if len(measured) else not_computable(f"no patient has a result for {name}")
    return values


def cytokine_values(t: pd.DataFrame) -> dict:
    """R01, R05, R06: patients, the smallest Fisher P of detectable TNF-alpha / IL-1beta
    against the clinical variables, IL-6 above the cut-off (of the patients whose class is
    known) (notebook 02)."""
    known = t["il6_high"].dropna()
    n_high = int(known.sum())
    values = {
        "R01": len(t),
        "R06a": n_high,
        "R06b": stats.proportion(n_high, len(known))[1] if len(known) else not_computable("no IL-6 result"),
    }
    return values | _guarded(["R05"], lambda: {"R05": float(fisher_tests(t)["p"].min())})


def _groups_too_small(label: str, x: pd.Series, y: pd.Series, minimum: int = 1) -> str:
    small = [f"{name} has {len(v)} patient(s)" for name, v in zip(label.split(" vs "), (x, y)) if len(v) < minimum]
    return "; ".join(small)


def comparison_values(t: pd.DataFrame, prefixes=("R07", "R08", "R09", "R10", "R12")) -> dict:
    """R07-R10 (medians of each group and Mann-Whitney P) and R12 (median difference, P)."""
    values = {}
    for prefix, (label, a, b) in il6_comparisons(t).items():
        if prefix not in prefixes:
            continue
        ids = ["R12a", "R12b"] if prefix == "R12" else [f"{prefix}{k}" for k in "abc"]
        x, y = il6_values(t, a, b)
        empty = _groups_too_small(label, x, y)
        if empty:
            values |= {rid: not_computable(empty) for rid in ids}
            continue
        mw = stats.mann_whitney(x, y)
        if prefix == "R12":
            values["R12a"], values["R12b"] = mw.median_x - mw.median_y, mw.p
        else:
            values[f"{prefix}a"], values[f"{prefix}b"], values[f"{prefix}c"] = mw.median_x, mw.median_y, mw.p
    return values


def crp_values(t: pd.DataFrame) -> dict:
    """R11: Spearman correlation of IL-6 with CRP and its P (patients with both values)."""
    both = t[["il6", "crp_mg_dl"]].dropna()
    if len(both) < 3:
        return {rid: not_computable(f"{len(both)} patients have both IL-6 and CRP") for rid in ("R11a", "R11b")}
    corr = stats.correlation(both["il6"], both["crp_mg_dl"], method="spearman")
    return {"R11a": corr.r, "R11b": corr.p}


def survival_values(t: pd.DataFrame) -> dict:
    """R13 (log-rank P, univariable hazard ratio) and R14 (multivariable Cox)."""
    ids13, ids14 = ["R13a", "R13b"], [f"R14{k}" for k in "abcde"]
    grouped = t.dropna(subset=["il6_high"])
    if grouped["il6_high"].nunique() < 2:
        reason = "no patient has an IL-6 class" if grouped.empty else "every patient is in one IL-6 group"
        return {rid: not_computable(reason) for rid in ids13 + ids14}
    if grouped["death"].sum() == 0:
        reason = "no deaths: survival cannot be compared"
        return {rid: not_computable(reason) for rid in ids13 + ids14}

    def univariable():
        hr = float(univariable_cox(grouped, ["il6_high"]).loc["il6_high", "hr"])
        return {"R13a": stats.logrank(grouped["os_months"], grouped["death"], grouped["il6_high"].astype(bool)).p,
                "R13b": hr if np.isfinite(hr) else not_computable("no finite hazard ratio: the deaths fall in "
                                                                  "one IL-6 group, or the fit does not converge")}

    def multivariable():
        complete = survival_frame(t)
        constant = [c for c in COX_COVARIATES if complete[c].nunique() < 2]
        if constant:
            raise ValueError(f"{', '.join(constant)} takes one value for every patient in the model")
        multi = multivariable_cox(t)
        return {"R14a": float(multi.loc["il6_high", "p"]), "R14b": float(multi.loc["il6_high", "hr"]),
                "R14c": float(multi.loc["dfi_short", "p"]), "R14d": float(multi.loc["dfi_short", "hr"]),
                "R14e": float(multi.drop(index=["il6_high", "dfi_short"])["p"].min())}
    return _guarded(ids13, univariable) | _guarded(ids14, multivariable)


def reproduce(table: pd.DataFrame, cutoff: float = CUTOFF_PG_ML) -> dict:
    """Every registry quantity computed from a cohort table: {registry id: value}."""
    t = add_covariates(table, cutoff)
    values = detection_values(t) | cytokine_values(t) | comparison_values(t) | crp_values(t) | survival_values(t)
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in values.items()}


def cohort_scorecard(cohort) -> pd.DataFrame:
    """The scorecard of a loaded cohort (helpers.cohort.Cohort): every registry row's value and
    verdict (reproduce, helpers.registry.scorecard), saying which rows lost patients."""
    left_out = left_out_by_row(add_covariates(cohort.table), cohort.excluded)
    return scorecard(reproduce(cohort.table), left_out=left_out)


def comparison_table(t: pd.DataFrame, prefixes=("R07", "R08", "R09", "R10")) -> pd.DataFrame:
    """One row per IL-6 comparison of il6_comparisons (A = the higher-IL-6 group), indexed by
    registry prefix: group names and sizes, median and quartiles of each group
    (stats.median_iqr), difference in medians (A - B), Mann-Whitney U for A, its two-sided P by
    the normal approximation with tie-corrected variance and continuity correction
    (stats.mann_whitney), the exact two-sided permutation P (stats.mann_whitney_permutation_p),
    the Hodges-Lehmann shift and the rank-biserial correlation;
    censored_a / censored_b count the group's censored IL-6 values (il6_censored not empty:
    below LLOQ or above ULOQ, entered at a substitute value), 0 if the column is absent."""
    censored = t["il6_censored"].fillna("") != "" if "il6_censored" in t else pd.Series(False, index=t.index)
    rows = []
    for prefix, (label, a, b) in il6_comparisons(t).items():
        if prefix not in prefixes:
            continue
        x, y = il6_values(t, a, b)
        mw = stats.mann_whitney(x, y)
        sa, sb = stats.median_iqr(x), stats.median_iqr(y)
        name_a, name_b = label.split(" vs ")
        rows.append({
            "id": prefix, "comparison": label, "group_a": name_a, "group_b": name_b,
            "n_a": sa["n"], "median_a": sa["median"], "q1_a": sa["q1"], "q3_a": sa["q3"],
            "n_b": sb["n"], "median_b": sb["median"], "q1_b": sb["q1"], "q3_b": sb["q3"],
            "censored_a": int(censored[a].sum()), "censored_b": int(censored[b].sum()),
            "median_difference": sa["median"] - sb["median"], "u": mw.u, "p_normal": mw.p,
            "p_permutation": stats.mann_whitney_permutation_p(x, y),
            "hodges_lehmann": mw.hodges_lehmann, "rank_biserial": mw.rank_biserial,
        })
    return pd.DataFrame(rows).set_index("id")


RESPONSE_GROUPS = ("IL-6 above cut-off", "IL-6 at or below cut-off")


def response_by_il6_group(t: pd.DataFrame) -> dict:
    """Objective response by IL-6 group (il6_high from add_covariates), evaluable patients only.

    Returns {"table": one row per group (RESPONSE_GROUPS) with evaluable, responders,
    non_responders, response_rate and not_evaluable; "fisher": stats.FisherExact on
    [[responders, non-responders] above, [responders, non-responders] at or below];
    "difference": stats.RateDifference of the response rates, above minus at or below;
    "sensitivity" / "specificity" of IL-6 above the cut-off as a predictor of non-response}.
    """
    counts = {}
    for name, high in zip(RESPONSE_GROUPS, (True, False)):
        g = t[t["il6_high"] == high]
        counts[name] = (int((g["responder"] == True).sum()), int((g["responder"] == False).sum()),  # noqa: E712
                        int(g["responder"].isna().sum()))
    table = pd.DataFrame([{"group": name, "evaluable": r + n, "responders": r, "non_responders": n,
                           "response_rate": r / (r + n) if r + n else float("nan"), "not_evaluable": ne}
                          for name, (r, n, ne) in counts.items()]).set_index("group")
    (r_hi, n_hi, _), (r_lo, n_lo, _) = counts[RESPONSE_GROUPS[0]], counts[RESPONSE_GROUPS[1]]
    return {
        "table": table,
        "fisher": stats.fisher_exact([[r_hi, n_hi], [r_lo, n_lo]]),
        "difference": stats.rate_difference(r_hi, r_hi + n_hi, r_lo, r_lo + n_lo),
        "sensitivity": n_hi / (n_hi + n_lo),
        "specificity": r_lo / (r_hi + r_lo),
    }
