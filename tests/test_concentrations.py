"""A plain concentrations table as the marker source: values, censoring and limits read as the
plates' cleaned results are, joined per patient, and every mistake named by line and column."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.cohort import load_study_cohort
from helpers.concentrations import load_concentrations
from helpers.errors import InputError
from helpers.study import load_study

HEADER = "sample_id,analyte,value,unit,censoring,lloq,uloq\n"
MARKERS = {"M1": "ng/ml", "M2": "U/ml"}
SAMPLES = ["S1", "S2", "S3", "S4"]


def read(tmp_path, rows: str) -> pd.DataFrame:
    path = tmp_path / "markers.csv"
    path.write_text(HEADER + rows)
    return load_concentrations(path, MARKERS, SAMPLES)


def problems(tmp_path, rows: str) -> list[str]:
    with pytest.raises(InputError) as err:
        read(tmp_path, rows)
    return [str(p) for p in err.value.problems]


def test_values_censoring_and_limits(tmp_path):
    out = read(tmp_path, "S1,M1,12.5,ng/ml,,2,50\n"
                         "S2,M1,,ng/ml,below_lloq,2,\n"
                         "S3,M1,50,ng/ml,above_uloq,2,50\n"
                         "S4,M1,7,ng/ml,none,,\n"
                         "S1,M2,3e2,U/ml,,,\n").set_index(["sample_id", "analyte"])
    # below the LLOQ: half the LLOQ for rank statistics; above the ULOQ: the ULOQ (helpers.assay's rule)
    assert out["value"].tolist() == [12.5, 1.0, 50.0, 7.0, 300.0]
    assert out["censored"].tolist() == ["", "left", "right", "", ""]
    assert out["status"].tolist() == ["quantified", "below_lloq", "above_uloq", "quantified", "quantified"]
    # detectable needs an LLOQ: unknown for S4 and for M2
    assert out["detectable"].tolist() == [True, False, True, pd.NA, pd.NA]


@pytest.mark.parametrize("rows, expected", [
    ("S1,M3,1,ng/ml,,,\n", "markers.csv:2: analyte: 'M3' is not a marker of the study (M1, M2)"),
    ("S1,M1,1,pg/ml,,,\n", "markers.csv:2: unit: 'pg/ml' differs from the study's unit for M1, 'ng/ml'; convert the values"),
    ("S9,M1,1,ng/ml,,,\n", "markers.csv:2: sample_id: sample 'S9' is not in the clinical table"),
    ("S1,M1,,ng/ml,below_lloq,,\n", "markers.csv:2: lloq: a result below the LLOQ needs the LLOQ"),
    ("S1,M1,,ng/ml,,,\n", "markers.csv:2: value: missing value (only a result below the LLOQ may have none)"),
    ("S1,M1,1.5,ng/ml,,2,\n", "markers.csv:2: value: 1.5 is below the LLOQ 2: mark it below_lloq"),
    ("S1,M1,\"1,5\",ng/ml,,,\n", "markers.csv:2: value: value '1,5' is not a number (use '.' for decimals)"),
    ("S1,M1,-1,ng/ml,,,\n", "markers.csv:2: value: value '-1' is negative or not finite"),
    ("S1,M1,1,ng/ml,under,,\n", "markers.csv:2: censoring: 'under' is not empty, none, below_lloq or above_uloq"),
    ("S1,M1,1,ng/ml,,,\nS1,M1,2,ng/ml,,,\n", "markers.csv:3: sample_id: S1 / M1 already on line 2: one result each"),
], ids=["unknown analyte", "other unit", "unknown sample", "no LLOQ", "no value", "below LLOQ unmarked",
        "decimal comma", "negative", "unknown censoring", "duplicate"])
def test_mistakes_are_named(tmp_path, rows, expected):
    assert any(line.endswith(expected) for line in problems(tmp_path, rows)), problems(tmp_path, rows)


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "markers.csv"
    path.write_text("sample_id,analyte,value\nS1,M1,1\n")
    with pytest.raises(InputError) as err:
        load_concentrations(path, MARKERS, SAMPLES)
    assert [str(p) for p in err.value.problems][0].endswith("markers.csv:1: missing column unit")


def test_a_study_on_a_concentrations_table_joins_every_patient(tmp_path):
    """Patients in any order and number, extra columns kept; a patient without a result stays in
    the table with the marker missing and is listed with the reason."""
    (tmp_path / "clinical.csv").write_text("note,pid,months,event\nx,P2,10,1\ny,P1,20,0\nz,P3,5,1\n")
    (tmp_path / "markers.csv").write_text(HEADER + "P1,M1,4,ng/ml,,,\nP2,M1,,ng/ml,below_lloq,1,\n")
    (tmp_path / "study.yaml").write_text(
        "name: t\nlabel: T\nclinical:\n  file: clinical.csv\n  id: pid\n  columns:\n"
        "    months: {type: number, min: 0}\n    event: {type: integer, levels: [0, 1]}\n"
        "markers:\n  source: concentrations\n  file: markers.csv\n  list:\n    M1: {name: m one, unit: ng/ml}\n")
    cohort = load_study_cohort(load_study(tmp_path / "study.yaml"))
    t = cohort.table.set_index("patient_id")
    assert list(t.index) == ["P2", "P1", "P3"] and t.loc["P2", "note"] == "x"
    assert t.loc["P1", "m1"] == 4 and t.loc["P2", "m1"] == 0.5 and t.loc["P2", "m1_censored"] == "left"
    assert math.isnan(t.loc["P3", "m1"]) and t.loc["P3", "m1_status"] == "no result"
    assert cohort.excluded.to_dict("records") == [{"patient_id": "P3", "sample_id": "P3", "analyte": "M1",
                                                   "reason": "no result for this sample in the concentrations table"}]


@pytest.mark.parametrize("rows, expected", [
    ("S1,M1,3.7,ng/ml,below_lloq,2,\n", "markers.csv:2: value: 3.7 is marked below_lloq but lies above its LLOQ 2"),
    ("S1,M1,10,ng/ml,above_uloq,,50\n", "markers.csv:2: value: 10 is marked above_uloq but lies below its ULOQ 50"),
], ids=["below_lloq above it", "above_uloq below it"])
def test_censoring_that_contradicts_the_value_is_named(tmp_path, rows, expected):
    assert any(line.endswith(expected) for line in problems(tmp_path, rows)), problems(tmp_path, rows)


def test_problems_in_both_tables_show_at_once(tmp_path):
    (tmp_path / "clinical.csv").write_text("pid,months\nP1,x\n")
    (tmp_path / "markers.csv").write_text(HEADER + "P1,M1,7x7,ng/ml,,,\n")
    (tmp_path / "study.yaml").write_text(
        "name: t\nlabel: T\nclinical:\n  file: clinical.csv\n  id: pid\n  columns:\n    months: {type: number}\n"
        "markers:\n  source: concentrations\n  file: markers.csv\n  list:\n    M1: {name: m one, unit: ng/ml}\n")
    with pytest.raises(InputError) as err:
        load_study_cohort(load_study(tmp_path / "study.yaml"))
    assert [str(p).split("/")[-1] for p in err.value.problems] == [
        "clinical.csv:2: months: value 'x' is not a number (use '.' for decimals)",
        "markers.csv:2: value: value '7x7' is not a number (use '.' for decimals)"]
