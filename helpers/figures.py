"""The notebooks' larger figures (notebooks 02, 03, 05, 08 and A1), one function per figure.
Each takes what the notebook has already computed and returns the matplotlib Figure; the
notebook stamps it with the cohort label. Nothing here computes a statistic."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter

from helpers import analysis, appraisal, sensitivity


def _plain_log_ticks(axis) -> None:
    """Label a log axis with plain numbers (1.5, 2, 3) and no minor labels."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


# --- 02 · cohort and cytokines -------------------------------------------------------------

def il6_distribution(t: pd.DataFrame, detect: pd.DataFrame, above: dict, cutoff_pg_ml: float):
    """Notebook 02: histogram of IL-6 (log scale) over one jittered dot per patient, with the
    cut-off and the IL-6 LLOQ (a line, or a band when plates differ)."""
    il6, censored = t["il6"], t["il6_censored"] == "left"
    lloq_low, lloq_high = detect.loc["IL6", ["lloq_low_pg_ml", "lloq_high_pg_ml"]]
    bins = np.logspace(np.log10(il6.min() / 1.5), np.log10(il6.max() * 1.5), 25)
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(7, 4.8), height_ratios=[2, 1])
    top.hist(il6, bins=bins, color="0.7", edgecolor="0.3")
    top.set(ylabel="patients", title=f"Serum IL-6: {above['above']} of {above['n']} patients above {cutoff_pg_ml:g} pg/ml")
    high = il6 > cutoff_pg_ml
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(il6))  # vertical spread only, so the dots do not overlap
    for mask, style, label in [(~censored & ~high, dict(color="tab:blue"), f"quantified, ≤ {cutoff_pg_ml:g}"),
                               (~censored & high, dict(color="tab:red"), f"quantified, > {cutoff_pg_ml:g}"),
                               (censored, dict(color="0.4", marker="v"), "below LLOQ (drawn at LLOQ/2)")]:
        bottom.scatter(il6[mask], jitter[mask], s=22, label=label, **style)
    for ax in (top, bottom):
        ax.axvline(cutoff_pg_ml, color="k", ls="--", lw=1, label=f"cut-off {cutoff_pg_ml:g} pg/ml")
        if lloq_low == lloq_high:
            ax.axvline(lloq_low, color="0.4", ls=":", lw=1.2, label=f"LLOQ {lloq_low:.3g} pg/ml")
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
    with each group's median and IQR, the LLOQ and the cut-off."""
    rng = np.random.default_rng(0)  # sideways jitter only
    censored = t["il6_censored"] != ""
    fig, axes = plt.subplots(2, 2, figsize=(9, 8), sharey=True)
    for ax, (prefix, (label, a, b)) in zip(axes.flat, analysis.il6_comparisons(t).items()):
        row = comparisons.loc[prefix]
        for x, (mask, g) in enumerate([(a, "a"), (b, "b")]):
            jitter = x + rng.uniform(-0.12, 0.12, mask.sum())
            shown = censored[mask].to_numpy()
            ax.scatter(jitter[~shown], t.loc[mask, "il6"][~shown], s=22, alpha=0.75, color=f"C{x}")
            ax.scatter(jitter[shown], t.loc[mask, "il6"][shown], s=40, marker="v", facecolor="none", edgecolor="k")
            ax.vlines(x + 0.28, row[f"q1_{g}"], row[f"q3_{g}"], color="0.55", lw=5)
            ax.hlines(row[f"median_{g}"], x - 0.25, x + 0.35, color="k", lw=2)
        ax.axhline(lloq, color="0.4", ls=":", lw=1)
        ax.axhline(cutoff_pg_ml, color="0.4", ls="--", lw=1)
        ax.set(xticks=[0, 1], xticklabels=[f"{row['group_a']}\n(n = {row['n_a']})", f"{row['group_b']}\n(n = {row['n_b']})"],
               xlim=(-0.6, 1.6), yscale="log", title=f"{prefix}: P = {row['p_normal']:.2g} (Mann-Whitney)")
        ax.title.set_fontsize(10)
    for ax in axes[:, 0]:
        ax.set_ylabel("serum IL-6 (pg/ml)")
    handles = [plt.Line2D([], [], marker="o", ls="", color="0.4", label="IL-6 quantified"),
               plt.Line2D([], [], marker="v", ls="", mfc="none", mec="k", label="below LLOQ (drawn at LLOQ/2)"),
               plt.Line2D([], [], color="k", lw=2, label="median"),
               plt.Line2D([], [], color="0.55", lw=5, label="interquartile range"),
               plt.Line2D([], [], color="0.4", ls=":", label=f"LLOQ {lloq:.3g} pg/ml"),
               plt.Line2D([], [], color="0.4", ls="--", label=f"cut-off {cutoff_pg_ml:g} pg/ml")]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.025), ncol=3, fontsize=8, frameon=False)
    fig.suptitle("Serum IL-6 by extent of metastatic disease")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


