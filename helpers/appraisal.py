"""Critical appraisal of the paper (notebook 08): the REMARK reporting checklist against the
public record, multiplicity of the P values the set computes, what a data-driven "optimal"
IL-6 cut-off would have done (minimum-P search, permutation and Lausen-Schumacher adjusted P),
the CRP r / n / P inconsistency, events per variable, and the related studies side by side.

Functions taking `t` expect a table from helpers.analysis.add_covariates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, sparse
from scipy import stats as sps

from helpers import analysis, stats, survival
from helpers.registry import load_registry, reported_value

REPORTED_LEVELS = ("yes", "partly", "no")

# --- REMARK (McShane et al., 2005) ------------------------------------------------------
# Each item in our own words (not the checklist's wording), what the public record (the
# abstract only, as summarised in shared/paper/reported_results.md) gives, and what the gap
# does to our confidence. Judgements are ours and open to discussion.
_REMARK = [
    (1, "Introduction", "Marker under study, aims and hypotheses fixed in advance",
     "partly", "IL-6 (with TNF-alpha, IL-1beta, IL-2) against disease extent, response and survival; "
               "no hypothesis is said to be pre-specified",
     "With four cytokines and many variables, we cannot tell confirmatory from exploratory findings."),
    (2, "Patients", "Who the patients were, where they came from, who was included or excluded",
     "partly", "46 Japanese patients with metastatic disease; no centre, period, or selection criteria",
     "Spectrum and selection bias cannot be judged; overlap with the authors' 49-patient cohort of the "
     "same year is possible."),
    (3, "Patients", "Treatment received and how it was chosen",
     "partly", "chemo-endocrine therapy is named; regimens and how they were assigned are not",
     "Treatment may confound both the response and the survival comparison."),
    (4, "Specimens", "Type of specimen, its handling, preservation and storage",
     "partly", "one serum sample per patient; timing, processing delay and storage not given",
     "IL-6 rises in blood left unprocessed at room temperature, so handling could shift values."),
    (5, "Assay", "Assay method, protocol, quality control, and blinding to outcome",
     "partly", "ELISA or CLEIA named without saying which for which cytokine; no QC, limits or blinding",
     "The cut-off's meaning, the detection limits and the handling of low values are all guesses."),
    (6, "Design", "How cases were selected (prospective or not), time period, follow-up",
     "no", "nothing on design, accrual period or median follow-up",
     "Survival results cannot be placed in time, and incomplete follow-up cannot be excluded."),
    (7, "Design", "Exact definitions of every clinical endpoint",
     "partly", "response and survival are named; neither is defined",
     "We had to assume WHO/UICC response and overall survival from sampling."),
    (8, "Design", "Every candidate variable examined or considered for models",
     "no", "only IL-6 and the disease-free interval are named for the multivariable model",
     "Unknown model size: selective reporting and overfitting cannot be ruled out."),
    (9, "Statistics", "Why this sample size (target effect and power)",
     "no", "no rationale for 46 patients",
     "Probably a convenience sample; small studies overstate effects that reach significance."),
    (10, "Statistics", "All statistical methods: variable selection, assumption checks, missing data",
     "no", "no test is named for any P value",
     "Every test in this reproduction is an assumption (registry column test_assumed)."),
    (11, "Statistics", "How marker values entered the analysis, including how any cut-point was chosen",
     "partly", "a 4 pg/ml cut-off is used; its origin is not stated",
     "We infer it is the assay's upper reference limit; a data-driven choice would inflate the P."),
    (12, "Results", "Flow of patients through each analysis, with numbers of patients and events",
     "partly", "46 patients and 22 above the cut-off; no subgroup sizes, no number of deaths",
     "Precision of every comparison and the events per variable are unknown."),
    (13, "Results", "Distribution of basic characteristics and of the marker, with missing values",
     "partly", "subgroup medians only; no overall distribution, age or missing data",
     "We cannot check whether the reconstructed cohort resembles the real one beyond the medians."),
    (14, "Results", "How the marker relates to the standard prognostic variables",
     "yes", "medians and P by number of sites, visceral disease, liver metastasis and effusion, and "
            "r with CRP (but no group sizes)",
     "The direction is clear; without group sizes the precision of each comparison is not."),
    (15, "Results", "Univariable marker-outcome effect with an estimate (HR) and survival curves",
     "partly", "survival said to be poorer above the cut-off; no HR, no P, no test named",
     "The size of the survival difference is unknown; we only know its direction."),
    (16, "Results", "Multivariable effect estimates with confidence intervals, all model terms",
     "no", "IL-6 and DFI called independent; no estimates or intervals",
     "Cannot judge whether the adjusted effect is large, precise, or plausible."),
    (17, "Results", "Marker effect adjusted for standard variables, shown whatever its significance",
     "partly", "an adjusted effect is claimed, but the adjusting variables are not named",
     "The claim of independence cannot be checked against any standard factor."),
    (18, "Results", "Further analyses: model assumptions, sensitivity analyses, internal validation",
     "no", "none mentioned",
     "Proportional hazards, the cut-off's influence and optimism are unexamined."),
    (19, "Discussion", "Interpretation against the hypotheses and other studies, with limitations",
     "partly", "a conclusion is drawn; no limitations are given",
     "Readers must supply the limitations themselves (this notebook)."),
    (20, "Discussion", "Implications for research and for clinical use",
     "partly", "the title asserts a link with progression and prognosis; no clinical use is argued",
     "The step from association to clinical value is left open."),
]


def remark_checklist() -> pd.DataFrame:
    """The 20 REMARK items (paraphrased), indexed 1-20: section, topic, reported in the public
    record ("yes" / "partly" / "no"), what the record gives, and the consequence for confidence."""
    table = pd.DataFrame(_REMARK, columns=["item", "section", "topic", "reported", "public_record", "consequence"])
    return table.set_index("item")


# --- Multiple comparisons ----------------------------------------------------------------

FAMILIES = ("IL-6 by group (Mann-Whitney)", "IL-6 vs CRP (Spearman)", "TNF-alpha / IL-1beta (Fisher)",
            "survival by IL-6 group (log-rank)", "multivariable Cox (Wald)")


def all_p_values(t: pd.DataFrame) -> pd.DataFrame:
    """Every P value the notebook set computes for the paper's analyses, one row each:
    test, family (FAMILIES), p, and claim (the registry id the P belongs to, "" if none).
    5 Mann-Whitney (R07-R10, R12), Spearman (R11), 10 Fisher tests (R05), log-rank (R13) and
    the Wald P of each covariate of the multivariable Cox model (R14). The registry's P values
    are the ones analysis computes for the registry (comparison_values, crp_values,
    survival_values), so they equal the other notebooks' to the last digit."""
    values = analysis.comparison_values(t) | analysis.crp_values(t) | analysis.survival_values(t)
    rows = []
    for prefix, (label, _, _) in analysis.il6_comparisons(t).items():
        rid = f"{prefix}{'b' if prefix == 'R12' else 'c'}"
        rows.append((f"IL-6: {label}", FAMILIES[0], values[rid], rid))
    rows.append(("IL-6 vs CRP", FAMILIES[1], values["R11b"], "R11b"))
    for _, f in analysis.fisher_tests(t).iterrows():
        name = {"tnfa": "TNF-alpha", "il1b": "IL-1beta"}[f["cytokine"]]
        rows.append((f"{name} detectable vs {f['variable'].replace('_', ' ')}", FAMILIES[2], f["p"], "R05"))
    rows.append(("overall survival, IL-6 above vs at or below cut-off", FAMILIES[3], values["R13a"], "R13a"))
    multi = survival.multivariable_cox(t)
    claims = {"il6_high": "R14a", "dfi_short": "R14c"}
    for cov, row in multi.iterrows():
        rows.append((f"Cox: {survival.LABELS.get(cov, cov)}", FAMILIES[4], float(row["p"]), claims.get(cov, "R14e")))
    return pd.DataFrame(rows, columns=["test", "family", "p", "claim"])


