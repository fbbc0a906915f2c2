"""Golden values from R for the statistics the notebooks print.

Every literal below was produced by R 4.2.2 (Debian 12 package r-base-core
4.2.2.20221110-2) with survival 3.5-3 (r-cran-survival 3.5-3-1), printed with
options(digits = 15). The tests do not need R: each docstring carries the R call that
produced its values. Cohort values come from the committed cohort, written for R as

    helpers.analysis.add_covariates(load_cohort("data").table)[columns].to_csv("cohort.csv"),
    booleans as 0/1, read in R with d <- read.csv("cohort.csv").

Tolerances: closed forms (rank tests, log-rank, Fisher, p.adjust, Kaplan-Meier) rel 1e-9;
iterative fits (Cox Newton-Raphson in lifelines and R, cox.zph at the fitted coefficients,
nls) rel 1e-5, since both sides stop within about 1e-7 of the optimum. Where the project and
R legitimately differ (a different default or estimator), the reason is written next to the
test and the test asserts the documented relationship instead of equality.

Not covered: the generalized Wilcoxon (Gehan-Breslow) test has no survival counterpart
(survdiff(rho = 1) is the Peto-Peto test, weighted by S(t-) instead of the number at risk),
and the Monte Carlo permutation P of the cohort has no R reference; its exact form is
checked below where R's exact test applies (no ties).
"""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import analysis, appraisal, assay, survival
from helpers import stats as hs

CLOSED = 1e-9
ITERATIVE = 1e-5


@pytest.fixture(scope="module")
def t(cohort):
    return analysis.add_covariates(cohort.table)


# --- Log-rank: survdiff ------------------------------------------------------------------


SMALL_T = [1, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9]
SMALL_E = [1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0]
SMALL_G = np.array([True, False, True, True, False, False, True, False, False, True, False, False])


def test_logrank_small_ties_survdiff():
    """s <- survdiff(Surv(t, e) ~ g) with
    t <- c(1, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9); e <- c(1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0)
    g <- c(TRUE, FALSE, TRUE, TRUE, FALSE, FALSE, TRUE, FALSE, FALSE, TRUE, FALSE, FALSE)
    c(s$chisq, s$obs[2], s$exp[2], pchisq(s$chisq, 1, lower.tail = FALSE))
    R 4.2.2, survival 3.5-3."""
    res = hs.logrank(SMALL_T, SMALL_E, SMALL_G)
    assert res.chi2 == pytest.approx(0.285700771013670, rel=CLOSED)
    assert res.observed == 3
    assert res.expected == pytest.approx(2.346320346320346, rel=CLOSED)
    assert res.p == pytest.approx(0.592988842116139, rel=CLOSED)


def test_logrank_cohort_survdiff(t):
    """s <- survdiff(Surv(os_months, death) ~ il6_high, data = d); same outputs as above.
    R 4.2.2, survival 3.5-3."""
    res = hs.logrank(t["os_months"], t["death"], t["il6_high"].to_numpy(bool))
    assert res.chi2 == pytest.approx(9.06741561892611614, rel=CLOSED)
    assert res.observed == 20
    assert res.expected == pytest.approx(11.86499677489215898, rel=CLOSED)
    assert res.p == pytest.approx(0.00260204562486923, rel=CLOSED)


# --- Kaplan-Meier medians: survfit(conf.type = "log-log") + quantile ------------------------


