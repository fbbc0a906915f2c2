"""The cut-off explorer behind notebook 09: for one IL-6 cut-off and one group of patients,
everything a redraw shows (Kaplan-Meier curves above vs at or below the cut-off, counts,
log-rank P, univariable hazard ratio, and the IL-6 comparisons by disease extent within the
group), computed in a single call to `explore` so the widget and the static version show the
same numbers as the other notebooks' helpers.

Every function takes a table from helpers.analysis.add_covariates (loaded once; `explore`
never reloads or re-cleans the cohort). IL-6 "above" the cut-off means il6 > cutoff, as in
add_covariates; values below the quantification limit enter at their substitute (LLOQ/2).
"""
from __future__ import annotations

import html
import io
import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from helpers import figures, stats, style, survival
from helpers.analysis import il6_comparisons
from helpers.notebook import RECONSTRUCTED_LABEL, stamp
from helpers.style import p_text

# Slider values (pg/ml): roughly log-spaced over the range where both groups are non-empty,
# with the paper's 4 pg/ml among them.
CUTOFFS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 25.0, 32.0, 40.0, 50.0)
STATIC_CUTOFFS = (2.0, 4.0, 8.0, 16.0)  # the grid shown when the notebook is not interactive

# Patient groups: name -> (covariate column of add_covariates, value), None for everybody.
GROUPS: dict[str, tuple[str, object] | None] = {
    "all patients": None,
    "one site": ("multiple_sites", False),
    "more than one site": ("multiple_sites", True),
    "dominant visceral": ("visceral", True),
    "dominant bone / soft tissue": ("visceral", False),
    "liver metastasis": ("liver_metastasis", True),
    "no liver metastasis": ("liver_metastasis", False),
    "pleural effusion": ("pleural_effusion", True),
    "no pleural effusion": ("pleural_effusion", False),
    "DFI <= 24 months": ("dfi_short", True),
    "DFI > 24 months": ("dfi_short", False),
}
DISEASE_EXTENT = ("R07", "R08", "R09", "R10")  # the four comparisons of analysis.il6_comparisons
SIDES = ("above", "at_or_below")
COLORS = {"above": style.HIGH_IL6, "at_or_below": style.LOW_IL6}
MIN_PER_SIDE = 5  # fewer patients or deaths on a side than this and the headline warns


