"""Tests of helpers.assay: curve models, fitting, limits, per-plate analysis, the choice of
one result per sample, and recovery of the generator's true concentrations."""

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from helpers import assay
from helpers.errors import InputError
from helpers.plates import WELLS

P4 = (0.05, 1.3, 120.0, 3.0)
P5 = (0.02, 1.5, 300.0, 2.5, 0.4)
STANDARDS = np.repeat(1000 / 3.0 ** np.arange(8), 2)  # 8 levels in duplicate


# --- curve models -----------------------------------------------------------------------


def test_four_pl_known_values():
    a, b, c, d = 0.1, 1.0, 50.0, 2.1
    assert assay.four_pl(c, a, b, c, d) == pytest.approx((a + d) / 2)
    assert assay.four_pl(0.0, a, b, c, d) == pytest.approx(a)
    assert assay.four_pl(3 * c, a, b, c, d) == pytest.approx(d + (a - d) / 4)  # 1 + 3^1 = 4
    assert assay.four_pl(c / 2, a, 2.0, c, d) == pytest.approx(d + (a - d) / 1.25)  # 1 + 0.5^2


def test_five_pl_known_values_and_reduces_to_four_pl():
    a, b, c, d = P4
    assert assay.five_pl(c, a, b, c, d, 0.5) == pytest.approx(d + (a - d) / np.sqrt(2))
    x = np.logspace(-1, 3, 9)
    np.testing.assert_allclose(assay.five_pl(x, *P4, 1.0), assay.four_pl(x, *P4), rtol=1e-14)


@pytest.mark.parametrize("model, params", [("4PL", P4), ("5PL", P5)])
def test_concentration_inverts_signal(model, params):
    curve = assay.StandardCurve(model, params, 1.0, 1.0)
    x = np.logspace(-2, 4, 25)
    np.testing.assert_allclose(curve.concentration(curve.signal(x)), x, rtol=1e-6)


@pytest.mark.parametrize("model, params", [("4PL", P4), ("5PL", P5)])
def test_concentration_outside_the_curve(model, params):
    a, d = params[0], params[3]
    curve = assay.StandardCurve(model, params, 1.0, 1.0)
    np.testing.assert_array_equal(curve.concentration([a, a - 0.01, d, d + 1.0, np.nan]),
                                  [0.0, 0.0, np.inf, np.inf, np.nan])


# --- fitting ----------------------------------------------------------------------------


def test_fit_recovers_noiseless_four_pl():
    curve = assay.fit_standard_curve(STANDARDS, assay.four_pl(STANDARDS, *P4))
    # On exact data the F-test compares rounding noise, so the model may come out as a
    # 5PL; it must then be the 4PL itself (g = 1).
    np.testing.assert_allclose(curve.params[:4], P4, rtol=1e-4)
    assert (curve.params[4] if curve.model == "5PL" else 1.0) == pytest.approx(1.0, rel=1e-4)
    assert curve.r_squared == pytest.approx(1.0)


def test_fit_picks_five_pl_on_asymmetric_data():
    x = 2000 / 2.0 ** np.arange(16)
    y = assay.five_pl(x, *P5) * (1 + 0.001 * np.random.default_rng(1).normal(size=16))
    curve = assay.fit_standard_curve(x, y)
    assert curve.model == "5PL" and curve.f_test_p < 0.05
    np.testing.assert_allclose(curve.params, P5, rtol=0.05)


def noisy_four_pl(seed=0):
    return assay.four_pl(STANDARDS, *P4) * (1 + 0.03 * np.random.default_rng(seed).normal(size=len(STANDARDS)))


def test_fit_keeps_four_pl_on_noisy_four_pl_data():
    curve = assay.fit_standard_curve(STANDARDS, noisy_four_pl())
    assert curve.model == "4PL" and curve.f_test_p >= 0.05
    np.testing.assert_allclose(curve.params, P4, rtol=0.1)


def test_fit_minimises_relative_residuals():
    """Independent fit: least squares on (y - f) / (|y| + 1 % of the range). Unweighted differs by ~1-4 %."""
    y = noisy_four_pl()
    sigma = np.abs(y) + 0.01 * np.ptp(y)
    expected = optimize.least_squares(lambda p: (y - assay.four_pl(STANDARDS, *p)) / sigma, P4,
                                      xtol=1e-14, ftol=1e-14, gtol=1e-14).x
    curve = assay.fit_standard_curve(STANDARDS, y)
    np.testing.assert_allclose(curve.params, expected, rtol=1e-5)


