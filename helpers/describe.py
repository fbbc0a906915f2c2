"""Descriptive summaries for the notebooks: patient characteristics, cytokine detectability,
the IL-6 count above the cut-off, and what Fisher's exact test can detect with few positives.

Tables are returned as DataFrames of display strings where they are meant to be read
("17 (37%)", "54 (47-61)"), and as numbers where a test or a later cell needs them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import stats
from helpers.clinical import SITES


def n_percent(k: int, n: int) -> str:
    """'k (p%)' with the percentage of n rounded to a whole number."""
    return f"{k} ({stats.proportion(k, n)[1]:.0f}%)"


def median_iqr_text(x, decimals: int = 1) -> str:
    """'median (Q1-Q3)' from helpers.stats.median_iqr."""
    s = stats.median_iqr(x)
    return f"{s['median']:.{decimals}f} ({s['q1']:.{decimals}f}-{s['q3']:.{decimals}f})"


def range_text(x, decimals: int = 1) -> str:
    """'min-max'."""
    s = stats.median_iqr(x)
    return f"{s['min']:.{decimals}f}-{s['max']:.{decimals}f}"


def site_involvement(sites: pd.Series) -> pd.Series:
    """Patients with each metastatic site involved (a patient counts once per site listed in
    her ';'-separated `sites`), in the order of helpers.clinical.SITES, zeros included."""
    listed = sites.str.split(";").explode()
    return listed.value_counts().reindex(list(SITES), fill_value=0).astype(int).rename("patients")


def characteristics(table: pd.DataFrame) -> pd.DataFrame:
    """Patient characteristics of a cohort table (helpers.cohort columns), one row per
    (characteristic, level): counts as 'k (p%)' of all patients, continuous variables as
    'median (IQR)' with the range in its own row. Follow-up is the observed time of the
    patients still alive (censored), the usual simple summary of follow-up."""
    n = len(table)
    rows = [("Patients", "", str(n))]

    def continuous(name, x, decimals):
        rows.append((name, "median (IQR)", median_iqr_text(x, decimals)))
        rows.append((name, "range", range_text(x, decimals)))

    def counts(name, mask_by_level):
        rows.extend((name, level, n_percent(int(mask.sum()), n)) for level, mask in mask_by_level.items())

    continuous("Age (years)", table["age"], 0)
    continuous("Disease-free interval (months)", table["dfi_months"], 1)
    counts("Number of metastatic sites", {"1": table["n_sites"] == 1, ">1": table["n_sites"] > 1})
    involved = site_involvement(table["sites"])
    rows.extend(("Site involved (a patient may have several)", site.replace("_", " "), n_percent(int(k), n))
                for site, k in involved.items())
    counts("Dominant site", {level.replace("_", " "): table["dominant_site"] == level
                             for level in ("visceral", "bone", "soft_tissue")})
    counts("Liver metastasis", {"yes": table["liver_metastasis"]})
    counts("Pleural effusion", {"yes": table["pleural_effusion"]})
    counts("Oestrogen receptor", {level: table["er_status"] == level for level in ("positive", "negative")})
    continuous("CRP (mg/dl)", table["crp_mg_dl"], 2)
    counts("Best response to chemo-endocrine therapy",
           {level: table["response"] == level for level in ("CR", "PR", "NC", "PD", "NE")})
    counts("Deaths during follow-up", {"": table["death"] == 1})
    alive = table.loc[table["death"] == 0, "os_months"]
    if len(alive):
        continuous("Follow-up of survivors (months)", alive, 1)
    return pd.DataFrame(rows, columns=["characteristic", "level", "value"])


def detectability(table: pd.DataFrame, concentrations: pd.DataFrame,
                  analytes=("IL2", "TNFA", "IL1B", "IL6")) -> pd.DataFrame:
    """Per analyte: patients, how many are detectable (result at or above the plate's LLOQ,
    helpers.assay statuses 'quantified' or 'above_uloq'), the percentage, how many fall
    below the LLOQ and below the LOD, and the in-well LLOQ (pg/ml) of its plates (lowest
    and highest, before any dilution). `table` is a cohort table (columns `<analyte>_status`
    and `<analyte>_detectable`, lower case), `concentrations` the cleaned results
    (helpers.cleaning.CleanedTables.concentrations)."""
    rows = []
    for analyte in analytes:
        a = analyte.lower()
        status, det = table[f"{a}_status"], table[f"{a}_detectable"].astype(bool)
        conc = concentrations[concentrations["analyte"] == analyte]
        lloq = conc["lloq_pg_ml"] / conc["dilution"]
        rows.append({"analyte": analyte, "patients": len(table), "detectable": int(det.sum()),
                     "percent": stats.proportion(int(det.sum()), len(table))[1],
                     "below_lloq": int((status == "below_lloq").sum()),
                     "below_lod": int((status == "below_lod").sum()),
                     "lloq_low_pg_ml": float(lloq.min()), "lloq_high_pg_ml": float(lloq.max())})
    return pd.DataFrame(rows).set_index("analyte")


def above_cutoff(values, cutoff: float) -> dict:
    """Values strictly above the cut-off (as helpers.analysis.add_covariates: il6 > cutoff):
    {'n', 'above', 'percent', 'at_cutoff'}; at_cutoff counts values exactly on it, which
    would make '>' and '>=' disagree."""
    v = np.asarray(values, float)
    if v.size == 0 or np.isnan(v).any():
        raise ValueError("above_cutoff needs a non-empty sample without NaN")
    above = int((v > cutoff).sum())
    return {"n": int(v.size), "above": above, "percent": stats.proportion(above, v.size)[1],
            "at_cutoff": int((v == cutoff).sum())}


def smallest_fisher_p(table) -> float:
    """The smallest two-sided Fisher exact P any 2x2 table with the same margins as `table`
    ([[a, b], [c, d]]) can give: the most a test could show, however strong the association.
    The two-sided P of a table is the total probability of the tables no more probable than
    it, so it is smallest for the least probable table; the hypergeometric probabilities are
    unimodal, so that table is one of the two extremes: only those two are tested
    (helpers.stats.fisher_exact), the same minimum as trying every table, in constant time."""
    (a, b), (c, d) = np.asarray(table, int)
    row1, col1, n = a + b, a + c, a + b + c + d
    best = 1.0
    for x in {max(0, row1 + col1 - n), min(row1, col1)}:
        candidate = [[x, row1 - x], [col1 - x, n - row1 - col1 + x]]
        best = min(best, stats.fisher_exact(candidate).p)
    return best


def fisher_display(fisher: pd.DataFrame) -> pd.DataFrame:
    """helpers.analysis.fisher_tests output made readable: for each cytokine and variable,
    detectable patients with / without the feature, undetectable patients with / without,
    the odds ratio, P, and the smallest P the margins allow (smallest_fisher_p)."""
    rows = []
    for rec in fisher.to_dict("records"):
        (a, b), (c, d) = rec["table"]
        rows.append({"cytokine": rec["cytokine"], "variable": rec["variable"],
                     "detectable: with": a, "detectable: without": b,
                     "not detectable: with": c, "not detectable: without": d,
                     "odds ratio": rec["odds_ratio"], "P": rec["p"],
                     "smallest possible P": smallest_fisher_p(rec["table"])})
    return pd.DataFrame(rows).set_index(["cytokine", "variable"])
