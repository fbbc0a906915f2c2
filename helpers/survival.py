"""Survival analyses beyond the registry values: per-group Kaplan-Meier summaries,
univariable and multivariable Cox tables, the continuous IL-6 sensitivity model,
the proportional-hazards check and events per variable.

Every function takes a table from helpers.analysis.add_covariates.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines.statistics import proportional_hazard_test

from helpers import stats
from helpers.analysis import COX_COVARIATES, survival_frame

LABELS = {
    "il6_high": "IL-6 above cut-off",
    "log2_il6": "IL-6, per doubling",
    "dfi_short": "DFI <= 24 months",
    "multiple_sites": "more than one site",
    "visceral": "dominant visceral disease",
    "er_negative": "ER negative",
    "age_per_10y": "age, per 10 years",
    "GLOBAL": "all covariates (global test)",
}
PH_ALPHA = 0.05


def group_summary(t: pd.DataFrame, group_col: str = "il6_high") -> pd.DataFrame:
    """Per group: patients, deaths, Kaplan-Meier median OS with its 95% CI (log-log), as
    stats.kaplan_meier_median (NaN where not reached)."""
    rows = []
    for value, g in t.groupby(group_col, sort=True):
        median, lower, upper = stats.kaplan_meier_median(g["os_months"], g["death"])
        rows.append({group_col: value, "patients": len(g), "deaths": int(g["death"].sum()),
                     "median_os_months": median, "ci_lower": lower, "ci_upper": upper})
    return pd.DataFrame(rows).set_index(group_col)


def with_log2_il6(t: pd.DataFrame) -> pd.DataFrame:
    """Adds log2 IL-6 (censored values at their substituted value)."""
    return t.assign(log2_il6=np.log2(t["il6"]))


def univariable_cox(t: pd.DataFrame, covariates=COX_COVARIATES) -> pd.DataFrame:
    """One Cox model per covariate: hazard ratio, Wald 95% CI and P."""
    surv = survival_frame(t)
    return pd.concat([stats.cox(surv, "os_months", "death", [c]) for c in covariates])


def multivariable_cox(t: pd.DataFrame, covariates=COX_COVARIATES) -> pd.DataFrame:
    """All covariates in one Cox model (the table behind R14)."""
    cols = list(covariates)
    frame = t[["os_months", "death", *cols]].astype(float)
    return stats.cox(frame, "os_months", "death", cols)


def log2_sensitivity(t: pd.DataFrame) -> pd.DataFrame:
    """The multivariable model with IL-6 as a continuous log2 term instead of the cut-off."""
    covariates = ["log2_il6", *[c for c in COX_COVARIATES if c != "il6_high"]]
    return multivariable_cox(with_log2_il6(t), covariates)


def proportional_hazards(t: pd.DataFrame, covariates=COX_COVARIATES, transform: str = "km") -> pd.DataFrame:
    """Proportional-hazards test of the multivariable model, per covariate and GLOBAL: the
    score test of R's cox.zph (survival >= 3.0, stats.cox_zph; chisq, df, p), a verdict in
    words, and p_lifelines, lifelines' proportional_hazard_test with the same time transform:
    the approximation R used before 3.0 (NaN for GLOBAL, which lifelines does not test)."""
    cols = list(covariates)
    frame = t[["os_months", "death", *cols]].astype(float)
    fitted = stats.cox_fit(frame, "os_months", "death", cols)
    out = stats.cox_zph(fitted, frame, transform)
    out["verdict"] = np.where(out["p"] < PH_ALPHA, "evidence against proportional hazards",
                              "no evidence against proportional hazards")
    old = proportional_hazard_test(fitted, frame, time_transform=transform).summary["p"]
    out["p_lifelines"] = old.reindex(out.index)
    return out


def events_per_variable(t: pd.DataFrame, n_variables: int = len(COX_COVARIATES)) -> float:
    """Deaths divided by the number of model coefficients."""
    return float(t["death"].sum()) / n_variables
