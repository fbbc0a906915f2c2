"""Tests of helpers.stats against hand computations, textbook answers, or a
second independent implementation (statsmodels, plain-python formulas)."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from statsmodels.duration.hazard_regression import PHReg

from helpers import stats as hs

# --- helpers used only by the tests ---------------------------------------------


def midranks(values):
    """Mid-ranks by counting: rank = #smaller + (#equal + 1) / 2."""
    return [sum(v < w for v in values) + (sum(v == w for v in values) + 1) / 2 for w in values]


def u_by_pairs(x, y):
    return sum((a > b) + 0.5 * (a == b) for a in x for b in y)


# Freireich 6-MP leukaemia remission data (Gehan 1965; Kleinbaum & Klein,
# Survival Analysis): log-rank chi2 = 16.79 with E(6-MP) = 19.25; Gehan-Wilcoxon
# chi2 = 13.46 (SAS LIFETEST "Wilcoxon" 13.4579).
FREIREICH_T = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35] + [
    1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
FREIREICH_E = [1] * 9 + [0] * 12 + [1] * 21
FREIREICH_G = np.array([True] * 21 + [False] * 21)

# Small survival data with tied event times, a tie between an event and a
# censoring, and censoring in both groups.
SMALL_T = [1, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9]
SMALL_E = [1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0]
SMALL_G = np.array([True, False, True, True, False, False, True, False, False, True, False, False])


def weighted_logrank_by_hand(t, e, g, wilcoxon):
    """O, E for group g==True and chi2 = (sum w(O-E))^2 / sum w^2 V by loops."""
    num = var = obs = exp_ = 0.0
    for time in sorted({ti for ti, ei in zip(t, e) if ei}):
        n = sum(ti >= time for ti in t)
        n1 = sum(ti >= time and gi for ti, gi in zip(t, g))
        d = sum(ti == time and ei for ti, ei in zip(t, e))
        d1 = sum(ti == time and ei and gi for ti, ei, gi in zip(t, e, g))
        w = n if wilcoxon else 1
        obs += d1
        exp_ += d * n1 / n
        num += w * (d1 - d * n1 / n)
        if n > 1:
            var += w * w * n1 * (n - n1) * d * (n - d) / (n * n * (n - 1))
    return obs, exp_, num * num / var


# --- input checks ------------------------------------------------------------------


def test_empty_and_nan_inputs_raise():
    with pytest.raises(ValueError, match="x is empty"):
        hs.mann_whitney([], [1.0])
    with pytest.raises(ValueError, match="y contains NaN"):
        hs.mann_whitney([1.0, 2.0], [1.0, float("nan")])
    with pytest.raises(ValueError, match="x contains NaN"):
        hs.mann_whitney_permutation_p([np.nan], [1.0])
    with pytest.raises(ValueError, match="contains NaN"):
        hs.correlation([1, 2, np.nan], [1, 2, 3])
    with pytest.raises(ValueError, match="durations is empty"):
        hs.kaplan_meier_median([], [])


# --- Mann-Whitney -------------------------------------------------------------------


def test_mann_whitney_small_hand_case():
    # diffs x_i - y_j: 1,0,2,1,3,2 -> median 1.5; U = 5 wins + 0.5 tie = 5.5
    res = hs.mann_whitney([1, 2, 3], [0, 1])
    assert (res.n_x, res.n_y) == (3, 2)
    assert res.median_x == 2.0 and res.median_y == 0.5
    assert res.u == 5.5
    assert res.hodges_lehmann == 1.5
    assert res.rank_biserial == pytest.approx(2 * 5.5 / 6 - 1)


def test_mann_whitney_no_ties_normal_approximation():
    # U = 0, mean 6, var 3*4*8/12 = 8, z = (6 - 0.5)/sqrt(8)
    res = hs.mann_whitney([1, 2, 3], [4, 5, 6, 7])
    assert res.u == 0
    assert res.rank_biserial == -1
    assert res.p == pytest.approx(2 * stats.norm.sf(5.5 / math.sqrt(8)), rel=1e-12)
    assert res.p == pytest.approx(0.0518, abs=5e-5)


def test_mann_whitney_ties_corrected_variance_and_continuity():
    x, y = [1, 2, 2, 3, 3.5], [2, 3, 3, 4, 5, 5, 6]
    nx, ny, n = len(x), len(y), len(x) + len(y)
    u = u_by_pairs(x, y)
    ties = [list(x + y).count(v) for v in set(x + y)]
    var = nx * ny / 12 * ((n + 1) - sum(t**3 - t for t in ties) / (n * (n - 1)))
    p = 2 * stats.norm.sf((abs(u - nx * ny / 2) - 0.5) / math.sqrt(var))
    res = hs.mann_whitney(x, y)
    assert res.u == u
    assert res.p == pytest.approx(p, rel=1e-12)
    assert res.hodges_lehmann == np.median([a - b for a in x for b in y])


def test_permutation_p_exact_enumeration_known_answer():
    # 35 equally likely splits; U = 0 is the single most extreme -> 2 * 1/35
    assert hs.mann_whitney_permutation_p([1, 2, 3], [4, 5, 6, 7]) == pytest.approx(2 / 35)


def test_permutation_p_exact_with_ties_matches_enumeration():
    x, y = [1, 2, 2, 3], [2, 3, 3, 4, 5]
    ranks = midranks(x + y)
    u_obs = sum(ranks[: len(x)]) - len(x) * (len(x) + 1) / 2
    null = [sum(ranks[i] for i in c) - 10 for c in itertools.combinations(range(9), 4)]
    p_less = sum(u <= u_obs + 1e-9 for u in null) / len(null)
    p_greater = sum(u >= u_obs - 1e-9 for u in null) / len(null)
    assert hs.mann_whitney_permutation_p(x, y) == pytest.approx(min(1, 2 * min(p_less, p_greater)))


@pytest.mark.parametrize("seed", range(20))
def test_permutation_p_equals_scipy_full_enumeration(seed):
    """Small samples with many ties, where scipy's permutation_test enumerates every split."""
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, 5, rng.integers(2, 7)).astype(float), rng.integers(0, 6, rng.integers(2, 7)).astype(float)
    expected = stats.permutation_test((x, y), lambda a, b, axis: stats.mannwhitneyu(a, b, axis=axis).statistic,
                                      permutation_type="independent", vectorized=True, n_resamples=10**6).pvalue
    assert hs.mann_whitney_permutation_p(x, y) == pytest.approx(expected, rel=1e-12)