def group_mask(t: pd.DataFrame, group: str) -> pd.Series:
    """Boolean mask of the patients in `group` (a key of GROUPS)."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; choose one of {', '.join(GROUPS)}")
    spec = GROUPS[group]
    if spec is None:
        return pd.Series(True, index=t.index)
    column, value = spec
    return t[column].astype(bool) == value


def side_labels(cutoff: float) -> dict[str, str]:
    return {"above": f"IL-6 > {cutoff:g} pg/ml", "at_or_below": f"IL-6 ≤ {cutoff:g} pg/ml"}


def _survival_table(g: pd.DataFrame) -> pd.DataFrame:
    """survival.group_summary per side (patients, deaths, KM median OS and 95% CI), both sides
    always present (an empty side has 0 patients and NaN medians)."""
    present = survival.group_summary(g) if len(g) else None
    rows = []
    for side, high in zip(SIDES, (True, False)):
        if present is not None and high in present.index:
            rows.append({"side": side, **present.loc[high].to_dict()})
        else:
            rows.append({"side": side, "patients": 0, "deaths": 0, "median_os_months": math.nan,
                         "ci_lower": math.nan, "ci_upper": math.nan})
    out = pd.DataFrame(rows).set_index("side")
    return out.astype({"patients": int, "deaths": int})


def _hazard_ratio(g: pd.DataFrame) -> dict:
    """Univariable Cox hazard ratio of above vs at or below (survival.univariable_cox: Wald CI
    and P, NaN when no finite estimate exists)."""
    row = survival.univariable_cox(g, ["il6_high"]).loc["il6_high"]
    return {"hr": float(row["hr"]), "hr_lower": float(row["hr_lower"]), "hr_upper": float(row["hr_upper"]),
            "hr_p": float(row["p"])}


def _comparisons(g: pd.DataFrame) -> pd.DataFrame:
    """The four disease-extent comparisons within the group: per side of each comparison the
    patients, how many have IL-6 above the cut-off and the median IL-6; the Mann-Whitney P
    (stats.mann_whitney, as in analysis.comparison_values) and Fisher's exact P of the
    proportions above the cut-off. NaN where one side of a comparison is empty in this group."""
    rows = []
    for prefix, (label, a, b) in il6_comparisons(g).items():
        if prefix not in DISEASE_EXTENT:
            continue
        name_a, name_b = label.split(" vs ")
        x, y = g.loc[a, "il6"], g.loc[b, "il6"]
        hx, hy = int(g.loc[a, "il6_high"].sum()), int(g.loc[b, "il6_high"].sum())
        row = {"id": prefix, "comparison": label, "group_a": name_a, "n_a": len(x), "above_a": hx,
               "median_a": float(np.median(x)) if len(x) else math.nan,
               "group_b": name_b, "n_b": len(y), "above_b": hy,
               "median_b": float(np.median(y)) if len(y) else math.nan,
               "mann_whitney_p": math.nan, "fisher_p": math.nan}
        if len(x) and len(y):
            row["mann_whitney_p"] = stats.mann_whitney(x, y).p
            row["fisher_p"] = stats.fisher_exact([[hx, len(x) - hx], [hy, len(y) - hy]]).p
        rows.append(row)
    return pd.DataFrame(rows).set_index("id")


def explore(t: pd.DataFrame, cutoff: float, group: str = "all patients") -> dict:
    """Everything one redraw of the explorer shows, for IL-6 cut-off `cutoff` (pg/ml) and the
    patients of `group` (a key of GROUPS), from a table of analysis.add_covariates.

    Returns a dict:
    - "numbers": plain scalars: cutoff, group, patients, above / at_or_below (patients),
      deaths_above / deaths_at_or_below, logrank_chi2 / logrank_p (stats.logrank, NaN if a
      side is empty), hr / hr_lower / hr_upper / hr_p (univariable Cox, above vs at or below;
      NaN where no finite estimate exists: a side empty or without deaths, or the fit not
      converging because the estimate runs off to 0 or infinity, e.g. one patient above);
    - "survival": per side (above, at_or_below) patients, deaths, Kaplan-Meier median OS and
      its 95% CI (survival.group_summary);
    - "curves": per non-empty side, figures.km_curve: the Kaplan-Meier step function (time,
      survival), the censored times with the survival there, the sorted durations;
    - "comparisons": the four disease-extent comparisons within the group (R07-R10 of
      analysis.il6_comparisons): patients, number above the cut-off and median IL-6 of each
      side, Mann-Whitney P and Fisher P of the proportions above the cut-off.

    At the paper's cut-off on all patients, logrank_p and hr equal analysis.survival_values'
    R13a and R13b, and the comparison medians and Mann-Whitney P equal R07-R10 of
    analysis.comparison_values.
    """
    cutoff = float(cutoff)
    g = t.loc[group_mask(t, group)].assign(il6_high=lambda d: d["il6"] > cutoff)
    table = _survival_table(g)
    high = g["il6_high"].to_numpy(bool)
    numbers = {"cutoff": cutoff, "group": group, "patients": len(g),
               "above": int(table.loc["above", "patients"]), "at_or_below": int(table.loc["at_or_below", "patients"]),
               "deaths_above": int(table.loc["above", "deaths"]),
               "deaths_at_or_below": int(table.loc["at_or_below", "deaths"]),
               "logrank_chi2": math.nan, "logrank_p": math.nan}
    if high.any() and not high.all():
        lr = stats.logrank(g["os_months"], g["death"], high)
        numbers["logrank_chi2"], numbers["logrank_p"] = lr.chi2, lr.p
    numbers |= _hazard_ratio(g)
    curves = {side: figures.km_curve(g.loc[g["il6_high"] == flag, "os_months"], g.loc[g["il6_high"] == flag, "death"])
              for side, flag in zip(SIDES, (True, False)) if (g["il6_high"] == flag).any()}
    return {"numbers": numbers, "survival": table, "curves": curves, "comparisons": _comparisons(g)}


def sweep(t: pd.DataFrame, group: str = "all patients", cutoffs=CUTOFFS) -> pd.DataFrame:
    """explore's numbers at every cut-off, one row per cut-off."""
    return pd.DataFrame([explore(t, c, group)["numbers"] for c in cutoffs]).set_index("cutoff")


