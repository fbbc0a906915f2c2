"""Figures that work on any study (helpers.study): the primary marker's distribution, the
marker across the study's groups, and the marker against its correlate.

Each function takes the study, the cohort table (and what the notebook has already computed)
and returns the matplotlib Figure; the notebook shows it with helpers.notebook.publish. Axes
are labelled with the marker's name and unit from the study, never a fixed one. An axis is
logarithmic when its values are positive and span at least two decades; when they also hold
zeros (a receptor assay reading 0) it is "symlog": linear from 0 up to the smallest positive
value, logarithmic above it, so a zero is drawn at 0 and not dropped. A group with no patient
gives an empty strip labelled n = 0, a marker with no result an empty panel saying so.
Nothing here computes a test statistic: medians, quartiles and P come from helpers.findings.
"""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from helpers.findings import marker_high
from helpers.style import GREY, HIGH_IL6, LOW_IL6, p_text, plain_number

ABOVE, BELOW, UNKNOWN = HIGH_IL6, LOW_IL6, GREY  # the cut-off classes, in the colours every notebook uses
CUTOFF_LINE = {"color": "0.15", "ls": "--", "lw": 1}
LLOQ_LINE = {"color": "0.45", "ls": ":", "lw": 1.2}
MIN_DECADES = 2  # positive values spanning at least this many decades get a log axis


def scale_for(values) -> str:
    """'log', 'symlog' (positive values with zeros) or 'linear' for an axis showing `values`:
    logarithmic when the non-negative values span at least MIN_DECADES decades."""
    v = np.asarray(pd.Series(values, dtype=float).dropna(), float)
    v = v[np.isfinite(v)]
    positive = v[v > 0]
    if v.size == 0 or (v < 0).any() or positive.size < 2:
        return "linear"
    if np.log10(positive.max() / positive.min()) < MIN_DECADES:
        return "linear"
    return "symlog" if (v == 0).any() else "log"


def set_scale(ax, which: str, values) -> str:
    """Give axis `which` ('x' or 'y') of `ax` the scale scale_for chooses, with plain-number
    ticks on a symlog axis; returns the words for its label ('', 'log scale', ...)."""
    kind = scale_for(values)
    axis = ax.xaxis if which == "x" else ax.yaxis
    setter = ax.set_xscale if which == "x" else ax.set_yscale
    if kind == "log":
        setter("log")
        return "log scale"
    if kind == "symlog":
        v = pd.Series(values, dtype=float)
        linthresh = float(v[v > 0].min())
        setter("symlog", linthresh=linthresh, linscale=0.5)
        axis.set_major_formatter(FuncFormatter(lambda x, _: plain_number(x)))
        axis.set_minor_formatter(NullFormatter())
        (ax.set_xlim if which == "x" else ax.set_ylim)(-0.35 * linthresh, float(v.max()) * 1.6)  # no negative ticks
        return "log scale with 0"
    return ""


def axis_label(name: str, unit: str, scale_words: str = "") -> str:
    """'oestrogen receptor (fmol/mg, log scale)'."""
    inside = ", ".join(w for w in (unit, scale_words) if w)
    return f"{name} ({inside})" if inside else name


def _cutoff_text(m) -> str:
    return f"cut-off {m.cutoff:g} {m.unit}".strip()


def _classes(study, table: pd.DataFrame, m) -> pd.Series:
    """'above', 'below' or 'unknown' for each patient, by the marker's cut-off ('' without one)."""
    if m.cutoff is None:
        return pd.Series("", index=table.index)
    high = marker_high(table, m.column, m.cutoff, m.at_or_above)
    return high.map({True: "above", False: "below"}).fillna("unknown").astype(str)


def _class_looks(m) -> dict:
    """{class: (colour, legend text)}; a marker without a cut-off has the one class ''."""
    if m.cutoff is None:
        return {"": (BELOW, m.name)}
    rule = "≥" if m.at_or_above else ">"
    other = "<" if m.at_or_above else "≤"
    return {"above": (ABOVE, f"{m.name} {rule} {m.cutoff:g} {m.unit}".strip()),
            "below": (BELOW, f"{m.name} {other} {m.cutoff:g} {m.unit}".strip()),
            "unknown": (UNKNOWN, "class unknown (limit above the cut-off)"),
            "": (BELOW, m.name)}