def test_permutation_p_without_ties_is_scipys_exact_mann_whitney():
    rng = np.random.default_rng(5)
    x, y = rng.normal(0.5, 1, 10), rng.normal(0, 1, 12)  # C(22, 10) = 646646 splits
    assert hs.mann_whitney_permutation_p(x, y) == pytest.approx(stats.mannwhitneyu(x, y, method="exact").pvalue,
                                                                 rel=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_mann_whitney_p_is_scipys_asymptotic_p(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, 8, rng.integers(1, 30)).astype(float), rng.integers(0, 9, rng.integers(1, 30)).astype(float)
    expected = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True).pvalue
    assert hs.mann_whitney(x, y).p == pytest.approx(expected, rel=1e-12)


def test_mann_whitney_normal_p_from_u_and_ties():
    # as test_mann_whitney_ties_corrected_variance_and_continuity, from U and the tie sizes alone
    x, y = [1, 2, 2, 3, 3.5], [2, 3, 3, 4, 5, 5, 6]
    res = hs.mann_whitney(x, y)
    assert hs.mann_whitney_normal_p(res.u, 5, 7, [1, 3, 3, 1, 1, 2, 1]) == res.p
    assert hs.mann_whitney_normal_p(17.5, 5, 7, [1] * 12) == hs.mann_whitney_normal_p(17.5, 5, 7)
    assert hs.mann_whitney_normal_p(10.0, 2, 3, [5]) == 1.0  # every value tied


# --- Correlation --------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_correlation_equals_scipy(seed, method):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 50))
    x = rng.integers(0, 8, n).astype(float)  # ties
    y = x * rng.normal(0.5, 1, n) + rng.integers(0, 4, n)
    ours = hs.correlation(x, y, method)
    theirs = {"spearman": stats.spearmanr, "pearson": stats.pearsonr}[method](x, y)
    assert ours.r == pytest.approx(theirs.statistic, rel=1e-12, abs=1e-15)
    assert ours.p == pytest.approx(theirs.pvalue, rel=1e-9)
    assert ours.p == hs.correlation_p_from_r(ours.r, n)


def test_correlation_of_a_constant_is_nan():
    res = hs.correlation([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 5.0])
    assert math.isnan(res.r) and math.isnan(res.p)
    assert math.isnan(hs.pearson_r([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]))


def test_pearson_hand_case():
    # deviations (-2,-1,0,1,2) and (-1,-2,1,0,2): r = 8/10
    res = hs.correlation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], method="pearson")
    t = 0.8 * math.sqrt(3) / 0.6
    assert res.r == pytest.approx(0.8)
    assert res.p == pytest.approx(2 * stats.t.sf(t, 3), rel=1e-9)
    assert (res.n, res.method) == (5, "pearson")


