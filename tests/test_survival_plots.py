"""The study-driven figures of notebooks 05 and 06 (helpers.survival_plots): labels come from the
study file, the Kaplan-Meier curve matches the reference one, and degenerate groups (no events,
no patients, no finite hazard ratio) still give a figure."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import ROOT, figures, survival_plots  # noqa: E402
from helpers.study import load_study  # noqa: E402


@pytest.fixture(scope="module")
def gbsg2():
    return load_study(ROOT / "data" / "gbsg2" / "study.yaml")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def derived(study, time, event, high):
    """What the figures read of helpers.findings.Derived: survival (time, event) and high."""
    index = pd.RangeIndex(len(time))
    return SimpleNamespace(survival=pd.DataFrame({"time": np.asarray(time, float), "event": np.asarray(event, float)},
                                                 index=index),
                           high=pd.DataFrame({study.primary.id: pd.array(high, dtype="boolean")}, index=index))


def cohort(study, n=60, seed=0):
    rng = np.random.default_rng(seed)
    high = rng.random(n) < 0.5
    return derived(study, np.round(rng.exponential(np.where(high, 300, 600))), rng.random(n) < 0.7, high)


def test_km_figure_takes_its_labels_from_the_study(gbsg2):
    fig = survival_plots.km_by_marker(gbsg2, cohort(gbsg2))
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert ax.get_xlabel() == "Days from surgery"
    assert ax.get_ylabel().startswith("Recurrence-free survival")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("oestrogen receptor < 10 fmol/mg") and legend[1].startswith("oestrogen receptor ≥ 10")


def test_nothing_about_the_paper_is_hard_coded(gbsg2):
    study = replace(gbsg2, survival={**gbsg2.survival, "unit": "weeks", "endpoint": "time to flare",
                                     "origin": "randomisation"})
    fig = survival_plots.km_by_marker(study, cohort(study))
    text = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    assert "Weeks from randomisation" in text and "Time to flare" in text
    assert not any(word in text for word in ("IL-6", "pg/ml", "Months", "Overall survival"))


def test_a_group_without_events_still_gives_curves_and_a_median_table(gbsg2):
    n = 20
    high = np.arange(n) % 2 == 0
    d = derived(gbsg2, np.arange(1, n + 1) * 10.0, np.where(high, 1, 0), high)  # no event below the cut-off
    fig = survival_plots.km_by_marker(gbsg2, d)
    assert isinstance(fig, Figure)
    table = survival_plots.median_table(gbsg2, d)
    low = table.iloc[0]
    assert low["events"] == 0 and low["patients"] == n // 2 and np.isnan(low["median"])
    curve = figures.km_curve(d.survival["time"][~high], d.survival["event"][~high], ci=True)
    assert (curve["survival"] == 1).all()


def test_a_group_without_patients_still_gives_a_figure(gbsg2):
    d = derived(gbsg2, [5, 8, 13, 21], [1, 0, 1, 1], [True] * 4)
    assert isinstance(survival_plots.km_by_marker(gbsg2, d), Figure)
    assert survival_plots.median_table(gbsg2, d).iloc[0]["patients"] == 0


def test_forest_plot_names_rows_it_cannot_draw(gbsg2):
    model = pd.DataFrame({"hr": [0.71, 1.0002, "not computable: no events"], "hr_lower": [0.55, 0.9993, None],
                          "hr_upper": [0.91, 1.0011, None]}, index=["tamoxifen", "ER, per fmol/mg", "grade III"])
    fig = survival_plots.cox_forest(gbsg2, model)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ER, per fmol/mg", "tamoxifen"]
    assert "not drawn: grade III" in ax.get_xlabel()
    assert "recurrence-free survival" in fig.texts[0].get_text()
    shown = {t.get_text() for t in ax.texts}
    assert "1.0002 (0.9993 to 1.0011)" in shown  # a narrow interval keeps the decimals that tell its ends apart


def test_marker_by_group_labels_the_marker_and_counts_patients(gbsg2):
    values = pd.Series([0.0, 5, 12, 40, 300, 8, 2, np.nan])
    in_a = pd.Series([True, True, True, False, False, False, pd.NA, True], dtype="boolean")
    fig = survival_plots.marker_by_group(gbsg2, values, in_a, ("group A", "group B"))
    ax = fig.axes[0]
    assert ax.get_ylabel() == "oestrogen receptor (fmol/mg)"
    assert ax.get_yscale() == "linear"  # a zero cannot go on a log axis
    assert [t.get_text() for t in ax.get_xticklabels()] == ["group A\n(n = 3)", "group B\n(n = 3)"]