def adjust_p_values(p_table: pd.DataFrame, alpha: float = 0.05, by: str | None = None) -> pd.DataFrame:
    """p_table with Holm and Benjamini-Hochberg adjusted P (statsmodels multipletests, methods
    "holm" and "fdr_bh") and whether each raw / adjusted P is below alpha. The adjustment runs
    over all rows, or within each group of column `by` (e.g. "family"). Row order is kept."""
    from statsmodels.stats.multitest import multipletests

    p = p_table["p"].to_numpy(float)
    if np.isnan(p).any() or ((p < 0) | (p > 1)).any():
        raise ValueError("P values must lie in [0, 1] and not be NaN")
    out = p_table.copy()
    groups = [np.arange(len(out))] if by is None else \
        [np.flatnonzero((out[by] == g).to_numpy()) for g in pd.unique(out[by])]
    holm, bh = np.empty(len(out)), np.empty(len(out))
    for rows in groups:
        holm[rows] = multipletests(p[rows], alpha=alpha, method="holm")[1]
        bh[rows] = multipletests(p[rows], alpha=alpha, method="fdr_bh")[1]
    out["p_holm"], out["p_bh"] = holm, bh
    out["significant_raw"] = out["p"] < alpha
    out["significant_holm"] = out["p_holm"] < alpha
    out["significant_bh"] = out["p_bh"] < alpha
    return out


