"""Every figure of the notebooks except the assay plates' (helpers.assay_plots), one function
per figure. Each takes what the notebook has already computed and returns the matplotlib
Figure; the notebook shows it with helpers.notebook.publish (cohort label, files for slides).
Colours come from helpers.style, so a group has the same colour everywhere. Nothing here
computes a statistic, except the Kaplan-Meier step functions drawn (km_curve, via lifelines)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import NullFormatter

from helpers import analysis, appraisal, sensitivity, style
from helpers.style import HIGH_IL6, LOW_IL6, NON_RESPONDER, NOT_EVALUABLE, OKABE_ITO, RESPONDER, p_text

CUTOFF_LINE = {"color": "0.15", "ls": "--", "lw": 1}  # the IL-6 cut-off, in every figure
LLOQ_LINE = {"color": "0.45", "ls": ":", "lw": 1.2}


def _plain_log_ticks(axis) -> None:
    """Label a log axis with plain numbers (1.5, 2, 3) and no minor labels."""
    axis.set_major_formatter(style.PlainLogFormatter(labelOnlyBase=False))
    axis.set_minor_formatter(NullFormatter())


def _il6_groups(cutoff_pg_ml: float) -> dict:
    """Legend text of the two IL-6 groups, and their colours."""
    return {f"IL-6 > {cutoff_pg_ml:g} pg/ml": HIGH_IL6, f"IL-6 ≤ {cutoff_pg_ml:g} pg/ml": LOW_IL6}


# --- 02 · cohort and cytokines -------------------------------------------------------------

def il6_distribution(t: pd.DataFrame, detect: pd.DataFrame, above: dict, cutoff_pg_ml: float):
    """Notebook 02: histogram of IL-6 (log scale) over one jittered dot per patient, with the
    cut-off and the IL-6 LLOQ (a line, or a band when plates differ)."""
    il6, censored = t["il6"], t["il6_censored"] == "left"
    lloq_low, lloq_high = detect.loc["IL6", ["lloq_low_pg_ml", "lloq_high_pg_ml"]]
    bins = np.logspace(np.log10(il6.min() / 1.5), np.log10(il6.max() * 1.5), 25)
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(7, 4.8), height_ratios=[2, 1])
    top.hist(il6, bins=bins, color="0.8", edgecolor="0.3")
    top.set(ylabel="patients", title=f"Serum IL-6: {above['above']} of {above['n']} patients above {cutoff_pg_ml:g} pg/ml")
    high = il6 > cutoff_pg_ml
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(il6))  # vertical spread only, so the dots do not overlap
    for mask, look, label in [(~censored & ~high, dict(color=LOW_IL6), f"IL-6 ≤ {cutoff_pg_ml:g} pg/ml"),
                              (~censored & high, dict(color=HIGH_IL6), f"IL-6 > {cutoff_pg_ml:g} pg/ml"),
                              (censored, dict(color="0.4", marker="v"), "below LLOQ (drawn at LLOQ/2)")]:
        bottom.scatter(il6[mask], jitter[mask], s=22, label=label, **look)
    for ax in (top, bottom):
        ax.axvline(cutoff_pg_ml, **CUTOFF_LINE, label=f"cut-off {cutoff_pg_ml:g} pg/ml")
        if lloq_low == lloq_high:
            ax.axvline(lloq_low, **LLOQ_LINE, label=f"LLOQ {lloq_low:.3g} pg/ml")
        else:
            ax.axvspan(lloq_low, lloq_high, color="0.85", label=f"LLOQ {lloq_low:.3g}-{lloq_high:.3g} pg/ml")
    top.legend(fontsize=8, loc="upper right")
    bottom.set(xscale="log", xlabel="IL-6 (pg/ml, log scale)", yticks=[], ylim=(-0.45, 1.0))
    handles, labels = bottom.get_legend_handles_labels()
    bottom.legend(handles[:3], labels[:3], fontsize=7, loc="upper center", ncol=3, frameon=False)
    fig.tight_layout()
    return fig


# --- 03 · IL-6 and disease extent ----------------------------------------------------------

def il6_by_extent(t: pd.DataFrame, comparisons: pd.DataFrame, lloq: float, cutoff_pg_ml: float):
    """Notebook 03: 2x2 strip plots of IL-6 for the four disease-extent comparisons (R07-R10),
    with each group's median and IQR, the LLOQ and the cut-off; dots coloured by IL-6 group."""
    rng = np.random.default_rng(0)  # sideways jitter only
    censored = t["il6_censored"] != ""
    fig, axes = plt.subplots(2, 2, figsize=(9, 8), sharey=True)
    for ax, (prefix, (label, a, b)) in zip(axes.flat, analysis.il6_comparisons(t).items()):
        row = comparisons.loc[prefix]
        for x, (mask, g) in enumerate([(a, "a"), (b, "b")]):
            jitter = x + rng.uniform(-0.12, 0.12, mask.sum())
            shown = censored[mask].to_numpy()
            values = t.loc[mask, "il6"].to_numpy(float)
            colours = np.where(values > cutoff_pg_ml, HIGH_IL6, LOW_IL6)
            ax.scatter(jitter[~shown], values[~shown], s=22, alpha=0.8, color=colours[~shown])
            ax.scatter(jitter[shown], values[shown], s=40, marker="v", facecolor="none", edgecolor="k")
            ax.vlines(x + 0.28, row[f"q1_{g}"], row[f"q3_{g}"], color="0.55", lw=5)
            ax.hlines(row[f"median_{g}"], x - 0.25, x + 0.35, color="k", lw=2)
        ax.axhline(lloq, **LLOQ_LINE)
        ax.axhline(cutoff_pg_ml, **CUTOFF_LINE)
        ax.set(xticks=[0, 1], xticklabels=[f"{row['group_a']}\n(n = {row['n_a']})", f"{row['group_b']}\n(n = {row['n_b']})"],
               xlim=(-0.6, 1.6), yscale="log", title=f"{prefix}: {p_text(row['p_normal'])} (Mann-Whitney)")
        ax.title.set_fontsize(10)
    for ax in axes[:, 0]:
        ax.set_ylabel("serum IL-6 (pg/ml)")
    handles = [*(plt.Line2D([], [], marker="o", ls="", color=c, label=k) for k, c in _il6_groups(cutoff_pg_ml).items()),
               plt.Line2D([], [], marker="v", ls="", mfc="none", mec="k", label="below LLOQ (drawn at LLOQ/2)"),
               plt.Line2D([], [], color="k", lw=2, label="median"),
               plt.Line2D([], [], color="0.55", lw=5, label="interquartile range"),
               plt.Line2D([], [], **LLOQ_LINE, label=f"LLOQ {lloq:.3g} pg/ml"),
               plt.Line2D([], [], **CUTOFF_LINE, label=f"cut-off {cutoff_pg_ml:g} pg/ml")]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize=8, frameon=False)
    fig.suptitle("Serum IL-6 by extent of metastatic disease")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


