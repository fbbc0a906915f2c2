"""The paper's analyses, as the registry assumes them, on a cohort table (helpers.cohort).

Each analysis uses the patients who have every value it needs (complete cases) and says
how many it left out (`analysis_counts`). Valid data that cannot support an analysis (no
deaths, an empty group) do not stop the others: the rows they feed get a "not computable"
value with the reason (helpers.registry.not_computable).
"""
from __future__ import annotations

import functools

import pandas as pd

from helpers import findings, stats
from helpers.clinical import responder
from helpers.registry import load_registry, registry_values, scorecard
from helpers.study import PAPER_STUDY, load_study
from helpers.survival import COX_COVARIATES

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
    """IL-6 above the cut-off: True / False, or <NA> when the result cannot say
    (helpers.findings.marker_high)."""
    return findings.marker_high(t, "il6", cutoff)


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
    """Detectable TNF-alpha / IL-1beta against each clinicopathological variable (Fisher
    exact), as the paper's study file defines them (helpers.findings.fisher_tests)."""
    study = paper_study()
    out = findings.fisher_tests(study, findings.derive(study, t))
    names = {g: v for g, v in zip(study.detectability["against"], CLINICAL_VARIABLES)}
    return out.assign(cytokine=out["marker"].str.lower(), variable=out["group"].map(names))[
        ["cytokine", "variable", "table", "odds_ratio", "p"]]


@functools.cache
def paper_study():
    """The study file of the paper's reconstructed cohort (data/study.yaml)."""
    return load_study(PAPER_STUDY)


def reproduce(table: pd.DataFrame, cutoff: float = CUTOFF_PG_ML, study=None, analyses=None) -> dict:
    """Every registry quantity computed from a cohort table, {registry id: value}: the study's
    results (helpers.findings, only `analyses` when given; the paper's study file unless
    `study` is given) read through its registry's `result` column, with the primary marker's
    cut-off set to `cutoff`."""
    study = (study or paper_study()).with_cutoff(cutoff)
    return registry_values(load_registry(study.registry_file), findings.findings(study, table, analyses))


# the paper's registry rows by prefix -> the analyses (helpers.findings.ANALYSES) that compute them
ROW_ANALYSES = {"R01": "markers", "R02": "markers", "R03": "markers", "R04": "markers", "R05": "detectability",
                "R06": "markers", "R07": "comparisons", "R08": "comparisons", "R09": "comparisons",
                "R10": "comparisons", "R11": "correlate", "R12": "response", "R13": "survival", "R14": "cox"}


def _rows(t: pd.DataFrame, cutoff: float, prefixes) -> dict:
    rows = [p for p in ROW_ANALYSES if p.startswith(tuple(prefixes))]
    values = reproduce(t, cutoff, analyses={ROW_ANALYSES[p] for p in rows})
    return {rid: v for rid, v in values.items() if rid.startswith(tuple(prefixes))}


def cytokine_values(t: pd.DataFrame, cutoff: float = CUTOFF_PG_ML) -> dict:
    """R01, R05, R06: patients, the smallest Fisher P of detectable TNF-alpha / IL-1beta
    against the clinical variables, IL-6 above the cut-off (notebook 02)."""
    return _rows(t, cutoff, ("R01", "R05", "R06"))


def comparison_values(t: pd.DataFrame, prefixes=("R07", "R08", "R09", "R10", "R12")) -> dict:
    """R07-R10 (medians of each group and Mann-Whitney P) and R12 (median difference, P)."""
    return _rows(t, CUTOFF_PG_ML, prefixes)


def crp_values(t: pd.DataFrame) -> dict:
    """R11: Spearman correlation of IL-6 with CRP and its P (patients with both values)."""
    return _rows(t, CUTOFF_PG_ML, ("R11",))


def survival_values(t: pd.DataFrame, cutoff: float = CUTOFF_PG_ML) -> dict:
    """R13 (log-rank P, univariable hazard ratio) and R14 (multivariable Cox)."""
    return _rows(t, cutoff, ("R13", "R14"))


def study_scorecard(study, cohort, results: dict | None = None) -> pd.DataFrame:
    """The scorecard of a study (helpers.study) on its loaded cohort: with a registry in
    reproduce mode, each row's value and verdict (helpers.registry.scorecard); in replicate
    mode, each claim's replication verdict (helpers.registry.replication_card); without a
    registry, every result (helpers.findings) without verdicts. The paper's form of table
    also says which rows lost patients. `results` are the study's findings when already computed."""
    from helpers.registry import replication_card

    results = findings.findings(study, cohort.table) if results is None else results
    if study.registry_file is None:
        return pd.DataFrame({"result": list(results), "what": [findings.result_label(study, k) for k in results],
                             "value": pd.Series(list(results.values()), dtype=object)}).set_index("result")
    reg = load_registry(study.registry_file)
    values = registry_values(reg, results)
    paper_form = study.clinical_format == "zhang1999" and study.primary.id == "IL6"
    left_out = left_out_by_row(add_covariates(cohort.table, study.primary.cutoff), cohort.excluded) \
        if paper_form and set(reg.index) <= set(paper_study_registry().index) else None
    if study.registry_mode == "replicate":
        return replication_card(values, reg, left_out)
    return scorecard(values, registry=reg, left_out=left_out)


def paper_study_registry() -> pd.DataFrame:
    return load_registry(paper_study().registry_file)


def cohort_scorecard(cohort) -> pd.DataFrame:
    """The scorecard of a cohort in the paper's form (helpers.cohort.load_cohort): study_scorecard
    with the paper's study file."""
    return study_scorecard(paper_study(), cohort)


PERMUTATION_MAX_N = 150  # the exact permutation P's work grows as n_a n^2: about 1 s at 100 + 100 patients


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
            "p_permutation": (stats.mann_whitney_permutation_p(x, y) if len(x) + len(y) <= PERMUTATION_MAX_N
                              else float("nan")),
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
