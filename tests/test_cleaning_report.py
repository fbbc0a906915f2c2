"""Tests of helpers.cleaning_report (notebook 01): per-plate QC
table, standard-well residuals, the tidy concentrations table, recovery against the
generator's truth, and the accounting of wells and (sample, analyte) results.
Every expected number is worked out by hand in the comments."""

import math

import numpy as np
import pandas as pd
import pytest

from helpers import assay, cleaning_report
from helpers.plates import WELLS

# a 4PL with a = 0, b = 1, c = 10, d = 100: signal(x) = 100 - 100 / (1 + x / 10)
CURVE = assay.StandardCurve("4PL", (0.0, 1.0, 10.0, 100.0), 0.995, 0.3)
QC = {"model": "4PL", "f_test_p": 0.3, "r_squared": 0.995, "r_squared_ok": True, "levels_acceptable": 7,
      "levels_total": 8, "standards_ok": True, "control_recovery_percent": 104.0, "control_ok": True,
      "plate_ok": True}


def standards():
    """Two standard wells on CURVE, a failed read and a blank (worked out in the tests below)."""
    return pd.DataFrame({
        "well": ["A1", "A2", "A3", "A4"], "role": ["standard", "standard", "standard", "blank"],
        "signal": [1055.0, 1075.0, np.nan, 1000.0], "nominal_pg_ml": [10.0, 30.0, 30.0, np.nan],
        "corrected": [55.0, 75.0, np.nan, 0.0], "well_conc": [110 / 9, 30.0, np.nan, 0.0]})


def plate(plate_id="P1", analyte="IL6", wells=None, qc=None):
    wells = wells if wells is not None else standards()
    return assay.PlateAnalysis(plate_id, analyte, CURVE, 1000.0, 50.0, 0.05, 0.14, 300.0,
                               pd.DataFrame(), wells, pd.DataFrame(), qc or dict(QC))


# --- per-plate QC table and standard wells ------------------------------------------------


def test_plate_qc_table_one_row_per_plate_in_order():
    bad = dict(QC, model="5PL", f_test_p=0.01, control_recovery_percent=130.0, control_ok=False, plate_ok=False)
    qc = cleaning_report.plate_qc_table([plate("P1"), plate("P2", "TNFA", qc=bad)])
    assert list(qc["plate_id"]) == ["P1", "P2"]
    assert list(qc["model"]) == ["4PL", "5PL"]
    assert list(qc["plate_ok"]) == [True, False]
    assert qc.loc[1, "control_recovery_percent"] == 130.0
    row = qc.iloc[0]
    assert (row["lod_pg_ml"], row["lloq_pg_ml"], row["uloq_pg_ml"]) == (0.05, 0.14, 300.0)
    assert (row["levels_acceptable"], row["levels_total"]) == (7, 8)
    assert (row["blank_mean"], row["blank_sd"]) == (1000.0, 50.0)
    assert row["max_abs_residual_percent"] == pytest.approx(10.0)  # residuals +10 % and 0 % (below)


