"""Tests of helpers.describe (and helpers.reconstruct.assumptions_table) on small frames whose
answers are worked out by hand in the comments."""

import math

import pandas as pd
import pytest

from helpers import describe
from helpers.reconstruct import assumptions_table


def small_cohort() -> pd.DataFrame:
    """Four patients; every summary below is computed by hand from these rows."""
    return pd.DataFrame({
        "age": [40, 52, 60, 72],
        "dfi_months": [10.0, 20.0, 30.0, 100.0],
        "n_sites": [1, 2, 1, 3],
        "sites": ["bone", "bone;liver", "lymph_node", "liver;lung;pleura"],
        "dominant_site": ["bone", "visceral", "soft_tissue", "visceral"],
        "liver_metastasis": [False, True, False, True],
        "pleural_effusion": [False, False, False, True],
        "er_status": ["positive", "negative", "positive", "positive"],
        "crp_mg_dl": [0.1, 0.3, 0.5, 5.1],
        "response": ["PR", "PD", "NE", "PR"],
        "os_months": [30.0, 5.0, 20.0, 10.0],
        "death": [0, 1, 0, 1],
    })


def value(tab, characteristic, level):
    hit = tab[(tab["characteristic"] == characteristic) & (tab["level"] == level)]
    assert len(hit) == 1, (characteristic, level)
    return hit["value"].iloc[0]


# --- formatting -----------------------------------------------------------------

def test_n_percent_rounds_to_whole_percent():
    assert describe.n_percent(22, 46) == "22 (48%)"   # 47.83 %
    assert describe.n_percent(1, 3) == "1 (33%)"
    assert describe.n_percent(0, 5) == "0 (0%)"


def test_median_iqr_text_uses_linear_quartiles():
    # 10, 20, 30, 100: median 25; Q1 = 10 + 0.75 * 10 = 17.5; Q3 = 30 + 0.25 * 70 = 47.5
    assert describe.median_iqr_text([10, 20, 30, 100]) == "25.0 (17.5-47.5)"
    assert describe.median_iqr_text([1, 2, 3, 5], decimals=2) == "2.50 (1.75-3.50)"
    assert describe.range_text([3.0, 1.25, 2.0], decimals=2) == "1.25-3.00"


# --- characteristics --------------------------------------------------------------

def test_site_involvement_counts_each_listed_site_once_per_patient():
    inv = describe.site_involvement(pd.Series(["bone", "bone;liver", "lymph_node", "liver;lung;pleura"]))
    assert inv.to_dict() == {"bone": 2, "liver": 2, "lung": 1, "pleura": 1, "lymph_node": 1, "soft_tissue": 0}


def test_characteristics_by_hand():
    tab = describe.characteristics(small_cohort())
    assert value(tab, "Patients", "") == "4"
    # ages 40, 52, 60, 72: median 56, Q1 = 40 + 0.75 * 12 = 49, Q3 = 60 + 0.25 * 12 = 63
    assert value(tab, "Age (years)", "median (IQR)") == "56 (49-63)"
    assert value(tab, "Age (years)", "range") == "40-72"
    assert value(tab, "Disease-free interval (months)", "median (IQR)") == "25.0 (17.5-47.5)"
    assert value(tab, "Number of metastatic sites", "1") == "2 (50%)"
    assert value(tab, "Number of metastatic sites", ">1") == "2 (50%)"
    assert value(tab, "Site involved (a patient may have several)", "liver") == "2 (50%)"
    assert value(tab, "Site involved (a patient may have several)", "lymph node") == "1 (25%)"
    assert value(tab, "Site involved (a patient may have several)", "soft tissue") == "0 (0%)"
    assert value(tab, "Dominant site", "visceral") == "2 (50%)"
    assert value(tab, "Dominant site", "soft tissue") == "1 (25%)"
    assert value(tab, "Liver metastasis", "yes") == "2 (50%)"
    assert value(tab, "Pleural effusion", "yes") == "1 (25%)"
    assert value(tab, "Oestrogen receptor", "negative") == "1 (25%)"
    # CRP 0.1, 0.3, 0.5, 5.1: median 0.4, Q1 = 0.1 + 0.75 * 0.2 = 0.25, Q3 = 0.5 + 0.25 * 4.6 = 1.65
    assert value(tab, "CRP (mg/dl)", "median (IQR)") == "0.40 (0.25-1.65)"
    assert value(tab, "Best response to chemo-endocrine therapy", "PR") == "2 (50%)"
    assert value(tab, "Best response to chemo-endocrine therapy", "CR") == "0 (0%)"
    assert value(tab, "Deaths during follow-up", "") == "2 (50%)"
    # survivors: 30 and 20 months -> median 25, range 20-30
    assert value(tab, "Follow-up of survivors (months)", "median (IQR)") == "25.0 (22.5-27.5)"
    assert value(tab, "Follow-up of survivors (months)", "range") == "20.0-30.0"


