"""Statistics used by the notebooks.

Every number a notebook shows comes from one of these functions. Each wraps the
standard implementation (scipy.stats, lifelines) and its docstring states the
exact variant, so that it can be compared with what the 1999 paper reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.statistics import logrank_test
from scipy import optimize, stats


def _clean(values, name: str) -> np.ndarray:
    """1-D float array; ValueError if it is empty or contains NaN."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    return arr


# --- Mann-Whitney ------------------------------------------------------------


@dataclass(frozen=True)
class MannWhitney:
    n_x: int
    n_y: int
    median_x: float
    median_y: float
    u: float
    p: float
    hodges_lehmann: float
    rank_biserial: float


def mann_whitney(x, y) -> MannWhitney:
    """Two-sided Mann-Whitney U (Wilcoxon rank-sum) test of x against y.

    u is U for x (scipy convention: pairs with x_i > y_j, ties counting 1/2).
    p is mann_whitney_normal_p: the normal approximation with tie-corrected variance and
    continuity correction (scipy ``method="asymptotic", use_continuity=True``), the form
    SAS NPAR1WAY and StatView report. hodges_lehmann is the median of all
    pairwise differences x_i - y_j; rank_biserial = 2U/(n_x n_y) - 1, positive
    when x tends to be larger.
    """
    x, y = _clean(x, "x"), _clean(y, "y")
    u = float(stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").statistic)
    ties = np.unique(np.concatenate([x, y]), return_counts=True)[1]
    return MannWhitney(
        n_x=x.size,
        n_y=y.size,
        median_x=float(np.median(x)),
        median_y=float(np.median(y)),
        u=u,
        p=mann_whitney_normal_p(u, x.size, y.size, ties.tolist()),
        hodges_lehmann=median_difference(x, y),
        rank_biserial=2 * u / (x.size * y.size) - 1,
    )


def _differences_above(x: np.ndarray, y: np.ndarray, v: float) -> np.ndarray:
    """For each x_i (x and y sorted, distinct): the number of y_j with x_i - y_j > v, the
    differences computed in floating point as np.subtract.outer does. The search on y is
    corrected by the exact comparison, so rounding never moves a boundary."""
    pos = np.searchsorted(y, x - v, side="left")  # x_i - y_j > v for j < pos, in exact arithmetic
    while True:  # a few steps at most: the search can only be off where rounding bites
        back = (pos > 0) & (x - y[np.maximum(pos - 1, 0)] <= v)
        ahead = (pos < y.size) & (x - y[np.minimum(pos, y.size - 1)] > v)
        if not (back.any() or ahead.any()):
            return pos
        pos = pos - back + ahead


def _kth_difference(x, cx, y, cy, k: int) -> float:
    """The k-th smallest (0-based) of the n_x n_y differences x_i - y_j, each pair counted with
    weight cx_i cy_j (x, y sorted distinct values, cx, cy their counts). Bisection on the value,
    counting by searchsorted (O(n log n) a step), until few distinct differences remain in the
    bracket; those are listed and the k-th is read off, so the value is an actual difference."""
    ycum = np.r_[0, np.cumsum(cy)]  # ycum[j]: values of y below y[j]

    def at_most(v):  # weighted count of differences <= v, and the positions
        pos = _differences_above(x, y, v)
        return int((cx * (ycum[-1] - ycum[pos])).sum()), pos

    lo, hi = float(x[0] - y[-1]), float(x[-1] - y[0])  # smallest and largest difference
    n_lo, pos_lo = at_most(lo)
    if n_lo > k:
        return lo
    # invariant: at_most(lo) <= k < at_most(hi); the answer lies in (lo, hi]
    pos_hi = _differences_above(x, y, hi)
    while (pos_lo - pos_hi).sum() > 4 * (x.size + y.size):
        mid = lo + (hi - lo) / 2
        if not lo < mid < hi:
            break
        n_mid, pos_mid = at_most(mid)
        if n_mid > k:
            hi, pos_hi = mid, pos_mid
        else:
            lo, n_lo, pos_lo = mid, n_mid, pos_mid
    rows = np.repeat(np.arange(x.size), pos_lo - pos_hi)  # the distinct differences in (lo, hi]
    cols = np.arange(rows.size) - np.repeat(np.cumsum(pos_lo - pos_hi) - (pos_lo - pos_hi), pos_lo - pos_hi) \
        + np.repeat(pos_hi, pos_lo - pos_hi)
    values = x[rows] - y[cols]
    order = np.argsort(values, kind="stable")
    weights = np.cumsum((cx[rows] * cy[cols])[order])
    return float(values[order][np.searchsorted(weights, k - n_lo, side="right")])


def median_difference(x, y) -> float:
    """The Hodges-Lehmann estimate: the median of all n_x n_y pairwise differences x_i - y_j,
    equal to float(np.median(np.subtract.outer(x, y))) to the last bit (the mean of the two
    middle differences when n_x n_y is even) without building the n_x x n_y array: O((n_x +
    n_y) log) time and memory (_kth_difference)."""
    x, y = _clean(x, "x"), _clean(y, "y")
    xu, cx = np.unique(x, return_counts=True)
    yu, cy = np.unique(y, return_counts=True)
    total = x.size * y.size
    upper = _kth_difference(xu, cx, yu, cy, total // 2)
    if total % 2:
        return upper
    lower = _kth_difference(xu, cx, yu, cy, total // 2 - 1)
    return float(np.mean(np.array([lower, upper])))


def mann_whitney_normal_p(u: float, n_x: int, n_y: int, tie_sizes=()) -> float:
    """Two-sided P of the Mann-Whitney U for x by the normal approximation with tie-corrected
    variance and continuity correction, as scipy's mannwhitneyu(method="asymptotic"):
    z = max(|U - n_x n_y / 2| - 1/2, 0) / sd, sd^2 = n_x n_y / 12 ((n + 1) - T / (n (n - 1))),
    T = sum of t^3 - t over the groups of tied values (`tie_sizes`, the size t of each group;
    groups of 1 may be left out); 1 when every value is tied (sd = 0), as scipy. The one
    implementation: mann_whitney and the generator's rank search (helpers.reconstruct) use it."""
    n = n_x + n_y
    tie = sum(t ** 3 - t for t in tie_sizes) / (n * (n - 1))
    sd = math.sqrt(n_x * n_y / 12 * ((n + 1) - tie))
    if sd == 0:
        return 1.0
    z = max(abs(u - n_x * n_y / 2) - 0.5, 0) / sd
    return math.erfc(z / math.sqrt(2))


def mann_whitney_permutation_p(x, y) -> float:
    """Exact two-sided permutation P of the Mann-Whitney U for x (mid-ranks for ties).

    Every split of the pooled values into groups of the sizes of x and y counts once: the
    number of splits giving each rank sum of x is counted by dynamic programming over the
    pooled mid-ranks (doubled, they are integers), so no split is sampled and there is no
    Monte Carlo error. Two-sided is scipy.stats.permutation_test's definition: twice the
    smaller one-sided P, capped at 1. Counts are held as floats, exact while the number of
    splits C(n_x + n_y, n_x) stays below 2**53 (n_x + n_y <= 55); work grows as n_x (n_x + n_y)^2.
    """
    x, y = _clean(x, "x"), _clean(y, "y")
    doubled = np.rint(2 * stats.rankdata(np.concatenate([x, y]))).astype(int)
    observed, total = int(doubled[: x.size].sum()), int(doubled.sum())
    counts = np.zeros((x.size + 1, total + 1))  # counts[k, s]: splits of k values with doubled rank sum s
    counts[0, 0] = 1.0
    for r in doubled:
        counts[1:, r:] += counts[:-1, : total + 1 - r].copy()
    null = counts[x.size]
    less, greater = null[: observed + 1].sum(), null[observed:].sum()
    return float(min(1.0, 2 * min(less, greater) / null.sum()))


# --- Correlation --------------------------------------------------------------


@dataclass(frozen=True)
class Correlation:
    r: float
    p: float
    n: int
    method: str


def correlation(x, y, method: str = "spearman") -> Correlation:
    """Spearman or Pearson correlation with a two-sided P.

    r is pearson_r of the values (pearson) or of their mid-ranks (spearman: ties get the
    mean rank), as scipy's pearsonr and spearmanr compute it. P is correlation_p_from_r(r, n,
    "t"): t = r sqrt(n-2)/sqrt(1-r^2) on n-2 df, the P scipy gives for both (exact under
    bivariate normality for Pearson; for Spearman the usual large-sample approximation, not
    an exact permutation P). NaN r and P when x or y is constant.
    """
    x, y = _clean(x, "x"), _clean(y, "y")
    if x.size != y.size:
        raise ValueError(f"x and y differ in length ({x.size} vs {y.size})")
    if x.size < 3:
        raise ValueError(f"need at least 3 pairs, got {x.size}")
    if method == "spearman":
        x, y = stats.rankdata(x), stats.rankdata(y)
    elif method != "pearson":
        raise ValueError(f"unknown method {method!r}; use 'spearman' or 'pearson'")
    r = pearson_r(x, y)
    p = math.nan if math.isnan(r) else correlation_p_from_r(max(-1.0, min(1.0, r)), x.size, "t")
    return Correlation(r=r, p=p, n=x.size, method=method)


def pearson_r(x, y) -> float:
    """Pearson's r of x and y (numpy corrcoef); of two rank vectors, it is Spearman's r of the
    values they rank (used so by correlation and by the generator's CRP search). NaN when
    either is constant."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


def correlation_p_from_r(r: float, n: float, method: str = "t") -> float:
    """Two-sided P of a correlation r from n pairs (n may be non-integer).

    t: t = r sqrt(n-2)/sqrt(1-r^2) against Student t on n-2 df (the test
    scipy uses for Pearson and Spearman). fisher_z: z = atanh(r) sqrt(n-3)
    against the standard normal.
    """
    if not -1 <= r <= 1:
        raise ValueError(f"r must lie in [-1, 1], got {r}")
    if abs(r) == 1:
        return 0.0
    if method == "t":
        if n <= 2:
            raise ValueError(f"t method needs n > 2, got {n}")
        t = r * math.sqrt(n - 2) / math.sqrt(1 - r * r)
        return float(2 * stats.t.sf(abs(t), n - 2))
    if method == "fisher_z":
        if n <= 3:
            raise ValueError(f"fisher_z method needs n > 3, got {n}")
        z = math.atanh(r) * math.sqrt(n - 3)
        return float(2 * stats.norm.sf(abs(z)))
    raise ValueError(f"unknown method {method!r}; use 't' or 'fisher_z'")


def correlation_p_range(r_low: float, r_high: float, n: float, method: str = "t") -> tuple[float, float]:
    """(p_min, p_max) of the two-sided P over every r in [r_low, r_high].

    Uses correlation_p_from_r; P decreases monotonically in |r|, so p_min is at
    the endpoint of larger |r| and p_max at the smallest |r| in the interval
    (1.0 if the interval contains 0). Useful for r reported rounded.
    """
    if r_low > r_high:
        raise ValueError(f"r_low ({r_low}) > r_high ({r_high})")
    r_max = max(abs(r_low), abs(r_high))
    r_min = 0.0 if r_low <= 0 <= r_high else min(abs(r_low), abs(r_high))
    return correlation_p_from_r(r_max, n, method), correlation_p_from_r(r_min, n, method)


def n_for_p(r: float, p: float, method: str = "t") -> float:
    """Real-valued n at which correlation r has two-sided P = p.

    Solves correlation_p_from_r(r, n, method) = p with scipy.optimize.brentq
    over n in [4, 10000]; ValueError if no root lies there.
    """
    def f(n):
        return correlation_p_from_r(r, n, method) - p

    lo, hi = 4.0, 10000.0
    if f(lo) * f(hi) > 0:
        raise ValueError(f"no n in [{lo:g}, {hi:g}] gives P = {p} for r = {r}")
    return float(optimize.brentq(f, lo, hi, xtol=1e-10))


# --- Counts -------------------------------------------------------------------


@dataclass(frozen=True)
class FisherExact:
    odds_ratio: float
    p: float


def fisher_exact(table) -> FisherExact:
    """Fisher's exact test on a 2x2 table [[a, b], [c, d]].

    scipy.stats.fisher_exact, two-sided by scipy's definition: the sum of the
    hypergeometric probabilities (margins fixed) of all tables no more
    probable than the observed one (relative tolerance 1e-7). odds_ratio is
    the sample (unconditional) odds ratio ad/bc, not the conditional MLE.
    """
    table = np.asarray(table)
    if table.shape != (2, 2):
        raise ValueError(f"table must be 2x2, got shape {table.shape}")
    res = stats.fisher_exact(table, alternative="two-sided")
    return FisherExact(odds_ratio=float(res.statistic), p=float(res.pvalue))


def proportion(k: int, n: int) -> tuple[float, float]:
    """(k/n, 100 k/n)."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    return k / n, 100 * k / n


# --- Survival -----------------------------------------------------------------


@dataclass(frozen=True)
class LogRank:
    chi2: float
    p: float
    observed: float
    expected: float


def _at_or_after(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """For each of `times`, how many of `values` are >= it (int64)."""
    return (values.size - np.searchsorted(np.sort(values), times, side="left")).astype(np.int64)


def _equal_to(values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """For each of `times`, how many of `values` equal it (int64)."""
    v = np.sort(values)
    return (np.searchsorted(v, times, side="right") - np.searchsorted(v, times, side="left")).astype(np.int64)


def _two_group_test(durations, events, groups, weightings) -> LogRank:
    durations = _clean(durations, "durations")
    events = _clean(events, "events").astype(bool)
    groups = np.asarray(groups)
    if groups.dtype != bool:
        raise ValueError("groups must be a boolean array (True = group of interest)")
    if not durations.size == events.size == groups.size:
        raise ValueError("durations, events and groups differ in length")
    if groups.all() or not groups.any():
        raise ValueError("groups must contain both True and False")
    res = logrank_test(
        durations[groups], durations[~groups], events[groups], events[~groups], weightings=weightings
    )
    # Unweighted observed and expected event counts of the group of interest:
    # E = sum over distinct event times t of d_t * n_group,t / n_t.
    # Counted by searchsorted on sorted durations: O(n log n), the same integers as comparing
    # every duration with every event time.
    event_times = np.unique(durations[events])
    at_risk = _at_or_after(durations, event_times)
    in_group = _at_or_after(durations[groups], event_times)
    died = _equal_to(durations[events], event_times)
    expected = (died * in_group / at_risk).sum()
    return LogRank(
        chi2=float(res.test_statistic),
        p=float(res.p_value),
        observed=float(events[groups].sum()),
        expected=float(expected),
    )


def logrank(durations, events, groups) -> LogRank:
    """Two-group log-rank (Mantel-Cox) test, lifelines.statistics.logrank_test.

    chi2 = (O - E)^2 / V on 1 df, V the hypergeometric variance (exact for
    tied event times). groups is boolean; observed/expected are the event
    counts of the True group. events: 1 = event, 0 = censored.
    """
    return _two_group_test(durations, events, groups, weightings=None)


def wilcoxon_breslow(durations, events, groups) -> LogRank:
    """Two-group generalized Wilcoxon (Gehan-Breslow) test.

    lifelines logrank_test(weightings="wilcoxon"): the log-rank statistic with
    each event time weighted by the number at risk n_t,
    chi2 = (sum n_t (O_t - E_t))^2 / sum n_t^2 V_t on 1 df (SAS LIFETEST
    "Wilcoxon"). observed/expected are the unweighted event counts of the
    True group, as in logrank.
    """
    return _two_group_test(durations, events, groups, weightings="wilcoxon")


def cox_fit(df: pd.DataFrame, duration_col: str, event_col: str, covariates) -> CoxPHFitter:
    """Fitted lifelines CoxPHFitter on df[[duration_col, event_col, *covariates]].

    Efron's method for tied event times (lifelines' only one), no penalty.
    SAS PHREG, SPSS and Stata default to Breslow ties, so coefficients can
    differ slightly from theirs when event times are tied. Newton-Raphson is
    run to a tighter tolerance than lifelines' default, which on a
    10-subject case stopped 3e-4 short of the maximising coefficient.
    """
    covariates = list(covariates)
    return CoxPHFitter().fit(
        df[[duration_col, event_col, *covariates]],
        duration_col,
        event_col,
        fit_options={"precision": 1e-12, "r_precision": 1e-14},
    )


def cox(df: pd.DataFrame, duration_col: str, event_col: str, covariates) -> pd.DataFrame:
    """Cox model summary, one row per covariate (see cox_fit for the fit).

    Columns: coef (log hazard ratio), hr = exp(coef), hr_lower/hr_upper the
    Wald 95% CI exp(coef -/+ 1.96 se), p the two-sided Wald P, se.
    """
    summary = cox_fit(df, duration_col, event_col, covariates).summary
    out = summary.rename(
        columns={
            "exp(coef)": "hr",
            "exp(coef) lower 95%": "hr_lower",
            "exp(coef) upper 95%": "hr_upper",
            "se(coef)": "se",
        }
    )[["coef", "hr", "hr_lower", "hr_upper", "p", "se"]]
    out.index.name = "covariate"
    return out


def _kaplan_meier(durations: np.ndarray, events: np.ndarray):
    """(times, at_risk, deaths, surv) at each distinct time, censored ones included: the
    Kaplan-Meier estimate S(t) as R's survfit multiplies it, (n - d) / n at a time."""
    times = np.unique(durations)
    at_risk = _at_or_after(durations, times)
    deaths = _equal_to(durations[events], times)
    return times, at_risk, deaths, np.cumprod((at_risk - deaths) / at_risk)


def _zph_time(time: np.ndarray, event: np.ndarray, transform: str) -> np.ndarray:
    """g(t) of cox.zph for each subject: "km" is 1 - S(t-), the left-continuous Kaplan-Meier
    estimate of all subjects; "rank" the mid-rank of t among all subjects; "identity" t itself."""
    if transform == "identity":
        return time
    if transform == "rank":
        return stats.rankdata(time)
    if transform == "km":
        times, _, _, surv = _kaplan_meier(time, event)
        return 1 - np.r_[1.0, surv][np.searchsorted(times, time, side="left")]
    raise ValueError(f"unknown transform {transform!r}; use 'km', 'rank' or 'identity'")


def _suffix_sums(values: np.ndarray) -> np.ndarray:
    """out[i] = values[i:].sum(0), summed from the last row up (no subtraction)."""
    return np.cumsum(values[::-1], axis=0)[::-1]


def _zph_score_info(time, event, x, risk, g):
    """The score for theta and the 2p x 2p information of (beta, theta) of cox_zph, summed over
    the distinct death times with Efron's weighting of tied deaths. The sums over the risk set
    are suffix sums over the subjects sorted by time, so the work is O(n log n + deaths p^2),
    not one pass over all subjects per death time."""
    p = x.shape[1]
    order = np.argsort(time, kind="stable")
    t_sorted = time[order]
    xr = x[order] * risk[order][:, None]
    s0 = _suffix_sums(risk[order])
    s1 = _suffix_sums(xr)
    s2 = _suffix_sums(xr[:, :, None] * x[order][:, None, :])
    death_times, first_dead = np.unique(time[event], return_index=True)
    start = np.searchsorted(t_sorted, death_times, side="left")  # first subject at risk
    dead = np.flatnonzero(event)
    slot = np.searchsorted(death_times, time[dead])  # death time of each death
    d = np.bincount(slot, minlength=death_times.size)
    r_dead = risk[dead]
    d0 = np.bincount(slot, weights=r_dead, minlength=death_times.size)
    d1 = np.zeros((death_times.size, p))
    np.add.at(d1, slot, r_dead[:, None] * x[dead])
    d2 = np.zeros((death_times.size, p, p))
    np.add.at(d2, slot, r_dead[:, None, None] * x[dead][:, :, None] * x[dead][:, None, :])
    xd = np.zeros((death_times.size, p))
    np.add.at(xd, slot, x[dead])
    # one row per death: the k-th of d tied deaths removes k/d of them (Efron)
    rows = np.repeat(np.arange(death_times.size), d)
    fraction = (np.arange(rows.size) - np.repeat(np.cumsum(d) - d, d)) / np.repeat(d, d)
    r0 = s0[start][rows] - fraction * d0[rows]
    r1 = s1[start][rows] - fraction[:, None] * d1[rows]
    r2 = s2[start][rows] - fraction[:, None, None] * d2[rows]
    mean = r1 / r0[:, None]
    var_rows = r2 / r0[:, None, None] - mean[:, :, None] * mean[:, None, :]
    var = np.zeros((death_times.size, p, p))
    np.add.at(var, rows, var_rows)
    mean_sum = np.zeros((death_times.size, p))
    np.add.at(mean_sum, rows, mean)
    gt = g[event][first_dead]  # g is a function of time: the same for every death at a time
    score = (gt[:, None] * (xd - mean_sum)).sum(0)
    info = np.zeros((2 * p, 2 * p))
    info[:p, :p] = var.sum(0)
    info[:p, p:] = info[p:, :p] = (gt[:, None, None] * var).sum(0)
    info[p:, p:] = (gt[:, None, None] ** 2 * var).sum(0)
    return score, info


def cox_zph(fitted: CoxPHFitter, df: pd.DataFrame, transform: str = "km") -> pd.DataFrame:
    """Test of proportional hazards for a fitted lifelines Cox model, as R's cox.zph
    (survival >= 3.0; R's default transform "km").

    For each covariate k the model is widened to beta_k + theta_k g(t), g the transformed
    time centred on its mean over the deaths, and theta = 0 is tested with the score test at
    the fitted beta: chi2 = U' I^-1 U, U the score for theta and I the full 2p x 2p
    information matrix of (beta, theta), summed over death times with Efron's weighting of
    tied deaths (as the fit). One row per covariate (1 df) and GLOBAL (all theta at once, p
    df); columns chisq, df, p. The data frame must be the one the model was fitted on;
    models with strata, weights or a penalty are not supported.
    """
    if fitted.strata is not None or fitted.weights_col is not None or np.any(fitted.penalizer != 0):
        raise ValueError("cox_zph supports unstratified, unweighted, unpenalised fits only")
    names = list(fitted.params_.index)
    time = df[fitted.duration_col].to_numpy(float)
    event = df[fitted.event_col].to_numpy(float) == 1
    if not np.array_equal(np.sort(time), np.sort(fitted.durations.to_numpy(float))):
        raise ValueError("df is not the data the model was fitted on")
    x = df[names].to_numpy(float)
    x = x - x.mean(0)  # centring changes nothing but rounding
    risk = np.exp(x @ fitted.params_.to_numpy(float))
    g = _zph_time(time, event, transform)
    g = g - g[event].mean()

    p = len(names)
    score, info = _zph_score_info(time, event, x, risk, g)

    def chisq(theta):  # the score for beta is taken as 0 at the fitted beta, as R does
        keep = np.r_[np.arange(p), p + np.asarray(theta)]
        u = np.r_[np.zeros(p), score[theta]]
        return float(u @ np.linalg.solve(info[np.ix_(keep, keep)], u))

    rows = [(name, chisq([k]), 1) for k, name in enumerate(names)] + [("GLOBAL", chisq(list(range(p))), p)]
    out = pd.DataFrame(rows, columns=["covariate", "chisq", "df"]).set_index("covariate")
    out["p"] = stats.chi2.sf(out["chisq"], out["df"])
    return out


def _km_quantile_time(times, cdf, p: float) -> float:
    """Time at which the step function cdf (1 - S, or 1 - a confidence limit of S; NaN where
    undefined) reaches p, following R's survival:::findq: the first time the curve reaches p,
    or the midpoint of a horizontal segment at p (within sqrt(machine epsilon)), up to the
    last time when that segment ends the curve; NaN if the curve never reaches p where defined."""
    if not np.nanmax(cdf) >= p:
        return math.nan
    tol = np.sqrt(np.finfo(float).eps)
    last_time = times[-1]
    first = ~pd.Series(cdf).duplicated().to_numpy()  # each level at the time it is reached
    times, cdf = times[first], cdf[first]

    def reach(level):  # index of the lowest defined level at or above p (approx(), "constant")
        above = np.where(level >= p, level, np.nan)
        return None if np.isnan(above).all() else int(np.nanargmin(above))

    start, end = reach(cdf + tol), reach(cdf - tol)
    if not np.isnan(cdf[-1]) and abs(p - cdf[-1]) < tol:
        return float((times[start] + last_time) / 2)
    if start is None or end is None:
        return math.nan
    return float((times[start] + times[end]) / 2)


def kaplan_meier_median(durations, events) -> tuple[float, float, float]:
    """(median, lower, upper): Kaplan-Meier median survival and its 95% CI, as R's
    quantile(survfit(Surv(t, e) ~ 1, conf.type = "log-log"), 0.5) gives them.

    Median = first time with S(t) <= 0.5; when S(t) equals 0.5 over an interval, the
    midpoint of that interval (R survfit; SAS LIFETEST documents the same rule). The CI
    limits are the times at which the pointwise 95% log(-log) band of S (Greenwood
    variance; SAS LIFETEST's default band) reaches 0.5, by the same rule. NaN means not
    reached: S or its band never falls to 0.5 within follow-up, or the band is undefined
    where it would (the log(-log) band has no value where S = 0, after the last patient at
    risk dies).
    """
    durations = _clean(durations, "durations")
    events = _clean(events, "events").astype(bool)
    times, at_risk, deaths, surv = _kaplan_meier(durations, events)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.sqrt(np.cumsum(np.where(deaths > 0, deaths / (at_risk * (at_risk - deaths)), 0.0)))
        loglog = np.log(-np.log(surv))
        half = stats.norm.ppf(0.975) * se_log / np.log(surv)
    inside = (surv > 0) & (surv < 1)
    lower = np.where(inside, np.exp(-np.exp(loglog - half)), np.nan)
    upper = np.where(inside, np.exp(-np.exp(loglog + half)), np.nan)
    x = np.r_[0.0, times]
    return tuple(_km_quantile_time(x, np.r_[0.0, 1 - curve], 0.5) for curve in (surv, lower, upper))


def median_iqr(x) -> dict:
    """n, median, first and third quartiles (numpy's default linear interpolation), min, max."""
    v = np.asarray(x, float)
    if v.size == 0 or np.isnan(v).any():
        raise ValueError("median_iqr needs a non-empty sample without NaN")
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {"n": int(v.size), "median": float(med), "q1": float(q1), "q3": float(q3),
            "min": float(v.min()), "max": float(v.max())}


# --- ROC and rates ------------------------------------------------------------------


def _scores_and_labels(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    s = _clean(scores, "scores")
    y = np.asarray(labels)
    if y.dtype != bool:
        raise ValueError("labels must be a boolean array (True = positive)")
    if y.shape != s.shape:
        raise ValueError(f"scores and labels differ in length ({s.size} vs {y.size})")
    if y.all() or not y.any():
        raise ValueError("labels must contain both True and False")
    return s, y


def roc_curve(scores, labels) -> pd.DataFrame:
    """Empirical ROC curve of scores for predicting labels (True = positive).

    A subject is called positive when its score is >= the threshold. One row per
    distinct score, highest first, after a first row (threshold +inf) at (0, 0);
    the last row is (1, 1). Tied scores of positives and negatives move the curve
    diagonally. Columns: threshold, tp, fp, tpr (sensitivity), fpr (1 - specificity).
    """
    s, y = _scores_and_labels(scores, labels)
    thresholds = np.unique(s)[::-1]
    tp = np.r_[0, _at_or_after(s[y], thresholds)]
    fp = np.r_[0, _at_or_after(s[~y], thresholds)]
    return pd.DataFrame({"threshold": np.r_[np.inf, thresholds], "tp": tp, "fp": fp,
                         "tpr": tp / y.sum(), "fpr": fp / (~y).sum()})


def auc(scores, labels) -> float:
    """Area under the empirical ROC curve (roc_curve), by the trapezoidal rule.

    Equals U / (n_pos n_neg), U the Mann-Whitney statistic of the positives' scores
    against the negatives' (ties counting 1/2): the probability that a random
    positive scores higher than a random negative, plus half the probability of a tie.
    """
    roc = roc_curve(scores, labels)
    return float(np.trapezoid(roc["tpr"], roc["fpr"]))


@dataclass(frozen=True)
class RateDifference:
    k1: int
    n1: int
    k2: int
    n2: int
    rate1: float
    rate2: float
    difference: float
    lower: float
    upper: float


def rate_difference(k1: int, n1: int, k2: int, n2: int) -> RateDifference:
    """Difference of two independent proportions k1/n1 - k2/n2 with a 95% CI.

    The CI is Newcombe's hybrid score interval (Newcombe 1998, method 10), built
    from the Wilson score interval of each proportion; statsmodels
    confint_proportions_2indep(method="newcomb", compare="diff"). It stays inside
    [-1, 1] and behaves with small counts, unlike the Wald interval.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    for k, n in ((k1, n1), (k2, n2)):
        if n <= 0 or not 0 <= k <= n:
            raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    lower, upper = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    return RateDifference(k1=int(k1), n1=int(n1), k2=int(k2), n2=int(n2), rate1=k1 / n1, rate2=k2 / n2,
                          difference=k1 / n1 - k2 / n2, lower=float(lower), upper=float(upper))