# --- 05 · IL-6 and treatment response ------------------------------------------------------

def il6_by_response(t: pd.DataFrame, row: pd.Series, categories: list, counts: pd.Series,
                    lloq: float, cutoff_pg_ml: float):
    """Notebook 05: IL-6 by response category (CR, PR, NC, PD, NE) in the responder and
    non-responder colours, with the two group medians from the R12 comparison `row`."""
    rng = np.random.default_rng(0)  # sideways jitter only
    censored = t["il6_censored"] != ""
    colour = {"CR": RESPONDER, "PR": RESPONDER, "NC": NON_RESPONDER, "PD": NON_RESPONDER, "NE": NOT_EVALUABLE}
    fig, ax = plt.subplots(figsize=(6.5, 4.8))
    for x, cat in enumerate(categories):
        g = t[t["response"] == cat]
        jitter = x + rng.uniform(-0.15, 0.15, len(g))
        c = censored[g.index].to_numpy()
        ax.scatter(jitter[~c], g["il6"][~c], s=25, alpha=0.8, color=colour[cat])
        ax.scatter(jitter[c], g["il6"][c], s=40, marker="v", facecolor="none", edgecolor=colour[cat])
    for x0, x1, g in ((0, 1, "b"), (2, 3, "a")):  # group medians: responders (CR + PR), non-responders (NC + PD)
        ax.hlines(row[f"median_{g}"], x0 - 0.3, x1 + 0.3, color="k", lw=2)
    ax.axhline(lloq, **LLOQ_LINE)
    ax.axhline(cutoff_pg_ml, **CUTOFF_LINE)
    ax.set(xticks=range(len(categories)), xticklabels=[f"{c}\n(n = {counts[c]})" for c in categories],
           yscale="log", ylabel="serum IL-6 (pg/ml)", xlabel="objective response",
           title=f"IL-6 by response: non-responders vs responders, {p_text(row['p_normal'])}")
    ax.title.set_fontsize(10)
    handles = [plt.Line2D([], [], marker="o", ls="", color=RESPONDER, label="responder (CR, PR)"),
               plt.Line2D([], [], marker="o", ls="", color=NON_RESPONDER, label="non-responder (NC, PD)"),
               plt.Line2D([], [], marker="o", ls="", color=NOT_EVALUABLE, label="not evaluable (excluded)"),
               plt.Line2D([], [], marker="v", ls="", mfc="none", mec="k", label="below LLOQ (drawn at LLOQ/2)"),
               plt.Line2D([], [], color="k", lw=2, label="group median"),
               plt.Line2D([], [], **LLOQ_LINE, label=f"LLOQ {lloq:.3g} pg/ml"),
               plt.Line2D([], [], **CUTOFF_LINE, label=f"cut-off {cutoff_pg_ml:g} pg/ml")]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