@pytest.mark.parametrize("conc, signal", [
    ([0.0, 1, 10, 100], [0.01, 0.1, 0.8, 2.0]),
    ([-1.0, 1, 10, 100], [0.01, 0.1, 0.8, 2.0]),
    ([1.0, 10, 100, 1000], [2.0, 0.8, 0.1, 0.01]),
])
def test_fit_rejects_bad_standards(conc, signal):
    with pytest.raises(ValueError):
        assay.fit_standard_curve(conc, signal)


# --- duplicate CV -----------------------------------------------------------------------


def test_duplicate_cv():
    assert assay.duplicate_cv([9, 11]) == pytest.approx(100 * np.sqrt(2) / 10)  # 14.142 %
    assert assay.duplicate_cv([2.0, 2.5]) == pytest.approx(100 * 0.5 / np.sqrt(2) / 2.25)
    assert np.isnan(assay.duplicate_cv([10.0]))


def test_cv_limit_is_20_within_three_lloq():
    assert assay.cv_limit(3.0, 1.0) == 20.0
    assert assay.cv_limit(3.0 + 1e-9, 1.0) == 15.0
    assert assay.cv_limit(0.5, 1.0) == 20.0


# --- one synthetic plate ----------------------------------------------------------------

CURVE = (0.0, 1.0, 200.0, 2.5)  # true blank-corrected 4PL: signal = 2.5 x / (200 + x)
BLANKS = [0.100, 0.102, 0.098, 0.100]  # mean 0.1, SD (n-1) = 0.0016330
NOMINALS = (1000, 300, 100, 30, 10, 3, 1)
SAMPLES = {  # (sample, dilution): true in-well concentration of each well (NaN: failed read)
    ("S1", 1): [50, 50], ("S1", 10): [5, 5],  # quantified at both dilutions
    ("S2", 1): [40, 60],  # CV 28 % > 15 %
    ("S3", 1): [5000, 5000], ("S3", 10): [500, 500],  # above the top standard neat
    ("S4", 1): [0, 0],  # blank level
    ("S5", 1): [0.7, 0.7],  # between LOD (0.39) and LLOQ (1)
    ("S6", 1): [20, np.nan],  # one failed well
    ("S7", 1): [2.0, 2.5],  # CV 15.7 %, within 3 x LLOQ: limit 20 %
    ("S8", 10): [0, 0],  # blank level, only diluted
    ("S9", 1): [3000, 3000],  # only above ULOQ
    ("S10", 1): [20, 25],  # CV 15.7 %, above 3 x LLOQ: limit 15 %
    ("S11", 1): [30000, 30000], ("S11", 10): [3000, 3000],  # above ULOQ at both dilutions
}


def synthetic_plate() -> pd.DataFrame:
    rows = [("standard", n, None, 1, n) for n in NOMINALS for _ in range(2)]
    rows += [("blank", None, None, 1, 0.0)] * 4
    rows += [("control", 100.0, None, 1, 90.0), ("control", 100.0, None, 1, 96.0)]
    rows += [("sample", None, s, d, c) for (s, d), cs in SAMPLES.items() for c in cs]
    rows += [("empty", None, None, 1, 0.0)] * 2
    df = pd.DataFrame(rows, columns=["role", "nominal_pg_ml", "sample_id", "dilution", "true"])
    df["signal"] = np.mean(BLANKS) + assay.four_pl(df["true"], *CURVE)
    df.loc[df["role"] == "blank", "signal"] = BLANKS
    df["read_error"] = np.where(df["true"].isna(), "Range?", "")
    df.insert(0, "well", WELLS[: len(df)])
    df.insert(0, "analyte", "IL6")
    df.insert(0, "plate_id", "T-1")
    return df.drop(columns="true")


@pytest.fixture(scope="module")
def plate():
    return assay.analyse_plate(synthetic_plate())


@pytest.fixture(scope="module")
def results(plate):
    return plate.results[plate.results["role"] == "sample"].set_index(["sample_id", "dilution"])