# --- 05 · IL-6 and treatment response ------------------------------------------------------

def il6_by_response(t: pd.DataFrame, row: pd.Series, categories: list, counts: pd.Series,
                    lloq: float, cutoff_pg_ml: float):
    """Notebook 05: IL-6 by response category (CR, PR, NC, PD, NE), responders blue and
    non-responders red, with the two group medians from the R12 comparison `row`."""
    rng = np.random.default_rng(0)  # sideways jitter only
    censored = t["il6_censored"] != ""
    colour = {"CR": "C0", "PR": "C0", "NC": "C3", "PD": "C3", "NE": "0.6"}
    fig, ax = plt.subplots(figsize=(6.5, 4.8))
    for x, cat in enumerate(categories):
        g = t[t["response"] == cat]
        jitter = x + rng.uniform(-0.15, 0.15, len(g))
        c = censored[g.index].to_numpy()
        ax.scatter(jitter[~c], g["il6"][~c], s=25, alpha=0.8, color=colour[cat])
        ax.scatter(jitter[c], g["il6"][c], s=40, marker="v", facecolor="none", edgecolor=colour[cat])
    for x0, x1, g in ((0, 1, "b"), (2, 3, "a")):  # group medians: responders (CR + PR), non-responders (NC + PD)
        ax.hlines(row[f"median_{g}"], x0 - 0.3, x1 + 0.3, color="k", lw=2)
    ax.axhline(lloq, color="0.4", ls=":", lw=1)
    ax.axhline(cutoff_pg_ml, color="0.4", ls="--", lw=1)
    ax.set(xticks=range(len(categories)), xticklabels=[f"{c}\n(n = {counts[c]})" for c in categories],
           yscale="log", ylabel="serum IL-6 (pg/ml)", xlabel="objective response",
           title=f"IL-6 by response: non-responders vs responders, P = {row['p_normal']:.2g}")
    ax.title.set_fontsize(10)
    handles = [plt.Line2D([], [], marker="o", ls="", color="C0", label="responder (CR, PR)"),
               plt.Line2D([], [], marker="o", ls="", color="C3", label="non-responder (NC, PD)"),
               plt.Line2D([], [], marker="o", ls="", color="0.6", label="not evaluable (excluded)"),
               plt.Line2D([], [], marker="v", ls="", mfc="none", mec="k", label="below LLOQ (drawn at LLOQ/2)"),
               plt.Line2D([], [], color="k", lw=2, label="group median"),
               plt.Line2D([], [], color="0.4", ls=":", label=f"LLOQ {lloq:.3g} pg/ml"),
               plt.Line2D([], [], color="0.4", ls="--", label=f"cut-off {cutoff_pg_ml:g} pg/ml")]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig


# --- 08 · appraisal ------------------------------------------------------------------------