def test_spearman_hand_case():
    # ranks of y: 1,3,2,4,5 -> sum d^2 = 2 -> rho = 1 - 6*2/(5*24) = 0.9
    res = hs.correlation([1, 2, 3, 4, 5], [10, 20, 15, 40, 50])
    t = 0.9 * math.sqrt(3) / math.sqrt(1 - 0.81)
    assert res.r == pytest.approx(0.9)
    assert res.p == pytest.approx(2 * stats.t.sf(t, 3), rel=1e-9)
    assert res.method == "spearman"


def test_correlation_rejects_bad_input():
    with pytest.raises(ValueError, match="differ in length"):
        hs.correlation([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="unknown method"):
        hs.correlation([1, 2, 3], [1, 2, 3], method="kendall")


def test_correlation_p_from_r_known_answers():
    assert 0.47 * math.sqrt(44) / math.sqrt(1 - 0.47**2) == pytest.approx(3.53, abs=0.005)
    assert hs.correlation_p_from_r(0.47, 46) == pytest.approx(0.00098, abs=0.00001)
    assert hs.correlation_p_from_r(0.47, 46, "fisher_z") == pytest.approx(0.00082, abs=0.00001)
    # textbook critical value: r = 0.632 is two-sided P = 0.05 at df = 8
    assert hs.correlation_p_from_r(0.632, 10) == pytest.approx(0.05, abs=0.0005)
    # Fisher z exactly at the normal 97.5 % point
    assert hs.correlation_p_from_r(math.tanh(1.959964 / math.sqrt(22)), 25, "fisher_z") == pytest.approx(0.05, abs=1e-6)
    assert hs.correlation_p_from_r(-0.47, 46) == hs.correlation_p_from_r(0.47, 46)
    assert hs.correlation_p_from_r(0.0, 46) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        hs.correlation_p_from_r(1.2, 46)


def test_correlation_p_range_known_answer():
    p_min, p_max = hs.correlation_p_range(0.465, 0.475, 46)
    assert p_min == pytest.approx(0.00085, abs=0.00001)
    assert p_max == pytest.approx(0.00113, abs=0.00001)
    assert hs.correlation_p_range(-0.475, -0.465, 46) == (p_min, p_max)
    assert hs.correlation_p_range(-0.1, 0.2, 46)[1] == pytest.approx(1.0)


def test_n_for_p_known_answer_and_round_trip():
    n = hs.n_for_p(0.47, 0.0006)
    assert 49 < n < 50
    assert hs.correlation_p_from_r(0.47, n) == pytest.approx(0.0006, rel=1e-8)
    assert hs.n_for_p(0.632, 0.05) == pytest.approx(10, abs=0.05)
    with pytest.raises(ValueError, match="no n"):
        hs.n_for_p(0.01, 1e-6)


# --- Counts ---------------------------------------------------------------------------


def fisher_by_hand(a, b, c, d):
    r1, c1, n = a + b, a + c, a + b + c + d

    def prob(k):
        return math.comb(c1, k) * math.comb(n - c1, r1 - k) / math.comb(n, r1)

    ks = range(max(0, r1 + c1 - n), min(r1, c1) + 1)
    return sum(prob(k) for k in ks if prob(k) <= prob(a) * (1 + 1e-7))


def test_fisher_exact_hand_hypergeometric():
    res = hs.fisher_exact([[3, 1], [1, 3]])
    assert res.odds_ratio == 9.0
    assert res.p == pytest.approx(34 / 70)
    assert res.p == pytest.approx(0.4857, abs=5e-5)
    res = hs.fisher_exact([[8, 2], [1, 5]])
    assert res.odds_ratio == 20.0
    assert res.p == pytest.approx(fisher_by_hand(8, 2, 1, 5), rel=1e-12)
    with pytest.raises(ValueError, match="2x2"):
        hs.fisher_exact([[1, 2, 3], [4, 5, 6]])


def test_proportion():
    frac, pct = hs.proportion(22, 46)
    assert frac == pytest.approx(0.478261, abs=1e-6)
    assert round(pct, 2) == 47.83
    assert hs.proportion(0, 5) == (0.0, 0.0)
    with pytest.raises(ValueError):
        hs.proportion(5, 4)


# --- Survival tests ---------------------------------------------------------------------


def test_logrank_matches_hand_formula():
    obs, exp_, chi2 = weighted_logrank_by_hand(SMALL_T, SMALL_E, SMALL_G, wilcoxon=False)
    res = hs.logrank(SMALL_T, SMALL_E, SMALL_G)
    assert res.observed == obs
    assert res.expected == pytest.approx(exp_, rel=1e-12)
    assert res.chi2 == pytest.approx(chi2, rel=1e-9)
    assert res.p == pytest.approx(stats.chi2.sf(chi2, 1), rel=1e-9)


def test_wilcoxon_breslow_matches_hand_formula():
    obs, exp_, chi2 = weighted_logrank_by_hand(SMALL_T, SMALL_E, SMALL_G, wilcoxon=True)
    res = hs.wilcoxon_breslow(SMALL_T, SMALL_E, SMALL_G)
    assert res.chi2 == pytest.approx(chi2, rel=1e-9)
    assert res.p == pytest.approx(stats.chi2.sf(chi2, 1), rel=1e-9)
    assert (res.observed, res.expected) == pytest.approx((obs, exp_))


def test_survival_tests_textbook_freireich():
    lr = hs.logrank(FREIREICH_T, FREIREICH_E, FREIREICH_G)
    assert lr.chi2 == pytest.approx(16.79, abs=0.005)
    assert (lr.observed, lr.expected) == pytest.approx((9, 19.25), abs=0.005)
    assert hs.wilcoxon_breslow(FREIREICH_T, FREIREICH_E, FREIREICH_G).chi2 == pytest.approx(13.4579, abs=1e-4)


def test_logrank_rejects_bad_groups():
    with pytest.raises(ValueError, match="boolean"):
        hs.logrank([1, 2], [1, 1], [0, 1])
    with pytest.raises(ValueError, match="both True and False"):
        hs.logrank([1, 2], [1, 1], np.array([True, True]))


# --- Cox ------------------------------------------------------------------------------------


def test_cox_matches_statsmodels_efron_with_ties():
    rng = np.random.default_rng(1)
    n = 120
    x1, x2 = rng.normal(size=n), rng.integers(0, 2, n)
    t = rng.exponential(1 / np.exp(0.5 * x1 - 0.7 * x2))
    c = rng.exponential(1.5, n)
    time = np.ceil(np.minimum(t, c) * 4) / 4  # coarse grid -> many ties
    event = (t <= c).astype(int)
    assert pd.Series(time[event == 1]).duplicated().sum() > 20
    df = pd.DataFrame({"time": time, "event": event, "x1": x1, "x2": x2})

    res = hs.cox(df, "time", "event", ["x1", "x2"])
    ref = PHReg(time, np.column_stack([x1, x2]), status=event, ties="efron").fit()
    assert list(res.index) == ["x1", "x2"]
    assert list(res.columns) == ["coef", "hr", "hr_lower", "hr_upper", "p", "se"]
    np.testing.assert_allclose(res["coef"], ref.params, atol=1e-5)
    np.testing.assert_allclose(res["se"], ref.bse, atol=1e-4)
    np.testing.assert_allclose(res["p"], ref.pvalues, rtol=1e-3)
    np.testing.assert_allclose(res[["hr_lower", "hr_upper"]], np.exp(ref.conf_int()), rtol=1e-4)


def test_cox_one_binary_covariate_against_hand_efron_likelihood():
    t = [1, 2, 2, 3, 4, 4, 5, 6, 7, 8]
    e = [1, 1, 1, 0, 1, 1, 1, 0, 1, 1]
    x = [1, 1, 0, 1, 0, 1, 0, 1, 0, 0]

    def loglik(b):
        ll = 0.0
        for time in sorted({ti for ti, ei in zip(t, e) if ei}):
            risk = sum(math.exp(b * xi) for ti, xi in zip(t, x) if ti >= time)
            dead = [xi for ti, ei, xi in zip(t, e, x) if ti == time and ei]
            dead_sum = sum(math.exp(b * xi) for xi in dead)
            ll += b * sum(dead)
            ll -= sum(math.log(risk - k / len(dead) * dead_sum) for k in range(len(dead)))
        return ll

    b = optimize.minimize_scalar(lambda v: -loglik(v), bracket=(-1, 1), tol=1e-12).x
    h = 1e-4
    info = -(loglik(b + h) - 2 * loglik(b) + loglik(b - h)) / h**2
    se = 1 / math.sqrt(info)

    df = pd.DataFrame({"t": t, "e": e, "x": x})
    row = hs.cox(df, "t", "e", ["x"]).loc["x"]
    assert row["coef"] == pytest.approx(b, abs=1e-5)
    assert row["se"] == pytest.approx(se, abs=1e-4)
    assert row["hr"] == pytest.approx(math.exp(b), rel=1e-5)
    assert row["hr_lower"] == pytest.approx(math.exp(b - 1.959964 * se), rel=1e-4)
    assert row["hr_upper"] == pytest.approx(math.exp(b + 1.959964 * se), rel=1e-4)
    assert row["p"] == pytest.approx(2 * stats.norm.sf(abs(b / se)), rel=1e-3)
    assert hs.cox_fit(df, "t", "e", ["x"]).params_["x"] == row["coef"]


def _zph_frame():
    rng = np.random.default_rng(4)
    n = 40
    x1, x2 = rng.integers(0, 2, n), rng.normal(size=n)
    time = np.ceil(rng.exponential(1 / np.exp(0.6 * x1 + 0.3 * x2)) * 5)  # ties
    event = (rng.random(n) < 0.8).astype(int)
    return pd.DataFrame({"time": time, "event": event, "x1": x1, "x2": x2})


@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
def test_cox_zph_invariant_to_rescaling_time(transform):
    # the Cox fit depends only on the order of the times, and the test on g(t) only up to
    # shift and scale: multiplying every time by 7 changes nothing
    df = _zph_frame()
    scaled = df.assign(time=df["time"] * 7)
    a = hs.cox_zph(hs.cox_fit(df, "time", "event", ["x1", "x2"]), df, transform)
    b = hs.cox_zph(hs.cox_fit(scaled, "time", "event", ["x1", "x2"]), scaled, transform)
    assert list(a.index) == ["x1", "x2", "GLOBAL"] and list(a["df"]) == [1, 1, 2]
    np.testing.assert_allclose(a["chisq"], b["chisq"], rtol=1e-6)
    np.testing.assert_allclose(a["p"], stats.chi2.sf(a["chisq"], a["df"]), rtol=1e-12)


def test_cox_zph_rejects_other_data_and_unknown_transform():
    df = _zph_frame()
    fitted = hs.cox_fit(df, "time", "event", ["x1", "x2"])
    with pytest.raises(ValueError, match="not the data"):
        hs.cox_zph(fitted, df.iloc[1:], "km")
    with pytest.raises(ValueError, match="unknown transform"):
        hs.cox_zph(fitted, df, "log")


# --- Kaplan-Meier -------------------------------------------------------------------------


def test_km_median_obvious_cases():
    # S = 0.8, 0.6, 0.4, ... -> first S <= 0.5 at t = 3
    assert hs.kaplan_meier_median([1, 2, 3, 4, 5], [1] * 5)[0] == 3
    # censoring at 2: S(1)=5/6, S(3)=5/6*3/4=0.625, S(4)=0.625*2/3=0.4167 -> 4
    assert hs.kaplan_meier_median([1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 1, 1])[0] == 4
    # S stays above 0.5 -> median not reached: NaN
    assert math.isnan(hs.kaplan_meier_median([1, 2, 3, 4], [1, 0, 0, 0])[0])


def test_km_median_midpoint_of_a_flat_at_one_half():
    # 8 patients, no censoring: S = 0.5 exactly between the 4th death (4) and the 5th (5)
    assert hs.kaplan_meier_median([1, 2, 3, 4, 5, 6, 7, 8], [1] * 8)[0] == 4.5
    # censored at 4.5 and 6 inside the flat: it still runs from 4 to the next death at 7
    assert hs.kaplan_meier_median([1, 2, 3, 4, 4.5, 6, 7, 8], [1, 1, 1, 1, 0, 0, 1, 1])[0] == 5.5
    # the flat reaches the end of follow-up (10): midpoint of 4 and 10
    assert hs.kaplan_meier_median([1, 2, 3, 4, 5, 6, 7, 10], [1, 1, 1, 1, 0, 0, 0, 0])[0] == 7


def loglog_band(t, e):
    """[(time, S, lower, upper)] at each death time, by Greenwood and the log(-log) transform;
    the band is NaN where S = 0."""
    z = stats.norm.ppf(0.975)
    s, greenwood, rows = 1.0, 0.0, []
    for time in sorted(set(t)):
        n = sum(ti >= time for ti in t)
        d = sum(ti == time and ei for ti, ei in zip(t, e))
        if d == 0:
            continue
        s *= 1 - d / n
        if s == 0:
            rows.append((time, s, math.nan, math.nan))
            continue
        greenwood += d / (n * (n - d))
        half = z * math.sqrt(greenwood) / abs(math.log(s))
        rows.append((time, s, s ** math.exp(half), s ** math.exp(-half)))
    return rows


def first_at_or_below_half(rows, column):
    return next((row[0] for row in rows if row[column] <= 0.5), math.nan)  # NaN <= 0.5 is False


def test_km_median_ci_from_hand_loglog_band():
    t = [2, 3, 3, 5, 6, 7, 8, 9, 11, 12, 14, 15, 16]
    e = [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0]
    band = loglog_band(t, e)
    median, lo, hi = hs.kaplan_meier_median(t, e)
    assert median == 9  # S: .923 .846 .762 .677 .580 (t=8) .484 (t=9)
    assert lo == first_at_or_below_half(band, 2)
    assert hi == first_at_or_below_half(band, 3)
    assert lo < median < hi


def test_km_median_upper_limit_not_reached_when_s_falls_to_zero():
    # all 5 die: S = .8 .6 .4 .2 0; the upper band is still above 0.5 at t = 4 and undefined
    # at t = 5 (S = 0), so the upper limit is not reached (NaN), not 5
    t, e = [1, 2, 3, 4, 5], [1] * 5
    band = loglog_band(t, e)
    assert band[3][3] > 0.5 and math.isnan(band[4][3])
    median, lo, hi = hs.kaplan_meier_median(t, e)
    assert (median, lo) == (3, first_at_or_below_half(band, 2))
    assert math.isnan(hi)


def test_median_iqr_hand_case():
    # 1..9: median 5, quartiles by linear interpolation at positions 2 and 6 (0-based) -> 3 and 7
    s = hs.median_iqr(range(1, 10))
    assert (s["n"], s["median"], s["q1"], s["q3"], s["min"], s["max"]) == (9, 5.0, 3.0, 7.0, 1.0, 9.0)
    # even n: 1..4 -> median 2.5, q1 at position 0.75 -> 1.75, q3 at 2.25 -> 3.25
    s = hs.median_iqr([4, 1, 3, 2])
    assert (s["median"], s["q1"], s["q3"]) == (2.5, 1.75, 3.25)
    with pytest.raises(ValueError):
        hs.median_iqr([])


# --- ROC and AUC ----------------------------------------------------------------------------


def test_roc_curve_points_by_hand():
    # scores 0.9(+) 0.8(-) 0.7(+) 0.6(+) 0.2(-): 3 positives, 2 negatives.
    # threshold 0.9 -> TP 1, FP 0; 0.8 -> 1, 1; 0.7 -> 2, 1; 0.6 -> 3, 1; 0.2 -> 3, 2.
    roc = hs.roc_curve([0.2, 0.9, 0.6, 0.8, 0.7], np.array([False, True, True, False, True]))
    assert list(roc["threshold"]) == [math.inf, 0.9, 0.8, 0.7, 0.6, 0.2]
    assert list(roc["tp"]) == [0, 1, 1, 2, 3, 3]
    assert list(roc["fp"]) == [0, 0, 1, 1, 1, 2]
    assert list(roc["tpr"]) == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3, 1, 1])
    assert list(roc["fpr"]) == pytest.approx([0, 0, 0.5, 0.5, 0.5, 1])