def _deaths(k: int) -> str:
    return f"{k} death" if k == 1 else f"{k} deaths"


def cautions(result: dict) -> list[str]:
    """Warnings for a split too small to trust: a side with fewer than MIN_PER_SIDE patients or
    deaths (its P and hazard ratio rest on a handful of patients, or cannot be computed)."""
    n = result["numbers"]
    out = []
    for side, name in (("above", "above"), ("at_or_below", "at or below")):
        if n[side] < MIN_PER_SIDE:
            out.append(f"only {n[side]} patient{'s' if n[side] != 1 else ''} {name} the cut-off")
        elif n[f"deaths_{side}"] < MIN_PER_SIDE:
            out.append(f"only {_deaths(n[f'deaths_{side}'])} {name} the cut-off")
    return out


def headline(result: dict) -> str:
    """One line in words: group, cut-off, counts, log-rank P and hazard ratio, and a warning
    when a side is too small to trust (cautions)."""
    n = result["numbers"]
    hr = ("HR n/a" if math.isnan(n["hr"])
          else f"HR {n['hr']:.2f} (95% CI {n['hr_lower']:.2f}-{n['hr_upper']:.2f})")
    line = (f"{n['group']}, cut-off {n['cutoff']:g} pg/ml: {n['above']} above ({_deaths(n['deaths_above'])}), "
            f"{n['at_or_below']} at or below ({_deaths(n['deaths_at_or_below'])}); "
            f"log-rank {p_text(n['logrank_p'])}; {hr}")
    warn = cautions(result)
    return line + (f". Caution: {'; '.join(warn)}: too few to trust P or HR." if warn else "")


def _km_curves(result: dict) -> list[dict]:
    """The result's curves in figures.km_plot's form (above first), each side's count in its label."""
    n = result["numbers"]
    labels = side_labels(n["cutoff"])
    return [{**c, "label": f"{labels[side]}: n = {n[side]}, {_deaths(n[f'deaths_{side}'])}",
             "short": labels[side].removeprefix("IL-6 ").removesuffix(" pg/ml"), "colour": COLORS[side]}
            for side, c in result["curves"].items()]


def plot_km(result: dict, ax, title: str | None = None, xmax: float | None = None):
    """Both Kaplan-Meier curves on `ax` with the numbers at risk (figures.km_plot), the counts
    in the legend and the log-rank P in the title; returns km_plot's artists."""
    n = result["numbers"]
    artists = figures.km_plot(ax, _km_curves(result), xmax=xmax)
    ax.set_title(title or f"{n['group']}, cut-off {n['cutoff']:g} pg/ml: log-rank {p_text(n['logrank_p'])}",
                 fontsize=10)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return artists


def _il6_columns(g: pd.DataFrame, result: dict) -> list[tuple[str, np.ndarray, int]]:
    """(name, IL-6 values, number above the cut-off) of each side of the four comparisons."""
    columns = []
    for prefix, (_, a, b) in il6_comparisons(g).items():
        if prefix in DISEASE_EXTENT:
            row = result["comparisons"].loc[prefix]
            name_b = f"no {row['group_a']}" if row["group_b"] == "none" else row["group_b"]
            columns += [(row["group_a"], g.loc[a, "il6"].to_numpy(float), row["above_a"]),
                        (name_b, g.loc[b, "il6"].to_numpy(float), row["above_b"])]
    return columns


