"""Survival helpers against hand answers and a second Cox implementation (statsmodels PHReg)."""
import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.hazard_regression import PHReg

from helpers import survival


@pytest.fixture(scope="module")
def table():
    """60 patients with all model covariates, exponential times with real effects, ties."""
    rng = np.random.default_rng(7)
    n = 60
    t = pd.DataFrame({
        "il6": np.exp(rng.normal(1, 1.2, n)),
        "dfi_short": rng.random(n) < 0.4,
        "multiple_sites": rng.random(n) < 0.6,
        "visceral": rng.random(n) < 0.5,
        "er_negative": rng.random(n) < 0.4,
        "age_per_10y": rng.normal(5.4, 1.0, n),
    })
    t["il6_high"] = t["il6"] > 4
    hazard = 0.03 * np.exp(1.0 * t["il6_high"] + 0.8 * t["dfi_short"])
    time = np.round(rng.exponential(1 / hazard), 0) + 1  # whole months: many ties
    follow = rng.uniform(12, 60, n).round()
    t["os_months"] = np.minimum(time, follow)
    t["death"] = (time <= follow).astype(int)
    return t


def phreg(t, covariates):
    model = PHReg(t["os_months"].to_numpy(float), t[list(covariates)].to_numpy(float),
                  status=t["death"].to_numpy(float), ties="efron").fit()
    return model.params, model.bse


def test_multivariable_cox_matches_statsmodels(table):
    cols = list(survival.COX_COVARIATES)
    ours = survival.multivariable_cox(table)
    params, bse = phreg(table, cols)
    np.testing.assert_allclose(ours.loc[cols, "coef"], params, atol=1e-5)
    np.testing.assert_allclose(ours.loc[cols, "se"], bse, atol=1e-4)


def test_univariable_cox_fits_each_covariate_alone(table):
    ours = survival.univariable_cox(table)
    assert list(ours.index) == list(survival.COX_COVARIATES)
    for cov in ("il6_high", "age_per_10y"):
        params, _ = phreg(table, [cov])
        assert ours.loc[cov, "coef"] == pytest.approx(params[0], abs=1e-5)


def test_log2_sensitivity_replaces_the_cut_off_by_log2_il6(table):
    res = survival.log2_sensitivity(table)
    assert "il6_high" not in res.index and res.index[0] == "log2_il6"
    cols = ["log2_il6", *[c for c in survival.COX_COVARIATES if c != "il6_high"]]
    params, _ = phreg(table.assign(log2_il6=np.log2(table["il6"])), cols)
    np.testing.assert_allclose(res.loc[cols, "coef"], params, atol=1e-5)


def test_group_summary_counts_and_km_median_by_hand():
    # group True: times 2,4,6 all deaths -> S drops to 2/3, 1/3, 0: median 4 (first S <= 0.5)
    # group False: 5 patients, deaths at 3 and 8, censored 10, 12, 14 -> S = 0.8, 0.6: median not reached (NaN)
    t = pd.DataFrame({"os_months": [2, 4, 6, 3, 8, 10, 12, 14], "death": [1, 1, 1, 1, 1, 0, 0, 0],
                      "il6_high": [True] * 3 + [False] * 5})
    s = survival.group_summary(t)
    assert (s.loc[True, "patients"], s.loc[True, "deaths"], s.loc[True, "median_os_months"]) == (3, 3, 4.0)
    assert (s.loc[False, "patients"], s.loc[False, "deaths"]) == (5, 2)
    assert np.isnan(s.loc[False, "median_os_months"])


def test_events_per_variable_by_hand():
    t = pd.DataFrame({"death": [1, 1, 0, 1, 1, 1, 0]})
    assert survival.events_per_variable(t, 2) == 2.5


def _two_groups(rng, crossing: bool, n=300):
    group = np.arange(n) % 2 == 0
    if crossing:  # group dies early if at all; the other dies late: hazards cross
        time = np.where(group, rng.exponential(3, n), 8 + rng.exponential(3, n))
    else:
        time = rng.exponential(np.where(group, 5.0, 10.0))
    return pd.DataFrame({"os_months": time, "death": 1, "il6_high": group})


def test_proportional_hazards_check_separates_ph_from_crossing_hazards():
    rng = np.random.default_rng(3)
    holds = survival.proportional_hazards(_two_groups(rng, False), ["il6_high"])
    broken = survival.proportional_hazards(_two_groups(rng, True), ["il6_high"])
    assert holds.loc["il6_high", "p"] > 0.05 and holds.loc["il6_high", "verdict"].startswith("no evidence")
    assert broken.loc["il6_high", "p"] < 0.001 and broken.loc["il6_high", "verdict"].startswith("evidence")


def test_proportional_hazards_rows_and_old_approximation(table):
    res = survival.proportional_hazards(table)
    assert list(res.index) == [*survival.COX_COVARIATES, "GLOBAL"]
    assert list(res["df"]) == [1] * 6 + [6]
    # lifelines' approximation has no global test; per covariate it is a different statistic
    assert np.isnan(res.loc["GLOBAL", "p_lifelines"])
    assert res["p_lifelines"].iloc[:6].notna().all()
    assert not np.allclose(res["p"].iloc[:6], res["p_lifelines"].iloc[:6], rtol=1e-3)


def test_univariable_cox_is_nan_without_a_finite_estimate(table):
    no_deaths_above = table.assign(death=table["death"].where(~table["il6_high"], 0))
    assert survival.univariable_cox(no_deaths_above, ["il6_high"]).loc["il6_high"].isna().all()
    assert survival.univariable_cox(table.assign(il6_high=True), ["il6_high"]).loc["il6_high"].isna().all()
    assert np.isfinite(survival.univariable_cox(no_deaths_above, ["age_per_10y"]).loc["age_per_10y", "hr"])


def test_univariable_cox_uses_the_patients_with_that_covariate(table):
    missing = table.assign(dfi_short=table["dfi_short"].astype(object).where(table.index >= 5, None))
    both = survival.univariable_cox(missing, ["il6_high", "dfi_short"])
    pd.testing.assert_series_equal(both.loc["il6_high"], survival.univariable_cox(table, ["il6_high"]).loc["il6_high"])
    pd.testing.assert_series_equal(both.loc["dfi_short"],
                                   survival.univariable_cox(table.iloc[5:], ["dfi_short"]).loc["dfi_short"])