# --- Kaplan-Meier curves (06, 09) ----------------------------------------------------------

def km_curve(durations, events, ci: bool = False) -> dict:
    """Kaplan-Meier step function of one group (numpy; equal to lifelines'): time (0 and every
    distinct duration), survival, the censored times with the survival there, the sorted
    durations (for the numbers at risk) and, with `ci`, lifelines' pointwise 95 % band (lower,
    upper)."""
    durations, events = np.asarray(durations, float), np.asarray(events, bool)
    time = np.unique(np.concatenate([[0.0], durations]))
    order = np.sort(durations)
    at_risk_n = len(order) - np.searchsorted(order, time, side="left")
    dead = np.sort(durations[events])  # deaths at each time, counted by searchsorted: O(n log n)
    deaths = np.searchsorted(dead, time, side="right") - np.searchsorted(dead, time, side="left")
    survival = np.cumprod(1 - np.divide(deaths, at_risk_n, out=np.zeros(len(time)), where=at_risk_n > 0))
    censored = np.sort(durations[~events])
    curve = {"time": time, "survival": survival, "censored_time": censored,
             "censored_survival": survival[np.searchsorted(time, censored, side="right") - 1], "durations": order}
    if ci:
        from lifelines import KaplanMeierFitter

        band = KaplanMeierFitter().fit(durations, events).confidence_interval_survival_function_
        curve["lower"], curve["upper"] = band.iloc[:, 0].to_numpy(float), band.iloc[:, 1].to_numpy(float)
    return curve


def at_risk(durations, times) -> list[int]:
    """Patients still at risk (followed at least that long) at each of `times`."""
    durations = np.sort(np.asarray(durations, float))
    return [int(len(durations) - np.searchsorted(durations, x, side="left")) for x in times]


def km_plot(ax, curves: list[dict], xmax: float | None = None, fontsize: float = 8) -> dict:
    """Kaplan-Meier curves on `ax` (steps, censored times as ticks, the 95 % band where a curve
    has one) with the numbers at risk under the axis. Each curve is a km_curve dict with
    "label" (legend), "short" (row of the at-risk table) and "colour". Returns the artists, per
    curve: "lines", "censors", "rows" (row labels) and "risk" (the counts, one per tick)."""
    artists = {"lines": [], "censors": [], "rows": [], "risk": []}
    for c in curves:
        if "lower" in c:
            ax.fill_between(c["time"], c["lower"], c["upper"], step="post", color=c["colour"], alpha=0.15, lw=0)
        artists["lines"] += ax.step(c["time"], c["survival"], where="post", color=c["colour"], lw=1.6, label=c["label"])
        artists["censors"] += ax.plot(c["censored_time"], c["censored_survival"], "|", color=c["colour"], ms=7)
    if xmax is None:
        xmax = max((c["durations"].max() for c in curves if len(c["durations"])), default=1.0)
    ax.set(ylim=(0, 1.03), xlim=(0, xmax * 1.02), xlabel="Months from blood sampling", ylabel="Overall survival")
    ticks = [x for x in ax.get_xticks() if 0 <= x <= xmax * 1.02]
    ax.set_xticks(ticks)
    below = {"xycoords": ("data", "axes fraction"), "textcoords": "offset points", "fontsize": fontsize}
    ax.annotate("Number at risk", xy=(0, 0), xycoords="axes fraction", xytext=(0, -40), textcoords="offset points",
                fontsize=fontsize, ha="left", va="top", fontweight="bold")
    for row, c in enumerate(curves):
        y = -40 - 1.5 * fontsize * (row + 1)
        artists["rows"].append(ax.annotate(c["short"], xy=(0, 0), xycoords="axes fraction", xytext=(-14, y),
                                           textcoords="offset points", fontsize=fontsize, ha="right", va="top",
                                           color=c["colour"]))
        artists["risk"].append([ax.annotate(str(n), xy=(x, 0), xytext=(0, y), ha="center", va="top",
                                            color=c["colour"], **below)
                                for x, n in zip(ticks, at_risk(c["durations"], ticks))])
    artists["ticks"] = ticks
    return artists


