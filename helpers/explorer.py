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

import io
import math
import warnings

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from helpers import stats, survival
from helpers.analysis import il6_comparisons

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
COLORS = {"above": "tab:red", "at_or_below": "tab:blue"}


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
    return {"above": f"IL-6 > {cutoff:g} pg/ml", "at_or_below": f"IL-6 <= {cutoff:g} pg/ml"}


def _curve(g: pd.DataFrame) -> dict:
    """Kaplan-Meier step function of one side and the survival at its censored times."""
    kmf = KaplanMeierFitter().fit(g["os_months"], g["death"])
    sf = kmf.survival_function_.iloc[:, 0]
    censored = np.sort(g.loc[g["death"] == 0, "os_months"].to_numpy(float))
    return {"time": sf.index.to_numpy(float), "survival": sf.to_numpy(float),
            "censored_time": censored, "censored_survival": kmf.survival_function_at_times(censored).to_numpy(float)}


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
    """Univariable Cox hazard ratio of above vs at or below (stats.cox, Wald CI and P); NaN when
    no finite estimate exists (a side empty or without deaths, or lifelines not converging
    because the partial likelihood keeps rising as the estimate runs off to 0 or infinity)."""
    nan = {"hr": math.nan, "hr_lower": math.nan, "hr_upper": math.nan, "hr_p": math.nan}
    high, died = g["il6_high"].astype(bool), g["death"].astype(bool)
    if not ((high & died).any() and (~high & died).any()):
        return nan
    frame = g[["os_months", "death", "il6_high"]].astype(float)
    with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            row = stats.cox(frame, "os_months", "death", ["il6_high"]).loc["il6_high"]
        except (ConvergenceWarning, ConvergenceError):
            return nan
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
    - "curves": per non-empty side, the Kaplan-Meier step function (time, survival) and the
      censored times with the survival there;
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
    curves = {side: _curve(g[g["il6_high"] == flag]) for side, flag in zip(SIDES, (True, False))
              if (g["il6_high"] == flag).any()}
    return {"numbers": numbers, "survival": table, "curves": curves, "comparisons": _comparisons(g)}


def sweep(t: pd.DataFrame, group: str = "all patients", cutoffs=CUTOFFS) -> pd.DataFrame:
    """explore's numbers at every cut-off, one row per cut-off."""
    return pd.DataFrame([explore(t, c, group)["numbers"] for c in cutoffs]).set_index("cutoff")


def _deaths(k: int) -> str:
    return f"{k} death" if k == 1 else f"{k} deaths"


def _p_text(p: float) -> str:
    if math.isnan(p):
        return "n/a"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


def headline(result: dict) -> str:
    """One line in words: group, cut-off, counts, log-rank P and hazard ratio."""
    n = result["numbers"]
    hr = ("HR n/a" if math.isnan(n["hr"])
          else f"HR {n['hr']:.2f} (95% CI {n['hr_lower']:.2f}-{n['hr_upper']:.2f})")
    return (f"{n['group']}, cut-off {n['cutoff']:g} pg/ml: {n['above']} above ({_deaths(n['deaths_above'])}), "
            f"{n['at_or_below']} at or below ({_deaths(n['deaths_at_or_below'])}); "
            f"log-rank P = {_p_text(n['logrank_p'])}; {hr}")


def plot_km(result: dict, ax, title: str | None = None):
    """Both Kaplan-Meier curves on `ax` (steps, censored times as ticks), the counts in the
    legend and the log-rank P in the title."""
    n = result["numbers"]
    labels = side_labels(n["cutoff"])
    for side, c in result["curves"].items():
        ax.step(c["time"], c["survival"], where="post", color=COLORS[side],
                label=f"{labels[side]}: n = {n[side]}, {_deaths(n[f'deaths_{side}'])}")
        ax.plot(c["censored_time"], c["censored_survival"], "|", color=COLORS[side], ms=7)
    ax.set(ylim=(0, 1.03), xlim=(0, None), xlabel="Months from blood sampling", ylabel="Overall survival",
           title=title or f"{n['group']}, cut-off {n['cutoff']:g} pg/ml: log-rank P = {_p_text(n['logrank_p'])}")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return ax