def test_roc_curve_tied_scores_share_one_point():
    # the tie at 2 (one positive, one negative) is a single diagonal step
    roc = hs.roc_curve([3, 2, 2, 1], np.array([True, True, False, False]))
    assert list(roc["threshold"]) == [math.inf, 3, 2, 1]
    assert list(roc["fpr"]) == pytest.approx([0, 0, 0.5, 1])
    assert list(roc["tpr"]) == pytest.approx([0, 0.5, 1, 1])


def test_auc_hand_case():
    # same 5 points: pairs (pos > neg) out of 3 x 2 = 6: 0.9 beats both, 0.7 and 0.6
    # beat only 0.2 -> 4/6; trapezoids: 1/3 * 0.5 + 1 * 0.5 = 2/3
    assert hs.auc([0.2, 0.9, 0.6, 0.8, 0.7], np.array([False, True, True, False, True])) == pytest.approx(2 / 3)
    # the tie counts 1/2: pairs 3>2, 3>1, 2=2 (1/2), 2>1 -> 3.5/4
    assert hs.auc([3, 2, 2, 1], np.array([True, True, False, False])) == pytest.approx(3.5 / 4)
    assert hs.auc([1, 2, 3, 4], np.array([False, False, True, True])) == 1.0
    assert hs.auc([1, 2, 3, 4], np.array([True, True, False, False])) == 0.0