# --- 05 · response rate and ROC --------------------------------------------------------------

def response_rate(table: pd.DataFrame, fisher_p: float, diff, cutoff_pg_ml: float):
    """Notebook 05: response rate above vs at or below the cut-off (bars in the IL-6 group
    colours, k of n on each), with Fisher's P and the rate difference and its CI in the title.
    `table` has rows above, then at or below, and responders / evaluable / response_rate."""
    fig, ax = plt.subplots(figsize=(5.4, 4))
    labels, colours = zip(*_il6_groups(cutoff_pg_ml).items())
    ax.bar(range(2), table["response_rate"], color=colours, width=0.6)
    for x, (_, r) in enumerate(table.iterrows()):
        ax.text(x, r["response_rate"] + 0.02, f"{int(r['responders'])} of {int(r['evaluable'])} ({r['response_rate']:.0%})",
                ha="center", fontsize=9)
    ax.set(xticks=range(2), xticklabels=labels, ylim=(0, 1), ylabel="objective response rate (CR + PR)",
           title=f"Response by IL-6 group, Fisher {p_text(fisher_p)}\n"
                 f"difference {100 * diff.difference:+.0f} percentage points "
                 f"(95 % CI {100 * diff.lower:+.0f} to {100 * diff.upper:+.0f})")
    ax.title.set_fontsize(10)
    fig.tight_layout()
    return fig


def roc_plot(roc: pd.DataFrame, area: float, sensitivity: float, specificity: float, n_non: int, n_resp: int,
             cutoff_pg_ml: float):
    """Notebook 05: the ROC curve of IL-6 for non-response (`roc` has fpr, tpr), the chance
    diagonal, and the paper's cut-off as one point."""
    fig, ax = plt.subplots(figsize=(5.2, 5))
    ax.plot(roc["fpr"], roc["tpr"], marker=".", ms=4, lw=1.5, color="k", label=f"IL-6, AUC = {area:.2f}")
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="no discrimination (AUC = 0.5)")
    ax.scatter(1 - specificity, sensitivity, s=70, marker="s", color=HIGH_IL6, zorder=3,
               label=f"cut-off: IL-6 > {cutoff_pg_ml:g} pg/ml")
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), aspect="equal",
           xlabel="1 − specificity (responders called non-responders)", ylabel="sensitivity (non-responders called)",
           title=f"ROC: IL-6 for non-response ({n_non} vs {n_resp} patients)")
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


# --- 07 · scorecard ------------------------------------------------------------------------

def _text_colour(background: str) -> str:
    """Black or white, whichever reads better on `background`."""
    r, g, b = (int(background.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"


def verdict_strip(card: pd.DataFrame, counts: pd.Series):
    """Notebook 07: one box per registry row in its verdict's colour, the row id written in it,
    and the verdict counts in the legend (replication verdicts in their own colours)."""
    colours = style.VERDICT_COLOURS if set(card["verdict"]) <= set(style.VERDICT_COLOURS) else style.REPLICATION_COLOURS
    fig, ax = plt.subplots(figsize=(9, 2.1))
    for i, (rid, row) in enumerate(card.iterrows()):
        colour = colours[row["verdict"]]
        ax.add_patch(plt.Rectangle((i, 0), 0.92, 1, color=colour))
        ax.text(i + 0.46, 0.5, rid, rotation=90, ha="center", va="center", fontsize=8, color=_text_colour(colour))
    ax.set(xlim=(0, len(card)), ylim=(0, 1), yticks=[], xticks=[], title="Registry rows by verdict")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()],
              labels=[f"{v} ({counts.get(v, 0)})" for v in colours], ncol=4, fontsize=9, loc="upper center",
              bbox_to_anchor=(0.5, -0.05), frameon=False)
    fig.tight_layout()
    return fig


# --- 08 · appraisal ------------------------------------------------------------------------