def _censored(table: pd.DataFrame, m) -> pd.Series:
    col = f"{m.column}_censored"
    if col not in table:
        return pd.Series(False, index=table.index)
    return table[col].fillna("").astype(str) != ""


def _lloq(table: pd.DataFrame, m) -> tuple[float, float] | None:
    col = f"{m.column}_lloq"
    if col not in table or table[col].dropna().empty:
        return None
    v = table[col].dropna().astype(float)
    return float(v.min()), float(v.max())


def _no_data(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.3")
    ax.set(xticks=[], yticks=[])


def _dot_size(n: int) -> float:
    return 22 if n <= 100 else 10 if n <= 400 else 6


def _bins(values: np.ndarray, kind: str, n: int = 25) -> np.ndarray | int:
    positive = values[values > 0]
    if kind == "log":
        return np.logspace(np.log10(positive.min() / 1.3), np.log10(positive.max() * 1.3), n)
    if kind == "symlog":  # zeros in the first bin, log-spaced bins above
        edges = np.logspace(np.log10(positive.min() * 0.8), np.log10(positive.max() * 1.3), n - 1)
        return np.concatenate([[0.0], edges])
    return n


def marker_distribution(study, table: pd.DataFrame, marker=None):
    """The marker of every patient: a histogram over one dot per patient (spread vertically
    only), dots in the colours of the cut-off classes, results below the quantification limit
    as open triangles, the cut-off (dashed) and the LLOQ (dotted, a band when plates differ)."""
    m = marker or study.primary
    values = table[m.column].astype(float)
    shown = values.notna()
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(7, 4.8), height_ratios=[2, 1])
    if not shown.any():
        _no_data(top, f"no {m.name} result in this cohort")
        bottom.set(xlabel=axis_label(m.name, m.unit), yticks=[])
        fig.tight_layout()
        return fig
    v = values[shown].to_numpy()
    words = set_scale(bottom, "x", v)
    top.hist(v, bins=_bins(v, scale_for(v)), color="0.8", edgecolor="0.3")
    classes = _classes(study, table, m)[shown].to_numpy()
    censored = _censored(table, m)[shown].to_numpy()
    jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(v))
    looks = _class_looks(m)
    for cls in ("below", "above", "unknown", ""):
        mask = (classes == cls) & ~censored
        if mask.any():
            colour, label = looks[cls]
            bottom.scatter(v[mask], jitter[mask], s=_dot_size(len(v)), color=colour, alpha=0.8, label=label, lw=0)
    if censored.any():
        bottom.scatter(v[censored], jitter[censored], s=30, marker="v", facecolor="none", edgecolor="0.3",
                       label="below the quantification limit (at its substitute value)")
    lloq = _lloq(table, m)
    for ax in (top, bottom):
        if m.cutoff is not None:
            ax.axvline(m.cutoff, **CUTOFF_LINE, label=_cutoff_text(m))
        if lloq and lloq[0] == lloq[1]:
            ax.axvline(lloq[0], **LLOQ_LINE, label=f"LLOQ {lloq[0]:.3g} {m.unit}".strip())
        elif lloq:
            ax.axvspan(*lloq, color="0.88", zorder=0, label=f"LLOQ {lloq[0]:.3g}–{lloq[1]:.3g} {m.unit}".strip())
    top.set(ylabel="patients", title=f"{m.name}: {len(v)} patients with a result")
    if m.cutoff is not None or lloq:
        top.legend(fontsize=8, loc="upper right")
    bottom.set(xlabel=axis_label(m.name, m.unit, words), yticks=[], ylim=(-0.45, 1.0))
    handles, labels = bottom.get_legend_handles_labels()
    keep = [i for i, lab in enumerate(labels) if not lab.startswith(("cut-off", "LLOQ"))]
    bottom.legend([handles[i] for i in keep], [labels[i] for i in keep], fontsize=7, loc="upper center",
                  ncol=min(len(keep), 3) or 1, frameon=False)
    fig.tight_layout()
    return fig


