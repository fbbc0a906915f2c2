"""Smoke tests of helpers.figures on the committed cohort: each function returns a Figure with
the expected axes and draws what it should (points per patient, labels, titles)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import (analysis, appraisal, describe, figures, findings, sensitivity, stats, study_figures,  # noqa: E402
                     survival, survival_plots)
from helpers.study import load_study  # noqa: E402
from helpers.registry import load_registry  # noqa: E402

CUTOFF = 4.0


PAPER = load_study()


@pytest.fixture(scope="module")
def t(cohort):
    return analysis.add_covariates(cohort.table, CUTOFF)


@pytest.fixture(scope="module")
def lloq(cohort):
    return cohort.assays.lowest_lloq("IL6")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def n_points(ax) -> int:
    """Points drawn by scatter on one axes."""
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def test_il6_distribution(t, cohort):
    detect = describe.detectability(t, cohort.assays.concentrations)
    above = describe.above_cutoff(t["il6"], CUTOFF)
    fig = figures.il6_distribution(t, detect, above, CUTOFF)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    top, bottom = fig.axes
    assert n_points(bottom) == len(t)  # one dot per patient
    assert f"{above['above']} of {above['n']} patients" in top.get_title()
    assert len(bottom.get_legend().get_texts()) == 3


def test_il6_by_extent(t, lloq):
    comparisons = analysis.comparison_table(t, prefixes=("R07", "R08", "R09", "R10"))
    fig = figures.il6_by_extent(t, comparisons, lloq, CUTOFF)
    assert len(fig.axes) == 4
    for ax, prefix in zip(fig.axes, ("R07", "R08", "R09", "R10")):
        row = comparisons.loc[prefix]
        assert ax.get_title().startswith(f"{prefix}: P ")  # "P = 0.024" or "P < 0.0001"
        assert n_points(ax) == row["n_a"] + row["n_b"]
    assert len(fig.legends[0].get_texts()) == 7  # two IL-6 groups, LLOQ marker, median, IQR, LLOQ, cut-off


def test_il6_by_response(t, lloq):
    categories = ["CR", "PR", "NC", "PD", "NE"]
    counts = t["response"].value_counts().reindex(categories, fill_value=0)
    row = analysis.comparison_table(t, prefixes=("R12",)).loc["R12"]
    fig = figures.il6_by_response(t, row, categories, counts, lloq, CUTOFF)
    (ax,) = fig.axes
    assert n_points(ax) == counts.sum() == len(t)
    assert [tick.get_text() for tick in ax.get_xticklabels()] == [f"{c}\n(n = {counts[c]})" for c in categories]
    assert len(ax.get_legend().get_texts()) == 7


@pytest.fixture(scope="module")
def best(t):
    return appraisal.min_p_cutpoint(t, (0.1, 0.9))


def test_min_p_curve(best):
    threshold = appraisal.lausen_schumacher_threshold(0.05, (0.1, 0.9))
    fig = figures.min_p_curve(best.curve, best, 0.05, threshold, CUTOFF)
    (ax,) = fig.axes
    assert len(ax.lines[0].get_xdata()) == len(best.curve)  # one marker per candidate cut-off
    assert np.allclose(ax.collections[0].get_offsets(), [[best.cutoff, -np.log10(best.p)]])
    assert len(ax.get_legend().get_texts()) == 5


def test_min_p_null_histogram(t, best):
    perm = appraisal.min_p_permutation(t, (0.1, 0.9), n_permutations=50, seed=0, alpha=0.05)
    fig = figures.min_p_null_histogram(perm, best, 0.05, 50)
    (ax,) = fig.axes
    assert sum(p.get_height() for p in ax.patches) == 50  # every shuffled data set in some bin
    assert "50 data sets" in ax.get_title()


def test_events_per_variable(t):
    epv = appraisal.epv_table(t)
    fig = figures.events_per_variable(epv)
    assert len(fig.axes) == 2
    bars, forest = fig.axes
    assert len(bars.patches) == len(epv)
    assert [x.get_text() for x in forest.get_yticklabels()][0].endswith(f"(EPV {epv['epv'].iloc[0]:.1f})")


def test_related_studies(t, best):
    studies = appraisal.related_studies(t, label="Reconstructed cohort")
    hr = {}
    for cut in (CUTOFF, best.cutoff):
        hr[cut] = survival.univariable_cox(t.assign(il6_high=t["il6"] > cut), ["il6_high"]).loc["il6_high"]
    hr_compare = pd.DataFrame(hr).T
    multi = survival.multivariable_cox(t).loc["il6_high"]
    fig = figures.related_studies(studies, multi, hr_compare, best.cutoff, CUTOFF, "Reconstructed cohort")
    medians, hrs = fig.axes
    n_with_medians = len(studies.dropna(subset=["sites_high"]))
    assert n_points(medians) == 2 * 4 * n_with_medians  # open and filled dot, four comparisons, each study
    labels = [x.get_text() for x in hrs.get_yticklabels()]
    assert len(labels) == 4 and labels[-1] == "Lin 2015 pooled (13 studies)"
    assert labels[2].endswith(f"minimum-P cut-off {best.cutoff:.2f}")


def test_truth_vs_measured(t, data_dir):
    truth = pd.read_csv(data_dir / "generator_truth" / "concentrations.csv").query("analyte == 'IL6'")
    il6 = t[["sample_id", "il6", "il6_status"]].merge(truth[["sample_id", "true_pg_ml"]], on="sample_id",
                                                      validate="one_to_one")
    il6["error_pct"] = 100 * (il6["il6"] / il6["true_pg_ml"] - 1)
    fig = figures.truth_vs_measured(il6)
    measured, error = fig.axes
    assert n_points(measured) == n_points(error) == len(t)
    legend = [x.get_text() for x in measured.get_legend().get_texts()]
    assert f"quantified ({(il6['il6_status'] == 'quantified').sum()})" in legend


def test_il6_design_layout(t):
    registry = load_registry()
    fig = figures.il6_design_layout(t, registry, CUTOFF)
    top, bottom = fig.axes
    assert [x.get_text() for x in top.texts] == [
        f"{rid} {registry.loc[rid, 'reported']}"
        for rid in sorted(figures.DESIGN_MEDIAN_IDS, key=lambda r: float(registry.loc[r, "reported"]))]
    assert [x.get_text() for x in bottom.get_yticklabels()][-1] == "responder (CR/PR)"
    # one square per member of each group, plus one median tick per non-empty group
    groups = [t["multiple_sites"], t["visceral"], t["liver_metastasis"], t["pleural_effusion"],
              t["responder"] == False, t["responder"] == True]  # noqa: E712
    assert n_points(bottom) == sum(int(g.sum()) + (g.sum() > 0) for g in groups)


def test_verdict_matrix():
    ids = ["R01", "R02", "R03"]
    built = sensitivity.ScenarioOutcome(
        "committed", {}, "built",
        scorecard=pd.DataFrame({"verdict": ["reproduced", "direction only", "not reproduced"]}, index=ids))
    failed = sensitivity.ScenarioOutcome("broken", {"seed": 9}, sensitivity.BUILD_FAILED, reason="no cohort fits")
    outcomes = [built, failed]
    matrix = sensitivity.verdict_matrix(outcomes, ids)
    fig = figures.verdict_matrix(matrix, outcomes)
    (ax,) = fig.axes
    assert ax.images[0].get_array().tolist() == [[0, 1, 2], [3, 3, 3]]
    assert [x.get_text() for x in ax.texts] == ["build failed: no cohort fits"]
    assert [x.get_text() for x in ax.get_yticklabels()] == ["committed", "broken"]


# --- palette, label, log axes and the figures moved out of the notebooks ------------------

def test_palette_survives_deuteranopia():
    """Within each palette every pair of colours stays apart as a deuteranope (and a protanope)
    sees it: CIE76 delta E of at least 15 after Machado et al.'s simulation."""
    from helpers import style

    for name, palette in style.PALETTES.items():
        colours = {k: v for k, v in palette.items() if k != "empty"}
        for kind in ("deuteranopia", "protanopia"):
            (pair, distance), *_ = style.distinguishable(colours, kind).items()
            assert distance >= 15, f"{name}: {pair} only {distance:.1f} apart under {kind}"
    old = {"reproduced": "#4c9a2a", "not reproduced": "#c0392b"}  # the red / green this palette replaced
    assert next(iter(style.distinguishable(old).values())) < 10