def test_auc_equals_scipy_u_over_n1_n2_with_ties():
    rng = np.random.default_rng(7)
    scores = np.round(rng.lognormal(1, 1, 40), 0)  # rounding creates many ties
    labels = rng.random(40) < 0.4
    assert pd.Series(scores).duplicated().sum() > 10
    u = stats.mannwhitneyu(scores[labels], scores[~labels]).statistic
    assert hs.auc(scores, labels) == pytest.approx(u / (labels.sum() * (~labels).sum()), rel=1e-12)


def test_roc_rejects_bad_labels():
    with pytest.raises(ValueError, match="boolean"):
        hs.roc_curve([1, 2], [0, 1])
    with pytest.raises(ValueError, match="both True and False"):
        hs.auc([1, 2], np.array([True, True]))
    with pytest.raises(ValueError, match="differ in length"):
        hs.roc_curve([1, 2, 3], np.array([True, False]))


# --- Difference of two proportions ----------------------------------------------------------


def wilson(k, n, z=1.959964):
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def test_rate_difference_newcombe_published_example():
    # Newcombe, Stat Med 1998;17:873-90, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    res = hs.rate_difference(56, 70, 48, 80)
    assert res.difference == pytest.approx(0.2)
    assert (res.lower, res.upper) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_rate_difference_matches_hand_wilson_combination():
    k1, n1, k2, n2 = 3, 14, 12, 17
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = wilson(k1, n1), wilson(k2, n2)
    lower = p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    res = hs.rate_difference(k1, n1, k2, n2)
    assert (res.rate1, res.rate2) == (p1, p2)
    assert (res.lower, res.upper) == pytest.approx((lower, upper), rel=1e-6)
    with pytest.raises(ValueError):
        hs.rate_difference(5, 4, 1, 2)