def _wrapped(text: str, width: int = 18) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def marker_by_groups(study, table: pd.DataFrame, groups: pd.DataFrame, comparisons: pd.DataFrame):
    """One panel per comparison of the primary marker (the rows of
    helpers.findings.comparison_table): every patient of group A and of group B a dot (spread
    sideways only), with the group's median (black bar) and interquartile range (grey bar)
    from `comparisons`, the Mann-Whitney P in the title, and the cut-off. `groups` is
    helpers.findings.Derived.groups (True in A, False in B)."""
    m = study.primary
    values = table[m.column].astype(float)
    names = list(comparisons.index)
    n = max(len(names), 1)
    ncols = 2 if n == 4 else min(n, 3)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols + 0.6, 3.6 * nrows + 0.8), sharey=True,
                             squeeze=False)
    classes = _classes(study, table, m)
    censored = _censored(table, m)
    looks = _class_looks(m)
    rng = np.random.default_rng(0)
    present = values.dropna()
    for ax, name in zip(axes.flat, names):
        row = comparisons.loc[name]
        member = groups[name]
        for x, (side, mask) in enumerate((("a", member.fillna(False).astype(bool)),
                                          ("b", (member == False).fillna(False).astype(bool)))):  # noqa: E712
            mask = mask & values.notna()
            v = values[mask].to_numpy()
            jitter = x + rng.uniform(-0.13, 0.13, len(v))
            cls, cen = classes[mask].to_numpy(), censored[mask].to_numpy()
            for c in ("below", "above", "unknown", ""):
                sel = (cls == c) & ~cen
                if sel.any():
                    ax.scatter(jitter[sel], v[sel], s=_dot_size(len(present)), alpha=0.7, color=looks[c][0], lw=0)
            if cen.any():
                ax.scatter(jitter[cen], v[cen], s=30, marker="v", facecolor="none", edgecolor="0.3")
            if np.isfinite(row[f"median_{side}"]):
                ax.vlines(x + 0.27, row[f"q1_{side}"], row[f"q3_{side}"], color="0.55", lw=5)
                ax.hlines(row[f"median_{side}"], x - 0.24, x + 0.33, color="k", lw=2)
        if m.cutoff is not None:
            ax.axhline(m.cutoff, **CUTOFF_LINE)
        p = row["p"]
        title = f"{name}: {p_text(p)}" if np.isfinite(p) else f"{name}: not tested (a group too small)"
        ax.set(xticks=[0, 1], xlim=(-0.6, 1.6), title=title,
               xticklabels=[f"{_wrapped(row['group_a'])}\n(n = {row['n_a']})",
                            f"{_wrapped(row['group_b'])}\n(n = {row['n_b']})"])
        ax.title.set_fontsize(10)
        ax.tick_params(axis="x", labelsize=8)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    if not names:
        _no_data(axes[0, 0], "the study defines no comparison")
    words = set_scale(axes[0, 0], "y", present) if len(present) else ""
    for ax in axes[:, 0]:
        ax.set_ylabel(axis_label(m.name, m.unit, words))
    handles = [plt.Line2D([], [], marker="o", ls="", color=looks[c][0], label=looks[c][1])
               for c in (("above", "below") if m.cutoff is not None else ("",))]
    if censored.any():
        handles.append(plt.Line2D([], [], marker="v", ls="", mfc="none", mec="0.3",
                                  label="below the quantification limit"))
    handles += [plt.Line2D([], [], color="k", lw=2, label="median"),
                plt.Line2D([], [], color="0.55", lw=5, label="interquartile range")]
    if m.cutoff is not None:
        handles.append(plt.Line2D([], [], **CUTOFF_LINE, label=_cutoff_text(m)))
    fig.suptitle(f"{m.name} by patient group (two-sided Mann-Whitney P)")
    fig.tight_layout()
    # below the panels: a figure saved with a tight bounding box (notebook.publish) grows to hold it
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(handles), 3),
               fontsize=8, frameon=False)
    return fig