@pytest.mark.parametrize("durations, events, expected", [
    # S reaches 0 at t = 15 (last patient at risk dies); the upper band reaches 0.5 at 14 first
    ([2, 3, 3, 5, 6, 7, 8, 9, 11, 12, 14, 15], [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1], (9, 3, 14)),
    # S = 0.5 exactly from t = 5 to the next death at 7 (a censoring at 6.5 inside): midpoint 6
    ([1, 2, 3, 4, 5, 6.5, 7, 8, 9, 10], [1, 1, 1, 1, 1, 0, 1, 1, 1, 1], (6, 1, 9)),
    # S = 0.5 from t = 2 to the end of follow-up (4): midpoint of 2 and the last time
    ([1, 2, 3, 4], [1, 1, 0, 0], (3, 1, math.nan)),
    # S stays at 0.75: median not reached
    ([1, 2, 3, 4], [1, 0, 0, 0], (math.nan, 1, math.nan)),
    # everyone dies: S = 0 at 6 before the upper band falls to 0.5, so no upper limit
    ([2, 4, 6], [1, 1, 1], (4, 2, math.nan)),
])
def test_km_median_and_loglog_ci_survfit(durations, events, expected):
    """f <- survfit(Surv(t, e) ~ 1, conf.type = "log-log"); unlist(quantile(f, 0.5))
    (quantile.50, lower.50, upper.50; NA shown here as nan). R 4.2.2, survival 3.5-3.
    R's log-log band is NA where S = 0, and a limit the band never reaches is NA."""
    got = hs.kaplan_meier_median(durations, events)
    np.testing.assert_array_equal(got, expected)


def test_km_median_cohort_survfit(t):
    """f <- survfit(Surv(os_months, death) ~ il6_high, data = d, conf.type = "log-log")
    quantile(f, 0.5): il6_high=0 34.2 (21.4, NA); il6_high=1 10.3 (3.4, 19.8).
    R 4.2.2, survival 3.5-3. In the high group S = 0.5 from 10.1 to 10.5: R's median is the
    midpoint (lifelines' median_survival_time_ reports 10.1)."""
    s = hs.kaplan_meier_median
    low, high = t[~t["il6_high"]], t[t["il6_high"]]
    np.testing.assert_allclose(s(low["os_months"], low["death"]), (34.2, 21.4, math.nan), rtol=CLOSED)
    np.testing.assert_allclose(s(high["os_months"], high["death"]), (10.3, 3.4, 19.8), rtol=CLOSED)


# --- Cox, Efron ties: coxph ------------------------------------------------------------------


def test_cox_small_efron_coxph():
    """f <- coxph(Surv(t, e) ~ x, ties = "efron"); summary(f)$coefficients with
    t <- c(1, 2, 2, 3, 4, 4, 5, 6, 7, 8); e <- c(1, 1, 1, 0, 1, 1, 1, 0, 1, 1)
    x <- c(1, 1, 0, 1, 0, 1, 0, 1, 0, 0). R 4.2.2, survival 3.5-3."""
    df = pd.DataFrame({"t": [1, 2, 2, 3, 4, 4, 5, 6, 7, 8], "e": [1, 1, 1, 0, 1, 1, 1, 0, 1, 1],
                       "x": [1, 1, 0, 1, 0, 1, 0, 1, 0, 0]})
    row = hs.cox(df, "t", "e", ["x"]).loc["x"]
    assert row["coef"] == pytest.approx(0.518227113075239, rel=ITERATIVE)
    assert row["hr"] == pytest.approx(1.67904824672432, rel=ITERATIVE)
    assert row["se"] == pytest.approx(0.831689201640231, rel=ITERATIVE)
    assert row["p"] == pytest.approx(0.533217568097834, rel=ITERATIVE)


COHORT_COX = pd.DataFrame(
    # coef, se(coef), Pr(>|z|)
    [[1.166454793334250, 0.435228031370479, 0.007360009526565634],
     [1.733539518170453, 0.469319439930726, 0.000220988030470857],
     [0.281975355735929, 0.504808510487593, 0.576449179705137982],
     [0.503078004266667, 0.419222502397940, 0.230129148801952094],
     [-0.126859678400178, 0.394755912798265, 0.747935829547196063],
     [0.193879188518437, 0.199195772600783, 0.330399375887365954]],
    index=list(survival.COX_COVARIATES), columns=["coef", "se", "p"])


def test_cox_cohort_multivariable_coxph(t):
    """f <- coxph(Surv(os_months, death) ~ il6_high + dfi_short + multiple_sites + visceral +
    er_negative + age_per_10y, data = d); summary(f)$coefficients. R 4.2.2, survival 3.5-3."""
    ours = survival.multivariable_cox(t)
    for col in ("coef", "se", "p"):
        np.testing.assert_allclose(ours[col], COHORT_COX[col], rtol=ITERATIVE)