def _jitter(n: int, column: int) -> np.ndarray:
    return column + np.random.default_rng(column).uniform(-0.18, 0.18, n)


def plot_il6(t: pd.DataFrame, result: dict, ax, ylim: tuple[float, float] | None = None):
    """IL-6 of the group's patients on each side of the four disease-extent comparisons (log
    scale, dots in the IL-6 group colours), the cut-off as a line and the number above it over
    each column; returns the artists a redraw updates (one scatter and one count per column)."""
    n = result["numbers"]
    columns = _il6_columns(t.loc[group_mask(t, n["group"])], result)
    dots, counts = [], []
    for i, (_, v, above) in enumerate(columns):
        dots.append(ax.scatter(_jitter(v.size, i), v, s=12, alpha=0.85,
                               c=np.where(v > n["cutoff"], COLORS["above"], COLORS["at_or_below"])))
        counts.append(ax.text(i, 1.0, f"{above}/{v.size}", transform=ax.get_xaxis_transform(), ha="center",
                              va="bottom", fontsize=8))
    line = ax.axhline(n["cutoff"], **figures.CUTOFF_LINE)
    for x in (1.5, 3.5, 5.5):
        ax.axvline(x, color="0.85", lw=0.8)
    ax.set(yscale="log", xlim=(-0.6, len(columns) - 0.4), ylabel="IL-6 (pg/ml, log scale)")
    if ylim:
        ax.set_ylim(ylim)
    ax.yaxis.set_major_formatter(style.PlainLogFormatter())
    ax.yaxis.set_minor_locator(NullLocator())  # minor ticks of a log axis cost most of a redraw
    ax.set_xticks(range(len(columns)), [name for name, _, _ in columns], rotation=35, ha="right", fontsize=8)
    ax.set_title("above the cut-off / patients", fontsize=9, pad=14)
    return {"dots": dots, "counts": counts, "cutoff": line}


def headline_html(result: dict) -> str:
    """headline as HTML for the widget: the numbers in bold, a caution (if any) in its colour."""
    main, _, caution = headline(result).partition(". Caution: ")
    warn = f' <span style="color:{style.OKABE_ITO["vermillion"]}">Caution: {html.escape(caution)}</span>' if caution else ""
    return f"<b>{html.escape(main)}</b>{warn}"


def _median_text(row: pd.Series) -> str:
    if row["patients"] == 0:
        return "no patients"
    median = "not reached" if math.isnan(row["median_os_months"]) else f"{row['median_os_months']:.1f}"
    lo, hi = (("not reached" if math.isnan(v) else f"{v:.1f}") for v in (row["ci_lower"], row["ci_upper"]))
    return f"{median} ({lo} to {hi})"


def survival_display(result: dict) -> pd.DataFrame:
    """The survival table as shown to readers: per side patients, deaths, median overall
    survival with its 95 % CI in months."""
    table, labels = result["survival"], side_labels(result["numbers"]["cutoff"])
    return pd.DataFrame({"patients": table["patients"], "deaths": table["deaths"],
                         "median survival, months (95 % CI)": table.apply(_median_text, axis=1)}
                        ).rename(index=labels).rename_axis("IL-6 group")