def test_plate_limits(plate):
    sd = np.std(BLANKS, ddof=1)
    assert plate.blank_sd == pytest.approx(sd) and plate.blank_mean == pytest.approx(0.1)
    assert plate.lod == pytest.approx(plate.curve.concentration(plate.curve.params[0] + 3 * sd), rel=1e-12)
    assert plate.lod == pytest.approx(200 * 3 * sd / (2.5 - 3 * sd), rel=1e-4)  # from the true curve
    assert (plate.lloq, plate.uloq) == (1.0, 1000.0)
    assert plate.standards["acceptable"].all()


def test_lloq_uloq_are_the_lowest_and_highest_acceptable_levels(monkeypatch):
    """With the fit fixed at the true curve, spoil the top and bottom levels' signals."""
    monkeypatch.setattr(assay, "fit_standard_curve", lambda conc, signal: assay.StandardCurve("4PL", CURVE, 1.0, 1.0))
    wells = synthetic_plate()
    wells.loc[wells["well"] == "A1", "signal"] = 0.1 + 3.1  # above the curve's top: infinite back-calculation
    lowest = wells["nominal_pg_ml"].eq(1) & wells["role"].eq("standard")
    wells.loc[lowest, "signal"] = 0.1 + 2 * assay.four_pl(1.0, *CURVE)  # ~200 % recovery
    p = assay.analyse_plate(wells)
    assert (p.lloq, p.uloq) == (3.0, 300.0)
    assert p.standards.loc[~p.standards["acceptable"], "nominal_pg_ml"].tolist() == [1.0, 1000.0]


def test_sample_status(results):
    expected = {("S1", 1): "quantified", ("S1", 10): "quantified", ("S2", 1): "quantified",
                ("S3", 1): "above_uloq", ("S3", 10): "quantified", ("S4", 1): "below_lod",
                ("S5", 1): "below_lloq", ("S6", 1): "quantified", ("S7", 1): "quantified",
                ("S8", 10): "below_lod", ("S9", 1): "above_uloq", ("S10", 1): "quantified",
                ("S11", 1): "above_uloq", ("S11", 10): "above_uloq"}
    assert results["status"].to_dict() == expected


def test_sample_results(results):
    conc = results["conc_pg_ml"]
    for key, true in [(("S1", 1), 50), (("S1", 10), 50), (("S2", 1), 50), (("S3", 10), 5000),
                      (("S6", 1), 20), (("S7", 1), 2.25), (("S10", 1), 22.5)]:
        assert conc[key] == pytest.approx(true, rel=1e-4), key
    assert np.isnan(conc[("S4", 1)])  # not quantified
    assert results.loc[("S8", 10), ["lod_pg_ml", "lloq_pg_ml"]].tolist() == pytest.approx(
        [10 * results.loc[("S4", 1), "lod_pg_ml"], 10.0])


def test_sample_flags(results):
    flags = results["flags"]
    assert flags[("S6", 1)] == "single replicate" and results.loc[("S6", 1), "n_wells"] == 1
    assert results.loc[("S2", 1), "cv_percent"] == pytest.approx(100 * np.std([40, 60], ddof=1) / 50, rel=1e-4)
    assert flags[("S2", 1)] == "duplicate CV 28.3% above 15%"
    assert flags[("S10", 1)] == "duplicate CV 15.7% above 15%"
    assert flags[("S7", 1)] == ""  # same CV, but within 3 x LLOQ
    assert set(flags.drop([("S2", 1), ("S6", 1), ("S10", 1)])) == {""}


def test_control_recovery(plate):
    assert plate.qc["control_recovery_percent"] == pytest.approx((90 + 96) / 2, rel=1e-4)
    assert plate.qc["control_ok"] and plate.qc["plate_ok"]


def analysed_with_fixed_curve(monkeypatch, wells):
    """analyse_plate with the fit fixed at the true curve, so recoveries follow the signals."""
    monkeypatch.setattr(assay, "fit_standard_curve", lambda conc, signal: assay.StandardCurve("4PL", CURVE, 1.0, 1.0))
    return assay.analyse_plate(wells)


def set_level_recovery(wells, nominal, recovery):
    """Make a calibrator level back-calculate to `recovery` (fraction) of nominal on the true curve."""
    level = wells["nominal_pg_ml"].eq(nominal) & wells["role"].eq("standard")
    wells.loc[level, "signal"] = 0.1 + assay.four_pl(nominal * recovery, *CURVE)