def test_cox_cohort_univariable_coxph(t):
    """summary(coxph(Surv(os_months, death) ~ il6_high, data = d))$coefficients.
    R 4.2.2, survival 3.5-3."""
    row = survival.univariable_cox(t, ["il6_high"]).loc["il6_high"]
    assert row["coef"] == pytest.approx(1.06468944097178, rel=ITERATIVE)
    assert row["hr"] == pytest.approx(2.89993824219771, rel=ITERATIVE)
    assert row["se"] == pytest.approx(0.369163167810106, rel=ITERATIVE)
    assert row["p"] == pytest.approx(0.00392581531215919, rel=ITERATIVE)


# --- Proportional hazards: cox.zph (survival >= 3.0 score test) -------------------------------


ZPH_DATA = pd.DataFrame({
    "time": [1, 1, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12, 12, 14, 15, 16],
    "status": [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1],
    "x1": [0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0],
    "x2": [2.1, 3.4, 1.2, 0.5, 2.8, 3.9, 1.1, 0.7, 2.2, 1.9, 3.1, 0.3, 1.4, 2.6, 0.9, 3.3, 1.7, 0.2, 2.4, 1.0],
})
ZPH_SMALL = {  # chisq of x1, x2, GLOBAL
    "km": [1.25690532734628, 1.89832624087212, 1.91917651160606],
    "rank": [1.30866002402590, 1.75320023618815, 1.75320027240337],
    "identity": [1.25218560381501, 1.77137285693575, 1.77848610604039],
}


@pytest.mark.parametrize("transform", list(ZPH_SMALL))
def test_cox_zph_small_ties(transform):
    """f <- coxph(Surv(time, status) ~ x1 + x2, data = zd)  # zd = ZPH_DATA, Efron ties
    cox.zph(f, transform = transform)$table  # "km", "rank", "identity"
    R 4.2.2, survival 3.5-3 (coef -0.400494636900145, 0.388692900667079)."""
    fitted = hs.cox_fit(ZPH_DATA, "time", "status", ["x1", "x2"])
    res = hs.cox_zph(fitted, ZPH_DATA, transform)
    assert list(res.index) == ["x1", "x2", "GLOBAL"]
    assert list(res["df"]) == [1, 1, 2]
    np.testing.assert_allclose(res["chisq"], ZPH_SMALL[transform], rtol=ITERATIVE)
    np.testing.assert_allclose(res["p"], stats.chi2.sf(ZPH_SMALL[transform], [1, 1, 2]), rtol=ITERATIVE)


ZPH_COHORT = pd.DataFrame({  # chisq per covariate, then GLOBAL (6 df)
    "km": [0.757461661667025, 0.100739136188044, 2.210257985974168, 0.116621756099026,
           0.122235794414396, 0.215103060953524, 7.388933212547564],
    "rank": [0.9282718192022527, 0.1639673909454332, 1.9414992295649138, 0.2318288720614267,
             0.2346204712176578, 0.0621591932752823, 7.7545471142482629],
    "identity": [1.050415809471742623, 0.129239966877455037, 1.852527130040345194, 0.432132323853722966,
                 0.296385393650533790, 0.000109639348608465, 9.473472449091635994],
}, index=[*survival.COX_COVARIATES, "GLOBAL"])


@pytest.mark.parametrize("transform", list(ZPH_COHORT.columns))
def test_cox_zph_cohort(t, transform):
    """f <- coxph(Surv(os_months, death) ~ il6_high + dfi_short + multiple_sites + visceral +
    er_negative + age_per_10y, data = d); cox.zph(f, transform = transform)$table.
    R 4.2.2, survival 3.5-3. P for "more than one site": km 0.137096, rank 0.163506,
    identity 0.173490 (lifelines' proportional_hazard_test, rank: 0.038)."""
    cols = list(survival.COX_COVARIATES)
    frame = survival.survival_frame(t)
    res = hs.cox_zph(hs.cox_fit(frame, "os_months", "death", cols), frame, transform)
    # atol: a chisq near 0 (age, identity: 1.1e-4) moves by ~1e-9 with the ~1e-7 difference
    # between lifelines' and R's coefficients
    np.testing.assert_allclose(res.loc[ZPH_COHORT.index, "chisq"], ZPH_COHORT[transform], rtol=ITERATIVE, atol=1e-7)
    np.testing.assert_allclose(res.loc[ZPH_COHORT.index, "p"], stats.chi2.sf(ZPH_COHORT[transform], [1] * 6 + [6]),
                               rtol=ITERATIVE)
    assert list(res["df"]) == [1] * 6 + [6]