# --- Linear-time forms equal the pairwise / per-time forms they replaced ------------------------


def _random_samples(rng, kind, nx, ny):
    if kind == "ties":  # few distinct values, as censored cytokines give
        return rng.integers(0, 6, nx) * 0.5, rng.integers(0, 6, ny) * 0.5
    if kind == "decimals":  # differences that round
        return np.round(rng.normal(0, 1, nx), 2) * 0.1, np.round(rng.normal(0, 1, ny), 2) * 0.3
    return rng.lognormal(0, 2, nx), rng.lognormal(0, 2, ny)


@pytest.mark.parametrize("kind", ["ties", "decimals", "continuous"])
def test_hodges_lehmann_equals_median_of_all_differences(kind):
    rng = np.random.default_rng(7)
    counts = {"even": 0, "odd": 0}
    for _ in range(150):
        nx, ny = rng.integers(1, 30, 2)
        x, y = _random_samples(rng, kind, nx, ny)
        counts["odd" if nx * ny % 2 else "even"] += 1
        assert hs.median_difference(x, y) == float(np.median(np.subtract.outer(x, y)))
        assert hs.mann_whitney(x, y).hodges_lehmann == float(np.median(np.subtract.outer(x, y)))
    assert min(counts.values()) > 20  # both even and odd numbers of differences were tried