def remark_items(remark: pd.DataFrame):
    """Notebook 08: the 20 REMARK items (index), each a bar in the colour of how far the
    abstract covers it (column reported: yes, partly, no), the answer written in it."""
    colours = style.REPORTING_COLOURS
    fig, ax = plt.subplots(figsize=(9, 2.1))
    ax.bar(remark.index, 1, width=0.9, color=[colours[r] for r in remark["reported"]])
    for x, r in zip(remark.index, remark["reported"]):
        ax.text(x, 0.5, r, rotation=90, ha="center", va="center", fontsize=8, color=_text_colour(colours[r]))
    ax.set(xticks=remark.index, yticks=[], xlim=(remark.index.min() - 0.6, remark.index.max() + 0.6),
           xlabel="REMARK item", title="Which REMARK items the abstract covers")
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()], labels=list(colours),
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def p_value_ranks(pvals: pd.DataFrame, alpha: float):
    """Notebook 08: every P value of the set in rank order (column p; one colour and marker per
    column family) against the Holm and Benjamini-Hochberg thresholds and alpha."""
    n_tests = len(pvals)
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    ordered = pvals.sort_values("p").reset_index(drop=True)
    rank = np.arange(1, n_tests + 1)
    for (family, g), colour, marker in zip(ordered.groupby("family", sort=False), style.CYCLE, "osD^vP*X"):
        ax.scatter(g.index + 1, g["p"], s=30, color=colour, marker=marker, label=family, zorder=3)
    ax.step(rank, alpha / (n_tests - rank + 1), where="mid", color="k", lw=1, label="Holm threshold α/(m − i + 1)")
    ax.plot(rank, alpha * rank / n_tests, color="0.4", ls="--", lw=1, label="BH threshold i·α/m")
    ax.axhline(alpha, color="0.6", ls=":", lw=1, label=f"unadjusted α = {alpha:g}")
    ax.set(yscale="log", xlabel="rank i of the P value (smallest first)", ylabel="P (log scale)",
           title=f"All {n_tests} P values of the notebook set")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def min_p_curve(curve: pd.DataFrame, best, alpha: float, ls_threshold: float, cutoff_pg_ml: float):
    """Notebook 08: -log10 log-rank P at every candidate cut-off, with the unadjusted and the
    Lausen-Schumacher thresholds, the fixed cut-off and the minimum-P cut-off `best`."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.plot(curve["cutoff"], -np.log10(curve["p"]), marker="o", ms=3.5, lw=1, color=OKABE_ITO["blue"],
            label="log-rank P at each candidate")
    ax.axhline(-np.log10(alpha), color="0.5", ls=":", lw=1, label=f"P = {alpha:g} (no search)")
    ax.axhline(-np.log10(ls_threshold), color=OKABE_ITO["vermillion"], ls="--", lw=1,
               label=f"P = {style.format_p(ls_threshold)}: needed after a search (Lausen-Schumacher)")
    ax.axvline(cutoff_pg_ml, **CUTOFF_LINE, label=f"fixed cut-off {cutoff_pg_ml:g} pg/ml")
    ax.scatter([best.cutoff], [-np.log10(best.p)], s=90, facecolor="none", edgecolor=OKABE_ITO["vermillion"], lw=1.5,
               zorder=4, label=f"minimum P at {best.cutoff:.2f} pg/ml")
    ax.set(xscale="log", xlabel="candidate cut-off c (pg/ml): high = IL-6 > c", ylabel="−log10 P",
           title="Log-rank P across candidate IL-6 cut-offs")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def min_p_null_histogram(perm, best, alpha: float, n_permutations: int):
    """Notebook 08: histogram of log10 minimum P over the permuted (no-effect) data sets `perm`,
    against alpha and the observed minimum P of `best`."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    log_min_p = np.log10(perm.permuted_min_p)
    left = min(np.log10(best.p), np.quantile(log_min_p, 0.002)) - 0.3
    ax.hist(np.clip(log_min_p, left, 0), bins=np.linspace(left, 0, 41), color="0.75", edgecolor="white")
    ax.axvline(np.log10(alpha), color="0.3", ls=":", lw=1.2, label=f"P = {alpha:g}")
    ax.axvline(np.log10(best.p), color=OKABE_ITO["vermillion"], lw=1.5, label=f"observed minimum {p_text(best.p)}")
    ax.set(xlim=(left, 0.05), xlabel="log10 of the minimum P over candidate cut-offs (leftmost bin: all below)", ylabel="shuffled data sets",
           title=f"Minimum-P search on {n_permutations} data sets with no IL-6 effect")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def events_per_variable(epv: pd.DataFrame):
    """Notebook 08: events per variable as covariates are added (bars; vermillion below 10), and the
    IL-6 hazard ratio with its 95 % CI in each model (from appraisal.epv_table)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1, 1.3]})
    ax1.bar(epv["coefficients"], epv["epv"],
            color=[OKABE_ITO["blue"] if e >= 10 else OKABE_ITO["vermillion"] for e in epv["epv"]])
    ax1.axhline(10, color="k", ls="--", lw=1, label="10 events per variable")
    ax1.set(xlabel="coefficients in the model", ylabel="events per variable", title="Events per variable")
    ax1.legend(fontsize=8)
    y = epv["coefficients"].to_numpy()
    ax2.errorbar(epv["hr"], y, xerr=[epv["hr"] - epv["hr_lower"], epv["hr_upper"] - epv["hr"]], fmt="o", color="k", capsize=3)
    ax2.axvline(1, color="0.5", ls=":", lw=1)
    ax2.set(xscale="log", yticks=y, yticklabels=[f"{k} (EPV {e:.1f})" for k, e in zip(y, epv["epv"])],
            xlabel="hazard ratio of IL-6 above the cut-off (95 % CI)", title="IL-6 as covariates are added")
    _plain_log_ticks(ax2.xaxis)
    ax2.set_xticks([t_ for t_ in (1, 1.5, 2, 3, 5, 8, 12, 20) if ax2.get_xlim()[0] <= t_ <= ax2.get_xlim()[1]])
    ax2.invert_yaxis()
    fig.tight_layout()
    return fig


STUDY_COMPARISON_NAMES = {"sites": "more than one site\nvs one", "visceral": "dominant visceral\nvs bone / soft tissue",
                          "liver": "liver metastasis\nvs none", "effusion": "pleural effusion\nvs none"}


def related_studies(studies: pd.DataFrame, multi: pd.Series, hr_compare: pd.DataFrame, best_cutoff: float,
                    cutoff_pg_ml: float, study_label: str):
    """Notebook 08: left, group medians of IL-6 by study for the four disease-extent comparisons
    (from appraisal.related_studies); right, our hazard ratios (univariable, multivariable `multi`,
    minimum-P cut-off from row 2 of `hr_compare`) against Lin 2015's pooled HR."""
    with_medians = studies.dropna(subset=["sites_high"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.3), gridspec_kw={"width_ratios": [1.2, 1]})
    offsets = np.linspace(-0.22, 0.22, len(with_medians))
    for (name, row), dy, colour in zip(with_medians.iterrows(), offsets, ["k", OKABE_ITO["blue"], OKABE_ITO["orange"]]):
        for i, comp in enumerate(appraisal.COMPARISONS):
            lo, hi = row[f"{comp}_low"], row[f"{comp}_high"]
            ax1.plot([lo, hi], [i + dy] * 2, color=colour, lw=1.2)
            ax1.scatter([lo], [i + dy], marker="o", facecolor="white", edgecolor=colour, zorder=3)
            ax1.scatter([hi], [i + dy], marker="o", color=colour, zorder=3, label=name if i == 0 else None)
    ax1.axvline(cutoff_pg_ml, **CUTOFF_LINE)
    ax1.set(xscale="log", yticks=range(4), yticklabels=[STUDY_COMPARISON_NAMES[c] for c in appraisal.COMPARISONS],
            xlabel="median IL-6 (pg/ml): open = less disease, filled = more (dashed: cut-off)", title="Group medians by study")
    ax1.invert_yaxis()
    _plain_log_ticks(ax1.xaxis)
    ax1.set_xticks([1, 2, 4, 8, 16])
    ax1.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    pooled, pooled_lo, pooled_hi = appraisal.LIN_2015_POOLED_HR
    rows = [(f"{study_label}: univariable, > {cutoff_pg_ml:g} pg/ml", studies.loc[study_label, ["hr", "hr_lower", "hr_upper"]].to_numpy(float)),
            (f"{study_label}: multivariable, > {cutoff_pg_ml:g} pg/ml", multi[["hr", "hr_lower", "hr_upper"]].to_numpy(float)),
            (f"{study_label}: minimum-P cut-off {best_cutoff:.2f}", hr_compare.iloc[1][["hr", "hr_lower", "hr_upper"]].to_numpy(float)),
            ("Lin 2015 pooled (13 studies)", np.array([pooled, pooled_lo, pooled_hi]))]
    ax2.axvspan(pooled_lo, pooled_hi, color=OKABE_ITO["bluish green"], alpha=0.2, label="pooled 95 % CI (Lin 2015)")
    ax2.axvline(pooled, color=OKABE_ITO["bluish green"], lw=1)
    for y_, (label, (hr, lo, hi)) in enumerate(rows):
        ax2.errorbar(hr, y_, xerr=[[hr - lo], [hi - hr]], fmt="s" if label.startswith("Lin") else "o",
                     color=OKABE_ITO["bluish green"] if label.startswith("Lin") else "k", capsize=3)
    ax2.axvline(1, color="0.5", ls=":", lw=1)
    ax2.set(xscale="log", yticks=range(len(rows)), yticklabels=[r[0] for r in rows],
            xlabel="hazard ratio for death, high vs low IL-6 (95 % CI)", title="Overall survival: hazard ratios")
    ax2.invert_yaxis()
    _plain_log_ticks(ax2.xaxis)
    ax2.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