# --- Mann-Whitney: wilcox.test -------------------------------------------------------------


def test_mann_whitney_no_ties_wilcox_test():
    """x <- c(1.1, 2.3, 3.5, 4.2, 5.9); y <- c(2.0, 4.8, 6.1, 7.3, 8.4, 9.0)
    wilcox.test(x, y, exact = FALSE, correct = TRUE): W = 5, p = 0.0828374251588063
    wilcox.test(x, y, conf.int = TRUE) (exact, R's default without ties and n < 50):
        W = 5, p = 0.0822510822510823, difference in location -3.1
    R 4.2.2. mann_whitney's p is the normal approximation (first call); the exact P is what
    mann_whitney_permutation_p enumerates; without ties R's estimate is the median of the
    pairwise differences, as the project's Hodges-Lehmann."""
    x, y = [1.1, 2.3, 3.5, 4.2, 5.9], [2.0, 4.8, 6.1, 7.3, 8.4, 9.0]
    res = hs.mann_whitney(x, y)
    assert res.u == 5
    assert res.p == pytest.approx(0.0828374251588063, rel=CLOSED)
    assert hs.mann_whitney_permutation_p(x, y) == pytest.approx(0.0822510822510823, rel=CLOSED)
    assert res.hodges_lehmann == pytest.approx(-3.1, rel=CLOSED)