def claim_p_values(p_table: pd.DataFrame) -> dict:
    """{registry id: P} for the rows of all_p_values that stand for one registry P value
    (R05 and R14e summarise several tests and are left out)."""
    single = p_table[~p_table["claim"].isin(["", "R05", "R14e"])]
    return dict(zip(single["claim"], single["p"].astype(float)))


# --- Data-driven cut-points --------------------------------------------------------------


def logrank_z(durations, events, groups) -> np.ndarray:
    """Standardised log-rank statistics (O - E) / sqrt(V) of many groupings at once.

    groups is a boolean array (k, n) or (n,): True = group of interest. O and E are its
    observed and expected deaths, V the hypergeometric variance (exact for tied times), as in
    helpers.stats.logrank, whose chi2 equals z**2. Positive z: more deaths than expected in
    the True group. Groupings with an empty group give NaN."""
    d = np.asarray(durations, float)
    e = np.asarray(events).astype(bool)
    g = np.atleast_2d(np.asarray(groups, bool)).astype(float)
    if g.shape[1] != d.size or e.size != d.size:
        raise ValueError("durations, events and groups differ in length")
    times = np.unique(d[e])
    # Each patient is at risk at the event times up to her own duration: with r_i the number of
    # event times <= d_i, the count at risk in a group at time j is how many of its patients
    # have r_i > j. Counting through a sparse patient x time indicator and a cumulative sum
    # costs O(k n + k times), never a times x n matrix; the counts are the same integers.
    n, m = d.size, times.size
    last = np.searchsorted(times, d, side="right")          # r_i
    slot = np.where(e, last - 1, m)                         # event time of a death, m for none
    ones = np.ones(n)
    by_last = sparse.csr_matrix((ones, (np.arange(n), last)), shape=(n, m + 1))
    by_death = sparse.csr_matrix((ones, (np.arange(n), slot)), shape=(n, m + 1))
    n_t = (n - np.searchsorted(np.sort(d), times, side="left")).astype(float)
    d_t = np.bincount(slot, minlength=m + 1)[:m].astype(float)
    n1 = np.ascontiguousarray(np.cumsum(np.asarray(g @ by_last)[:, ::-1], axis=1)[:, ::-1][:, 1:].T)  # (times, k)
    d1 = np.ascontiguousarray(np.asarray(g @ by_death)[:, :m].T)
    return _z(n_t, d_t, n1, d1)