def min_p_curve(curve: pd.DataFrame, best, alpha: float, ls_threshold: float, cutoff_pg_ml: float):
    """Notebook 08: -log10 log-rank P at every candidate cut-off, with the unadjusted and the
    Lausen-Schumacher thresholds, the fixed cut-off and the minimum-P cut-off `best`."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.plot(curve["cutoff"], -np.log10(curve["p"]), marker="o", ms=3.5, lw=1, color="C0", label="log-rank P at each candidate")
    ax.axhline(-np.log10(alpha), color="0.5", ls=":", lw=1, label=f"P = {alpha:g} (no search)")
    ax.axhline(-np.log10(ls_threshold), color="C3", ls="--", lw=1,
               label=f"P = {ls_threshold:.4f}: needed after a search (Lausen-Schumacher)")
    ax.axvline(cutoff_pg_ml, color="k", lw=1, label=f"fixed cut-off {cutoff_pg_ml:g} pg/ml")
    ax.scatter([best.cutoff], [-np.log10(best.p)], s=90, facecolor="none", edgecolor="C3", lw=1.5, zorder=4,
               label=f"minimum P at {best.cutoff:.2f} pg/ml")
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
    ax.hist(np.clip(log_min_p, left, 0), bins=np.linspace(left, 0, 41), color="0.7", edgecolor="white")
    ax.axvline(np.log10(alpha), color="0.3", ls=":", lw=1.2, label=f"P = {alpha:g}")
    ax.axvline(np.log10(best.p), color="C3", lw=1.5, label=f"observed minimum P = {best.p:.2g}")
    ax.set(xlim=(left, 0.05), xlabel="log10 of the minimum P over candidate cut-offs (leftmost bin: all below)", ylabel="shuffled data sets",
           title=f"Minimum-P search on {n_permutations} data sets with no IL-6 effect")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def events_per_variable(epv: pd.DataFrame):
    """Notebook 08: events per variable as covariates are added (bars; red below 10), and the
    IL-6 hazard ratio with its 95 % CI in each model (from appraisal.epv_table)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1, 1.3]})
    ax1.bar(epv["coefficients"], epv["epv"], color=["C0" if e >= 10 else "C3" for e in epv["epv"]])
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
    for (name, row), dy, colour in zip(with_medians.iterrows(), offsets, ["k", "C0", "C1"]):
        for i, comp in enumerate(appraisal.COMPARISONS):
            lo, hi = row[f"{comp}_low"], row[f"{comp}_high"]
            ax1.plot([lo, hi], [i + dy] * 2, color=colour, lw=1.2)
            ax1.scatter([lo], [i + dy], marker="o", facecolor="white", edgecolor=colour, zorder=3)
            ax1.scatter([hi], [i + dy], marker="o", color=colour, zorder=3, label=name if i == 0 else None)
    ax1.axvline(cutoff_pg_ml, color="0.6", ls=":", lw=1)
    ax1.set(xscale="log", yticks=range(4), yticklabels=[STUDY_COMPARISON_NAMES[c] for c in appraisal.COMPARISONS],
            xlabel="median IL-6 (pg/ml): open = less disease, filled = more (dotted: cut-off)", title="Group medians by study")
    ax1.invert_yaxis()
    _plain_log_ticks(ax1.xaxis)
    ax1.set_xticks([1, 2, 4, 8, 16])
    ax1.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    pooled, pooled_lo, pooled_hi = appraisal.LIN_2015_POOLED_HR
    rows = [(f"{study_label}: univariable, > {cutoff_pg_ml:g} pg/ml", studies.loc[study_label, ["hr", "hr_lower", "hr_upper"]].to_numpy(float)),
            (f"{study_label}: multivariable, > {cutoff_pg_ml:g} pg/ml", multi[["hr", "hr_lower", "hr_upper"]].to_numpy(float)),
            (f"{study_label}: minimum-P cut-off {best_cutoff:.2f}", hr_compare.iloc[1][["hr", "hr_lower", "hr_upper"]].to_numpy(float)),
            ("Lin 2015 pooled (13 studies)", np.array([pooled, pooled_lo, pooled_hi]))]
    ax2.axvspan(pooled_lo, pooled_hi, color="C2", alpha=0.15, label="pooled 95 % CI (Lin 2015)")
    ax2.axvline(pooled, color="C2", lw=1)
    for y_, (label, (hr, lo, hi)) in enumerate(rows):
        ax2.errorbar(hr, y_, xerr=[[hr - lo], [hi - hr]], fmt="s" if label.startswith("Lin") else "o",
                     color="C2" if label.startswith("Lin") else "k", capsize=3)
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
    for status, marker in (("quantified", "o"), ("below_lloq", "v"), ("above_uloq", "^")):
        s = il6[il6["il6_status"] == status]
        if len(s):
            ax1.scatter(s["true_pg_ml"], s["il6"], marker=marker, s=28, label=f"{status} ({len(s)})")
            ax2.scatter(s["true_pg_ml"], s["error_pct"], marker=marker, s=28)
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
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.2), sharex=True, gridspec_kw={"height_ratios": [1.5, 1]})
    top.scatter(ranked["rank"], ranked["il6"], s=18, color="0.35", zorder=2, label="patient")
    top.axhline(cutoff_pg_ml, color="C3", ls="--", lw=1, label=f"cut-off {cutoff_pg_ml:g} pg/ml")
    edge = pd.concat([ranked[ranked["il6"] <= cutoff_pg_ml].tail(1), ranked[ranked["il6"] > cutoff_pg_ml].head(1)])
    top.scatter(edge["rank"], edge["il6"], s=70, facecolor="none", edgecolor="C3", zorder=3, label="either side of the cut-off")
    printed = sorted(((rid, float(registry.loc[rid, "reported"])) for rid in DESIGN_MEDIAN_IDS), key=lambda kv: kv[1])
    label_y = []
    for rid, value in printed:  # spread the labels so close medians stay readable
        label_y.append(max(np.log10(value), label_y[-1] + 0.17) if label_y else np.log10(value))
        top.axhline(value, color="C0", lw=0.6, alpha=0.4, zorder=1)
        top.plot([46.8, 48], [value, 10 ** label_y[-1]], color="C0", lw=0.6)
        top.text(48.2, 10 ** label_y[-1], f"{rid} {registry.loc[rid, 'reported']}", fontsize=7, va="center", color="C0")
    for _, a_mask, b_mask in (v for k, v in analysis.il6_comparisons(ranked).items() if k != "R12"):
        for mask in (a_mask, b_mask):
            member = ranked[mask.to_numpy()]
            top.scatter(member["rank"].iloc[len(member) // 2], member["il6"].iloc[len(member) // 2], s=70,
                        facecolor="none", edgecolor="C0", zorder=3)
    top.scatter([], [], s=70, facecolor="none", edgecolor="C0", label="a group's median patient")
    top.set(yscale="log", ylabel="IL-6 after cleaning (pg/ml)",
            title="Measured IL-6 in rank order; printed medians (blue) and the cut-off (red)")
    top.legend(fontsize=8, loc="upper left")
    for y, (name, member) in enumerate(rows.items()):
        x = ranked["rank"][member.to_numpy()]
        bottom.scatter(x, np.full(len(x), y), marker="s", s=30, color=f"C{y}")
        if len(x):
            bottom.scatter(x.iloc[len(x) // 2], y, marker="|", s=260, color="k", linewidths=2)
    bottom.set(yticks=range(len(rows)), yticklabels=list(rows), ylim=(len(rows) - 0.5, -0.5),
               xlabel="IL-6 rank (1 = lowest)", xlim=(0, 54))
    fig.tight_layout()
    return fig


VERDICT_COLOURS = {"reproduced": "#4daf4a", "direction only": "#ffbf00", "not reproduced": "#e41a1c",
                   sensitivity.BUILD_FAILED: "#bdbdbd", sensitivity.CHECK_FAILED: "#636363",
                   "not computable": "#9e9ac8"}


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