def marker_vs_correlate(study, table: pd.DataFrame, results: dict | None = None):
    """The primary marker (vertical) against the study's correlate (horizontal), one dot per
    patient with both values, in the cut-off class colours; log axes where the values span
    decades; Spearman r and n from `results` (helpers.findings) in the title."""
    m, c = study.primary, study.correlate
    both = table[[m.column, c["column"]]].astype(float).dropna()
    fig, ax = plt.subplots(figsize=(6, 4.6))
    if both.empty:
        _no_data(ax, f"no patient has both {m.name} and {c['name']}")
        ax.set(xlabel=axis_label(c["name"], c["unit"]), ylabel=axis_label(m.name, m.unit))
        fig.tight_layout()
        return fig
    classes = _classes(study, table, m)[both.index].to_numpy()
    censored = _censored(table, m)[both.index].to_numpy()
    looks = _class_looks(m)
    x, y = both[c["column"]].to_numpy(), both[m.column].to_numpy()
    for cls in ("above", "below", "unknown", ""):
        sel = (classes == cls) & ~censored
        if sel.any():
            ax.scatter(x[sel], y[sel], s=_dot_size(len(x)) + 6, color=looks[cls][0], alpha=0.85, lw=0,
                       label=looks[cls][1])
    if censored.any():
        ax.scatter(x[censored], y[censored], s=36, marker="v", facecolor="none", edgecolor="0.3",
                   label=f"{m.name} below the quantification limit")
    if m.cutoff is not None:
        ax.axhline(m.cutoff, **CUTOFF_LINE, label=_cutoff_text(m))
    xw, yw = set_scale(ax, "x", x), set_scale(ax, "y", y)
    r = (results or {}).get("correlate.r")
    title = f"{m.name} against {c['name']}"
    if isinstance(r, float):
        title += f": Spearman r = {r:.2f}, n = {results['correlate.n']}"
    ax.set(xlabel=axis_label(c["name"], c["unit"], xw), ylabel=axis_label(m.name, m.unit, yw), title=title)
    if len(ax.get_legend_handles_labels()[0]) > 1:  # one class without a cut-off needs no legend
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


# --- captions: the alt text of each figure, built from the computed results -----------------

def _count(results: dict, key: str):
    value = results.get(key)
    return value if isinstance(value, int) else None


def distribution_caption(study, results: dict) -> str:
    """Alt text of marker_distribution, from helpers.findings results."""
    m = study.primary
    text = f"{m.name} of every patient ({results[f'measured.{m.id}']} with a result)"
    above, known = _count(results, f"above_cutoff.{m.id}"), _count(results, f"classified.{m.id}")
    if m.cutoff is not None and above is not None:
        rule = "at or above" if m.at_or_above else "above"
        text += f"; {above} of the {known} classified patients {rule} the cut-off of {m.cutoff:g} {m.unit}".rstrip()
    return text + "."


def groups_caption(study, comparisons: pd.DataFrame) -> str:
    """Alt text of marker_by_groups, from helpers.findings.comparison_table."""
    m = study.primary
    parts = [f"{r.group_a} (n = {r.n_a}) vs {r.group_b} (n = {r.n_b}), "
             + (p_text(r.p) if np.isfinite(r.p) else "not tested") for r in comparisons.itertuples()]
    return (f"{m.name} of every patient in {len(parts)} group comparison(s), with group medians and interquartile "
            f"ranges: " + "; ".join(parts) + ".")


def correlate_caption(study, results: dict) -> str:
    """Alt text of marker_vs_correlate, from helpers.findings results."""
    m, c = study.primary, study.correlate
    r = results.get("correlate.r")
    stat = f"Spearman r = {r:.2f}, n = {results['correlate.n']}" if isinstance(r, float) else "no correlation computable"
    return f"{m.name} against {c['name']}, one dot per patient with both values ({stat})."