def test_hodges_lehmann_large_tied_samples():
    rng = np.random.default_rng(3)
    x, y = rng.lognormal(0, 1, 900), rng.lognormal(0, 1, 1100)
    x[:400], y[:700] = 0.75, 0.75  # many results at the substituted value
    assert hs.median_difference(x, y) == float(np.median(np.subtract.outer(x, y)))
    assert hs.median_difference(x[:-1], y) == float(np.median(np.subtract.outer(x[:-1], y)))


def _survival_sample(rng, n, tied):
    t = rng.integers(1, 12, n).astype(float) if tied else np.round(rng.exponential(20, n), 3)
    return t, rng.random(n) < 0.7, rng.random(n) < 0.4


@pytest.mark.parametrize("tied", [True, False])
def test_two_group_expected_equals_per_time_counting(tied):
    rng = np.random.default_rng(11)
    for _ in range(30):
        t, e, g = _survival_sample(rng, int(rng.integers(5, 80)), tied)
        g[0], g[1] = True, False
        times = np.unique(t[e])
        at_risk = t[None, :] >= times[:, None]
        died = at_risk & e[None, :] & (t[None, :] == times[:, None])
        expected = (died.sum(1) * (at_risk & g).sum(1) / at_risk.sum(1)).sum()
        assert hs.logrank(t, e, g).expected == float(expected)
        assert hs.wilcoxon_breslow(t, e, g).expected == float(expected)