# --- A1 · reconstruction -------------------------------------------------------------------

def truth_vs_measured(il6: pd.DataFrame):
    """Notebook A1: cleaned IL-6 against the generator's true IL-6 (log-log, identity line),
    and the assay error in percent; `il6` has true_pg_ml, il6, il6_status and error_pct."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.3))
    for status, marker, name, colour in (("quantified", "o", "quantified", OKABE_ITO["blue"]),
                                         ("below_lloq", "v", "below LLOQ", OKABE_ITO["orange"]),
                                         ("above_uloq", "^", "above ULOQ", OKABE_ITO["reddish purple"])):
        s = il6[il6["il6_status"] == status]
        if len(s):
            ax1.scatter(s["true_pg_ml"], s["il6"], marker=marker, s=28, color=colour, label=f"{name} ({len(s)})")
            ax2.scatter(s["true_pg_ml"], s["error_pct"], marker=marker, s=28, color=colour)
    lims = [il6[["true_pg_ml", "il6"]].min().min() / 1.5, il6[["true_pg_ml", "il6"]].max().max() * 1.5]
    ax1.plot(lims, lims, color="0.5", lw=1, ls="--", label="measured = true")
    ax1.set(xscale="log", yscale="log", xlim=lims, ylim=lims, xlabel="True IL-6 put into the sample (pg/ml)",
            ylabel="IL-6 after cleaning (pg/ml)", title="Cleaned against true IL-6")
    ax1.legend(fontsize=8)
    ax2.axhline(0, color="0.5", lw=1, ls="--")
    ax2.set(xscale="log", xlabel="True IL-6 (pg/ml)", ylabel="Measured / true - 1 (%)", title="Assay error")
    fig.tight_layout()
    return fig


DESIGN_MEDIAN_IDS = ("R07a", "R07b", "R08a", "R08b", "R09a", "R09b", "R10a", "R10b")


def il6_design_layout(t: pd.DataFrame, registry: pd.DataFrame, cutoff_pg_ml: float):
    """Notebook A1: top, measured IL-6 in rank order with the printed group medians (labelled
    by registry id), the patients either side of the cut-off and each group's median patient;
    bottom, which ranks belong to each disease-extent and response group."""
    ranked = t.assign(rank=t["il6"].rank(method="first").astype(int)).sort_values("rank")
    rows = {"more than one site": ranked["multiple_sites"], "dominant visceral": ranked["visceral"],
            "liver metastasis": ranked["liver_metastasis"], "pleural effusion": ranked["pleural_effusion"],
            "non-responder (NC/PD)": ranked["responder"] == False,  # noqa: E712
            "responder (CR/PR)": ranked["responder"] == True}  # noqa: E712
    row_colours = {"non-responder (NC/PD)": NON_RESPONDER, "responder (CR/PR)": RESPONDER}
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.2), sharex=True, gridspec_kw={"height_ratios": [1.5, 1]})
    top.scatter(ranked["rank"], ranked["il6"], s=18, color="0.35", zorder=2, label="patient")
    top.axhline(cutoff_pg_ml, **CUTOFF_LINE, label=f"cut-off {cutoff_pg_ml:g} pg/ml")
    edge = pd.concat([ranked[ranked["il6"] <= cutoff_pg_ml].tail(1), ranked[ranked["il6"] > cutoff_pg_ml].head(1)])
    top.scatter(edge["rank"], edge["il6"], s=90, facecolor="none", edgecolor=HIGH_IL6, lw=1.5, zorder=3,
                label="either side of the cut-off")
    printed = sorted(((rid, float(registry.loc[rid, "reported"])) for rid in DESIGN_MEDIAN_IDS), key=lambda kv: kv[1])
    label_y = []
    for rid, value in printed:  # spread the labels so close medians stay readable
        label_y.append(max(np.log10(value), label_y[-1] + 0.17) if label_y else np.log10(value))
        top.axhline(value, color=OKABE_ITO["blue"], lw=0.6, alpha=0.4, zorder=1)
        top.plot([46.8, 48], [value, 10 ** label_y[-1]], color=OKABE_ITO["blue"], lw=0.6)
        top.text(48.2, 10 ** label_y[-1], f"{rid} {registry.loc[rid, 'reported']}", fontsize=7, va="center", color=OKABE_ITO["blue"])
    for _, a_mask, b_mask in (v for k, v in analysis.il6_comparisons(ranked).items() if k != "R12"):
        for mask in (a_mask, b_mask):
            member = ranked[mask.to_numpy()]
            top.scatter(member["rank"].iloc[len(member) // 2], member["il6"].iloc[len(member) // 2], s=70,
                        facecolor="none", edgecolor=OKABE_ITO["blue"], zorder=3)
    top.scatter([], [], s=70, facecolor="none", edgecolor=OKABE_ITO["blue"], label="a group's median patient")
    top.set(yscale="log", ylabel="IL-6 after cleaning (pg/ml)",
            title="Measured IL-6 in rank order; printed medians (blue lines) and the cut-off (dashed)")
    top.legend(fontsize=8, loc="upper left")
    for y, (name, member) in enumerate(rows.items()):
        x = ranked["rank"][member.to_numpy()]
        bottom.scatter(x, np.full(len(x), y), marker="s", s=30, color=row_colours.get(name, "0.35"))
        if len(x):
            bottom.scatter(x.iloc[len(x) // 2], y, marker="|", s=260, color="k", linewidths=2)
    bottom.set(yticks=range(len(rows)), yticklabels=list(rows), ylim=(len(rows) - 0.5, -0.5),
               xlabel="IL-6 rank (1 = lowest)", xlim=(0, 54))
    fig.tight_layout()
    return fig


VERDICT_COLOURS = {"reproduced": style.VERDICT_COLOURS["reproduced"],
                   "direction only": style.VERDICT_COLOURS["direction only"],
                   "not reproduced": style.VERDICT_COLOURS["not reproduced"],
                   sensitivity.BUILD_FAILED: "#CCCCCC", sensitivity.CHECK_FAILED: "#666666",
                   "not computable": style.VERDICT_COLOURS["not computable"]}  # the order codes the matrix


def verdict_matrix(matrix: pd.DataFrame, outcomes: list):
    """Notebook A1: scenario x registry row, coloured by verdict (grey when the rebuild failed,
    with the reason written across the row); `matrix` from sensitivity.verdict_matrix(outcomes)."""
    colours = VERDICT_COLOURS
    codes = matrix.map(sensitivity.outcome).map(list(colours).index)
    fig, ax = plt.subplots(figsize=(12, 0.38 * len(matrix) + 1.8))
    ax.imshow(codes.to_numpy(), cmap=ListedColormap(list(colours.values())), vmin=0, vmax=len(colours) - 1,
              aspect="auto", interpolation="nearest")
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=90, fontsize=8)
    ax.set_yticks(range(len(matrix)), matrix.index, fontsize=8)
    ax.set_xticks(np.arange(-0.5, matrix.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, len(matrix)), minor=True)
    ax.grid(which="minor", color="white", lw=1)
    ax.tick_params(which="minor", length=0)
    for i, o in enumerate(outcomes):
        if o.status != "built":
            text = f"{o.status}: {o.reason}"
            ax.text(matrix.shape[1] / 2, i, text if len(text) < 190 else text[:187] + "...", ha="center",
                    va="center", fontsize=6.5)
    ax.legend(handles=[Patch(color=c, label=k) for k, c in colours.items()], ncol=5, fontsize=8,
              loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.5 / len(matrix)), frameon=False)
    ax.set_title("Verdict of each registry row in each rebuild")
    fig.tight_layout()
    return fig