def _pairwise_bracket(x, y):
    """The two pairwise differences x_i - y_j either side of their median (equal for odd counts)."""
    d = np.sort(np.subtract.outer(np.asarray(x, float), np.asarray(y, float)).ravel())
    return d[(d.size - 1) // 2], d[d.size // 2]


def test_mann_whitney_ties_wilcox_test():
    """x <- c(1, 2, 2, 3, 3.5); y <- c(2, 3, 3, 4, 5, 5, 6)
    wilcox.test(x, y, conf.int = TRUE): ties, so normal approximation with tie-corrected
    variance and continuity correction: W = 6, p = 0.0694955817605626,
    difference in location -1.9999445006052643. R 4.2.2.
    Documented difference: when the P is not exact, R's estimate is the shift d at which
    the standardised rank-sum statistic of (x - d, y) crosses 0, found by uniroot
    (tol.root = 1e-4), not the median of the pairwise differences that the project reports
    as Hodges-Lehmann. Both lie between the pairwise differences that bracket the median."""
    x, y = [1, 2, 2, 3, 3.5], [2, 3, 3, 4, 5, 5, 6]
    res = hs.mann_whitney(x, y)
    assert res.u == 6
    assert res.p == pytest.approx(0.0694955817605626, rel=CLOSED)
    lo, hi = _pairwise_bracket(x, y)
    assert lo <= res.hodges_lehmann <= hi
    assert lo - 1e-4 <= -1.9999445006052643 <= hi + 1e-4


# R: for v in multiple_sites, visceral, liver_metastasis, pleural_effusion:
#      wilcox.test(d$il6[d[[v]] == 1], d$il6[d[[v]] == 0], exact = FALSE, correct = TRUE, conf.int = TRUE)
#    e <- d[!is.na(d$responder), ]
#    wilcox.test(e$il6[e$responder == 0], e$il6[e$responder == 1], exact = FALSE, correct = TRUE, conf.int = TRUE)
# (W, p, difference in location). R 4.2.2. IL-6 has tied values, so R's default call
# (exact = NULL) gives the same normal-approximation P, with a warning.
COHORT_WILCOX = {
    "R07": (428, 3.80231951473853e-05, 5.51715126076999),
    "R08": (365, 0.0244841234825162, 3.5621789287911323),
    "R09": (356, 5.81933667223458e-04, 14.2510248909203),
    "R10": (252, 0.018587392141316, 6.339929256668029),
    "R12": (367, 7.05954558733374e-04, 4.96475299928542),
}


@pytest.mark.parametrize("prefix", list(COHORT_WILCOX))
def test_mann_whitney_cohort_wilcox_test(t, prefix):
    """See COHORT_WILCOX for the R calls. The Hodges-Lehmann relationship is the one of
    test_mann_whitney_ties_wilcox_test (R's uniroot estimate, tol 1e-4, in the same bracket)."""
    w, p, estimate = COHORT_WILCOX[prefix]
    _, a, b = analysis.il6_comparisons(t)[prefix]
    x, y = t.loc[a, "il6"], t.loc[b, "il6"]
    res = hs.mann_whitney(x, y)
    assert res.u == w
    assert res.p == pytest.approx(p, rel=CLOSED)
    lo, hi = _pairwise_bracket(x, y)
    assert lo <= res.hodges_lehmann <= hi
    assert lo - 1e-4 <= estimate <= hi + 1e-4


# --- Spearman: cor.test(method = "spearman") ---------------------------------------------


def test_spearman_no_ties_cor_test():
    """x <- 1:10; y <- c(2.3, 1.1, 4.5, 3.8, 6.0, 5.2, 9.1, 7.7, 8.4, 10.6)
    cor.test(x, y, method = "spearman", exact = FALSE): rho 0.927272727272727, p 0.000112034506393977
    cor.test(x, y, method = "spearman"): p 0.000130162394465275
    x <- 1:7; y <- c(3, 1, 2, 5, 4, 7, 6)
    exact = FALSE: rho 0.821428571428571, p 0.0234488083456915; default: p 0.0341269841269841
    R 4.2.2. Documented difference: the project's P is the t approximation on n - 2 df
    (R's exact = FALSE); R's default without ties is the exact permutation distribution of
    S = sum d^2 for n <= 9 and the Edgeworth series (AS 89) above. For these small samples
    the t approximation gives the smaller P."""
    res10 = hs.correlation(list(range(1, 11)), [2.3, 1.1, 4.5, 3.8, 6.0, 5.2, 9.1, 7.7, 8.4, 10.6])
    assert res10.r == pytest.approx(0.927272727272727, rel=CLOSED)
    assert res10.p == pytest.approx(0.000112034506393977, rel=CLOSED)
    assert res10.p < 0.000130162394465275
    res7 = hs.correlation([1, 2, 3, 4, 5, 6, 7], [3, 1, 2, 5, 4, 7, 6])
    assert res7.r == pytest.approx(0.821428571428571, rel=CLOSED)
    assert res7.p == pytest.approx(0.0234488083456915, rel=CLOSED)
    assert res7.p < 0.0341269841269841


def test_spearman_cohort_cor_test(t):
    """cor.test(d$il6, d$crp_mg_dl, method = "spearman", exact = FALSE):
    rho 0.469851654107928, p 0.000985925487642288; R's default call gives the same P here
    (ties in both variables, so no exact P). R 4.2.2."""
    res = hs.correlation(t["il6"], t["crp_mg_dl"], method="spearman")
    assert res.r == pytest.approx(0.469851654107928, rel=CLOSED)
    assert res.p == pytest.approx(0.000985925487642288, rel=CLOSED)


# --- Fisher: fisher.test ----------------------------------------------------------------------


@pytest.mark.parametrize("table, p, conditional_or", [
    ([[3, 1], [1, 3]], 0.485714285714286, 6.408308867005788),
    ([[8, 2], [1, 5]], 0.034965034965035, 15.469687462886906),
    ([[2, 7], [9, 3]], 0.0299731228523798, 0.1093739492370977),
])
def test_fisher_exact_fisher_test(table, p, conditional_or):
    """f <- fisher.test(matrix(c(a, b, c, d), 2, byrow = TRUE)); c(f$p.value, f$estimate).
    R 4.2.2. P: the same two-sided rule (sum of tables no more probable than the observed,
    relative tolerance 1e-7). Documented difference: R's estimate is the conditional maximum
    likelihood odds ratio, the project's the sample odds ratio ad/bc. The test checks R's
    value against scipy's conditional MLE, within the tolerance of R's root search
    (uniroot, tol = .Machine$double.eps^0.25, on the odds ratio if below 1, else on 1/OR)."""
    (a, b), (c, d) = table
    res = hs.fisher_exact(table)
    assert res.p == pytest.approx(p, rel=CLOSED)
    assert res.odds_ratio == pytest.approx(a * d / (b * c), rel=CLOSED)
    mle = stats.contingency.odds_ratio(table, kind="conditional").statistic

    def searched(v):
        return v if v < 1 else 1 / v

    assert abs(searched(conditional_or) - searched(mle)) <= np.finfo(float).eps ** 0.25


# --- Holm and Benjamini-Hochberg: p.adjust --------------------------------------------------------


def test_holm_and_bh_p_adjust():
    """p <- c(0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.5); p.adjust(p, "holm"); p.adjust(p, "BH").
    R 4.2.2."""
    p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.5]
    res = appraisal.adjust_p_values(pd.DataFrame({"p": p}))
    np.testing.assert_allclose(res["p_holm"], [0.060, 0.160, 0.150, 0.035, 0.400, 0.160, 0.500], rtol=CLOSED)
    np.testing.assert_allclose(res["p_bh"], [0.035, 0.056, 0.056, 0.035, 0.233333333333333, 0.056, 0.5],
                               rtol=CLOSED)