def comparison_display(result: dict) -> pd.DataFrame:
    """The comparisons table as shown to readers: counts above the cut-off as 'k / n', medians
    to two decimals, P values as printed (style.format_p)."""
    c = result["comparisons"]
    medians = {side: c[f"median_{side}"].map(lambda v: "n/a" if math.isnan(v) else f"{v:.2f}") for side in "ab"}
    return pd.DataFrame({
        "comparison": c["comparison"],
        "above cut-off, A": c["above_a"].astype(str) + " / " + c["n_a"].astype(str),
        "above cut-off, B": c["above_b"].astype(str) + " / " + c["n_b"].astype(str),
        "Fisher P": c["fisher_p"].map(style.format_p), "median IL-6, A": medians["a"], "median IL-6, B": medians["b"],
        "Mann-Whitney P": c["mann_whitney_p"].map(style.format_p)}).set_index("comparison")


def comparison_html(result: dict) -> str:
    """comparison_display as a small styled HTML table, for a widget (which, unlike a cell
    output, gets no table styling of its own)."""
    n = result["numbers"]
    styles = [{"selector": "", "props": "border-collapse: collapse; font-size: 12px;"},
              {"selector": "th, td", "props": "padding: 2px 9px; text-align: right;"},
              {"selector": "thead th", "props": "border-bottom: 1px solid #888;"},
              {"selector": "caption", "props": "text-align: left; font-weight: bold; padding-bottom: 4px;"}]
    return (comparison_display(result).style
            .set_caption(f"IL-6 by disease extent, {n['group']}, cut-off {n['cutoff']:g} pg/ml (A vs B)")
            .set_table_styles(styles).to_html())


def sweep_display(scan: pd.DataFrame) -> pd.DataFrame:
    """sweep's numbers as shown to readers: patients (deaths) on each side, log-rank P as
    printed, hazard ratio with its 95 % CI."""
    def hr(row):
        return "n/a" if math.isnan(row["hr"]) else f"{row['hr']:.2f} ({row['hr_lower']:.2f} to {row['hr_upper']:.2f})"
    return pd.DataFrame({
        "above: patients (deaths)": scan["above"].astype(str) + " (" + scan["deaths_above"].astype(str) + ")",
        "at or below: patients (deaths)": (scan["at_or_below"].astype(str) + " ("
                                           + scan["deaths_at_or_below"].astype(str) + ")"),
        "log-rank P": scan["logrank_p"].map(style.format_p), "hazard ratio (95 % CI)": scan.apply(hr, axis=1),
    }).set_axis(scan.index.map(lambda c: f"{c:g}")).rename_axis("cut-off (pg/ml)")


def static_grid(results: list[dict], xmax: float):
    """Kaplan-Meier curves with numbers at risk at each of several cut-offs (explore results,
    one panel each, two columns), on one time axis running to `xmax` months."""
    import matplotlib.pyplot as plt

    rows = math.ceil(len(results) / 2)
    fig, axes = plt.subplots(rows, 2, figsize=(11, 4.6 * rows), sharey=True, squeeze=False)
    for ax, result in zip(axes.flat, results):
        n = result["numbers"]
        plot_km(result, ax, title=f"cut-off {n['cutoff']:g} pg/ml: log-rank {p_text(n['logrank_p'])}", xmax=xmax)
    for ax in axes.flat[len(results):]:
        ax.set_visible(False)
    fig.suptitle(f"Overall survival by IL-6 group at {len(results)} cut-offs, {results[0]['numbers']['group']}")
    fig.tight_layout(h_pad=2.5)
    return fig