@pytest.mark.parametrize("nominal, recovery, acceptable", [
    (100, 1.19, True), (100, 1.21, False),    # inner level: within 20 %
    (1, 1.24, True), (1, 1.26, False),        # lowest level (LLOQ): within 25 %
    (1000, 0.76, True), (1000, 0.74, False),  # highest level (ULOQ): within 25 %
])
def test_calibrator_level_limits_follow_ich_m10(monkeypatch, nominal, recovery, acceptable):
    wells = synthetic_plate()
    set_level_recovery(wells, nominal, recovery)
    p = analysed_with_fixed_curve(monkeypatch, wells)
    assert p.standards.set_index("nominal_pg_ml").loc[nominal, "acceptable"] == acceptable


def test_plate_needs_six_acceptable_levels(monkeypatch):
    wells = synthetic_plate()  # 7 levels
    set_level_recovery(wells, 100, 1.5)
    p = analysed_with_fixed_curve(monkeypatch, wells)
    assert p.qc["levels_acceptable"] == 6 and p.qc["standards_ok"]
    set_level_recovery(wells, 30, 1.5)
    p = analysed_with_fixed_curve(monkeypatch, wells)
    assert p.qc["levels_acceptable"] == 5 and not p.qc["standards_ok"]  # 5/7 = 71 % < 75 %, and < 6
    assert "5 of 7 calibrator levels acceptable" in p.qc["failed_rules"]


def test_plate_without_control_says_so():
    wells = synthetic_plate()
    wells.loc[wells["role"] == "control", "role"] = "empty"
    p = assay.analyse_plate(wells)
    assert p.qc["failed_rules"] == "no control" and not p.qc["plate_ok"]
    assert "nan" not in p.results["flags"].str.cat()


def test_control_precision_is_judged():
    wells = synthetic_plate()
    control = wells.index[wells["role"] == "control"]
    wells.loc[control, "signal"] = 0.1 + assay.four_pl(np.array([70.0, 130.0]), *CURVE)  # mean 100 %, CV 42 %
    p = assay.analyse_plate(wells)
    assert p.qc["control_recovery_percent"] == pytest.approx(100, rel=1e-3)
    assert p.qc["failed_rules"].startswith("control CV 42 % above 20 %")


def test_zero_blank_noise_gives_no_lod_not_zero():
    wells = synthetic_plate()
    wells.loc[wells["role"] == "blank", "signal"] = 0.1
    p = assay.analyse_plate(wells)
    assert p.blank_sd == 0 and np.isnan(p.lod)
    samples = p.results.set_index(["sample_id", "dilution"])
    assert samples.loc[("S4", 1), "status"] == "below_lloq"  # never 'below LOD' against a LOD of 0


def test_signal_negative_beyond_blank_noise_is_excluded():
    wells = synthetic_plate()
    wells.loc[wells["well"] == WELLS[40], "signal"] = -0.5
    cleaned = assay.clean(wells)
    row = cleaned.wells.set_index("well").loc[WELLS[40]]
    assert row["use"] == "excluded" and row["reason"] == assay.IMPOSSIBLE_SIGNAL


def test_plate_without_blanks_is_an_input_error():
    wells = synthetic_plate().assign(export_file="plates/T.txt")
    wells.loc[wells["role"] == "blank", "signal"] = np.nan
    with pytest.raises(InputError, match=r"^raw/plates/T.txt: plate T-1: no readable blank well"):
        assay.analyse_plate(wells)


def failed_plate():
    df = synthetic_plate()
    df.loc[df["role"] == "control", "signal"] = np.mean(BLANKS) + assay.four_pl(50.0, *CURVE)  # recovery 50 %
    return df


def test_failed_plate_flags_its_results():
    p = assay.analyse_plate(failed_plate())
    assert not p.qc["control_ok"] and not p.qc["plate_ok"]
    samples = p.results[p.results["role"] == "sample"]
    assert len(samples) == len(SAMPLES)
    assert samples["flags"].str.contains("plate T-1 failed QC: control recovery 50 %").all()


