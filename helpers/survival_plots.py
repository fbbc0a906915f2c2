"""Figures of notebooks 05 and 06 for any study (helpers.study): Kaplan-Meier curves by the
primary marker's cut-off with the numbers at risk, the per-group Kaplan-Meier medians, the
forest plot of a Cox model, and the primary marker in two groups (strip and box).

Every label comes from the study: the marker's name, unit and cut-off rule, the survival
endpoint, its unit and origin, so the same figure is right for the paper's IL-6 and overall
survival in months and for a real cohort's receptor assay and recurrence-free survival in
days. Each function takes what the notebook computed and returns the matplotlib Figure; the
notebook shows it with helpers.notebook.publish. The only statistics computed here are the
Kaplan-Meier curves drawn (helpers.figures.km_curve) and the medians of median_table
(stats.kaplan_meier_median).

`derived` is helpers.findings.Derived; these functions read its `survival` (time, event)
and `high` (the marker above its cut-off) only.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers import stats
from helpers.figures import km_curve, km_plot
from helpers.prose import unit_suffix
from helpers.style import HIGH_IL6, LOW_IL6, p_text

MARKER_HIGH, MARKER_LOW = HIGH_IL6, LOW_IL6  # the colours of the two marker groups in every figure
CUTOFF_LINE = {"color": "0.15", "ls": "--", "lw": 1}
FOREST_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.25, 2, 3, 5, 10, 20, 50, 100)


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def group_labels(study) -> dict:
    """{True: label of the marker above the cut-off, False: at or below it}, e.g.
    {True: 'IL-6 > 4 pg/ml', False: 'IL-6 ≤ 4 pg/ml'}."""
    m = study.primary
    above, below = ("≥", "<") if m.at_or_above else (">", "≤")
    return {True: f"{m.name} {above} {m.cutoff:g}{unit_suffix(m.unit)}",
            False: f"{m.name} {below} {m.cutoff:g}{unit_suffix(m.unit)}"}


def time_label(study) -> str:
    """The time axis: '<Unit> from <origin>', e.g. 'Days from surgery'."""
    s = study.survival
    origin = f" from {s['origin']}" if s.get("origin") else ""
    return f"{_first_upper(s['unit'])}{origin}" if s.get("unit") else f"Time{origin}"


def endpoint_label(study) -> str:
    return _first_upper(study.survival.get("endpoint") or "survival")


def _groups(study, derived) -> list[tuple[bool, pd.DataFrame]]:
    """(above the cut-off?, time and event of that group's patients): at or below first."""
    frame = derived.survival.assign(high=derived.high[study.primary.id]).dropna()
    return [(high, frame[frame["high"] == high]) for high in (False, True)]


def km_by_marker(study, derived, band: bool = True):
    """Kaplan-Meier curves of the study's endpoint at or below vs above the primary marker's
    cut-off (patients whose class is known), with 95 % bands (`band`) and the numbers at risk;
    the time axis in the study's survival unit."""
    labels = group_labels(study)
    fig, ax = plt.subplots(figsize=(7, 5.2))
    curves = []
    for high, g in _groups(study, derived):
        if g.empty:  # no patient on this side of the cut-off: nothing to draw
            continue
        curve = km_curve(g["time"], g["event"], ci=band)
        curves.append({**curve, "label": f"{labels[high]} (n = {len(g):,}, {int(g['event'].sum()):,} events)",
                       "short": labels[high].removeprefix(study.primary.name).strip(),
                       "colour": MARKER_HIGH if high else MARKER_LOW})
    km_plot(ax, curves)
    ax.set(xlabel=time_label(study), ylabel=f"{endpoint_label(study)} (Kaplan-Meier estimate)")
    ax.legend(loc="upper right", fontsize=9, frameon=False)
    ax.set_title(f"{endpoint_label(study)} by {study.primary.name} group"
                 + (" (shaded: 95 % confidence band)" if band else ""), fontsize=10)
    fig.tight_layout()
    return fig


def median_table(study, derived) -> pd.DataFrame:
    """Per marker group: patients, events, the Kaplan-Meier median and its 95 % CI
    (stats.kaplan_meier_median: R's survfit rules; NaN = not reached), in the study's unit."""
    rows = []
    labels = group_labels(study)
    for high, g in _groups(study, derived):
        median, lower, upper = (stats.kaplan_meier_median(g["time"], g["event"]) if len(g) else (np.nan,) * 3)
        rows.append({"group": labels[high], "patients": len(g), "events": int(g["event"].sum()),
                     "median": median, "ci_lower": lower, "ci_upper": upper})
    out = pd.DataFrame(rows).set_index("group")
    out.attrs["unit"] = study.survival.get("unit", "")
    return out


def _hr_text(hr: float, lower: float, upper: float) -> str:
    """'3.21 (1.37 to 7.53)'; more decimals when the interval is narrow (per-unit hazard ratios)."""
    width = upper - lower
    d = max(2, int(np.ceil(-np.log10(width))) + 1) if width > 0 else 2
    return f"{hr:.{d}f} ({lower:.{d}f} to {upper:.{d}f})"


def cox_forest(study, model: pd.DataFrame, title: str | None = None):
    """Hazard ratios with their 95 % CI, one row per covariate (index = readable name, columns
    hr, hr_lower, hr_upper; rows without a finite estimate are left out and named under the
    axis), on a logarithmic axis (drawn as log hazard ratio, labelled with plain hazard
    ratios), each row's hazard ratio and CI written at the right."""
    numeric = model[["hr", "hr_lower", "hr_upper"]].apply(pd.to_numeric, errors="coerce")
    finite = np.isfinite(numeric).all(axis="columns") & (numeric > 0).all(axis="columns")
    m = numeric[finite].iloc[::-1]
    log = np.log(m)
    y = np.arange(len(m))
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * max(len(m), 1) + 1.8))
    ax.errorbar(log["hr"], y, xerr=[log["hr"] - log["hr_lower"], log["hr_upper"] - log["hr"]], fmt="o", color="k",
                capsize=3)
    ax.axvline(0, color="0.5", ls="--", lw=1)
    xlabel = "hazard ratio (Wald 95 % CI, log scale)"
    if (~finite).any():
        xlabel += "\nno finite estimate, not drawn: " + ", ".join(map(str, model.index[~finite]))
    ax.set(yticks=y, yticklabels=m.index, xlabel=xlabel, ylim=(-0.7, len(m) - 0.3))
    lo = min(log["hr_lower"].min(), 0) - 0.1 if len(m) else -0.7
    hi = max(log["hr_upper"].max(), 0) + 0.1 if len(m) else 0.7
    ax.set_xlim(lo, hi)
    fine = hi - lo < 2  # a narrow range (under a factor of about 7) gets the ticks close to 1 too
    ticks = [v for v in FOREST_TICKS if lo <= np.log(v) <= hi and (fine or v not in (0.8, 1.25))]
    ax.set_xticks(np.log(ticks), [f"{v:g}" for v in ticks])
    for yi, (_, r) in zip(y, m.iterrows()):
        ax.annotate(_hr_text(r["hr"], r["hr_lower"], r["hr_upper"]), xy=(1, yi), xycoords=("axes fraction", "data"),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    ax.annotate("HR (95 % CI)", xy=(1, 1), xycoords="axes fraction", xytext=(6, 4), textcoords="offset points",
                fontsize=8, fontweight="bold", va="bottom")
    fig.suptitle(title or f"Multivariable Cox model of {study.survival.get('endpoint') or 'survival'}", fontsize=10)
    fig.tight_layout()
    return fig


def marker_by_group(study, values: pd.Series, in_a: pd.Series, labels: tuple[str, str], title: str = "",
                    colours: tuple[str, str] | None = None):
    """The primary marker in group A (in_a True) and group B (False): one jittered dot per
    patient over a box (quartiles, whiskers to 1.5 IQR), n under each group, the cut-off as a
    dashed line when the marker has one. Log scale when every value is positive and they span
    more than a factor of 20."""
    m = study.primary
    groups = [values[(in_a == flag).fillna(False).astype(bool) & values.notna()] for flag in (True, False)]
    colours = colours or ("#E69F00", "#009E73")
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    ax.boxplot([g.to_numpy(float) for g in groups], positions=[0, 1], widths=0.5, showfliers=False,
               medianprops={"color": "k", "lw": 2}, boxprops={"color": "0.35"}, whiskerprops={"color": "0.35"},
               capprops={"color": "0.35"})
    rng = np.random.default_rng(0)  # sideways jitter only
    for x, (g, colour) in enumerate(zip(groups, colours)):
        ax.scatter(x + rng.uniform(-0.18, 0.18, len(g)), g, s=18 if len(g) < 500 else 4, alpha=0.7, color=colour,
                   zorder=3, lw=0)
    both = pd.concat(groups)
    if len(both) and (both > 0).all() and both.max() / both.min() > 20:
        ax.set_yscale("log")
    if m.cutoff is not None:
        ax.axhline(m.cutoff, **CUTOFF_LINE, label=f"cut-off {m.cutoff:g}{unit_suffix(m.unit)}")
        ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.set(xticks=[0, 1], xticklabels=[f"{label}\n(n = {len(g):,})" for label, g in zip(labels, groups)],
           ylabel=f"{m.name} ({m.unit})" if m.unit else m.name, xlim=(-0.6, 1.6))
    ax.set_title(title or f"{m.name}: {labels[0]} vs {labels[1]}", fontsize=10)
    fig.tight_layout()
    return fig


def response_title(study, results: dict) -> str:
    """Title of the response figure: the Mann-Whitney P when it was computed."""
    p = results.get("response.p")
    return f"{study.primary.name} by response" + (f", {p_text(p)} (Mann-Whitney)" if isinstance(p, float) else "")