def plot_sweep(scan: pd.DataFrame, cutoff: float):
    """Log-rank P (log scale) at every cut-off of `scan` (sweep), with P = 0.05 and the cut-off
    fixed in advance."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.9))
    ax.plot(scan.index, scan["logrank_p"], "o-", color="k", label="log-rank P at each cut-off")
    ax.axhline(0.05, color="0.5", ls=":", lw=1, label="P = 0.05")
    ax.axvline(cutoff, **figures.CUTOFF_LINE, label=f"fixed in advance: {cutoff:g} pg/ml")
    ax.set(xscale="log", yscale="log", xlabel="IL-6 cut-off (pg/ml, log scale)", ylabel="log-rank P (log scale)",
           title=f"Log-rank P across cut-offs, {scan['group'].iloc[0]}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


class Panel:
    """The explorer's figure, kept from one redraw to the next: Kaplan-Meier curves with the
    numbers at risk (plot_km, left) beside the IL-6 values along the four comparisons (plot_il6,
    right), stamped with `label`.

    Both axes are drawn once, on fixed limits (the whole cohort's follow-up and IL-6 range);
    a redraw only replaces the data, counts and titles of the artists drawn then, and renders
    the figure once to PNG (fixed margins, fast compression). Rebuilding axes, ticks and
    legends, or laying the figure out again, would cost most of a redraw. The figure is not a
    pyplot figure, so the inline backend never shows it on its own.
    """

    def __init__(self, t: pd.DataFrame, label: str = RECONSTRUCTED_LABEL, figsize=(11, 5.2), dpi: int = 100):
        self.t = t
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.ax_km, self.ax_il6 = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
        self.figure.subplots_adjust(left=0.085, right=0.99, bottom=0.33, top=0.89, wspace=0.22)
        first = explore(t, 4.0 if 0 < (t["il6"] > 4.0).sum() < len(t) else float(t["il6"].median()))
        self.xmax = float(t["os_months"].max())
        self.km = plot_km(first, self.ax_km, xmax=self.xmax)
        self.ax_km.legend(handles=self.km["lines"], loc="lower left", fontsize=8, frameon=False)
        il6 = t["il6"].to_numpy(float)
        self.il6 = plot_il6(t, first, self.ax_il6, ylim=(il6.min() / 1.5, il6.max() * 1.5))
        self.ax_il6.yaxis.set_major_formatter(style.PlainLogFormatter())
        stamp(self.figure, label, y=0.008)

    def draw(self, result: dict) -> Figure:
        """Put `result` into the kept artists."""
        n = result["numbers"]
        curves = {c["short"]: c for c in _km_curves(result)}
        for i, side in enumerate(SIDES):
            short = side_labels(n["cutoff"])[side].removeprefix("IL-6 ").removesuffix(" pg/ml")
            c = curves.get(short)
            empty = np.array([])
            self.km["lines"][i].set_data(*(c["time"], c["survival"]) if c else (empty, empty))
            self.km["censors"][i].set_data(*(c["censored_time"], c["censored_survival"]) if c else (empty, empty))
            self.km["lines"][i].set_label(f"{side_labels(n['cutoff'])[side]}: n = {n[side]}, "
                                          f"{_deaths(n[f'deaths_{side}'])}")
            self.km["rows"][i].set_text(short)
            counts = figures.at_risk(c["durations"] if c else empty, self.km["ticks"])
            for text, k in zip(self.km["risk"][i], counts):
                text.set_text(str(k))
        for text, line in zip(self.ax_km.get_legend().get_texts(), self.km["lines"]):
            text.set_text(line.get_label())
        self.ax_km.set_title(f"{n['group']}, cut-off {n['cutoff']:g} pg/ml: log-rank {p_text(n['logrank_p'])}",
                             fontsize=10, color="0.1" if not cautions(result) else style.OKABE_ITO["vermillion"])
        columns = _il6_columns(self.t.loc[group_mask(self.t, n["group"])], result)
        for i, ((_, v, above), dots, count) in enumerate(zip(columns, self.il6["dots"], self.il6["counts"])):
            dots.set_offsets(np.column_stack([_jitter(v.size, i), v]) if v.size else np.empty((0, 2)))
            dots.set_facecolors(np.where(v > n["cutoff"], COLORS["above"], COLORS["at_or_below"]))
            count.set_text(f"{above}/{v.size}")
        self.il6["cutoff"].set_ydata([n["cutoff"]] * 2)
        return self.figure

    def png(self, result: dict) -> bytes:
        self.draw(result)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        return buffer.getvalue()