# --- 4PL standard curve: nls with SSfpl -------------------------------------------------------


def test_four_pl_weighted_fit_nls_ssfpl():
    """conc <- rep(c(500, 250, 125, 62.5, 31.25, 15.625, 7.8125, 3.90625), each = 2)
    signal <- c(2.788, 2.899, 2.516, 2.39, 1.889, 1.876, 1.336, 1.311, 0.818, 0.755, 0.472,
                0.449, 0.256, 0.249, 0.145, 0.149)
    w <- 1 / (abs(signal) + 0.01 * diff(range(signal)))^2   # the weights of helpers.assay
    fit <- nls(signal ~ SSfpl(log(conc), A, B, xmid, scal), weights = w,
               start = list(A = 0, B = 3, xmid = 4.5, scal = 1), control = nls.control(tol = 1e-8))
    coef(fit): A 0.0408210209451138, B 3.3485039432132191, xmid 4.5939989466809363,
               scal 0.9481833836858484
    1 - sum((signal - fitted(fit))^2) / sum((signal - mean(signal))^2): 0.998747999308094
    R 4.2.2 (SSfpl's self-start fails on these data, hence the start values). SSfpl is
    A + (B - A) / (1 + exp((xmid - log x) / scal)); the project's 4PL
    d + (a - d) / (1 + (x / c)^b) is the same curve with a = A, d = B, b = 1 / scal,
    c = exp(xmid)."""
    conc = np.repeat([500, 250, 125, 62.5, 31.25, 15.625, 7.8125, 3.90625], 2)
    signal = np.array([2.788, 2.899, 2.516, 2.39, 1.889, 1.876, 1.336, 1.311, 0.818, 0.755, 0.472,
                       0.449, 0.256, 0.249, 0.145, 0.149])
    curve = assay.fit_standard_curve(conc, signal)
    assert curve.model == "4PL"  # the F-test keeps the 4PL, so the weighted 4PL fit is compared
    A, B, xmid, scal = 0.0408210209451138, 3.3485039432132191, 4.5939989466809363, 0.9481833836858484
    np.testing.assert_allclose(curve.params, (A, 1 / scal, math.exp(xmid), B), rtol=ITERATIVE)
    assert curve.r_squared == pytest.approx(0.998747999308094, rel=ITERATIVE)
