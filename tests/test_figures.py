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

from helpers import analysis, appraisal, describe, figures, sensitivity, stats, survival  # noqa: E402
from helpers.registry import load_registry  # noqa: E402

CUTOFF = 4.0


@pytest.fixture(scope="module")
def t(cohort):
    return analysis.add_covariates(cohort.table, CUTOFF)


@pytest.fixture(scope="module")
def lloq(cohort):
    return min(p.lloq for p in cohort.assays.plates if p.analyte == "IL6")


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
    comparisons = analysis.comparison_table(t, prefixes=("R07", "R08", "R09", "R10"), n_resamples=200)
    fig = figures.il6_by_extent(t, comparisons, lloq, CUTOFF)
    assert len(fig.axes) == 4
    for ax, prefix in zip(fig.axes, ("R07", "R08", "R09", "R10")):
        row = comparisons.loc[prefix]
        assert ax.get_title().startswith(f"{prefix}: P = ")
        assert n_points(ax) == row["n_a"] + row["n_b"]
    assert len(fig.legends[0].get_texts()) == 6


def test_il6_by_response(t, lloq):
    categories = ["CR", "PR", "NC", "PD", "NE"]
    counts = t["response"].value_counts().reindex(categories, fill_value=0)
    row = analysis.comparison_table(t, prefixes=("R12",), n_resamples=200).loc["R12"]
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
        frame = analysis.survival_frame(t.assign(il6_high=t["il6"] > cut))
        hr[cut] = stats.cox(frame, "os_months", "death", ["il6_high"]).loc["il6_high"]
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