def _z(n_t, d_t, n1, d1) -> np.ndarray:
    """logrank_z from the counts at each event time: n_t, d_t at risk and deaths of all
    patients, n1, d1 (times, k) those of each grouping's True group."""
    frac = n1 / n_t[:, None]
    o_minus_e = (d1 - d_t[:, None] * frac).sum(0)
    w = np.where(n_t > 1, d_t * (n_t - d_t) / np.maximum(n_t - 1, 1), 0.0)
    var = (w[:, None] * frac * (1 - frac)).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var > 0, o_minus_e / np.sqrt(var), np.nan)
    return z


def _threshold_z(d: np.ndarray, e: np.ndarray, x: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """logrank_z of the groupings x > c for every c of `cutoffs` (sorted), x of shape (n,) or
    (b, n) (b data sets, e.g. permutations): shape (k,) or (b, k), the same numbers as
    logrank_z(d, e, x > cutoffs[:, None]) without the k x n groupings. The patients are
    counted by (first cut-off at or above x, last event time at risk) and those counts summed
    over cut-offs and times: O(b (n + k times))."""
    xs = np.atleast_2d(x)
    times = np.unique(d[e])
    n, m, k, b = d.size, times.size, cutoffs.size, xs.shape[0]
    last = np.searchsorted(times, d, side="right")          # at risk at event times 0 .. last-1
    slot = np.where(e, last - 1, m)                         # event time of a death, m for none
    n_t = (n - np.searchsorted(np.sort(d), times, side="left")).astype(float)
    d_t = np.bincount(slot, minlength=m + 1)[:m].astype(float)
    level = np.searchsorted(cutoffs, xs, side="left")       # x > cutoffs[j] for j < level
    base = np.arange(b)[:, None] * (k + 1)

    def counts(index):  # (b, k, m + 1): patients of each grouping's True group by `index`
        flat = ((base + level) * (m + 1) + index[None, :]).ravel()
        c = np.bincount(flat, minlength=b * (k + 1) * (m + 1)).reshape(b, k + 1, m + 1)
        return np.cumsum(c[:, ::-1], axis=1)[:, ::-1][:, 1:]  # x above cutoffs[j]: level > j

    n1 = np.cumsum(counts(last)[:, :, ::-1], axis=2)[:, :, ::-1][:, :, 1:]   # at risk: last > t
    d1 = counts(slot)[:, :, :m]
    # (times, b k) as logrank_z lays them out, so that the sums run in the same order
    z = _z(n_t, d_t, np.ascontiguousarray(n1.reshape(b * k, m).T, dtype=float),
           np.ascontiguousarray(d1.reshape(b * k, m).T, dtype=float))
    return z.reshape(b, k) if np.ndim(x) == 2 else z


def candidate_cutoffs(x, quantile_range=(0.1, 0.9)) -> np.ndarray:
    """Distinct observed values c with quantile_range[0] <= F(c) <= quantile_range[1], F the
    empirical distribution (fraction of values <= c). Cut-off c puts x > c in the high group,
    so every candidate leaves at least that fraction of patients on either side."""
    lo, hi = quantile_range
    if not 0 < lo < hi < 1:
        raise ValueError(f"quantile_range must satisfy 0 < low < high < 1, got {quantile_range}")
    x = np.asarray(x, float)
    values = np.unique(x)
    frac_below = np.searchsorted(np.sort(x), values, side="right") / x.size  # fraction of values <= each
    keep = (frac_below >= lo - 1e-12) & (frac_below <= hi + 1e-12)
    if not keep.any():
        raise ValueError("no candidate cut-off lies in the quantile range")
    return values[keep]


@dataclass(frozen=True)
class MinPCutpoint:
    cutoff: float      # high group = marker > cutoff
    p: float           # raw (unadjusted) log-rank P at that cut-off
    z: float           # maximal |standardised log-rank statistic|
    curve: pd.DataFrame  # one row per candidate: cutoff, fraction_below, n_high, z, p


def min_p_cutpoint(t: pd.DataFrame, quantile_range=(0.1, 0.9), marker: str = "il6",
                   duration: str = "os_months", event: str = "death") -> MinPCutpoint:
    """The "optimal" cut-off: the candidate (candidate_cutoffs) whose two-group log-rank test
    (marker > c vs <= c) has the smallest P. Ties of P go to the lowest cut-off."""
    x = t[marker].to_numpy(float)
    cutoffs = candidate_cutoffs(x, quantile_range)
    z = _threshold_z(t[duration].to_numpy(float), t[event].to_numpy(bool), x, cutoffs)
    p = 2 * sps.norm.sf(np.abs(z))
    n_high = x.size - np.searchsorted(np.sort(x), cutoffs, side="right")
    curve = pd.DataFrame({"cutoff": cutoffs, "fraction_below": 1 - n_high / x.size,
                          "n_high": n_high, "z": z, "p": p})
    best = int(np.nanargmax(np.abs(z)))
    return MinPCutpoint(cutoff=float(cutoffs[best]), p=float(p[best]), z=float(abs(z[best])), curve=curve)


@dataclass(frozen=True)
class PermutationMinP:
    observed_p: float          # raw minimum P on the real data
    permuted_min_p: np.ndarray  # minimum P of the search on each permuted data set
    adjusted_p: float          # permutation_p(observed_p)
    fraction_significant: float  # share of permutations whose minimum P < alpha
    alpha: float

    def permutation_p(self, p: float) -> float:
        """The permutation P of a raw log-rank P as if it were a search's minimum:
        (1 + #{permuted minimum P <= p}) / (permutations + 1), p compared with a relative
        tolerance of 1e-9 so that the same split found twice counts."""
        return float((1 + (self.permuted_min_p <= p * (1 + 1e-9)).sum()) / (self.permuted_min_p.size + 1))


def min_p_permutation(t: pd.DataFrame, quantile_range=(0.1, 0.9), n_permutations: int = 200,
                      seed: int = 0, alpha: float = 0.05, marker: str = "il6",
                      duration: str = "os_months", event: str = "death", chunk: int = 250) -> PermutationMinP:
    """Permutation distribution of the minimum-P search under "no association": the marker
    values are shuffled against the (time, death) pairs, the whole search is rerun, and its
    minimum P kept. The candidate cut-offs stay the same (the same values are shuffled).
    fraction_significant estimates the false-positive rate of "pick the best cut-off and test
    it at alpha"; adjusted_p is the permutation P of the observed minimum. Reproducible by seed."""
    if n_permutations < 1:
        raise ValueError("n_permutations must be >= 1")
    observed = min_p_cutpoint(t, quantile_range, marker, duration, event)
    x = t[marker].to_numpy(float)
    cutoffs = candidate_cutoffs(x, quantile_range)
    rng = np.random.default_rng(seed)
    perms = np.array([rng.permutation(x.size) for _ in range(n_permutations)])
    max_z = np.empty(n_permutations)
    d, e = t[duration].to_numpy(float), t[event].to_numpy(bool)
    for start in range(0, n_permutations, chunk):
        z = _threshold_z(d, e, x[perms[start:start + chunk]], cutoffs)   # (b, cutoffs)
        max_z[start:start + chunk] = np.nanmax(np.abs(z), axis=1)
    min_p = 2 * sps.norm.sf(max_z)
    result = PermutationMinP(observed_p=observed.p, permuted_min_p=min_p, adjusted_p=math.nan,
                             fraction_significant=float((min_p < alpha).mean()), alpha=alpha)
    return replace(result, adjusted_p=result.permutation_p(observed.p))


def _ls_formula(z: float, log_term: float) -> float:
    phi = sps.norm.pdf(z)
    return phi * (z - 1 / z) * log_term + 4 * phi / z


def lausen_schumacher_p(z: float, quantile_range=(0.1, 0.9)) -> float:
    """Lausen & Schumacher (1992) approximation to the P of a maximally selected standardised
    log-rank statistic z over cut-points whose low-group fraction lies in
    [eps_low, eps_high] = quantile_range (Altman et al., JNCI 1994, for eps_high = 1 - eps_low):

        P = phi(z) (z - 1/z) log(eps_high (1 - eps_low) / ((1 - eps_high) eps_low)) + 4 phi(z) / z

    phi the standard normal density. It is an upper-tail approximation (continuous
    cut-points, large z): as z falls the formula rises to a peak near z = 1 and then turns
    down (even negative), which is meaningless. So the result is capped at 1, and 1 is
    returned for every z below the formula's peak (P there is above about 0.9 anyway)."""
    lo, hi = quantile_range
    if not 0 < lo < hi < 1:
        raise ValueError(f"quantile_range must satisfy 0 < low < high < 1, got {quantile_range}")
    z = abs(float(z))
    log_term = math.log(hi * (1 - lo) / ((1 - hi) * lo))
    peak = optimize.minimize_scalar(lambda v: -_ls_formula(v, log_term), bounds=(0.2, 3.0), method="bounded").x
    if z <= peak:
        return 1.0
    return float(min(1.0, _ls_formula(z, log_term)))


def lausen_schumacher_threshold(alpha: float = 0.05, quantile_range=(0.1, 0.9)) -> float:
    """The raw minimum P a cut-point search must reach for its Lausen-Schumacher adjusted P to
    equal alpha (solved for z with brentq, returned as the two-sided P 2 (1 - Phi(z)))."""
    z = optimize.brentq(lambda v: lausen_schumacher_p(v, quantile_range) - alpha, 1.5, 8.0, xtol=1e-12)
    return float(2 * sps.norm.sf(z))


def altman_simplified_p(p_min: float, epsilon: float = 0.1) -> float:
    """Altman et al. (1994)'s closed-form shortcuts to the Lausen-Schumacher P for
    0.0001 < p_min < 0.1: -1.63 p (1 + 2.35 ln p) for epsilon = 10 %, -3.13 p (1 + 1.65 ln p)
    for epsilon = 5 %."""
    a, b = {0.1: (1.63, 2.35), 0.05: (3.13, 1.65)}[epsilon]
    return float(-a * p_min * (1 + b * math.log(p_min)))


# --- The CRP correlation ------------------------------------------------------------------


def r_for_p(p: float, n: float, method: str = "t") -> float:
    """The r > 0 at which n pairs give two-sided P = p (stats.correlation_p_from_r)."""
    return float(optimize.brentq(lambda r: stats.correlation_p_from_r(r, n, method) - p, 1e-9, 1 - 1e-9,
                                 xtol=1e-12))


def crp_consistency(registry: pd.DataFrame | None = None, n_fewer: int = 40) -> pd.DataFrame:
    """Whether the paper's printed CRP correlation (registry rows R11a, r, and R11b, its P) can
    hold with its printed number of patients (R01), and candidate explanations. One row per
    scenario: the P at r exactly as printed; the range of P over every r in R11a's rounding
    interval (two-sided t, two-sided Fisher z, only `n_fewer` pairs, one-sided t); and the n or
    the r the printed P would need. Columns scenario, n, r_low, r_high, sides, method, p_low,
    p_high, and prints_as_reported: whether that P range reaches R11b's interval. The one home
    of this check (notebooks 04 and 08); built on stats.correlation_p_range and stats.n_for_p."""
    reg = load_registry() if registry is None else registry
    n = int(reported_value(reg, "R01"))
    r_printed, p_printed = reported_value(reg, "R11a"), reported_value(reg, "R11b")
    r_lo, r_hi = (float(v) for v in reg.loc["R11a", ["low", "high"]])
    p_interval = tuple(float(v) for v in reg.loc["R11b", ["low", "high"]])

    def row(scenario, n_used, sides, method, r_low, r_high):
        p_lo, p_hi = stats.correlation_p_range(r_low, r_high, n_used, method)
        if sides == 1:
            p_lo, p_hi = p_lo / 2, p_hi / 2
        fits = p_lo < p_interval[1] and p_hi >= p_interval[0]
        return {"scenario": scenario, "n": n_used, "r_low": r_low, "r_high": r_high, "sides": sides,
                "method": method, "p_low": p_lo, "p_high": p_hi, "prints_as_reported": fits}

    n_two = stats.n_for_p(r_printed, p_printed, "t")
    n_one = stats.n_for_p(r_printed, 2 * p_printed, "t")
    r_two = r_for_p(p_printed, n, "t")
    rows = [
        row(f"r = {r_printed:g} exactly: two-sided t test", n, 2, "t", r_printed, r_printed),
        row("as printed: two-sided t test", n, 2, "t", r_lo, r_hi),
        row("as printed: two-sided Fisher z", n, 2, "fisher_z", r_lo, r_hi),
        row(f"fewer pairs (CRP missing for {n - n_fewer})", n_fewer, 2, "t", r_lo, r_hi),
        row("one-sided t test", n, 1, "t", r_lo, r_hi),
        row(f"more pairs: n = {n_two:.1f} (two-sided)", n_two, 2, "t", r_printed, r_printed),
        row(f"one-sided with n = {n_one:.1f}", n_one, 1, "t", r_printed, r_printed),
        row(f"larger r: r = {r_two:.3f} at n = {n} (two-sided)", n, 2, "t", r_two, r_two),
    ]
    return pd.DataFrame(rows)


# --- Events per variable ----------------------------------------------------------------


def epv_table(t: pd.DataFrame, covariates=survival.COX_COVARIATES, target: float = 10.0) -> pd.DataFrame:
    """IL-6 hazard ratio and events per variable as the multivariable model grows: the model
    with the first k covariates (k = 1 .. len), IL-6 group first. Columns: covariates,
    coefficients, deaths, epv (survival.events_per_variable), deaths_for_target (events needed
    for `target` per variable), hr / hr_lower / hr_upper / p of IL-6 above the cut-off."""
    covariates = list(covariates)
    if covariates[0] != "il6_high":
        raise ValueError("the first covariate must be il6_high")
    rows = []
    deaths = int(t["death"].sum())
    for k in range(1, len(covariates) + 1):
        model = survival.multivariable_cox(t, covariates[:k])
        il6 = model.loc["il6_high"]
        rows.append({"model": " + ".join(survival.LABELS.get(c, c) for c in covariates[:k]), "coefficients": k,
                     "deaths": deaths, "epv": survival.events_per_variable(t, k),
                     "deaths_for_target": int(math.ceil(target * k)),
                     "hr": float(il6["hr"]), "hr_lower": float(il6["hr_lower"]),
                     "hr_upper": float(il6["hr_upper"]), "p": float(il6["p"])})
    return pd.DataFrame(rows)


# --- Related studies ----------------------------------------------------------------------

COMPARISONS = ("sites", "visceral", "liver", "effusion")
LIN_2015_POOLED_HR = (2.15, 1.46, 3.17)

PAPER_STUDY = "Zhang & Adachi 1999 (reported)"
_PREFIXES = dict(zip(COMPARISONS, ("R07", "R08", "R09", "R10")))

# Published figures of the later studies (abstracts; see shared/paper/context.md). NaN / "" where
# not reported. The paper's own row is read from the registry (_paper_row).
_STUDIES = [
    {"study": "Salgado 2003", "patients": 96, "setting": "progressive metastatic, before systemic therapy",
     "median_all": 6.6,
     "sites_high": 8.15, "sites_low": 3.06, "sites_p": "<0.001",
     "visceral_high": 8.15, "visceral_low": 4.5, "visceral_p": "0.007",
     "liver_high": 8.3, "liver_low": 4.5, "liver_p": "0.001",
     "effusion_high": 10.65, "effusion_low": 5.45, "effusion_p": "0.0077",
     "survival": "IL-6 an independent prognostic factor (HR not in the abstract)",
     "hr": np.nan, "hr_lower": np.nan, "hr_upper": np.nan},
    {"study": "Bachelot 2003", "patients": 87, "setting": "hormone-refractory metastatic",
     "median_all": np.nan, **{f"{c}_{s}": np.nan for c in COMPARISONS for s in ("high", "low")},
     **{f"{c}_p": "" for c in COMPARISONS},
     "survival": "IL-6 detectable in 39 %; high IL-6 an independent adverse factor (multivariable P < 0.001)",
     "hr": np.nan, "hr_lower": np.nan, "hr_upper": np.nan},
    {"study": "Lin 2015 (meta-analysis)", "patients": 3224, "setting": "13 studies, all stages",
     "median_all": np.nan, **{f"{c}_{s}": np.nan for c in COMPARISONS for s in ("high", "low")},
     **{f"{c}_p": "" for c in COMPARISONS},
     "survival": "pooled overall-survival HR; no association with DFS, nodes, size or grade",
     "hr": LIN_2015_POOLED_HR[0], "hr_lower": LIN_2015_POOLED_HR[1], "hr_upper": LIN_2015_POOLED_HR[2]},
    {"study": "Lippitz & Harris 2016 (review)", "patients": 11583, "setting": "systematic review, 100 studies",
     "median_all": np.nan, **{f"{c}_{s}": np.nan for c in COMPARISONS for s in ("high", "low")},
     **{f"{c}_p": "" for c in COMPARISONS},
     "survival": "59 of 64 dichotomised studies significant; median survival above the cut-off fell as the "
                 "cut-off rose (Spearman -0.48)",
     "hr": np.nan, "hr_lower": np.nan, "hr_upper": np.nan},
]


def _fmt_p(p: float) -> str:
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def _paper_row(reg: pd.DataFrame) -> dict:
    """The paper's printed numbers (registry rows R01, R07-R10) in the related-studies columns."""
    row = {"study": PAPER_STUDY, "patients": int(reported_value(reg, "R01")), "setting": "metastatic, Japan",
           "median_all": np.nan,
           "survival": "poorer above 4 pg/ml; independent of DFI in a multivariable model (no HR)",
           "hr": np.nan, "hr_lower": np.nan, "hr_upper": np.nan}
    for name, prefix in _PREFIXES.items():
        row[f"{name}_high"], row[f"{name}_low"] = (reported_value(reg, f"{prefix}{k}") for k in "ab")
        row[f"{name}_p"] = reg.loc[f"{prefix}c", "reported"].replace(" ", "")
    return row


def related_studies(t: pd.DataFrame, label: str = "This reconstruction",
                    registry: pd.DataFrame | None = None) -> pd.DataFrame:
    """The published studies side by side with ours: one row per study (index `study`), with
    patients, setting, overall median IL-6 (pg/ml), the higher / lower group medians and P of
    the four disease-extent comparisons (more than one site, dominant visceral, liver,
    effusion), a survival summary and an overall-survival hazard ratio with 95 % CI. The
    paper's row comes from the registry; ours is computed from `t` by the registry's analyses
    (analysis.comparison_values, analysis.survival_values' log-rank P, survival.univariable_cox)."""
    reg = load_registry() if registry is None else registry
    ours = {"study": label, "patients": len(t), "setting": "reconstructed (synthetic) cohort",
            "median_all": float(t["il6"].median())}
    values = analysis.comparison_values(t, prefixes=tuple(_PREFIXES.values())) | analysis.survival_values(t)
    for name, prefix in _PREFIXES.items():
        ours[f"{name}_high"], ours[f"{name}_low"] = values[f"{prefix}a"], values[f"{prefix}b"]
        ours[f"{name}_p"] = _fmt_p(values[f"{prefix}c"])
    uni = survival.univariable_cox(t, ["il6_high"]).loc["il6_high"]
    ours.update({"survival": f"log-rank P = {_fmt_p(values['R13a'])} above vs at or below the cut-off; "
                             f"univariable Cox HR",
                 "hr": float(uni["hr"]), "hr_lower": float(uni["hr_lower"]), "hr_upper": float(uni["hr_upper"])})
    return pd.DataFrame([_paper_row(reg), ours, *_STUDIES]).set_index("study")
