"""The cut-off explorer (helpers.explorer): agreement with the analysis helpers at the paper's
cut-off, counts by hand on a small frame, degenerate groups. How fast a redraw is, in a
process and through the widgets of notebook 09 in a live kernel, is measured by the benchmark
(helpers.benchmark), not asserted here."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import scipy.stats  # noqa: E402

from helpers import analysis, explorer  # noqa: E402

@pytest.fixture(scope="module")
def t(cohort):
    return analysis.add_covariates(cohort.table)


@pytest.fixture
def small():
    """Eight patients; IL-6 values chosen around a cut-off of 4 (one exactly at it)."""
    frame = pd.DataFrame({
        "il6":       [0.5, 2.0, 4.0, 4.5, 10.0, 30.0, 1.0, 8.0],
        "os_months": [40, 30, 25, 12, 8, 5, 6, 20],
        "death":     [0, 1, 0, 1, 1, 1, 1, 0],
        "n_sites":   [1, 1, 2, 2, 3, 2, 1, 1],
        "dominant_site": ["bone", "bone", "visceral", "visceral", "visceral", "visceral", "soft_tissue", "visceral"],
        "liver_metastasis": [False, False, False, True, True, True, False, False],
        "pleural_effusion": [False, False, True, False, True, False, False, False],
        "dfi_months": [60, 30, 12, 10, 6, 18, 48, 20],
        "er_status": ["positive"] * 4 + ["negative"] * 4,
        "age": [50, 60, 55, 45, 70, 65, 58, 62],
        "response": ["PR", "NC", "PD", "PD", "PD", "PD", "CR", "NC"],
    })
    return analysis.add_covariates(frame)


def test_paper_cutoff_on_all_patients_equals_analysis_values(t):
    res = explorer.explore(t, analysis.CUTOFF_PG_ML, "all patients")
    n, surv, comp = res["numbers"], analysis.survival_values(t), analysis.comparison_values(t)
    assert n["patients"] == len(t) == n["above"] + n["at_or_below"]
    assert n["above"] == analysis.cytokine_values(t)["R06a"]
    assert n["logrank_p"] == pytest.approx(surv["R13a"], rel=1e-12)
    assert n["hr"] == pytest.approx(surv["R13b"], rel=1e-9)
    for prefix in explorer.DISEASE_EXTENT:
        row = res["comparisons"].loc[prefix]
        assert row["median_a"] == pytest.approx(comp[f"{prefix}a"], rel=1e-12)
        assert row["median_b"] == pytest.approx(comp[f"{prefix}b"], rel=1e-12)
        assert row["mann_whitney_p"] == pytest.approx(comp[f"{prefix}c"], rel=1e-12)
    assert res["survival"]["deaths"].sum() == t["death"].sum()


def test_counts_by_hand(small):
    res = explorer.explore(small, 4.0, "all patients")
    n = res["numbers"]
    # above 4: 4.5, 10, 30, 8 (4.0 itself is "at or below")
    assert (n["above"], n["at_or_below"]) == (4, 4)
    assert (n["deaths_above"], n["deaths_at_or_below"]) == (3, 2)
    assert res["survival"].loc["above", "patients"] == 4
    comp = res["comparisons"]
    # R07 more than one site (n_sites > 1): IL-6 4.0, 4.5, 10, 30 -> 3 above; one site: 0.5, 2, 1, 8 -> 1 above
    assert comp.loc["R07", ["n_a", "above_a", "n_b", "above_b"]].tolist() == [4, 3, 4, 1]
    assert comp.loc["R07", "median_a"] == pytest.approx(np.median([4.0, 4.5, 10, 30]))
    # R09 liver: 4.5, 10, 30 -> 3 of 3 above; no liver: 0.5, 2, 4, 1, 8 -> 1 of 5
    assert comp.loc["R09", ["n_a", "above_a", "n_b", "above_b"]].tolist() == [3, 3, 5, 1]
    # the Fisher P is that of the counts above the cut-off
    assert comp.loc["R09", "fisher_p"] == pytest.approx(scipy.stats.fisher_exact([[3, 0], [1, 4]]).pvalue)


def test_group_restricts_patients(small):
    res = explorer.explore(small, 4.0, "dominant visceral")
    n = res["numbers"]
    assert n["patients"] == 5 and (n["above"], n["at_or_below"]) == (4, 1)
    comp = res["comparisons"]
    # within visceral patients the visceral comparison has an empty side: NaN, not an error
    assert comp.loc["R08", "n_b"] == 0 and math.isnan(comp.loc["R08", "mann_whitney_p"])
    assert comp.loc["R07", "n_a"] == 4


def test_cutoff_above_every_value_leaves_one_side(small):
    res = explorer.explore(small, 100.0, "all patients")
    n = res["numbers"]
    assert (n["above"], n["at_or_below"]) == (0, 8)
    assert math.isnan(n["logrank_p"]) and math.isnan(n["hr"])
    assert list(res["curves"]) == ["at_or_below"]
    assert math.isnan(res["survival"].loc["above", "median_os_months"])
    fig, ax = plt.subplots()
    explorer.plot_km(res, ax)  # draws one curve, no error
    assert "n/a" in ax.get_title()
    plt.close(fig)


def test_hazard_ratio_missing_when_a_side_has_no_deaths(small):
    assert not math.isnan(explorer.explore(small, 4.0)["numbers"]["hr"])
    # in "one site" at cut-off 4 the only patient above (IL-6 8) is censored: no HR
    res = explorer.explore(small, 4.0, "one site")
    assert res["numbers"]["deaths_above"] == 0 and math.isnan(res["numbers"]["hr"])


def test_unknown_group_is_an_error(small):
    with pytest.raises(ValueError, match="unknown group"):
        explorer.explore(small, 4.0, "everyone")


def test_every_group_and_cutoff_works(t):
    for group in explorer.GROUPS:
        for cutoff in (explorer.CUTOFFS[0], 4.0, explorer.CUTOFFS[-1]):
            n = explorer.explore(t, cutoff, group)["numbers"]
            assert n["above"] + n["at_or_below"] == n["patients"] == explorer.group_mask(t, group).sum()


def test_sweep_one_row_per_cutoff(t):
    scan = explorer.sweep(t, "all patients", cutoffs=(2.0, 4.0))
    assert list(scan.index) == [2.0, 4.0]
    assert scan.loc[4.0, "logrank_p"] == explorer.explore(t, 4.0)["numbers"]["logrank_p"]
    assert scan["above"].is_monotonic_decreasing


def test_small_sides_are_flagged(small, t):
    res = explorer.explore(small, 4.0, "one site")  # one patient above, no deaths there
    assert explorer.cautions(res) and "Caution" in explorer.headline(res)
    assert "Caution" in explorer.headline_html(res) and explorer.headline_html(res).startswith("<b>")
    assert not explorer.cautions(explorer.explore(t, 4.0))
    assert "Caution" not in explorer.headline(explorer.explore(t, 4.0))


def test_reader_tables_have_words_and_printed_p(t):
    res = explorer.explore(t, 4.0)
    survival = explorer.survival_display(res)
    assert list(survival.index) == ["IL-6 > 4 pg/ml", "IL-6 ≤ 4 pg/ml"]
    shown = explorer.comparison_display(res)
    assert shown.loc["more than one site vs one site", "Mann-Whitney P"] == "< 0.0001"
    scan = explorer.sweep_display(explorer.sweep(t, cutoffs=(2.0, 4.0)))
    assert list(scan.index) == ["2", "4"] and "hazard ratio (95 % CI)" in scan.columns
    assert not any("_" in c for c in [*survival.columns, *shown.columns, *scan.columns])


def test_panel_keeps_its_axes_and_shows_numbers_at_risk(t):
    panel = explorer.Panel(t)
    ticks = panel.ax_km.get_xticks().tolist()
    panel.png(explorer.explore(t, 16.0, "liver metastasis"))
    assert panel.ax_km.get_xticks().tolist() == ticks  # fixed axes: nothing re-laid out
    texts = [x.get_text() for x in panel.ax_km.texts]
    n = explorer.explore(t, 16.0, "liver metastasis")["numbers"]
    assert "Number at risk" in texts and str(n["above"]) in texts and str(n["at_or_below"]) in texts
    assert panel.ax_km.get_legend().get_texts()[0].get_text().startswith(f"IL-6 > 16 pg/ml: n = {n['above']}")