def test_characteristics_without_survivors_has_no_follow_up_row():
    t = small_cohort().assign(death=1)
    tab = describe.characteristics(t)
    assert "Follow-up of survivors (months)" not in set(tab["characteristic"])
    assert value(tab, "Deaths during follow-up", "") == "4 (100%)"


# --- detectability and the cut-off ------------------------------------------------

def test_detectability_counts_statuses_and_plate_lloq():
    table = pd.DataFrame({
        "tnfa_status": ["quantified", "below_lloq", "below_lod", "above_uloq"],
        "tnfa_detectable": [True, False, False, True],
    })
    conc = pd.DataFrame({
        "analyte": ["TNFA"] * 4 + ["IL6"],
        "lloq_pg_ml": [8.0, 8.0, 7.0, 70.0, 0.1],   # the last TNFA result was read at 1:10
        "dilution": [1, 1, 1, 10, 1],
    })
    d = describe.detectability(table, conc, analytes=("TNFA",))
    row = d.loc["TNFA"]
    assert (row["patients"], row["detectable"], row["below_lloq"], row["below_lod"]) == (4, 2, 1, 1)
    assert row["percent"] == 50.0
    assert (row["lloq_low_pg_ml"], row["lloq_high_pg_ml"]) == (7.0, 8.0)


def test_above_cutoff_is_strict():
    res = describe.above_cutoff([1.0, 4.0, 4.01, 10.0], 4.0)
    assert res == {"n": 4, "above": 2, "percent": 50.0, "at_cutoff": 1}
    with pytest.raises(ValueError):
        describe.above_cutoff([1.0, float("nan")], 4.0)


# --- Fisher's exact test with few positives ---------------------------------------

def test_smallest_fisher_p_two_of_four():
    # margins 2/2 of 4: tables x = 0, 1, 2 have probabilities 1/6, 4/6, 1/6.
    # x = 0 or 2: two-sided P = 1/6 + 1/6 = 1/3; x = 1: P = 1. Smallest 1/3.
    assert math.isclose(describe.smallest_fisher_p([[1, 1], [1, 1]]), 1 / 3)


def test_smallest_fisher_p_one_positive():
    # one positive among 4, feature in 1: x = 1 has probability 1/4, x = 0 has 3/4.
    assert math.isclose(describe.smallest_fisher_p([[0, 1], [1, 2]]), 1 / 4)


def test_smallest_fisher_p_two_positives_in_46():
    # 2 positives, feature in 9 of 46: both positives with the feature has probability
    # C(9,2)/C(46,2) = 36/1035; no positive with it, C(37,2)/C(46,2) = 666/1035, is more probable,
    # and one with it, 9*37/1035 = 333/1035, too; so the two-sided P is 36/1035 alone.
    assert math.isclose(describe.smallest_fisher_p([[0, 2], [9, 35]]), 36 / 1035)


def test_fisher_display_unpacks_tables():
    fisher = pd.DataFrame([{"cytokine": "tnfa", "variable": "liver", "table": [[1, 1], [1, 1]],
                            "odds_ratio": 1.0, "p": 1.0}])
    d = describe.fisher_display(fisher)
    row = d.loc[("tnfa", "liver")]
    assert [row["detectable: with"], row["detectable: without"],
            row["not detectable: with"], row["not detectable: without"]] == [1, 1, 1, 1]
    assert math.isclose(row["smallest possible P"], 1 / 3)


# --- registry grouping and assumptions ---------------------------------------------

def test_assumptions_table_flattens_leaves(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("seed:\n  value: 7\n  why: any\n"
                    "cohort:\n  n_liver:\n    value: 13\n    why: quarter\n"
                    "  age:\n    value: [54, 10]\n    why: typical\n", encoding="utf-8")
    tab = assumptions_table(path)
    assert list(tab["name"]) == ["seed", "cohort.n_liver", "cohort.age"]
    assert list(tab["value"]) == [7, 13, [54, 10]]
    assert list(tab["why"]) == ["any", "quarter", "typical"]