def test_kaplan_meier_and_roc_counts_equal_pairwise_counting():
    rng = np.random.default_rng(5)
    t, e, y = _survival_sample(rng, 60, True)
    times, at_risk, deaths, _ = hs._kaplan_meier(t, e)
    assert list(at_risk) == list((t[None, :] >= times[:, None]).sum(1))
    assert list(deaths) == list((e[None, :] & (t[None, :] == times[:, None])).sum(1))
    roc = hs.roc_curve(t, y)
    called = t[None, :] >= np.unique(t)[::-1][:, None]
    assert list(roc["tp"]) == [0, *(called & y).sum(1)]
    assert list(roc["fp"]) == [0, *(called & ~y).sum(1)]


def _zph_by_death_time(time, event, x, risk, g):
    """cox_zph's score and information summed death time by death time (the former loop)."""
    p = x.shape[1]
    score, info = np.zeros(p), np.zeros((2 * p, 2 * p))
    for t0 in np.unique(time[event]):
        at_risk, dead = time >= t0, event & (time == t0)
        d = int(dead.sum())
        fraction = np.arange(d)[:, None] / d
        r_risk, r_dead = risk[at_risk], risk[dead]
        s0 = r_risk.sum() - fraction[:, 0] * r_dead.sum()
        s1 = r_risk @ x[at_risk] - fraction * (r_dead @ x[dead])
        s2 = (np.einsum("i,ij,ik->jk", r_risk, x[at_risk], x[at_risk])
              - fraction[:, :, None] * np.einsum("i,ij,ik->jk", r_dead, x[dead], x[dead]))
        mean = s1 / s0[:, None]
        var = (s2 / s0[:, None, None] - mean[:, :, None] * mean[:, None, :]).sum(0)
        gt = g[dead][0]
        score += gt * (x[dead].sum(0) - mean.sum(0))
        info += np.kron([[1.0, gt], [gt, gt * gt]], var)
    return score, info


@pytest.mark.parametrize("tied", [True, False])
def test_cox_zph_sums_equal_the_per_death_time_loop(tied):
    rng = np.random.default_rng(2)
    n = 150
    time, event, _ = _survival_sample(rng, n, tied)
    x = np.column_stack([rng.random(n) < 0.5, rng.normal(0, 1, n)]).astype(float)
    risk = np.exp(x @ [0.4, -0.3])
    g = hs._zph_time(time, event, "km")
    g = g - g[event].mean()
    score, info = hs._zph_score_info(time, event, x, risk, g)
    ref_score, ref_info = _zph_by_death_time(time, event, x, risk, g)
    np.testing.assert_allclose(score, ref_score, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(info, ref_info, rtol=1e-10, atol=1e-10)


def test_km_curve_and_logrank_z_equal_pairwise_counting():
    from helpers import appraisal, figures
    rng = np.random.default_rng(9)
    t, e, _ = _survival_sample(rng, 80, True)
    curve = figures.km_curve(t, e)
    deaths = np.array([np.count_nonzero(e & (t == x)) for x in curve["time"]])
    at_risk = np.array([np.count_nonzero(t >= x) for x in curve["time"]])
    assert np.array_equal(curve["survival"], np.cumprod(1 - np.divide(deaths, at_risk, out=np.zeros(len(deaths)),
                                                                      where=at_risk > 0)))
    groups = rng.random((12, t.size)) < 0.4
    times = np.unique(t[e])
    risk = (t[None, :] >= times[:, None]).astype(float)
    died = (risk.astype(bool) & e[None, :] & (t[None, :] == times[:, None])).astype(float)
    n_t, d_t = risk.sum(1), died.sum(1)
    frac = risk @ groups.T.astype(float) / n_t[:, None]
    o_minus_e = (died @ groups.T.astype(float) - d_t[:, None] * frac).sum(0)
    w = np.where(n_t > 1, d_t * (n_t - d_t) / np.maximum(n_t - 1, 1), 0.0)
    z = o_minus_e / np.sqrt((w[:, None] * frac * (1 - frac)).sum(0))
    assert np.array_equal(appraisal.logrank_z(t, e, groups), z)


def test_smallest_fisher_p_is_the_minimum_over_every_table_with_the_margins():
    from helpers import describe
    rng = np.random.default_rng(4)
    for _ in range(300):
        (a, b), (c, d) = rng.integers(0, rng.integers(1, 30), (2, 2))
        row1, col1, n = a + b, a + c, a + b + c + d
        every = min(hs.fisher_exact([[x, row1 - x], [col1 - x, n - row1 - col1 + x]]).p
                    for x in range(max(0, row1 + col1 - n), min(row1, col1) + 1))
        assert describe.smallest_fisher_p([[a, b], [c, d]]) == every