def test_one_colour_per_group_everywhere(t):
    from helpers import explorer, style

    assert explorer.COLORS == {"above": style.HIGH_IL6, "at_or_below": style.LOW_IL6}
    assert figures.VERDICT_COLOURS["reproduced"] == style.VERDICT_COLOURS["reproduced"]
    fig = survival_plots.km_by_marker(PAPER, findings.derive(PAPER, t))
    colours = {line.get_label().split(" (")[0]: line.get_color() for line in fig.axes[0].get_lines()
               if not line.get_label().startswith("_")}
    assert colours == {f"IL-6 > {CUTOFF:g} pg/ml": style.HIGH_IL6, f"IL-6 ≤ {CUTOFF:g} pg/ml": style.LOW_IL6}


def test_stamp_sits_below_everything_and_is_legible(t):
    from helpers.notebook import RECONSTRUCTED_LABEL, stamp
    from helpers.style import STAMP_FONTSIZE

    fig = stamp(study_figures.marker_vs_correlate(PAPER, t))
    (label,) = [x for x in fig.texts if x.get_text() == RECONSTRUCTED_LABEL]
    renderer = fig.canvas.get_renderer()
    box = label.get_window_extent(renderer)
    for ax in fig.axes:
        assert ax.get_tightbbox(renderer).y0 > box.y1, "the label overlaps an axis or its labels"
    assert label.get_fontsize() >= STAMP_FONTSIZE >= 10


