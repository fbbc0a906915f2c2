"""helpers.study_figures on a small made-up study: each figure is a Figure labelled with the
study's own marker (name and unit, never IL-6), chooses a log / symlog / linear axis from the
values, draws one point per patient, and copes with zeros, an empty group and no data."""
from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import findings, study_figures  # noqa: E402
from helpers.study import Group, Marker  # noqa: E402

NAME, UNIT = "widget protein", "ng/ml"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_study(cutoff=10.0, correlate=True):
    marker = Marker("WID", NAME, UNIT, cutoff, "made up for the test")
    groups = {"stage": Group("stage", "stage", ("late",), ("early",), ("late stage", "early stage")),
              "nobody": Group("nobody", "stage", ("none",), ("early", "late"), ("no patient", "everyone"))}
    return SimpleNamespace(primary=marker, markers=(marker,), groups=groups, comparisons=("stage", "nobody"),
                           correlate={"column": "score", "name": "damage score", "unit": "points"} if correlate else None)


def make_table(n=40, seed=1):
    rng = np.random.default_rng(seed)
    values = np.round(10 ** rng.uniform(0, 3, n))
    values[:6] = 0  # a receptor-like assay: some patients read 0
    return pd.DataFrame({"wid": values, "stage": np.where(np.arange(n) % 2, "late", "early"),
                         "score": rng.uniform(1, 5, n)})


def derived(study, table):
    return SimpleNamespace(table=table, groups=pd.DataFrame(
        {name: findings.membership(table, g) for name, g in study.groups.items()}))


def n_points(ax) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def all_text(fig) -> str:
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return " ".join(texts)


def test_scale_follows_the_values():
    assert study_figures.scale_for([0.5, 3, 200]) == "log"
    assert study_figures.scale_for([0, 1, 5, 900]) == "symlog"  # zeros kept on the axis
    assert study_figures.scale_for([2, 3, 9]) == "linear"  # less than two decades
    assert study_figures.scale_for([-1, 5, 500]) == "linear"
    assert study_figures.scale_for([np.nan, 0, 0]) == "linear"


def test_distribution_is_labelled_with_the_study_marker_and_keeps_zeros():
    study, table = make_study(), make_table()
    fig = study_figures.marker_distribution(study, table)
    assert isinstance(fig, Figure)
    bottom = fig.axes[1]
    assert NAME in bottom.get_xlabel() and UNIT in bottom.get_xlabel()
    assert bottom.get_xscale() == "symlog"
    assert n_points(bottom) == len(table)  # the zeros are drawn, not dropped by a log axis
    assert bottom.get_xlim()[0] < 0 < bottom.get_xlim()[1]
    assert "IL-6" not in all_text(fig) and "pg/ml" not in all_text(fig)


def test_distribution_without_any_result_says_so():
    table = make_table().assign(wid=np.nan)
    fig = study_figures.marker_distribution(make_study(), table)
    assert "no widget protein result" in all_text(fig)


def test_groups_figure_copes_with_an_empty_group():
    study, table = make_study(), make_table()
    comparisons = findings.comparison_table(study, derived(study, table))
    fig = study_figures.marker_by_groups(study, table, derived(study, table).groups, comparisons)
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 2
    assert NAME in shown[0].get_ylabel() and UNIT in shown[0].get_ylabel()
    assert n_points(shown[0]) == len(table)
    empty = shown[1]
    assert "(n = 0)" in " ".join(t.get_text() for t in empty.get_xticklabels())
    assert "not tested" in empty.get_title()


def test_correlate_scatter_labels_both_axes():
    study, table = make_study(), make_table()
    fig = study_figures.marker_vs_correlate(study, table, {"correlate.r": 0.31, "correlate.n": len(table)})
    ax = fig.axes[0]
    assert NAME in ax.get_ylabel() and UNIT in ax.get_ylabel()
    assert "damage score" in ax.get_xlabel() and "points" in ax.get_xlabel()
    assert ax.get_xscale() == "linear" and ax.get_yscale() == "symlog"
    assert n_points(ax) == len(table)
    assert "r = 0.31" in ax.get_title()


def test_correlate_scatter_without_pairs():
    table = make_table().assign(score=np.nan)
    fig = study_figures.marker_vs_correlate(make_study(), table)
    assert "no patient has both" in all_text(fig)


def test_a_marker_without_cutoff_is_drawn_in_one_colour():
    study, table = make_study(cutoff=None), make_table()
    comparisons = findings.comparison_table(study, derived(study, table))
    figs = [study_figures.marker_distribution(study, table),
            study_figures.marker_by_groups(study, table, derived(study, table).groups, comparisons),
            study_figures.marker_vs_correlate(study, table)]
    assert all(isinstance(f, Figure) for f in figs)
    assert "cut-off" not in " ".join(all_text(f) for f in figs)