def test_failed_plate_stays_out_of_the_statistics_unless_kept():
    out = assay.clean(failed_plate())
    c = out.concentrations.set_index("sample_id")
    assert set(c["status"]) == {"excluded"} and c["value_for_stats"].isna().all()
    assert set(c["exclusion"]) == {"plate T-1 failed QC (control recovery 50 % outside 80-120 %)"}
    sample_wells = out.wells[out.wells["role"] == "sample"]
    assert sample_wells.loc[sample_wells["use"] == "excluded", "reason"].str.startswith("plate failed QC").any()
    kept = assay.clean(failed_plate(), keep_failed_plates=True).concentrations.set_index("sample_id")
    assert kept.loc["S1", "status"] == "quantified" and "failed QC" in kept.loc["S1", "flags"]


def test_sample_on_two_plates_is_combined_by_the_stated_rule():
    first = synthetic_plate()
    second = synthetic_plate().assign(plate_id="T-2")
    s1 = (second["sample_id"] == "S1") & (second["dilution"] == 1)
    second.loc[s1, "signal"] = 0.1 + assay.four_pl(60.0, *CURVE)
    c = assay.clean(pd.concat([first, second], ignore_index=True)).concentrations.set_index("sample_id")
    assert c.loc["S1", "conc_pg_ml"] == pytest.approx(55.0, rel=1e-3)  # mean of 50 and 60
    assert "measured on plates T-1, T-2: mean of the plates' results" in c.loc["S1", "flags"]


# --- choosing one result per sample -----------------------------------------------------


@pytest.fixture(scope="module")
def cleaned():
    return assay.clean(synthetic_plate())


def test_clean_chooses_one_result_per_sample(cleaned):
    c = cleaned.concentrations.set_index("sample_id")
    assert sorted(c.index) == sorted({s for s, _ in SAMPLES})
    assert c.loc["S1", "dilution"] == 1  # quantified at both: the lowest dilution
    assert (c.loc["S3", "dilution"], c.loc["S3", "status"]) == (10, "quantified")  # beats neat above ULOQ
    assert c.loc["S3", "value_for_stats"] == pytest.approx(5000, rel=1e-4)
    assert c.loc["S9", ["status", "censored", "detectable"]].tolist() == ["above_uloq", "right", True]
    assert c.loc["S9", "value_for_stats"] == 1000.0  # the ULOQ
    # above ULOQ at both dilutions: the 1:10 result gives the tighter bound, > 10000
    assert (c.loc["S11", "dilution"], c.loc["S11", "value_for_stats"]) == (10, 10000.0)
    assert c.loc[["S4", "S5", "S8"], "censored"].tolist() == ["left"] * 3
    assert c.loc[["S4", "S5", "S8"], "value_for_stats"].tolist() == pytest.approx([0.5, 0.5, 5.0])  # LLOQ/2 x dilution
    assert not c.loc[["S4", "S5", "S8"], "detectable"].any()


def test_clean_accounts_for_every_well(cleaned):
    wells = cleaned.wells
    assert sorted(wells["well"]) == sorted(synthetic_plate()["well"])
    assert set(wells["use"]) == {"used", "excluded"}
    assert wells["reason"].str.len().gt(0).all()
    excluded = wells[wells["use"] == "excluded"].set_index("well")["reason"]
    by_well = synthetic_plate().set_index("well")
    failed = by_well.index[by_well["read_error"] != ""]
    sid, dil = by_well["sample_id"], by_well["dilution"]
    superseded = by_well.index[((sid == "S1") & (dil == 10)) | ((sid.isin(["S3", "S11"])) & (dil == 1))]
    empty = by_well.index[by_well["role"] == "empty"]
    assert sorted(excluded.index) == sorted([*failed, *superseded, *empty])
    assert excluded[failed].str.contains("Range?", regex=False).all()
    assert excluded[superseded].str.startswith("superseded").all()


# --- the committed cohort against the generator's truth ---------------------------------


def test_il6_recovers_generator_truth(cohort, data_dir):
    truth = pd.read_csv(data_dir / "generator_truth" / "concentrations.csv")
    conc = cohort.assays.concentrations
    il6 = conc[(conc["analyte"] == "IL6") & (conc["status"] == "quantified")]
    m = il6.merge(truth, on=["sample_id", "analyte"], validate="one_to_one")
    assert len(m) == len(il6) >= 40
    error = (m["value_pg_ml"] / m["true_pg_ml"] - 1).abs()
    assert error.median() < 0.10
    assert error.max() < 0.30