def test_standard_wells_residuals_and_recovery_by_hand():
    # nominal 10: fitted = 100 - 100 / 2 = 50; corrected 55 -> residual +10 %;
    #   back-calculation 10 * (100 / 45 - 1) = 12.222 -> recovery 122.2 %
    # nominal 30: fitted = 100 - 100 / 4 = 75; corrected 75 -> residual 0, recovery 100 %
    # A3 failed read (NaN): left out; the blank is not a standard
    s = cleaning_report.standard_wells(plate(wells=standards()))
    assert list(s["well"]) == ["A1", "A2"]
    np.testing.assert_allclose(s["fitted"], [50.0, 75.0])
    np.testing.assert_allclose(s["residual_percent"], [10.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(s["recovery_percent"], [1100 / 9, 100.0])


# --- the tidy concentrations table --------------------------------------------------------


def conc_rows():
    base = {"dilution": 1.0, "wells": "A4,A5", "cv_percent": 3.0, "lod_pg_ml": 0.05, "lloq_pg_ml": 0.1372,
            "uloq_pg_ml": 300.0, "flags": "", "plate_id": "P1", "analyte": "IL6", "exclusion": ""}
    return pd.DataFrame([
        base | {"sample_id": "S2", "status": "below_lod", "conc_pg_ml": np.nan, "censored": "left",
                "detectable": False, "value_for_stats": 0.0686},
        base | {"sample_id": "S1", "status": "quantified", "conc_pg_ml": 6.9, "censored": "",
                "detectable": True, "value_for_stats": 6.9},
        base | {"sample_id": "S3", "status": "above_uloq", "conc_pg_ml": np.nan, "censored": "right",
                "detectable": True, "value_for_stats": 300.0},
        base | {"sample_id": "S1", "analyte": "TNFA", "plate_id": "P2", "status": "quantified", "conc_pg_ml": 22.4,
                "censored": "", "detectable": True, "value_for_stats": 22.4, "lloq_pg_ml": 7.812,
                "uloq_pg_ml": 1000.0, "flags": "duplicate CV 27% above 15%"},
    ])


PLATE_QC = pd.DataFrame({"plate_id": ["P1", "P2"], "plate_ok": [True, False]})


def test_tidy_concentrations_censoring_text_and_flags():
    tidy = cleaning_report.tidy_concentrations(conc_rows(), PLATE_QC)
    assert tuple(tidy.columns) == cleaning_report.TIDY_COLUMNS
    t = tidy.set_index(["analyte", "sample_id"])
    assert list(t.index) == [("IL6", "S1"), ("IL6", "S2"), ("IL6", "S3"), ("TNFA", "S1")]  # sorted
    assert list(t["censoring"]) == ["none", "left", "right", "none"]
    assert list(t["reported"]) == ["6.9", "< 0.137", "> 300", "22.4"]
    assert t.loc[("IL6", "S1"), "value_pg_ml"] == 6.9
    assert math.isnan(t.loc[("IL6", "S2"), "value_pg_ml"])  # left-censored stays censored
    assert math.isnan(t.loc[("IL6", "S3"), "value_pg_ml"])
    assert t.loc[("IL6", "S2"), "value_for_stats_pg_ml"] == 0.0686  # LLOQ / 2, as clean() set it
    assert t.loc[("IL6", "S3"), "flags"] == "right-censored at ULOQ: no quantified re-test"
    assert t.loc[("TNFA", "S1"), "flags"] == "duplicate CV 27% above 15%; plate P2 failed QC"
    assert t.loc[("IL6", "S1"), "flags"] == ""


def test_tidy_concentrations_needs_a_qc_row_for_every_plate():
    with pytest.raises(ValueError, match="P2"):
        cleaning_report.tidy_concentrations(conc_rows(), PLATE_QC.iloc[:1])


# --- the generator's truth ------------------------------------------------------------------


def test_read_truth_absent_gives_none(tmp_path):
    assert cleaning_report.read_truth(tmp_path) is None


def test_read_truth_reads_and_checks(tmp_path):
    (tmp_path / "generator_truth").mkdir()
    path = tmp_path / "generator_truth" / "concentrations.csv"
    path.write_text("patient_id,sample_id,analyte,true_pg_ml\nP01,S1,IL6,2.5\nP02,S2,IL6,0.1\n")
    truth = cleaning_report.read_truth(tmp_path)
    assert list(truth.columns) == ["sample_id", "analyte", "true_pg_ml"]
    assert list(truth["true_pg_ml"]) == [2.5, 0.1]
    path.write_text("sample_id,analyte,true_pg_ml\nS1,IL6,2.5\nS1,IL6,2.6\n")
    with pytest.raises(ValueError, match="more than one"):
        cleaning_report.read_truth(tmp_path)
    path.write_text("sample_id,true_pg_ml\nS1,2.5\n")
    with pytest.raises(ValueError, match="columns"):
        cleaning_report.read_truth(tmp_path)


def tidy_for_recovery():
    rows = [("S1", "IL6", "none", 11.0, 0.1, 300.0), ("S2", "IL6", "none", 9.0, 0.1, 300.0),
            ("S3", "IL6", "none", 10.5, 0.1, 300.0), ("S4", "IL6", "left", np.nan, 1.0, 300.0),
            ("S5", "IL6", "left", np.nan, 1.0, 300.0), ("S6", "IL6", "right", np.nan, 0.1, 300.0),
            ("S1", "TNFA", "none", 13.0, 8.0, 1000.0), ("S2", "TNFA", "left", np.nan, 8.0, 1000.0)]
    t = pd.DataFrame(rows, columns=["sample_id", "analyte", "censoring", "value_pg_ml", "lloq_pg_ml", "uloq_pg_ml"])
    t["status"] = t["censoring"].map({"none": "quantified", "left": "below_lloq", "right": "above_uloq"})
    return t


TRUTH = pd.DataFrame({"sample_id": ["S1", "S2", "S3", "S4", "S5", "S6", "S1", "S2"],
                      "analyte": ["IL6"] * 6 + ["TNFA"] * 2,
                      "true_pg_ml": [10.0, 10.0, 10.0, 0.5, 2.0, 480.0, 10.0, 0.01]})


def test_recovery_against_truth_by_hand():
    r = cleaning_report.recovery_against_truth(tidy_for_recovery(), TRUTH).set_index(["analyte", "sample_id"])
    # 11/10 - 1 = 0.1, 9/10 - 1 = -0.1, 10.5/10 - 1 = 0.05, 13/10 - 1 = 0.3
    np.testing.assert_allclose(r["relative_error"].dropna(), [0.1, -0.1, 0.05, 0.3])
    assert r["relative_error"].isna().sum() == 4  # censored results have no relative error
    # left: true 0.5 < LLOQ 1 agrees, true 2 > LLOQ 1 does not; right: 480 > ULOQ 300 agrees
    assert r.loc[("IL6", "S4"), "truth_consistent"] == True  # noqa: E712
    assert r.loc[("IL6", "S5"), "truth_consistent"] == False  # noqa: E712
    assert r.loc[("IL6", "S6"), "truth_consistent"] == True  # noqa: E712
    assert pd.isna(r.loc[("IL6", "S1"), "truth_consistent"])


def test_recovery_against_truth_names_missing_truth():
    with pytest.raises(ValueError, match=r"S2 \(TNFA\)"):
        cleaning_report.recovery_against_truth(tidy_for_recovery(), TRUTH.iloc[:-1])


def test_recovery_summary_by_hand():
    r = cleaning_report.recovery_against_truth(tidy_for_recovery(), TRUTH)
    s = cleaning_report.recovery_summary(r)
    assert list(s.index) == ["IL6", "TNFA", "all"]
    # IL6 |errors| 10, 10, 5 % -> median 10, max 10; censored 3, of which 2 agree with the truth
    assert s.loc["IL6", "median_abs_rel_error_percent"] == pytest.approx(10.0)
    assert s.loc["IL6", "max_abs_rel_error_percent"] == pytest.approx(10.0)
    assert (s.loc["IL6", "n"], s.loc["IL6", "n_quantified"]) == (6, 3)
    assert (s.loc["IL6", "n_censored"], s.loc["IL6", "n_censored_consistent"]) == (3, 2)
    # all: |errors| 10, 10, 5, 30 -> median 10, max 30; censored 4, 3 agree
    assert s.loc["all", "median_abs_rel_error_percent"] == pytest.approx(10.0)
    assert s.loc["all", "max_abs_rel_error_percent"] == pytest.approx(30.0)
    assert (s.loc["all", "n_censored"], s.loc["all", "n_censored_consistent"]) == (4, 3)


def test_recovery_summary_without_quantified_results_is_nan():
    r = cleaning_report.recovery_against_truth(tidy_for_recovery(), TRUTH)
    s = cleaning_report.recovery_summary(r[r["censoring"] != "none"])
    assert math.isnan(s.loc["IL6", "median_abs_rel_error_percent"])
    assert s.loc["IL6", "n_quantified"] == 0


# --- accounting ----------------------------------------------------------------------------


def test_sample_accounting_keeps_missing_and_unexpected_pairs():
    tidy = pd.DataFrame({"sample_id": ["S1", "S1", "S3"], "analyte": ["IL6", "TNFA", "IL6"],
                         "status": ["quantified", "below_lloq", "quantified"], "reported": ["2", "< 8", "5"],
                         "flags": ["", "", ""]})
    acc = cleaning_report.sample_accounting(tidy, ["S2", "S1"], ["IL6", "TNFA"]).set_index(["sample_id", "analyte"])
    assert len(acc) == 5  # 2 samples x 2 analytes expected, plus S3 which is not expected
    assert acc.loc[("S1", "TNFA"), "status"] == "below_lloq"
    assert acc.loc[("S2", "IL6"), "status"] == "no result"
    assert acc.loc[("S2", "TNFA"), "status"] == "no result"
    assert acc.loc[("S3", "IL6"), "status"] == "not in clinical table"


def accounting(plate_id="P1"):
    w = pd.DataFrame({"plate_id": plate_id, "well": WELLS, "role": "sample", "sample_id": "S1", "dilution": 1.0,
                      "signal": 1.0, "use": "used", "reason": "sample result (quantified)", "flag": ""})
    w.loc[:2, ["role", "use", "reason", "sample_id"]] = ["empty", "excluded", "empty well (not in the layout)", None]
    w.loc[3, ["use", "reason", "signal"]] = ["excluded", "reader error 'Range?'", np.nan]
    w.loc[4, "flag"] = "single replicate"
    return w


def test_check_well_accounting_counts():
    counts = cleaning_report.check_well_accounting(pd.concat([accounting("P1"), accounting("P2")]))
    assert list(counts["plate_id"]) == ["P1", "P2"]
    # 3 empty + 1 reader error excluded, 92 used, 1 flagged
    assert counts.iloc[0][["used", "excluded", "flagged", "wells"]].tolist() == [92, 4, 1, 96]


@pytest.mark.parametrize("break_it, message", [
    (lambda w: w.iloc[:-1], "95 rows"),
    (lambda w: w.assign(well=["A2"] + WELLS[1:]), "95 distinct wells"),
    (lambda w: w.assign(use=["maybe"] + ["used"] * 95), "maybe"),
    (lambda w: w.assign(reason=[""] + ["x"] * 95), "without a reason: A1"),
])
def test_check_well_accounting_rejects(break_it, message):
    with pytest.raises(ValueError, match=message):
        cleaning_report.check_well_accounting(break_it(accounting()))


def test_excluded_and_flagged_collapses_empty_wells():
    out = cleaning_report.excluded_and_flagged(accounting())
    assert list(out["well"]) == ["A4", "A5", "3 wells: A1,A2,A3"]
    assert list(out["reason"])[0] == "reader error 'Range?'"
    assert list(out["flag"])[1] == "single replicate"
    assert list(out["role"])[-1] == "empty"


def test_plate_grid_places_wells():
    w = pd.DataFrame({"well": WELLS, "signal": np.arange(96.0)})
    grid = assay.plate_grid(w.drop(index=95), "signal")  # H12 missing
    assert grid.shape == (8, 12)
    assert grid.loc["B", 3] == 14.0  # B3 is the 12 + 3rd well: index 14
    assert math.isnan(grid.loc["H", 12])
    with pytest.raises(ValueError, match="more than once"):
        assay.plate_grid(pd.concat([w, w.iloc[:1]]), "signal")


def test_qc_summary_counts():
    qc = pd.DataFrame({"plate_id": ["P1", "P2"], "model": ["4PL", "5PL"], "plate_ok": [True, False],
                       "r_squared": [0.999, np.nan]})
    tidy = cleaning_report.tidy_concentrations(conc_rows(), PLATE_QC)
    rec = cleaning_report.recovery_against_truth(tidy_for_recovery(), TRUTH)
    s = cleaning_report.qc_summary(qc, accounting(), tidy, rec)
    assert (s["plates"], s["plates_ok"], s["plates_5pl"]) == (2, 1, 1)
    assert (s["wells"], s["wells_used"], s["wells_excluded_empty"], s["wells_excluded_other"]) == (96, 92, 3, 1)
    assert s["wells_flagged"] == 1
    assert s["results_by_status"] == {"IL6:above_uloq": 1, "IL6:below_lod": 1, "IL6:quantified": 1,
                                      "TNFA:quantified": 1}
    assert s["results_flagged"] == 2  # the right-censored IL6 and the TNFA from the failed plate
    assert s["plate_qc"]["P2"]["r_squared"] is None  # NaN made JSON-safe
    assert s["recovery_vs_truth"]["all"]["max_abs_rel_error_percent"] == pytest.approx(30.0)
    assert "recovery_vs_truth" not in cleaning_report.qc_summary(qc, accounting(), tidy)