def plot_il6(t: pd.DataFrame, result: dict, ax):
    """IL-6 of the group's patients on each side of the four disease-extent comparisons (log
    scale), the cut-off as a line and the number above it over each column."""
    n = result["numbers"]
    g = t.loc[group_mask(t, n["group"])]
    columns = []
    for prefix, (label, a, b) in il6_comparisons(g).items():
        if prefix in DISEASE_EXTENT:
            row = result["comparisons"].loc[prefix]
            name_b = f"no {row['group_a']}" if row["group_b"] == "none" else row["group_b"]
            columns += [(row["group_a"], g.loc[a, "il6"], row["above_a"]), (name_b, g.loc[b, "il6"], row["above_b"])]
    rng = np.random.default_rng(0)
    for i, (_, values, above) in enumerate(columns):
        v = values.to_numpy(float)
        ax.scatter(i + rng.uniform(-0.18, 0.18, v.size), v, s=12, alpha=0.8,
                   c=np.where(v > n["cutoff"], COLORS["above"], COLORS["at_or_below"]))
        ax.text(i, 1.0, f"{above}/{v.size}", transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=8)
    ax.axhline(n["cutoff"], color="0.3", ls="--", lw=1)
    for x in (1.5, 3.5, 5.5):
        ax.axvline(x, color="0.85", lw=0.8)
    ax.set(yscale="log", xlim=(-0.6, len(columns) - 0.4), ylabel="IL-6 (pg/ml)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.1, 1, 10: no mathtext
    ax.yaxis.set_minor_locator(NullLocator())  # minor ticks of a log axis cost most of a redraw
    ax.set_xticks(range(len(columns)), [name for name, _, _ in columns], rotation=35, ha="right", fontsize=8)
    ax.set_title("above the cut-off / patients", fontsize=9, pad=14)
    return ax


def comparison_display(result: dict) -> pd.DataFrame:
    """The comparisons table as shown to readers: counts above the cut-off as 'k / n'."""
    c = result["comparisons"]
    return pd.DataFrame({
        "comparison": c["comparison"],
        "above cut-off, A": c["above_a"].astype(str) + " / " + c["n_a"].astype(str),
        "above cut-off, B": c["above_b"].astype(str) + " / " + c["n_b"].astype(str),
        "Fisher P": c["fisher_p"], "median IL-6, A": c["median_a"], "median IL-6, B": c["median_b"],
        "Mann-Whitney P": c["mann_whitney_p"]})


def comparison_html(result: dict) -> str:
    """comparison_display as a small styled HTML table, for a widget (which, unlike a cell
    output, gets no table styling of its own)."""
    n = result["numbers"]
    styles = [{"selector": "", "props": "border-collapse: collapse; font-size: 12px;"},
              {"selector": "th, td", "props": "padding: 2px 9px; text-align: right;"},
              {"selector": "thead th", "props": "border-bottom: 1px solid #888;"},
              {"selector": "caption", "props": "text-align: left; font-weight: bold; padding-bottom: 4px;"}]
    return (comparison_display(result).style.format(precision=4, na_rep="n/a")
            .set_caption(f"IL-6 by disease extent, {n['group']}, cut-off {n['cutoff']:g} pg/ml (A vs B)")
            .set_table_styles(styles).to_html())


class Panel:
    """The explorer's figure, kept from one redraw to the next: Kaplan-Meier curves (plot_km,
    left) beside the IL-6 values along the four comparisons (plot_il6, right).

    A redraw clears and refills the same two axes and renders the figure once to PNG (fixed
    margins, no tight_layout or tight bounding box, each of which costs another full draw). The
    canvas, and with it matplotlib's text-layout cache, survives between redraws, which about
    halves the cost of a new figure. The figure is not a pyplot figure, so the inline backend
    never shows it on its own.
    """

    def __init__(self, t: pd.DataFrame, figsize=(11, 4.3), dpi: int = 100):
        self.t = t
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.ax_km, self.ax_il6 = self.figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
        self.figure.subplots_adjust(left=0.06, right=0.99, bottom=0.26, top=0.88, wspace=0.2)

    def draw(self, result: dict) -> Figure:
        self.ax_km.clear()
        self.ax_il6.clear()
        plot_km(result, self.ax_km)
        plot_il6(self.t, result, self.ax_il6)
        return self.figure

    def png(self, result: dict) -> bytes:
        self.draw(result)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        return buffer.getvalue()