def test_log_axes_have_plain_numbers(t):
    from helpers.style import plain_log_axes, plain_number

    fig = study_figures.marker_vs_correlate(PAPER, t)
    plain_log_axes(fig)
    fig.canvas.draw()
    labels = [x.get_text() for ax in fig.axes for x in ax.get_xticklabels() + ax.get_yticklabels() if x.get_text()]
    assert labels and not [x for x in labels if "^" in x or "e" in x or "$" in x]
    assert [plain_number(v) for v in (0.001, 0.5, 10.0, 2000.0)] == ["0.001", "0.5", "10", "2000"]


def test_p_values_as_printed():
    from helpers.style import format_p, p_text

    assert [format_p(p) for p in (0.00003, 0.0001, 0.00058, 0.024, 0.5, float("nan"))] == \
        ["< 0.0001", "0.0001", "0.00058", "0.024", "0.5", "n/a"]
    assert p_text(0.00001) == "P < 0.0001" and p_text(0.03) == "P = 0.03"


def test_km_curve_equals_lifelines_and_counts_at_risk():
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(1)
    durations, events = np.round(rng.exponential(20, 40)), rng.random(40) < 0.7
    curve = figures.km_curve(durations, events, ci=True)
    kmf = KaplanMeierFitter().fit(durations, events)
    assert np.allclose(curve["time"], kmf.survival_function_.index)
    assert np.allclose(curve["survival"], kmf.survival_function_.iloc[:, 0])
    assert np.allclose(curve["censored_survival"], kmf.survival_function_at_times(curve["censored_time"]))
    assert len(curve["lower"]) == len(curve["time"])
    assert figures.at_risk([1, 2, 2, 5], [0, 2, 3, 6]) == [4, 3, 1, 0]


def test_every_km_plot_has_numbers_at_risk(t):
    fig = survival_plots.km_by_marker(PAPER, findings.derive(PAPER, t))
    texts = [x.get_text() for x in fig.axes[0].texts]
    assert "Number at risk" in texts
    high, low = (t["il6"] > CUTOFF).sum(), (t["il6"] <= CUTOFF).sum()
    assert str(high) in texts and str(low) in texts  # everybody is at risk at time 0


def test_figures_from_the_notebooks(t):
    multivariable = survival.multivariable_cox(t).rename(index=survival.LABELS)
    fig = survival_plots.cox_forest(PAPER, multivariable)
    assert [x.get_text() for x in fig.axes[0].get_yticklabels()] == list(multivariable.index[::-1])
    assert all("^" not in x.get_text() for x in fig.axes[0].get_xticklabels())
    card = pd.DataFrame({"verdict": ["reproduced", "not reproduced"]}, index=["R01", "R11b"])
    fig = figures.verdict_strip(card, card["verdict"].value_counts())
    assert [x.get_text() for x in fig.axes[0].texts] == ["R01", "R11b"]
    assert "not reproduced (1)" in [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    remark = appraisal.remark_checklist()
    fig = figures.remark_items(remark)
    assert len(fig.axes[0].patches) == len(remark)
    pvals = appraisal.adjust_p_values(appraisal.all_p_values(t), 0.05)
    fig = figures.p_value_ranks(pvals, 0.05)
    assert n_points(fig.axes[0]) == len(pvals)
