"""Tests of the analysis-level tables in helpers.analysis on small hand-computed cohorts."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import analysis, findings

# Eight patients, IL-6 sorted; every comparison below is worked out by hand.
IL6 = [0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0]
SMALL = pd.DataFrame({
    "il6": IL6,
    "n_sites": [1, 1, 1, 2, 1, 2, 3, 2],  # > 1 site: 3, 8, 12, 20
    "dominant_site": ["bone", "soft_tissue", "bone", "visceral", "bone", "visceral", "visceral", "visceral"],
    "liver_metastasis": [False, False, False, True, False, True, True, False],  # 3, 8, 12
    "pleural_effusion": [False, False, False, False, False, False, True, True],
    "response": ["CR", "PR", "PR", "NC", "NE", "PD", "PD", "NC"],  # NE (5.0) is left out of R12
    "dfi_months": [30, 12, 40, 20, 18, 10, 9, 30],
    "er_status": ["positive"] * 4 + ["negative"] * 4,
    "age": [50, 60, 45, 70, 55, 65, 40, 52],
    "il6_censored": ["left", "", "", "", "", "", "", "right"],
})


@pytest.fixture
def small():
    return analysis.add_covariates(SMALL, cutoff=4.0)


def test_comparison_table_sites_by_hand(small):
    row = analysis.comparison_table(small).loc["R07"]
    assert (row["group_a"], row["group_b"]) == ("more than one site", "one site")
    # A = 3, 8, 12, 20: median 10; quartiles at positions 0.75 and 2.25 -> 6.75 and 14
    # B = 0.5, 1, 2, 5: median 1.5; quartiles 0.875 and 2.75
    assert (row["n_a"], row["median_a"], row["q1_a"], row["q3_a"]) == (4, 10.0, 6.75, 14.0)
    assert (row["n_b"], row["median_b"], row["q1_b"], row["q3_b"]) == (4, 1.5, 0.875, 2.75)
    assert row["median_difference"] == 8.5
    assert (row["censored_a"], row["censored_b"]) == (1, 1)  # 20 (right) in A, 0.5 (left) in B
    # A beats B in 15 of 16 pairs (only 3 < 5)
    assert row["u"] == 15
    assert row["rank_biserial"] == pytest.approx(2 * 15 / 16 - 1)
    # the 16 differences sorted: ..., 7, 7, 7.5, 10, ... -> median (7 + 7.5) / 2
    assert row["hodges_lehmann"] == 7.25
    # no ties: mean 8, variance 4*4*9/12 = 12, continuity 0.5
    assert row["p_normal"] == pytest.approx(2 * stats.norm.sf(6.5 / math.sqrt(12)), rel=1e-12)
    # exact: 70 splits, U >= 15 in 2 of them -> two-sided 2 * 2/70
    assert row["p_permutation"] == pytest.approx(4 / 70)


def test_comparison_table_liver_and_prefix_selection(small):
    tab = analysis.comparison_table(small, prefixes=("R09", "R12"))
    assert list(tab.index) == ["R09", "R12"]
    liver = tab.loc["R09"]
    # A = 3, 8, 12 vs B = 0.5, 1, 2, 5, 20: 3 beats 3, 8 beats 4, 12 beats 4 -> U = 11 of 15
    assert (liver["n_a"], liver["n_b"], liver["median_a"], liver["median_b"]) == (3, 5, 8.0, 2.0)
    assert liver["u"] == 11
    assert (liver["censored_a"], liver["censored_b"]) == (0, 2)
    resp = tab.loc["R12"]
    # non-responders (NC, PD) 3, 8, 12, 20 vs responders (CR, PR) 0.5, 1, 2; NE excluded
    assert (resp["group_a"], resp["group_b"]) == ("non-responders", "responders")
    assert (resp["n_a"], resp["n_b"], resp["median_a"], resp["median_b"]) == (4, 3, 10.0, 1.0)
    assert resp["u"] == 12 and resp["rank_biserial"] == 1
    # exact: C(7,3) = 35 splits, the observed one is the single most extreme -> 2/35
    assert resp["p_permutation"] == pytest.approx(2 / 35)


def test_comparison_table_agrees_with_registry_values(small):
    tab = analysis.comparison_table(small, prefixes=("R07", "R08", "R09", "R10", "R12"))
    vals = analysis.comparison_values(small)
    testable = tab[(tab["n_a"] >= findings.MIN_GROUP_SIZE) & (tab["n_b"] >= findings.MIN_GROUP_SIZE)].index
    assert list(testable) == ["R07", "R08", "R09", "R12"]  # R10: 2 patients with effusion, too few to test
    assert vals["R10c"] == "not computable: pleural effusion has 2 patient(s), fewer than 3: too small to test"
    for prefix in ("R07", "R08", "R09"):
        assert vals[f"{prefix}a"] == tab.loc[prefix, "median_a"]
        assert vals[f"{prefix}b"] == tab.loc[prefix, "median_b"]
        assert vals[f"{prefix}c"] == tab.loc[prefix, "p_normal"]
    assert vals["R12a"] == tab.loc["R12", "median_difference"]


def test_response_by_il6_group_by_hand(small):
    res = analysis.response_by_il6_group(small)
    tab = res["table"]
    # above 4: 5 (NE), 8 (PD), 12 (PD), 20 (NC); at or below: 0.5 CR, 1 PR, 2 PR, 3 NC
    assert tab.loc["IL-6 above cut-off", ["evaluable", "responders", "non_responders", "not_evaluable"]].tolist() \
        == [3, 0, 3, 1]
    assert tab.loc["IL-6 at or below cut-off", ["evaluable", "responders", "non_responders", "not_evaluable"]] \
        .tolist() == [4, 3, 1, 0]
    assert tab["response_rate"].tolist() == [0.0, 0.75]
    # [[0, 3], [3, 1]], margins 3/4 rows, 3 responders of 7: P(a=k) = C(3,k)C(4,3-k)/35
    # = 4, 18, 12, 1 (/35); tables no more probable than a=0 (4/35): a=0 and a=3 -> 5/35
    assert res["fisher"].p == pytest.approx(5 / 35)
    assert res["fisher"].odds_ratio == 0
    d = res["difference"]
    assert (d.k1, d.n1, d.k2, d.n2, d.difference) == (0, 3, 3, 4, -0.75)
    assert d.lower < -0.75 < d.upper
    # IL-6 > 4 flags 3 of 4 non-responders and none of the 3 responders
    assert res["sensitivity"] == 0.75 and res["specificity"] == 1.0


def test_comparison_table_without_censoring_column(small):
    tab = analysis.comparison_table(small.drop(columns="il6_censored"), prefixes=("R07",))
    assert (tab.loc["R07", "censored_a"], tab.loc["R07", "censored_b"]) == (0, 0)


def test_response_by_il6_group_follows_cutoff():
    res = analysis.response_by_il6_group(analysis.add_covariates(SMALL, cutoff=2.5))
    # above 2.5 now adds 3 (NC): non-responders 4 of 4 above
    assert res["table"]["evaluable"].tolist() == [4, 3]
    assert res["sensitivity"] == 1.0
    assert np.isclose(res["difference"].difference, 0 / 4 - 3 / 3)


def test_substituted_values_never_decide_the_cutoff_class():
    """Below a LLOQ above the cut-off, or above a ULOQ below it, the class is unknown."""
    t = pd.DataFrame({"il6": [1.0, 5.0, 5.0, 3.0, np.nan], "il6_censored": ["left", "left", "", "right", ""],
                      "il6_lloq": [2.0, 10.0, 0.1, 0.1, np.nan], "il6_uloq": [300.0, 300.0, 300.0, 3.0, np.nan]})
    high = analysis.above_cutoff(t, 4.0)
    assert high.isna().tolist() == [False, True, False, True, True]
    assert high[[0, 2]].tolist() == [False, True]


def test_analysis_counts_name_what_is_missing():
    t = pd.DataFrame({"il6": [1.0, 2.0, np.nan], "il6_high": pd.array([False, False, pd.NA], dtype="boolean"),
                      "crp_mg_dl": [0.1, np.nan, 0.3], "responder": [True, np.nan, False],
                      "os_months": [1.0, 2.0, 3.0], "death": [1, 0, 1],
                      **{c: [1.0, 0.0, 1.0] for c in analysis.COX_COVARIATES if c != "il6_high"}})
    counts = analysis.analysis_counts(t)
    cols = ["rows", "patients", "left_out", "why"]
    assert counts.loc["IL-6 and CRP", cols].tolist() == [
        "R11", 1, 2, "1 without an IL-6 result; 1 without CRP"]
    assert counts.loc["multivariable Cox model", cols].tolist() == [
        "R14", 2, 1, "1 without an IL-6 class relative to the cut-off"]


def test_the_paper_study_file_codes_the_paper_variables_as_add_covariates_does(cohort):
    """The paper's detailed notebooks use analysis.add_covariates; every registry value comes from
    the study file (helpers.findings). The two codings of the same variables must agree."""
    study = analysis.paper_study()
    t = analysis.add_covariates(cohort.table)
    d = findings.derive(study, cohort.table)
    same = {"sites": "multiple_sites", "visceral": "visceral", "liver": "liver_metastasis",
            "effusion": "pleural_effusion", "er": "er_negative", "dfi": "dfi_short"}
    for group, column in same.items():
        pd.testing.assert_series_equal(d.groups[group].astype("boolean"), t[column].astype("boolean"),
                                       check_names=False)
    pd.testing.assert_series_equal(d.high["IL6"], t["il6_high"], check_names=False)
    assert [c.name for c in study.cox] == ["IL6", "dfi", "sites", "visceral", "er", "age_per_10"]
    from helpers import survival
    paper = survival.multivariable_cox(t)
    results = findings.findings(study, cohort.table)
    for ours, theirs in zip(["IL6", "dfi", "sites", "visceral", "er", "age_per_10"], survival.COX_COVARIATES):
        assert results[f"cox.{ours}.hr"] == pytest.approx(paper.loc[theirs, "hr"], rel=1e-9)
