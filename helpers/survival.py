"""Survival models on a cohort table: the one home of the univariable and the multivariable
Cox model (every notebook and helper that shows a hazard ratio calls them), per-group
Kaplan-Meier summaries, the continuous IL-6 sensitivity model, the proportional-hazards check
and events per variable.

Every function takes a table from helpers.analysis.add_covariates.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from lifelines.statistics import proportional_hazard_test

from helpers import stats

# The multivariable model the registry assumes for R14 (IL-6 group and DFI named by the paper;
# the other candidates are assumptions).
COX_COVARIATES = ("il6_high", "dfi_short", "multiple_sites", "visceral", "er_negative", "age_per_10y")
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


def survival_frame(t: pd.DataFrame, covariates=COX_COVARIATES, time: str = "os_months",
                   event: str = "death") -> pd.DataFrame:
    """The columns a Cox model uses, as floats, complete cases only."""
    cols = [time, event, *covariates]
    return t[cols].astype(float).dropna()


def _no_finite_estimate(frame: pd.DataFrame, covariate: str, event: str) -> bool:
    """A 0/1 covariate with a group empty or without deaths: its hazard ratio is 0 or infinite."""
    x, died = frame[covariate], frame[event] == 1
    return bool(x.isin([0.0, 1.0]).all() and not ((died & (x == 1)).any() and (died & (x == 0)).any()))


def univariable_cox(t: pd.DataFrame, covariates=COX_COVARIATES, time: str = "os_months",
                    event: str = "death") -> pd.DataFrame:
    """One Cox model per covariate (stats.cox), each on the patients with that covariate and
    survival known: coef, hazard ratio, Wald 95% CI, P and SE. A row is NaN where no finite
    estimate exists: a 0/1 covariate with a group empty or without deaths, or a fit that does
    not converge because the estimate runs off to 0 or infinity."""
    rows = []
    for c in covariates:
        frame = survival_frame(t, [c], time, event)
        nan = pd.DataFrame(np.nan, index=pd.Index([c], name="covariate"),
                           columns=["coef", "hr", "hr_lower", "hr_upper", "p", "se"])
        if _no_finite_estimate(frame, c, event):
            rows.append(nan)
            continue
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                rows.append(stats.cox(frame, time, event, [c]))
            except (ConvergenceWarning, ConvergenceError):
                rows.append(nan)
    return pd.concat(rows)


def multivariable_cox(t: pd.DataFrame, covariates=COX_COVARIATES) -> pd.DataFrame:
    """All covariates in one Cox model (stats.cox) on the complete cases: the table behind R14."""
    cols = list(covariates)
    return stats.cox(survival_frame(t, cols), "os_months", "death", cols)


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
    frame = survival_frame(t, cols)
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
