"""Appraisal helpers against hand answers, brute-force loops and a permutation reference."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers import analysis, appraisal, stats, survival
from helpers.registry import load_registry

# --- REMARK ------------------------------------------------------------------------------


def test_remark_checklist_has_the_20_items_numbered_1_to_20():
    table = appraisal.remark_checklist()
    assert list(table.index) == list(range(1, 21))
    assert set(table["reported"]) <= set(appraisal.REPORTED_LEVELS)
    for col in ("topic", "public_record", "consequence"):
        assert (table[col].str.len() > 10).all(), f"empty {col}"


def test_remark_topics_are_paraphrased_not_the_checklist_wording():
    official_openings = ("State the marker examined", "Describe the characteristics", "Describe treatments received",
                         "Precisely define all clinical endpoints", "List all candidate variables",
                         "Give rationale for sample size", "Specify all statistical methods",
                         "Show the relation of the marker", "Discuss implications for future research")
    text = " ".join(appraisal.remark_checklist()["topic"]).lower()
    assert not [o for o in official_openings if o.lower() in text]


# --- Multiple comparisons ----------------------------------------------------------------


def test_holm_and_bh_match_hand_computation_in_input_order():
    # sorted 0.001, 0.01, 0.02, 0.5 (m = 4)
    # Holm: 4*0.001, 3*0.01, 2*0.02, 1*0.5 = 0.004, 0.03, 0.04, 0.5 (already increasing)
    # BH:   4/1*0.001, 4/2*0.01, 4/3*0.02, 4/4*0.5 = 0.004, 0.02, 0.02667, 0.5 (already increasing)
    table = pd.DataFrame({"test": list("abcd"), "p": [0.02, 0.5, 0.001, 0.01]})
    out = appraisal.adjust_p_values(table)
    np.testing.assert_allclose(out["p_holm"], [0.04, 0.5, 0.004, 0.03])
    np.testing.assert_allclose(out["p_bh"], [0.08 / 3, 0.5, 0.004, 0.02])
    assert list(out["test"]) == list("abcd")
    assert out["significant_holm"].tolist() == [True, False, True, True]


def test_holm_step_down_maximum_and_bh_step_up_minimum():
    # Holm: 4*0.01, 3*0.02, 2*0.03, 1*0.04 = 0.04, 0.06, 0.06, 0.04 -> running max 0.04, 0.06, 0.06, 0.06
    # BH:   4*0.01, 2*0.02, 4/3*0.03, 0.04 = 0.04 each
    table = pd.DataFrame({"p": [0.04, 0.03, 0.02, 0.01]})
    out = appraisal.adjust_p_values(table)
    np.testing.assert_allclose(out["p_holm"], [0.06, 0.06, 0.06, 0.04])
    np.testing.assert_allclose(out["p_bh"], [0.04] * 4)
    assert out["significant_holm"].tolist() == [False, False, False, True]
    assert out["significant_bh"].all()


def test_adjustment_within_families_equals_separate_adjustments():
    table = pd.DataFrame({"family": list("aabab"), "p": [0.01, 0.04, 0.03, 0.02, 0.2]})
    out = appraisal.adjust_p_values(table, by="family")
    a = appraisal.adjust_p_values(table[table["family"] == "a"])
    b = appraisal.adjust_p_values(table[table["family"] == "b"])
    pd.testing.assert_series_equal(out["p_holm"], pd.concat([a, b])["p_holm"].sort_index())
    pd.testing.assert_series_equal(out["p_bh"], pd.concat([a, b])["p_bh"].sort_index())


def test_adjust_rejects_invalid_p():
    with pytest.raises(ValueError):
        appraisal.adjust_p_values(pd.DataFrame({"p": [0.1, np.nan]}))


@pytest.fixture(scope="module")
def t(cohort):
    return analysis.add_covariates(cohort.table)


def test_all_p_values_gathers_the_23_tests_and_matches_the_registry_values(t):
    table = appraisal.all_p_values(t)
    assert list(table.columns[:3]) == ["test", "family", "p"]
    counts = table["family"].value_counts()
    assert [counts[f] for f in appraisal.FAMILIES] == [5, 1, 10, 1, 6]
    assert table["test"].is_unique
    values = analysis.reproduce(t)
    claims = appraisal.claim_p_values(table)
    assert sorted(claims) == ["R07c", "R08c", "R09c", "R10c", "R11b", "R12b", "R13a", "R14a", "R14c"]
    for rid, p in claims.items():  # identical, so gather_results sees no conflict with other notebooks
        assert p == values[rid], rid
    assert table.loc[table["claim"] == "R05", "p"].min() == values["R05"]
    assert table.loc[table["claim"] == "R14e", "p"].min() == values["R14e"]


# --- Log-rank and the minimum-P search ---------------------------------------------------


@pytest.fixture(scope="module")
def small():
    """30 patients, whole-month times (tied deaths), a marker with ties, a real effect."""
    rng = np.random.default_rng(3)
    n = 30
    marker = np.round(rng.lognormal(1, 1, n), 1)
    marker[:4] = marker[4]  # a block of tied marker values
    time = np.ceil(rng.exponential(20 / (1 + (marker > 3)), n))
    death = (rng.random(n) < 0.75).astype(int)
    return pd.DataFrame({"il6": marker, "os_months": time, "death": death})


def test_logrank_z_squared_is_the_log_rank_chi2(small):
    groups = np.array([small["il6"] > c for c in (1.0, 2.5, 4.0)])
    z = appraisal.logrank_z(small["os_months"], small["death"], groups)
    for zi, g in zip(z, groups):
        res = stats.logrank(small["os_months"], small["death"], g)
        assert zi ** 2 == pytest.approx(res.chi2, rel=1e-10)
        assert np.sign(zi) == np.sign(res.observed - res.expected)


def test_candidate_cutoffs_keep_the_quantile_range(small):
    x = small["il6"].to_numpy()
    cut = appraisal.candidate_cutoffs(x, (0.2, 0.8))
    below = np.array([(x <= c).mean() for c in cut])
    assert (below >= 0.2).all() and (below <= 0.8).all()
    outside = [v for v in np.unique(x) if v not in cut]
    assert all((x <= v).mean() < 0.2 or (x <= v).mean() > 0.8 for v in outside)
    with pytest.raises(ValueError):
        appraisal.candidate_cutoffs(x, (0.9, 0.1))


def test_min_p_cutpoint_matches_a_brute_force_loop(small):
    x = small["il6"].to_numpy()
    best_c, best_p, ps = None, 2.0, []
    for c in sorted(set(x)):
        frac = (x <= c).mean()
        if not 0.1 <= frac <= 0.9:
            continue
        p = stats.logrank(small["os_months"], small["death"], x > c).p
        ps.append(p)
        if p < best_p:
            best_c, best_p = c, p
    res = appraisal.min_p_cutpoint(small, (0.1, 0.9))
    np.testing.assert_allclose(res.curve["p"], ps, rtol=1e-9)
    assert res.cutoff == best_c
    assert res.p == pytest.approx(best_p, rel=1e-9)
    assert 2 * sps.norm.sf(res.z) == pytest.approx(best_p, rel=1e-9)


@pytest.fixture(scope="module")
def null_data():
    rng = np.random.default_rng(11)
    n = 40
    return pd.DataFrame({"il6": rng.lognormal(1, 1, n), "os_months": np.ceil(rng.exponential(25, n)),
                         "death": (rng.random(n) < 0.7).astype(int)})


def test_permutation_is_deterministic_by_seed_and_adjusts_upwards(null_data):
    a = appraisal.min_p_permutation(null_data, n_permutations=300, seed=5)
    b = appraisal.min_p_permutation(null_data, n_permutations=300, seed=5, chunk=7)  # chunking changes nothing
    c = appraisal.min_p_permutation(null_data, n_permutations=300, seed=6)
    np.testing.assert_array_equal(a.permuted_min_p, b.permuted_min_p)
    assert a.adjusted_p == b.adjusted_p
    assert not np.array_equal(a.permuted_min_p, c.permuted_min_p)
    assert a.adjusted_p >= a.observed_p
    assert a.adjusted_p == (1 + (a.permuted_min_p <= a.observed_p * (1 + 1e-9)).sum()) / 301
    assert a.fraction_significant == (a.permuted_min_p < 0.05).mean()


def test_each_permutation_reruns_the_whole_search(null_data):
    res = appraisal.min_p_permutation(null_data, n_permutations=3, seed=2)
    rng = np.random.default_rng(2)
    for k in range(3):
        shuffled = null_data.assign(il6=null_data["il6"].to_numpy()[rng.permutation(len(null_data))])
        assert res.permuted_min_p[k] == pytest.approx(appraisal.min_p_cutpoint(shuffled).p, rel=1e-9)


# --- Lausen-Schumacher ------------------------------------------------------------------------


def test_lausen_schumacher_hand_value():
    # z = 3, eps = 10 %: phi(3) = 0.00443185; (3 - 1/3) log(81) phi + 4 phi / 3 = 0.051935 + 0.005909
    assert appraisal.lausen_schumacher_p(3.0, (0.1, 0.9)) == pytest.approx(0.057844, abs=2e-6)
    assert appraisal.lausen_schumacher_p(-3.0, (0.1, 0.9)) == appraisal.lausen_schumacher_p(3.0, (0.1, 0.9))


@pytest.mark.parametrize("eps", [(0.1, 0.9), (0.05, 0.95), (0.2, 0.8)])
def test_lausen_schumacher_exceeds_the_raw_p(eps):
    adjusted = [appraisal.lausen_schumacher_p(z, eps) for z in np.linspace(0.5, 5, 46)]
    for z, p in zip(np.linspace(0.5, 5, 46), adjusted):
        assert p > 2 * sps.norm.sf(z)
    assert (np.diff(adjusted) <= 0).all(), "adjusted P must not rise with z"


def test_lausen_schumacher_threshold():
    p_raw = appraisal.lausen_schumacher_threshold(0.05, (0.1, 0.9))
    assert appraisal.lausen_schumacher_p(sps.norm.isf(p_raw / 2), (0.1, 0.9)) == pytest.approx(0.05, rel=1e-8)
    assert 0.001 < p_raw < 0.005  # a search over 10-90 % needs a raw P near 0.002 for 5 %


@pytest.mark.parametrize("eps", [0.1, 0.05])
def test_lausen_schumacher_agrees_with_altmans_shortcut(eps):
    for p_min in (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05):
        z = sps.norm.isf(p_min / 2)
        assert appraisal.lausen_schumacher_p(z, (eps, 1 - eps)) == pytest.approx(
            appraisal.altman_simplified_p(p_min, eps), rel=0.05)


def test_lausen_schumacher_approximates_the_permutation_tail():
    """Null data, n = 100: the permutation distribution of the maximal statistic against
    the approximation at several thresholds (LS is asymptotic, so a loose tolerance)."""
    rng = np.random.default_rng(1)
    n = 100
    data = pd.DataFrame({"il6": rng.lognormal(1, 1, n), "os_months": rng.exponential(30, n).round(1) + 0.1,
                         "death": (rng.random(n) < 0.7).astype(int)})
    perm = appraisal.min_p_permutation(data, n_permutations=2000, seed=1)
    max_z = sps.norm.isf(perm.permuted_min_p / 2)
    for z0 in (2.5, 2.8, 3.0):
        tail = (max_z >= z0).mean()
        assert tail == pytest.approx(appraisal.lausen_schumacher_p(z0, (0.1, 0.9)), rel=0.25), z0
    assert 0.3 < perm.fraction_significant < 0.6  # far above the nominal 5 %


# --- CRP, EPV, related studies ------------------------------------------------------------------


def test_crp_consistency_rows():
    table = appraisal.crp_consistency().set_index("scenario")
    exact = table.loc["r = 0.47 exactly: two-sided t test"]
    assert exact["n"] == 46 and exact["p_low"] == exact["p_high"] == stats.correlation_p_from_r(0.47, 46)
    printed = table.loc["as printed: two-sided t test"]
    assert printed["p_low"] == pytest.approx(0.00085, abs=1e-5) and printed["p_high"] == pytest.approx(0.00113, abs=1e-5)
    assert not printed["prints_as_reported"]
    assert not table.loc["as printed: two-sided Fisher z", "prints_as_reported"]
    assert table.loc["one-sided t test", "prints_as_reported"]
    more = table[table.index.str.startswith("more pairs")].iloc[0]
    assert 49 < more["n"] < 50 and more["p_low"] == pytest.approx(0.0006, rel=1e-6)
    larger = table[table.index.str.startswith("larger r")].iloc[0]
    assert 0.48 < larger["r_low"] < 0.49
    assert stats.correlation_p_from_r(larger["r_low"], 46) == pytest.approx(0.0006, rel=1e-8)


def test_crp_consistency_reads_the_paper_from_the_registry():
    reg = load_registry()
    reg.loc["R01", "reported"] = "50"
    table = appraisal.crp_consistency(reg).set_index("scenario")
    assert table.loc["as printed: two-sided t test", "n"] == 50
    assert table.loc["as printed: two-sided t test", "prints_as_reported"]  # 0.47 with 50 pairs gives P near 0.0006


def test_epv_table_grows_the_model(t):
    table = appraisal.epv_table(t)
    deaths = int(t["death"].sum())
    assert table["coefficients"].tolist() == list(range(1, 7))
    np.testing.assert_allclose(table["epv"], deaths / table["coefficients"])
    full = survival.multivariable_cox(t)
    assert table["hr"].iloc[-1] == pytest.approx(full.loc["il6_high", "hr"], rel=1e-9)
    uni = survival.univariable_cox(t, ["il6_high"])
    assert table["hr"].iloc[0] == pytest.approx(uni.loc["il6_high", "hr"], rel=1e-9)


def test_related_studies_fill_our_row_from_the_cohort(t):
    table = appraisal.related_studies(t, label="ours")
    values = analysis.reproduce(t)
    assert table.loc["ours", "sites_high"] == values["R07a"] and table.loc["ours", "liver_low"] == values["R09b"]
    assert table.loc["ours", "hr"] == pytest.approx(values["R13b"], rel=1e-9)
    assert table.loc["ours", "median_all"] == pytest.approx(float(np.median(t["il6"])))
    lin = table.loc["Lin 2015 (meta-analysis)"]
    assert (lin["hr"], lin["hr_lower"], lin["hr_upper"]) == appraisal.LIN_2015_POOLED_HR
    assert table.loc["Salgado 2003", "patients"] == 96 and table.loc["Salgado 2003", "liver_p"] == "0.001"
    assert math.isnan(table.loc["Zhang & Adachi 1999 (reported)", "hr"])
